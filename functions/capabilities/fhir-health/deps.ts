/**
 * The FHIR views' dependencies: the stores of the capabilities they read (read only): the health
 * profile and wishes, the vaccinations with the reimbursement history's store, the measurements,
 * the keyword search's (Observation `_content`, `_text`; the FHIR interface's DocumentReference too);
 * the access log and the records come with the shared dependencies. And the profession matrix the
 * access policy applies.
 */
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { withHealth } from '../health/deps.ts';
import { withMeasurements } from '../measurements/deps.ts';
import { withSearch } from '../search/deps.ts';
import { withVaccinations } from '../vaccinations/deps.ts';

export const withFhirHealth = <D extends CryptoDeps & AwsClients>(base: D) => withSearch(withMeasurements(withHealth(withVaccinations(base))));

export type FhirHealthDeps = ReturnType<typeof withFhirHealth<CryptoDeps & AwsClients>>;

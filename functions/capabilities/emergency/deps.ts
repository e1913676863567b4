/**
 * The emergency summary's dependencies: the stores of the parts it reads (read only) and the
 * profession matrix the access policy applies.
 */
import { withClaims } from '../claims/deps.ts';
import { withDocuments } from '../documents/deps.ts';
import { withHealth } from '../health/deps.ts';
import { withVaccinations } from '../vaccinations/deps.ts';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';

export const withEmergency = <D extends CryptoDeps & AwsClients>(base: D) => withVaccinations(withHealth(withDocuments(withClaims(base))));

export type EmergencyDeps = ReturnType<typeof withEmergency<CryptoDeps & AwsClients>>;

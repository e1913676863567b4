/**
 * What the FHIR function needs: the documents capability's dependencies (DocumentReference, Binary
 * and Patient go through its use cases) and the health data's stores (Patient/$everything reads
 * them through the fhir-health reader), and the keyword search's (`_content`, `_text`).
 */
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { withDocuments, type DocumentDeps } from '../documents/deps.ts';
import { withFhirHealth } from '../fhir-health/deps.ts';
import { withSearch } from '../search/deps.ts';

export const withFhir = <D extends CryptoDeps & AwsClients>(base: D) => withSearch(withFhirHealth(withDocuments(base)));

export type FhirDeps = DocumentDeps & ReturnType<typeof withFhir<CryptoDeps & AwsClients>>;

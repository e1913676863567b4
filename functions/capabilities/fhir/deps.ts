/**
 * What the FHIR function needs: the documents capability's dependencies (DocumentReference, Binary
 * and Patient go through its use cases) and the health data's stores (Patient/$everything reads
 * them through the fhir-health reader), with the keyword search's (`_content`, `_text`), which the
 * fhir-health dependencies carry.
 */
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { withDocuments, type DocumentDeps } from '../documents/deps.ts';
import { withFhirHealth } from '../fhir-health/deps.ts';

export const withFhir = <D extends CryptoDeps & AwsClients>(base: D) => withFhirHealth(withDocuments(base));

export type FhirDeps = DocumentDeps & ReturnType<typeof withFhir<CryptoDeps & AwsClients>>;

/**
 * The FHIR interface's dependencies: the documents' (store and profession matrix), whose use cases
 * it answers through, over the shared ones (records, traces, keys).
 */
import { withDocuments, type DocumentDeps } from '../documents/deps.ts';

export type FhirDeps = DocumentDeps;

export const withFhir = withDocuments;

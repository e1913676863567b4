/**
 * Documents: their store and the profession matrix the access policy applies. Only the documents
 * function (and the local runtime, which serves everything) carries them: the other bundles
 * import neither the store nor the matrix.
 */
import { DocumentStore } from './store.ts';
import { defaultAccessMatrix, type AccessMatrix } from '#domain/reference-data';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';

export interface DocumentDeps extends CryptoDeps {
  documents: DocumentStore;
  /** The profession × document class matrix the access policy applies (data, not code). */
  matrix: AccessMatrix;
}

export const withDocuments = <D extends CryptoDeps & AwsClients>(base: D): D & DocumentDeps => ({
  ...base,
  documents: new DocumentStore(base.db, base.config.tableName),
  matrix: defaultAccessMatrix,
});

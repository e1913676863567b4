/**
 * The claims capability's dependencies: its store and the profession matrix the access policy
 * applies. Its function (and the local runtime, and the bulk import) build them from the shared ones.
 */
import { defaultAccessMatrix, type AccessMatrix } from '#domain/reference-data';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { ClaimStore } from './store.ts';

export interface ClaimsDeps extends CryptoDeps {
  claims: ClaimStore;
  /** The profession × document class matrix (class 60 for the history): data, not code. */
  matrix: AccessMatrix;
}

export const withClaims = <D extends CryptoDeps & Pick<AwsClients, 'db'>>(base: D): D & ClaimsDeps => ({
  ...base,
  claims: new ClaimStore(base.db, base.config.tableName),
  matrix: defaultAccessMatrix,
});

/**
 * The claims capability's dependencies: its store and the profession matrix the access policy
 * applies. Its function (and the local runtime, and the bulk import) build them from the shared ones.
 */
import { DocumentDeposits } from '#adapters/deposits';
import { defaultAccessMatrix, type AccessMatrix } from '#domain/reference-data';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { ClaimStore } from './store.ts';

export interface ClaimsDeps extends CryptoDeps {
  claims: ClaimStore;
  /** Who deposited which documents when (clear attributes only): the care team's deposits. */
  deposits: DocumentDeposits;
  /** The profession × document class matrix (class 60 for the history): data, not code. */
  matrix: AccessMatrix;
}

export const withClaims = <D extends CryptoDeps & Pick<AwsClients, 'db'>>(base: D): D & ClaimsDeps => ({
  ...base,
  claims: new ClaimStore(base.db, base.config.tableName),
  deposits: new DocumentDeposits(base.db, base.config.tableName),
  matrix: defaultAccessMatrix,
});

/**
 * The health capability's dependencies: its store and the profession matrix the access policy
 * applies. Its function and the local runtime build them from the shared ones.
 */
import { defaultAccessMatrix, type AccessMatrix } from '#domain/reference-data';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { HealthStore } from './store.ts';

export interface HealthDeps extends CryptoDeps {
  health: HealthStore;
  /** The profession × document class matrix (each kind of health data is read under a row of it): data, not code. */
  matrix: AccessMatrix;
}

export const withHealth = <D extends CryptoDeps & Pick<AwsClients, 'db'>>(base: D): D & HealthDeps => ({
  ...base,
  health: new HealthStore(base.db, base.config.tableName),
  matrix: defaultAccessMatrix,
});

/**
 * The vaccination record's dependencies: its store, the claims capability's store (the history's
 * vaccination lines and the patient's mask of it, read, never written) and the profession matrix
 * the access policy applies. Its function (and the local runtime) build them from the shared ones.
 */
import { defaultAccessMatrix, type AccessMatrix } from '#domain/reference-data';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { ClaimStore } from '../claims/store.ts';
import { VaccinationStore } from './store.ts';

export interface VaccinationDeps extends CryptoDeps {
  vaccinations: VaccinationStore;
  claims: ClaimStore;
  /** The profession × document class matrix (class 45 for vaccinations, 60 for the history): data, not code. */
  matrix: AccessMatrix;
}

export const withVaccinations = <D extends CryptoDeps & Pick<AwsClients, 'db'>>(base: D): D & VaccinationDeps => ({
  ...base,
  vaccinations: new VaccinationStore(base.db, base.config.tableName),
  claims: new ClaimStore(base.db, base.config.tableName),
  matrix: defaultAccessMatrix,
});

/**
 * The keyword search's dependencies: the index, a reader of the candidates' items, and the stores
 * that open each kind of item (read only), with the profession matrix the access policy applies.
 */
import { SearchIndex } from '#adapters/search-index';
import { defaultAccessMatrix, type AccessMatrix } from '#domain/reference-data';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { ClaimStore } from '../claims/store.ts';
import { DocumentStore } from '../documents/store.ts';
import { HealthStore } from '../health/store.ts';
import { MeasurementStore } from '../measurements/store.ts';
import { SearchItems } from './items.ts';

export interface SearchDeps extends CryptoDeps {
  searchIndex: SearchIndex;
  searchItems: SearchItems;
  documents: DocumentStore;
  claims: ClaimStore;
  health: HealthStore;
  measurements: MeasurementStore;
  /** The profession × document class matrix: data, not code. */
  matrix: AccessMatrix;
}

export const withSearch = <D extends CryptoDeps & Pick<AwsClients, 'db'>>(base: D): D & SearchDeps => ({
  ...base,
  searchIndex: new SearchIndex(base.db, base.config.tableName, base.keyRing),
  searchItems: new SearchItems(base.db, base.config.tableName),
  documents: new DocumentStore(base.db, base.config.tableName),
  claims: new ClaimStore(base.db, base.config.tableName),
  health: new HealthStore(base.db, base.config.tableName),
  measurements: new MeasurementStore(base.db, base.config.tableName),
  matrix: defaultAccessMatrix,
});

/**
 * The measurements capability's dependencies: its stores, the device credentials' check (which the
 * pipeline uses to authenticate devices on this function's routes) and the profession matrix the
 * access policy applies. Its function (and the local runtime) build them from the shared ones.
 */
import { DeviceCredentials } from '#adapters/device-credentials';
import { defaultAccessMatrix, type AccessMatrix } from '#domain/reference-data';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import { DeviceStore } from './device-store.ts';
import { MeasurementStore } from './store.ts';

export interface MeasurementsDeps extends CryptoDeps {
  measurements: MeasurementStore;
  devices: DeviceCredentials;
  pairedDevices: DeviceStore;
  /** The profession × document class matrix (class 90 for measurements): data, not code. */
  matrix: AccessMatrix;
}

export const withMeasurements = <D extends CryptoDeps & Pick<AwsClients, 'db'>>(base: D): D & MeasurementsDeps => ({
  ...base,
  measurements: new MeasurementStore(base.db, base.config.tableName),
  devices: new DeviceCredentials(base.db, base.config.tableName),
  pairedDevices: new DeviceStore(base.db, base.config.tableName),
  matrix: defaultAccessMatrix,
});

/** The measurements capability's part of the route manifest (paired devices, measurements), and what its function needs. */
import { MAX_MEASUREMENTS_PER_BATCH } from '#domain/measurements';
import type { CapabilityManifest } from '#http/capability';
import { KIB, type Route } from '#http/route';
import * as c from '#http/schemas';
import * as s from './schemas.ts';

const DEVICE_CREDENTIAL =
  'A device authenticates with the credential its pairing answered, as a bearer token: `Authorization: Bearer dmpdev_<dmpId>.<deviceId>.<secret>`. It writes measurements to its own record and does nothing else (403 on any other route, 403 `device-not-for-this-record` on another record); once revoked, or unknown, it is refused (401); on a closed record it writes nothing (409).';

export const MEASUREMENTS_ROUTES = [
  {
    id: 'pairDevice',
    method: 'POST',
    path: '/v1/records/{dmpId}/devices',
    capability: 'measurements',
    callers: ['patient', 'representative'],
    summary: 'Pair a connected device or app with the record: its credential, shown once',
    description: `The record’s holders, while the record is active. The answer holds the device’s credential, shown this once (only its SHA-256 is kept): the device writes measurements to this record with it, and nothing else; \`DELETE …/devices/{deviceId}\` revokes it. ${DEVICE_CREDENTIAL} At most 20 devices not revoked per record. Traced.`,
    params: c.RecordParams,
    body: s.PairDevice,
    maxBodyBytes: 1 * KIB,
    responses: { 201: { description: 'The device and its credential (shown once)', schema: s.PairedDevice } },
    errors: [404, 409],
  },
  {
    id: 'listDevices',
    method: 'GET',
    path: '/v1/records/{dmpId}/devices',
    capability: 'measurements',
    callers: ['patient', 'representative'],
    summary: 'The devices paired with the record, revoked ones included (never their credentials); traced',
    params: c.RecordParams,
    responses: { 200: { description: 'The record’s devices', schema: s.DeviceList } },
    errors: [404],
  },
  {
    id: 'revokeDevice',
    method: 'DELETE',
    path: '/v1/records/{dmpId}/devices/{deviceId}',
    capability: 'measurements',
    callers: ['patient', 'representative'],
    summary: 'Revoke a device: its credential authenticates nobody from the next request on',
    description: 'The record’s holders, even once the record is closed. Its measurements stay. Revoking a revoked device again answers the same. Traced.',
    params: s.DeviceParams,
    responses: { 204: { description: 'Revoked' } },
    errors: [404],
  },
  {
    id: 'recordMeasurements',
    method: 'POST',
    path: '/v1/records/{dmpId}/measurements',
    capability: 'measurements',
    callers: ['device', 'patient', 'representative'],
    summary: `Record a batch of up to ${MAX_MEASUREMENTS_PER_BATCH} measurements: from a paired device, or the patient`,
    description: `A device paired with the record, or the record’s holders, while the record is active. ${DEVICE_CREDENTIAL} Each measurement is checked before anything is stored: a faulty one is a 422 listing each field at fault by its path (\`measurements[3].value\`) and reason, and nothing of the batch is stored. Unknown fields of a measurement are faults too. A measurement sent again (the same device, or the holders’ own entry, the same code and instant) is stored once: the answer counts it duplicate. Each measurement keeps its source (device or holder) and author. Traced (one trace per request).`,
    params: c.RecordParams,
    body: s.MeasurementBatch,
    maxBodyBytes: 64 * KIB,
    responses: { 200: { description: 'How many measurements were stored, and how many were there already', schema: s.MeasurementOutcome } },
    errors: [404, 409, 413, 422],
  },
  {
    id: 'listMeasurements',
    method: 'GET',
    path: '/v1/records/{dmpId}/measurements',
    capability: 'measurements',
    callers: ['patient', 'representative', 'professional'],
    summary: 'A series of measurements, newest first; every read is traced',
    description:
      'The record’s holders; professionals whose profession may read class 90 (patient data) in the access matrix, with an authorization or an emergency access the patient did not oppose, and not blocked. `code`: one code’s series; `from` and `to`: instants or days (both included). Follow `nextCursor` until it is null.',
    params: c.RecordParams,
    query: s.MeasurementQuery,
    responses: { 200: { description: 'Measurements, newest first', schema: s.MeasurementList } },
    errors: [404],
  },
] as const satisfies readonly Route[];

/** The measurements capability: its routes and what its function needs. */
export const MEASUREMENTS = {
  name: 'measurements',
  routes: MEASUREMENTS_ROUTES,
  function: {
    description: 'DMP measurements: pairing and revoking connected devices, their measurements and the patient’s, and reading the series',
    memorySize: 512,
    // A device's credential is checked with a GetItem of its item; the record and a professional's
    // standing are Queries, as are the devices' list and each code's series; a batch reads which
    // of its keys exist (BatchGetItem, and the devices a holder names) and puts the new ones with
    // BatchWriteItem; its trace, and a read's, is a PutItem (a first access: a transaction of Puts);
    // a pairing is a Put in a transaction under the record's guard (ConditionCheck), a revocation
    // an Update in a transaction.
    items: ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'UpdateItem', 'ConditionCheckItem', 'BatchWriteItem'],
    // Opening records' data keys only: no keyed hash of the shared secret (the measurements' keys
    // are hashed under keys derived from the record's own).
    dataKey: [{ operations: ['Decrypt'], contexts: ['record'] }],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

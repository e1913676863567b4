/**
 * Nothing of the measurements in clear, at rest or in the logs: after a device is paired (a canary
 * name), measurements are sent by it and by the patient (one batch failing half-way, so that errors
 * are logged too; one refused), and read, neither the table nor anything the process wrote holds a
 * code, a value, a unit, the device's name or its credential's secret. Logging at DEBUG, so that
 * every line is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failAfter } from '../support/faults.ts';
import { canary } from '../support/fixtures.ts';
import { captureOutput } from '../support/output.ts';
import { bloodPressure, heartRate, listMeasurements, measurementItems, pairDevice, postMeasurements, weight } from '../support/measurements.ts';
import { patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
const logged: string[] = [];
let restoreOutput: () => void;
beforeAll(async () => {
  api = await startTestApi({ logLevel: 'DEBUG' });
  restoreOutput = captureOutput(logged);
});
afterAll(async () => {
  restoreOutput?.();
  await api?.stop();
});

describe('measurements at rest and in the logs', () => {
  it('keeps no code, value, unit, device name or credential in clear, in the table or the logs', async () => {
    const doctor = await api.professional();
    const { p, token } = await patientWithSession(api, doctor);
    const name = canary('TensiometreDuSalon');
    const device = await pairDevice(api, token, p.dmpId, name);
    const secret = device.credential.split('.').at(-1) as string;
    const batch = [
      weight({ value: 81.357 }),
      heartRate({ value: 172.75 }),
      bloodPressure({
        components: [
          { code: '8480-6', value: 143.5 },
          { code: '8462-4', value: 97.25 },
        ],
      }),
      { code: '2339-0', unit: 'mg/dL', value: 123.456, effectiveAt: new Date(Date.now() - 60_000).toISOString() },
    ];
    // The second BatchWriteItem call fails: 503, logged; the batch sent again completes.
    const restore = failAfter(api.runtime.deps.db, 'BatchWriteItemCommand', 0);
    expect((await postMeasurements(api, device.credential, p.dmpId, batch)).status).toBe(503);
    restore();
    const done = await postMeasurements(api, device.credential, p.dmpId, batch);
    expect(done.status).toBe(200);
    expect(done.body.stored + done.body.duplicate).toBe(4);
    const refused = await postMeasurements(api, token, p.dmpId, [{ code: '8310-5', unit: 'Cel', value: 47.891, effectiveAt: new Date().toISOString() }]);
    expect(refused.status).toBe(422);
    expect((await listMeasurements(api, token, p.dmpId)).body.items).toHaveLength(4);
    expect((await listMeasurements(api, doctor, p.dmpId, 'code=2339-0')).body.items).toHaveLength(1);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/devices`, { token })).status).toBe(200);

    const items = await measurementItems(api, p.dmpId);
    expect(items).toHaveLength(4);
    // Keys and one sealed attribute: nothing else in clear on a measurement.
    for (const item of items) expect(Object.keys(item).sort()).toEqual(['measurement', 'pk', 'sk']);
    const secrets = [
      name,
      secret,
      '29463-7',
      '8867-4',
      '85354-9',
      '8480-6',
      '8462-4',
      '2339-0',
      '8310-5',
      '81.357',
      '172.75',
      '143.5',
      '97.25',
      '123.456',
      '47.891',
      'mm[Hg]',
      'mg/dL',
      'Cel',
    ];
    // Sealed attributes are bytes (JSON would spell them as numbers, any of which a value could match): left out.
    const table = JSON.stringify(await api.scanAll(), (_key, value) => (value && typeof value === 'object' && 'B' in value ? { B: 'sealed' } : value));
    expect(table).toContain('OBS#');
    const logs = logged.join('');
    expect(logs).toContain('request failed');
    expect(logs).toContain('recordMeasurements');
    for (const s of secrets) {
      expect(table, s).not.toContain(s);
      expect(logs, s).not.toContain(s);
    }
  });
});

/**
 * An emergency access to a record with many attending physicians: the access is granted whatever
 * their number (its transaction holds one fan-out item, not one message per physician), and the
 * outbox dispatcher later tells each of them exactly once, however often it runs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRpps } from '../support/fixtures.ts';
import { accessLog, professionalMessages } from '../support/documents.ts';
import { patientWithSession } from '../support/patients.ts';
import { startWarmTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
beforeAll(async () => void ({ api, doctor } = await startWarmTestApi()));
afterAll(() => api?.stop());

const PHYSICIANS = 150;
/** Requests sent side by side: enough to be quick, few enough for the emulator (which serves one at a time). */
const BATCH = 10;

const inBatches = async <T, R>(items: T[], run: (item: T) => Promise<R>): Promise<R[]> => {
  const out: R[] = [];
  for (let i = 0; i < items.length; i += BATCH) out.push(...(await Promise.all(items.slice(i, i + BATCH).map(run))));
  return out;
};

describe('emergency access with many attending physicians', () => {
  it(`break-glass with ${PHYSICIANS} attending physicians: granted, each physician told exactly once, the patient by SMS, nothing more on later runs`, {
    timeout: 240_000,
  }, async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const physicians = [...new Set(Array.from({ length: PHYSICIANS * 2 }, randomRpps))].slice(0, PHYSICIANS);
    expect(physicians).toHaveLength(PHYSICIANS);
    const designated = await inBatches(physicians, (id) =>
      api.call('PUT', `/v1/records/${p.dmpId}/professionals/${id}`, { token, body: { status: 'authorized', attendingPhysician: true } }),
    );
    expect(designated.map((r) => r.status)).toEqual(physicians.map(() => 200));

    const urgentistId = randomRpps();
    const urgentist = await api.professional({ professionalId: urgentistId });
    const granted = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'Patient inconscient aux urgences' } });
    expect(granted.status, JSON.stringify(granted.body)).toBe(200);
    expect(granted.body).toMatchObject({ authorization: 'VALIDE', mode: 'break-glass' });
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token: urgentist })).status).toBe(200);

    const told = async () => inBatches(physicians, (id) => professionalMessages(api, id));
    for (let run = 0; run < 5; run++) {
      expect((await api.runJob('outbox')).status).toBe(200);
      if ((await told()).every((m) => m.length > 0)) break;
    }
    const messages = await told();
    expect(messages.map((m) => m.length)).toEqual(physicians.map(() => 1));
    expect(messages.every(([m]) => m?.message.includes(p.dmpId) && m.message.includes('break-glass'))).toBe(true);
    expect(await professionalMessages(api, urgentistId)).toEqual([]);
    const emergencySms = async () => (await api.sms(p.mobile)).filter((m) => m.message.includes('en urgence'));
    expect(await emergencySms()).toHaveLength(1);

    // Later runs, now and after every back-off, send nothing more.
    await api.runJob('outbox');
    await api.runJob('outbox', new Date(Date.now() + 24 * 3600_000).toISOString());
    expect((await told()).map((m) => m.length)).toEqual(physicians.map(() => 1));
    expect(await emergencySms()).toHaveLength(1);
    expect((await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'access.emergency')).toHaveLength(1);
  });
});

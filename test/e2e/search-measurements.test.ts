/**
 * Measurements found by name through the keyword search (GET …/search), over HTTP: a paired
 * device records a heart rate and the patient a weight; once the index job has run (POST
 * /_local/jobs/search-index), a word of the display name the measurements' own listing shows is
 * found, as the measured code, by the patient, the doctor who created the record and a second
 * doctor the patient authorised; never by a professional without authorization, nor by an
 * authorised one whose profession the matrix keeps from patient data (class 90: a dietician).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/documents.ts';
import { randomRpps } from '../support/fixtures.ts';
import { heartRate, listMeasurements, minutesAgo, pairDevice, postMeasurements, weight } from '../support/measurements.ts';
import { patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';
import { searchRecord } from '../support/search.ts';

let api: TestApi;
let doctor: string;
beforeAll(async () => {
  api = await startTestApi();
  doctor = await api.professional();
});
afterAll(() => api?.stop());

const search = async (dmpId: string, token: string, query: string) => {
  const res = await searchRecord(api, dmpId, token, query);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items;
};

/** A professional of a profession, authorised by the patient: its id and token. */
const authorised = async (dmpId: string, patientToken: string, profession?: string) => {
  const id = randomRpps();
  const token = await api.professional({ professionalId: id, ...(profession ? { profession } : {}) });
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${id}`, { token: patientToken, body: { status: 'authorized' } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return { id, token };
};

/** A record with a heart rate recorded by a paired device and a weight by the patient, indexed; the names the listing shows them by. */
const fixture = async () => {
  const { p, token } = await patientWithSession(api, doctor);
  const device = await pairDevice(api, token, p.dmpId);
  expect((await postMeasurements(api, device.credential, p.dmpId, [heartRate({ effectiveAt: minutesAgo(20) })])).status).toBe(200);
  expect((await postMeasurements(api, token, p.dmpId, [weight({ effectiveAt: minutesAgo(10) })])).status).toBe(200);
  const listed = await listMeasurements(api, token, p.dmpId);
  expect(listed.status).toBe(200);
  const display = (code: string) => (listed.body.items as { code: string; display: string }[]).find((m) => m.code === code)?.display ?? '';
  const indexed = await api.runJob('search-index');
  expect(indexed.status, JSON.stringify(indexed.body)).toBe(200);
  const [doctor2, dietician] = [await authorised(p.dmpId, token), await authorised(p.dmpId, token, '26')];
  return { p, token, heartRate: display('8867-4'), weight: display('29463-7'), doctor2, dietician };
};

let r: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  r = await fixture();
}, 120_000);

describe('GET …/search: measurements by name', () => {
  it('a word of the display name the listing shows finds the measured code, for the patient and the professionals who may read measurements', async () => {
    expect(r.heartRate).toBe('Fréquence cardiaque');
    const word = r.heartRate.split(' ').at(-1) ?? '';
    for (const token of [r.token, doctor, r.doctor2.token]) {
      const hits = await search(r.p.dmpId, token, `q=${encodeURIComponent(word)}`);
      expect(hits).toEqual([expect.objectContaining({ kind: 'measurement', id: '8867-4', title: r.heartRate })]);
      // Case and accents do not matter; the kind filter keeps it; the patient's own weight by its name too.
      expect((await search(r.p.dmpId, token, `q=${encodeURIComponent('FREQUENCE')}&kind=measurement`)).map((h) => h.id)).toEqual(['8867-4']);
      expect((await search(r.p.dmpId, token, `q=${encodeURIComponent(r.weight)}`)).map((h) => `${h.kind}:${h.id}`)).toEqual(['measurement:29463-7']);
    }
  });

  it('never for a professional without authorization, nor for a profession the matrix keeps from patient data; each search traced', async () => {
    const stranger = await api.professional();
    // Not authorised: its search sees only documents it deposited itself (none), no measurement.
    expect(await search(r.p.dmpId, stranger, 'q=cardiaque')).toEqual([]);
    // A dietician (26), authorised: the matrix refuses it the measurements (as their listing does).
    expect(await search(r.p.dmpId, r.dietician.token, 'q=cardiaque')).toEqual([]);
    expect(await search(r.p.dmpId, r.dietician.token, `q=${encodeURIComponent(r.weight)}&kind=measurement`)).toEqual([]);
    expect((await listMeasurements(api, r.dietician.token, r.p.dmpId)).status).toBe(403);
    // The same query, by the second doctor, still finds it: the dietician's empty answer is the matrix's.
    expect((await search(r.p.dmpId, r.doctor2.token, 'q=cardiaque')).map((h) => h.id)).toEqual(['8867-4']);
    const log = await accessLog(api, r.token, r.p.dmpId);
    for (const id of [r.dietician.id, r.doctor2.id])
      expect(
        log.some((t) => t.action === 'record.keyword-search' && t.actor.id === id),
        id,
      ).toBe(true);
  });
});

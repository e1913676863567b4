/**
 * The medication review over HTTP: the medicines dispensed in the last 90 days grouped by
 * substance, and the alerts of data/medication-alerts.json for the professionals who may read the
 * history; the patient and the representatives get the medicines, not the alerts. Every read traced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/documents.ts';
import { batchId, daysAgo, medicationLine, pushBatch } from '../support/claims.ts';
import { adultIdentity, canary, minorBirthDate, randomFiness, randomMobile, randomRpps, recordBody } from '../support/fixtures.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctorId: string;
let doctor: string;
let insurer: string;
beforeAll(async () => {
  api = await startTestApi();
  doctorId = randomRpps();
  doctor = await api.professional({ professionalId: doctorId });
  insurer = await api.insurer();
});
afterAll(() => api?.stop());

type Medicine = {
  substance: string;
  groupedBy: string;
  display: string;
  lineIds: string[];
  firstDispensed: string;
  lastDispensed: string;
  quantity: number;
  prescriberIds: string[];
};
type Alert = { ruleId: string; severity: string; lineIds: string[] };
const review = (dmpId: string, token: string, query = '') => api.call('GET', `/v1/records/${dmpId}/medication-review${query}`, { token });

/** A medicine of one active component and ATC code, dispensed `days` ago (one box: 30 days covered). */
const medicine = (component: string, atc: string, days: number, extra: Record<string, unknown> = {}) =>
  medicationLine({ date: daysAgo(days), atcGroup: atc.slice(0, 3), atcValence: atc, activeComponents: [component], quantity: 1, display: `${atc} ${canary('Nom')}`, ...extra });

/** The line ids the history gives the lines, by their display. */
const lineIdsByDisplay = async (dmpId: string, token: string): Promise<Map<string, string>> => {
  const res = await api.call('GET', `/v1/records/${dmpId}/claims`, { token });
  expect(res.status).toBe(200);
  return new Map((res.body.items as { lineId: string; display: string }[]).map((i) => [i.display, i.lineId]));
};

describe('GET /v1/records/{dmpId}/medication-review', () => {
  it('gives a professional the medicines of 90 days by substance and the alerts naming their lines; the patient the medicines only', async () => {
    const p = await newPatient(api, doctor);
    const ibuprofen = medicine('1001', 'M01AE01', 5);
    const ramipril = medicine('1002', 'C09AA05', 20);
    const furosemide = medicine('1003', 'C03CA01', 25);
    const warfarin = medicine('1004', 'B01AA03', 10);
    const warfarinAgain = medicine('1004', 'B01AA03', 40, { quantity: 2 });
    // 120 days ago: in the history, out of the review's 90 days.
    const old = medicine('1005', 'N05BA01', 120);
    const lines = [ibuprofen, ramipril, furosemide, warfarin, warfarinAgain, old];
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines }] })).body.lines.accepted).toBe(6);
    const { token } = await activeSession(api, p);
    const ids = await lineIdsByDisplay(p.dmpId, token);
    const id = (line: { display: string }) => ids.get(line.display);

    const pro = await review(p.dmpId, doctor);
    expect(pro.status, JSON.stringify(pro.body)).toBe(200);
    expect(pro.body.window).toEqual({ from: daysAgo(89), to: daysAgo(0) });
    const medicines: Medicine[] = pro.body.medicines;
    expect(medicines.map((m) => m.substance).sort()).toEqual(['1001', '1002', '1003', '1004']);
    const vka = medicines.find((m) => m.substance === '1004');
    expect(vka).toMatchObject({
      groupedBy: 'active-component',
      lineIds: [id(warfarinAgain), id(warfarin)],
      firstDispensed: daysAgo(40),
      lastDispensed: daysAgo(10),
      quantity: 3,
      display: warfarin.display,
    });
    expect(JSON.stringify(pro.body)).not.toContain(old.display);

    const alerts: Alert[] = pro.body.alerts;
    const byRule = new Map(alerts.map((a) => [a.ruleId, a]));
    expect(byRule.get('triple-whammy')).toMatchObject({ severity: 'high', lineIds: expect.arrayContaining([id(ibuprofen), id(ramipril), id(furosemide)]) });
    expect(byRule.get('triple-whammy')?.lineIds).toHaveLength(3);
    expect(byRule.get('vka-nsaid')).toMatchObject({ severity: 'high' });
    expect(byRule.get('vka-nsaid')?.lineIds.sort()).toEqual([id(ibuprofen), id(warfarin), id(warfarinAgain)].sort());
    // The benzodiazepine of 120 days ago raises nothing, and no rule was skipped (the birth date is known).
    expect(alerts.some((a) => a.lineIds.includes(id(old) ?? ''))).toBe(false);
    expect(pro.body.skippedRules).toEqual([]);
    expect(pro.body.rulesVersion).toEqual(expect.any(String));

    const own = await review(p.dmpId, token);
    expect(own.status).toBe(200);
    expect(own.body.medicines).toEqual(pro.body.medicines);
    expect(own.body).not.toHaveProperty('alerts');
    expect(own.body).not.toHaveProperty('skippedRules');

    const strict = await review(p.dmpId, token, '?days=365');
    expect(strict.status).toBe(400);
  });

  it('follows the policy of the history: the matrix, blocks, and the representatives without a minor’s confidential medicines', async () => {
    const mobile = randomMobile();
    const body = recordBody({
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
    });
    const minor = await api.call('POST', '/v1/records', { token: doctor, body });
    expect(minor.status).toBe(201);
    const dmpId = minor.body.dmpId as string;
    const kept = medicine('2001', 'G03AA07', 15, { confidential: true });
    const open = medicine('2002', 'N02BE01', 15);
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: body.ins, lines: [kept, open] }] })).body.lines.accepted).toBe(2);

    const rep = minor.body.representatives[0];
    const repToken = (await activeSession(api, { dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile })).token;
    const byRep = await review(dmpId, repToken);
    expect(byRep.status).toBe(200);
    expect(byRep.body.medicines.map((m: Medicine) => m.substance)).toEqual(['2002']);
    expect(JSON.stringify(byRep.body)).not.toContain(kept.display);
    expect(byRep.body).not.toHaveProperty('alerts');
    expect((await review(dmpId, doctor)).body.medicines.map((m: Medicine) => m.substance).sort()).toEqual(['2001', '2002']);

    const nurseId = randomRpps();
    const nurse = await api.professional({ professionalId: nurseId, profession: '60' });
    const repDecides = async (professionalId: string, decision: Record<string, unknown>) =>
      expect((await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token: repToken, body: decision })).status).toBe(200);
    await repDecides(nurseId, { status: 'authorized' });
    const byNurse = await review(dmpId, nurse);
    expect(byNurse.status).toBe(403);
    expect(byNurse.body.type).toBe('urn:dmp:problem:profession-not-allowed');
    expect((await review(dmpId, await api.professional())).status).toBe(403);
    await repDecides(doctorId, { status: 'blocked' });
    const blocked = await review(dmpId, doctor);
    expect(blocked.status).toBe(403);
    expect(blocked.body.type).toBe('urn:dmp:problem:blocked');
  });

  it('traces every read, the patient’s and each professional’s', async () => {
    const p = await newPatient(api, doctor);
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [medicine('3001', 'N02BE01', 3)] }] })).status).toBe(200);
    const { token } = await activeSession(api, p);
    const pharmacistId = randomRpps();
    const pharmacist = await api.professional({ professionalId: pharmacistId, profession: '21', structure: randomFiness() });
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${pharmacistId}`, { token, body: { status: 'authorized' } })).status).toBe(200);
    expect((await review(p.dmpId, doctor)).status).toBe(200);
    expect((await review(p.dmpId, pharmacist)).status).toBe(200);
    expect((await review(p.dmpId, token)).status).toBe(200);
    expect((await review(p.dmpId, doctor)).status).toBe(200);
    const reads = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'claims.medication-review');
    expect(reads.map((t) => (t.actor.kind === 'patient' ? 'patient' : t.actor.id)).sort()).toEqual([doctorId, doctorId, pharmacistId, 'patient'].sort());
  });
});

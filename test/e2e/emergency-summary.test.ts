/**
 * The emergency summary over HTTP: one answer, each part decided by its own rule of the access
 * policy (a refused part is named in `withheld`), the record opened by an authorization or an
 * emergency access the patient did not oppose, and every read traced in its mode.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog, deposit } from '../support/documents.ts';
import { batchId, daysAgo, medicationLine, pushBatch } from '../support/claims.ts';
import { canary, randomRpps } from '../support/fixtures.ts';
import { profileBody, wishesBody, writeOnCurrent, writeWishes } from '../support/health.ts';
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

const summary = (dmpId: string, token: string) => api.call('GET', `/v1/records/${dmpId}/emergency-summary`, { token });

const authorize = async (dmpId: string, token: string, professionalId: string, decision: Record<string, unknown>) => {
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: decision });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

/**
 * A record with a medicine dispensed 10 days ago (and one 120 days ago, outside the 90 days), an
 * older and a newer medical summary, a discharge letter and a lab report, all deposited by the
 * doctor (authorised by the creation's consent), a health profile and advance directives written by
 * the patient, and a vaccination recorded by the doctor.
 */
const fullRecord = async () => {
  const p = await newPatient(api, doctor);
  const recent = medicationLine({ date: daysAgo(10), atcGroup: 'B01', atcValence: 'B01AA03', activeComponents: ['1004'], display: `B01AA03 ${canary('Med')}` });
  const old = medicationLine({ date: daysAgo(120), display: `old ${canary('Med')}` });
  expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [recent, old] }] })).body.lines.accepted).toBe(2);
  const olderSummary = await deposit(api, doctor, p.dmpId, { typeCode: '60591-5', title: 'Synthèse 2025', serviceDate: daysAgo(300) });
  const letter = await deposit(api, doctor, p.dmpId, { typeCode: '11490-0', title: 'Lettre de sortie', serviceDate: daysAgo(40) });
  const latestSummary = await deposit(api, doctor, p.dmpId, { typeCode: '60591-5', title: 'Synthèse 2026', serviceDate: daysAgo(20) });
  await deposit(api, doctor, p.dmpId, { typeCode: '11502-2', serviceDate: daysAgo(5) });
  const { token } = await activeSession(api, p);
  const profile = profileBody();
  await writeOnCurrent(api, p.dmpId, token, () => profile);
  const wishes = wishesBody();
  expect((await writeWishes(api, p.dmpId, token, wishes)).status).toBe(200);
  const recorded = await api.call('POST', `/v1/records/${p.dmpId}/vaccinations`, {
    token: doctor,
    body: { date: daysAgo(30), vaccine: { name: 'Revaxis', codeSystem: 'ATC_VALENCE', code: 'J07CA01' }, lotNumber: 'N-77/2', doseNumber: 1 },
  });
  expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
  return { p, token, recent, old, olderSummary, letter, latestSummary, profile, wishes, vaccinationId: recorded.body.id as string };
};

describe('GET /v1/records/{dmpId}/emergency-summary', () => {
  it('gives an authorised doctor the medicines of 90 days and the latest summary and letter, traced', async () => {
    const r = await fullRecord();
    const res = await summary(r.p.dmpId, doctor);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.mode).toBe('normal');
    expect(res.body.withheld).toEqual([]);
    expect(res.body.treatments.window).toEqual({ from: daysAgo(90), to: daysAgo(0) });
    expect(res.body.treatments.dispensed).toEqual([
      expect.objectContaining({ substance: '1004', display: r.recent.display, firstDispensed: daysAgo(10), lastDispensed: daysAgo(10) }),
    ]);
    expect(JSON.stringify(res.body)).not.toContain(r.old.display);
    expect(res.body.documents.latestSummary).toMatchObject({
      documentId: r.latestSummary,
      typeCode: '60591-5',
      title: 'Synthèse 2026',
      serviceDate: daysAgo(20),
      author: { kind: 'professional', id: doctorId },
    });
    expect(res.body.documents.latestHospitalLetter).toMatchObject({ documentId: r.letter, typeCode: '11490-0', title: 'Lettre de sortie' });
    expect(res.body.profile).toMatchObject({
      bloodGroup: { abo: 'AB', rh: '-', source: 'patient' },
      allergies: [expect.objectContaining({ substance: r.profile.allergies[0]?.substance, criticality: 'high', source: 'patient' })],
      conditions: [expect.objectContaining({ text: r.profile.conditions[0]?.text })],
      treatments: [expect.objectContaining({ medication: r.profile.treatments[0]?.medication })],
    });
    expect(res.body.vaccinations).toEqual([
      expect.objectContaining({ id: r.vaccinationId, source: 'professional', date: daysAgo(30), vaccine: expect.objectContaining({ code: 'J07CA01' }) }),
    ]);
    expect(res.body.wishes).toMatchObject({ declared: true, advanceDirectives: { exist: true }, trustedPerson: { mobile: r.wishes.trustedPerson.mobile } });

    const traces = (await accessLog(api, r.token, r.p.dmpId)).filter((t) => t.action === 'emergency-summary.read');
    expect(traces.map((t) => [t.actor.id, t.mode])).toEqual([[doctorId, 'normal']]);
  });

  it('gives the patient the same parts, and withholds from a profession what the matrix keeps from it', async () => {
    const r = await fullRecord();
    const own = await summary(r.p.dmpId, r.token);
    expect(own.status).toBe(200);
    expect(own.body.withheld).toEqual([]);
    expect(own.body.wishes.trustedPerson.familyName).toBe(r.wishes.trustedPerson.familyName);
    expect(own.body.documents.latestSummary.documentId).toBe(r.latestSummary);
    expect(own.body.treatments.dispensed).toHaveLength(1);

    // A physiotherapist (70) reads summaries and reports, not the reimbursement history (class 60).
    const physioId = randomRpps();
    const physio = await api.professional({ professionalId: physioId, profession: '70' });
    await authorize(r.p.dmpId, r.token, physioId, { status: 'authorized' });
    const res = await summary(r.p.dmpId, physio);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    // Nor the advance directives (the EXPPAT_3 exception: doctors, midwives, nurses); the profile, yes.
    // Nor vaccinations (class 45).
    expect(res.body.withheld).toEqual(['wishes', 'vaccinations', 'treatments']);
    expect(res.body.treatments).toBeUndefined();
    expect(res.body.wishes).toBeUndefined();
    expect(res.body.vaccinations).toBeUndefined();
    expect(res.body.profile.bloodGroup).toMatchObject({ abo: 'AB', rh: '-' });
    expect(JSON.stringify(res.body)).not.toContain(r.recent.display);
    expect(JSON.stringify(res.body)).not.toContain(r.wishes.trustedPerson.familyName);
    expect(res.body.documents.latestSummary.documentId).toBe(r.latestSummary);

    // A pharmacist (21) reads the history and summaries (11), not discharge letters (class 10).
    const pharmacistId = randomRpps();
    const pharmacist = await api.professional({ professionalId: pharmacistId, profession: '21' });
    await authorize(r.p.dmpId, r.token, pharmacistId, { status: 'authorized' });
    const ph = await summary(r.p.dmpId, pharmacist);
    expect(ph.status).toBe(200);
    expect(ph.body.withheld).toEqual(['wishes']);
    expect(ph.body.vaccinations.map((v: { id: string }) => v.id)).toEqual([r.vaccinationId]);
    expect(ph.body.treatments.dispensed).toHaveLength(1);
    expect(ph.body.documents.latestHospitalLetter).toBeNull();
    expect(ph.body.documents.latestSummary.documentId).toBe(r.latestSummary);
  });

  it('skips a summary the patient masked for a professional who is not the attending physician, and the history the patient masked', async () => {
    const r = await fullRecord();
    const mask = await api.call('PATCH', `/v1/records/${r.p.dmpId}/documents/${r.latestSummary}`, { token: r.token, body: { maskedToProfessionals: true } });
    expect(mask.status, JSON.stringify(mask.body)).toBe(200);
    expect((await api.call('PUT', `/v1/records/${r.p.dmpId}/claims/visibility`, { token: r.token, body: { maskedToProfessionals: true } })).status).toBe(200);
    // Another doctor, authorised: not the author (an author always sees its own document).
    const colleagueId = randomRpps();
    const colleague = await api.professional({ professionalId: colleagueId });
    await authorize(r.p.dmpId, r.token, colleagueId, { status: 'authorized' });
    const res = await summary(r.p.dmpId, colleague);
    expect(res.status).toBe(200);
    expect(res.body.documents.latestSummary.documentId).toBe(r.olderSummary);
    expect(res.body.withheld).toEqual(['treatments']);

    const attendingId = randomRpps();
    const attending = await api.professional({ professionalId: attendingId });
    await authorize(r.p.dmpId, r.token, attendingId, { status: 'authorized', attendingPhysician: true });
    const seen = await summary(r.p.dmpId, attending);
    expect(seen.body.documents.latestSummary.documentId).toBe(r.latestSummary);
    expect(seen.body.withheld).toEqual([]);
  });

  it('opens in a declared emergency access the patient did not oppose, traced in its mode; refuses without one, when blocked or opposed', async () => {
    const r = await fullRecord();
    const urgentistId = randomRpps();
    const urgentist = await api.professional({ professionalId: urgentistId });
    const before = await summary(r.p.dmpId, urgentist);
    expect(before.status).toBe(403);
    expect(before.body.type).toBe('urn:dmp:problem:no-authorization');
    const declared = await api.call('POST', `/v1/records/${r.p.dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'patient inconscient' } });
    expect(declared.status, JSON.stringify(declared.body)).toBe(200);
    const res = await summary(r.p.dmpId, urgentist);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.mode).toBe('break-glass');
    expect(res.body.documents.latestSummary.documentId).toBe(r.latestSummary);
    const traces = (await accessLog(api, r.token, r.p.dmpId)).filter((t) => t.action === 'emergency-summary.read' && t.actor.id === urgentistId);
    expect(traces.map((t) => [t.mode, (t as { outcome?: string }).outcome])).toEqual([
      ['break-glass', 'allowed'],
      ['normal', 'refused'],
    ]);

    // A regulator of the SAMU, when the patient opposed regulation access: refused at the declaration and at the read.
    const opposed = await api.call('PATCH', `/v1/records/${r.p.dmpId}/settings`, { token: r.token, body: { emergencyAccess: { breakGlass: true, regulation: false } } });
    expect(opposed.status, JSON.stringify(opposed.body)).toBe(200);
    const regulator = await api.professional({ professionalId: randomRpps(), role: 'regulator' });
    expect((await api.call('POST', `/v1/records/${r.p.dmpId}/access`, { token: regulator, body: { mode: 'regulation' } })).status).toBe(403);
    expect((await summary(r.p.dmpId, regulator)).status).toBe(403);

    await authorize(r.p.dmpId, r.token, doctorId, { status: 'blocked' });
    const blocked = await summary(r.p.dmpId, doctor);
    expect(blocked.status).toBe(403);
    expect(blocked.body.type).toBe('urn:dmp:problem:blocked');
  });

  it('is refused to agents and the insurer, and not found on another record or a closed one', async () => {
    const r = await fullRecord();
    expect((await summary(r.p.dmpId, await api.agent())).status).toBe(403);
    expect((await summary(r.p.dmpId, insurer)).status).toBe(403);
    const other = await newPatient(api, doctor);
    expect((await summary(other.dmpId, r.token)).status).toBe(404);
    expect((await api.call('POST', `/v1/records/${r.p.dmpId}/closure`, { token: r.token, body: {} })).status).toBe(200);
    expect((await summary(r.p.dmpId, doctor)).status).toBe(404);
  });
});

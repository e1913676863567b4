/**
 * Reading the reimbursed-care history over HTTP, under the policy of documents: the patient, the
 * representatives (without the lines a minor keeps confidential), professionals whose profession
 * may read class 60 in the matrix, in a mode (authorization or emergency), not blocked, and, when
 * the patient masked the history, the attending physician only. Every read is traced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/documents.ts';
import { batchId, daysAgo, labLine, medicationLine, pushBatch, stayLine } from '../support/claims.ts';
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

type Item = { lineId: string; category: string; date: string; display: string; confidential?: boolean };
const read = (dmpId: string, token: string, query = '') => api.call('GET', `/v1/records/${dmpId}/claims${query}`, { token });
const dates = (body: { items: Item[] }) => body.items.map((i) => i.date);

/** A patient with a session and three lines pushed: a medicine 10 days ago, a lab test 30 days ago, a stay 60 days ago. */
const patientWithHistory = async () => {
  const p = await newPatient(api, doctor);
  const res = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [stayLine(), medicationLine(), labLine()] }] });
  expect(res.body.lines.accepted).toBe(3);
  const { token } = await activeSession(api, p);
  return { p, token };
};

const authorize = async (dmpId: string, token: string, professionalId: string, decision: Record<string, unknown>) => {
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: decision });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

describe('GET /v1/records/{dmpId}/claims', () => {
  it('gives the patient the whole history newest first, with filters and opaque cursors', async () => {
    const { p, token } = await patientWithHistory();
    const all = await read(p.dmpId, token);
    expect(all.status).toBe(200);
    expect(dates(all.body)).toEqual([daysAgo(10), daysAgo(30), daysAgo(60)]);
    expect(all.body.maskedToProfessionals).toBe(false);
    expect(all.body.nextCursor).toBeNull();

    expect((await read(p.dmpId, token, '?category=lab')).body.items.map((i: Item) => i.category)).toEqual(['lab']);
    expect(dates((await read(p.dmpId, token, `?from=${daysAgo(40)}&to=${daysAgo(20)}`)).body)).toEqual([daysAgo(30)]);

    const first = await read(p.dmpId, token, '?limit=2');
    expect(dates(first.body)).toEqual([daysAgo(10), daysAgo(30)]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    expect(first.body.nextCursor).not.toContain('CLAIM');
    const second = await read(p.dmpId, token, `?limit=2&cursor=${first.body.nextCursor}`);
    expect(dates(second.body)).toEqual([daysAgo(60)]);
    expect(second.body.nextCursor).toBeNull();

    const forged = await read(p.dmpId, token, `?cursor=${Buffer.from('DOC#x').toString('base64url')}`);
    expect(forged.status).toBe(400);
  });

  it('hides the lines a minor keeps confidential from the representatives, not from the minor’s professionals', async () => {
    const mobile = randomMobile();
    const body = recordBody({
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
    });
    const minor = await api.call('POST', '/v1/records', { token: doctor, body });
    expect(minor.status).toBe(201);
    const dmpId = minor.body.dmpId as string;
    const kept = medicationLine({ confidential: true });
    const open = labLine({ confidential: false });
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: body.ins, lines: [kept, open, stayLine()] }] })).body.lines.accepted).toBe(3);

    const rep = minor.body.representatives[0];
    const repToken = (await activeSession(api, { dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile })).token;
    const seen = await read(dmpId, repToken);
    expect(seen.status).toBe(200);
    expect(dates(seen.body)).toEqual([daysAgo(30), daysAgo(60)]);
    expect(JSON.stringify(seen.body)).not.toContain(kept.display);

    // The professional reads it all, and is not told which lines are kept from the representatives.
    const pro = await read(dmpId, doctor);
    expect(dates(pro.body)).toEqual([daysAgo(10), daysAgo(30), daysAgo(60)]);
    expect(pro.body.items.some((i: Item) => 'confidential' in i)).toBe(false);
    expect(pro.body).not.toHaveProperty('maskedToProfessionals');
  });

  it('follows the matrix for professionals: doctors and pharmacists read class 60, nurses do not', async () => {
    const { p, token } = await patientWithHistory();
    const pharmacistId = randomRpps();
    const nurseId = randomRpps();
    const pharmacist = await api.professional({ professionalId: pharmacistId, profession: '21', structure: randomFiness() });
    const nurse = await api.professional({ professionalId: nurseId, profession: '60' });
    await authorize(p.dmpId, token, pharmacistId, { status: 'authorized' });
    await authorize(p.dmpId, token, nurseId, { status: 'authorized' });
    expect((await read(p.dmpId, doctor)).status).toBe(200);
    expect(dates((await read(p.dmpId, pharmacist)).body)).toHaveLength(3);
    const refused = await read(p.dmpId, nurse);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:dmp:problem:profession-not-allowed');
  });

  it('refuses a professional without authorization, and a blocked one; a closed record is not found', async () => {
    const { p, token } = await patientWithHistory();
    const strangerId = randomRpps();
    const stranger = await api.professional({ professionalId: strangerId });
    expect((await read(p.dmpId, stranger)).status).toBe(403);
    await authorize(p.dmpId, token, doctorId, { status: 'blocked' });
    const blocked = await read(p.dmpId, doctor);
    expect(blocked.status).toBe(403);
    expect(blocked.body.type).toBe('urn:dmp:problem:blocked');
    // Blocked is blocked, even in an emergency.
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: doctor, body: { mode: 'break-glass', reason: 'détresse' } })).status).toBe(403);
    expect((await read(p.dmpId, doctor)).status).toBe(403);

    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token, body: {} })).status).toBe(200);
    expect((await read(p.dmpId, stranger)).status).toBe(404);
  });

  it('opens the history in an emergency access the patient did not oppose, and traces it in that mode', async () => {
    const { p, token } = await patientWithHistory();
    const urgentistId = randomRpps();
    const urgentist = await api.professional({ professionalId: urgentistId });
    expect((await read(p.dmpId, urgentist)).status).toBe(403);
    const declared = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'patient inconscient' } });
    expect(declared.status, JSON.stringify(declared.body)).toBe(200);
    expect(dates((await read(p.dmpId, urgentist)).body)).toHaveLength(3);
    const traces = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'claims.read' && t.actor.id === urgentistId);
    expect(traces.map((t) => [t.mode, (t as { outcome?: string }).outcome])).toEqual([
      ['break-glass', 'allowed'],
      ['normal', 'refused'],
    ]);
  });

  it('lets the patient mask the whole history from professionals but the attending physician, and unmask it', async () => {
    const { p, token } = await patientWithHistory();
    const attendingId = randomRpps();
    const attending = await api.professional({ professionalId: attendingId });
    await authorize(p.dmpId, token, attendingId, { status: 'authorized', attendingPhysician: true });

    const mask = (masked: boolean, by = token) => api.call('PUT', `/v1/records/${p.dmpId}/claims/visibility`, { token: by, body: { maskedToProfessionals: masked } });
    expect((await mask(true, doctor)).status).toBe(403);
    const masked = await mask(true);
    expect(masked.status).toBe(200);
    expect(masked.body).toEqual({ maskedToProfessionals: true });
    expect((await read(p.dmpId, token)).body.maskedToProfessionals).toBe(true);

    const hidden = await read(p.dmpId, doctor);
    expect(hidden.status).toBe(403);
    expect(hidden.body.type).toBe('urn:dmp:problem:masked-by-patient');
    expect(dates((await read(p.dmpId, attending)).body)).toHaveLength(3);
    expect(dates((await read(p.dmpId, token)).body)).toHaveLength(3);

    expect((await mask(false)).status).toBe(200);
    expect(dates((await read(p.dmpId, doctor)).body)).toHaveLength(3);
    const log = await accessLog(api, token, p.dmpId);
    expect(log.filter((t) => t.action === 'claims.visibility')).toHaveLength(2);
  });

  it('traces every read: the patient’s, a representative’s and each professional’s', async () => {
    const { p, token } = await patientWithHistory();
    const before = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'claims.read').length;
    await read(p.dmpId, token);
    await read(p.dmpId, doctor);
    await read(p.dmpId, doctor, '?category=medication');
    await read(p.dmpId, token, '?limit=1');
    const reads = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'claims.read');
    expect(reads.length - before).toBe(4);
    expect(reads.filter((t) => t.actor.kind === 'professional' && t.actor.id === doctorId)).toHaveLength(2);
    expect(reads.filter((t) => t.actor.kind === 'patient')).toHaveLength(2);
  });
});

/**
 * The care team over HTTP: the professionals and structures the history's lines of the last 12
 * months name, and the authors of the documents deposited in them that the caller may read, with
 * first and last day, count, roles, profession and specialty codes, and (for the record's holders)
 * the patient's decision on each. Read under the policy of the history (the matrix, blocks, the
 * representatives without a minor's confidential lines); every read traced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog, deposit } from '../support/documents.ts';
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

type Member = {
  kind: 'professional' | 'structure';
  id: string;
  firstDate: string;
  lastDate: string;
  count: number;
  roles: string[];
  professions?: string[];
  specialties?: string[];
  authorization?: string;
  attendingPhysician?: boolean;
  name?: string;
};
const read = (dmpId: string, token: string, query = '') => api.call('GET', `/v1/records/${dmpId}/care-team${query}`, { token });
const members = async (dmpId: string, token: string): Promise<Member[]> => {
  const res = await read(dmpId, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items;
};
const member = (items: Member[], id: string) => items.find((m) => m.id === id);

const decide = async (dmpId: string, token: string, professionalId: string, decision: Record<string, unknown>) => {
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: decision });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

describe('GET /v1/records/{dmpId}/care-team', () => {
  it('lists prescribers, performers, structures and authors of the last 12 months, with dates, counts and the patient’s decisions', async () => {
    const p = await newPatient(api, doctor);
    const prescriberId = randomRpps();
    const performerId = randomRpps();
    const formerId = randomRpps();
    const pharmacy = randomFiness();
    const prescriber = { id: prescriberId, profession: '10', specialty: 'SM54' };
    const lines = [
      medicationLine({ date: daysAgo(10), prescriber, performer: { finess: pharmacy, name: 'Pharmacie du canal' } }),
      medicationLine({ date: daysAgo(100), prescriber, performer: { finess: pharmacy, name: 'Pharmacie du canal' } }),
      labLine({ date: daysAgo(30), performer: { id: performerId, finess: randomFiness() } }),
      // Thirteen months ago: still in the history (24 months), out of the care team's window.
      stayLine({ date: daysAgo(400), prescriber: { id: formerId, profession: '10' } }),
    ];
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines }] })).body.lines.accepted).toBe(4);
    await deposit(api, doctor, p.dmpId);
    const { token } = await activeSession(api, p);
    await decide(p.dmpId, token, prescriberId, { status: 'authorized', attendingPhysician: true });
    await decide(p.dmpId, token, performerId, { status: 'blocked' });

    const res = await read(p.dmpId, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.window).toEqual({ from: expect.any(String), to: daysAgo(0) });
    expect(res.body.window.from <= daysAgo(364) && res.body.window.from >= daysAgo(366)).toBe(true);
    const items: Member[] = res.body.items;
    expect(member(items, prescriberId)).toEqual({
      kind: 'professional',
      id: prescriberId,
      firstDate: daysAgo(100),
      lastDate: daysAgo(10),
      count: 2,
      roles: ['prescriber'],
      professions: ['10'],
      specialties: ['SM54'],
      authorization: 'authorized',
      attendingPhysician: true,
    });
    expect(member(items, performerId)).toMatchObject({
      kind: 'professional',
      firstDate: daysAgo(30),
      lastDate: daysAgo(30),
      count: 1,
      roles: ['performer'],
      authorization: 'blocked',
      attendingPhysician: false,
    });
    expect(member(items, pharmacy)).toEqual({
      kind: 'structure',
      id: pharmacy,
      firstDate: daysAgo(100),
      lastDate: daysAgo(10),
      count: 2,
      roles: ['performer'],
      name: 'Pharmacie du canal',
    });
    // The creator deposited a document today, and holds the authorization its creation gave.
    expect(member(items, doctorId)).toMatchObject({ kind: 'professional', firstDate: daysAgo(0), lastDate: daysAgo(0), count: 1, roles: ['author'], authorization: 'authorized' });
    // 12 months: the stay of 13 months ago names no one.
    expect(member(items, formerId)).toBeUndefined();
    expect(items.map((m) => m.lastDate)).toEqual([...items.map((m) => m.lastDate)].sort().reverse());

    // Strict input: no query parameter is taken.
    const strict = await read(p.dmpId, token, '?since=2020-01-01');
    expect(strict.status).toBe(400);
    expect(strict.headers.get('content-type')).toContain('application/problem+json');
  });

  it('shows a professional the team under the matrix, without the patient’s decisions, and without authors of documents it may not read', async () => {
    const p = await newPatient(api, doctor);
    const prescriberId = randomRpps();
    expect(
      (await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [medicationLine({ prescriber: { id: prescriberId, profession: '10' } })] }] })).status,
    ).toBe(200);
    const { token } = await activeSession(api, p);
    await decide(p.dmpId, token, prescriberId, { status: 'blocked' });
    // A second doctor deposits a document the patient masks from the other professionals.
    const secondId = randomRpps();
    const second = await api.professional({ professionalId: secondId });
    await decide(p.dmpId, token, secondId, { status: 'authorized' });
    const documentId = await deposit(api, second, p.dmpId);
    const masked = await api.call('PATCH', `/v1/records/${p.dmpId}/documents/${documentId}`, { token, body: { maskedToProfessionals: true } });
    expect(masked.status, JSON.stringify(masked.body)).toBe(200);

    const seen = await members(p.dmpId, doctor);
    expect(member(seen, prescriberId)).toEqual({
      kind: 'professional',
      id: prescriberId,
      firstDate: daysAgo(10),
      lastDate: daysAgo(10),
      count: 1,
      roles: ['prescriber'],
      professions: ['10'],
      specialties: [],
    });
    expect(seen.some((m) => 'authorization' in m || 'attendingPhysician' in m)).toBe(false);
    expect(member(seen, secondId)).toBeUndefined();
    // A third hides a document from the patient (until it is announced): the professionals see its author, the patient does not.
    const thirdId = randomRpps();
    const third = await api.professional({ professionalId: thirdId });
    await decide(p.dmpId, token, thirdId, { status: 'authorized' });
    await deposit(api, third, p.dmpId, { visibility: { invisibleToPatient: true } });
    expect(member(await members(p.dmpId, doctor), thirdId)).toMatchObject({ roles: ['author'], count: 1 });
    expect(member(await members(p.dmpId, token), thirdId)).toBeUndefined();
    // Its own author sees its deposit; the patient sees the author of a document masked from professionals.
    expect(member(await members(p.dmpId, second), secondId)).toMatchObject({ roles: ['author'], count: 1 });
    expect(member(await members(p.dmpId, token), secondId)).toMatchObject({ roles: ['author'], authorization: 'authorized' });
  });

  it('leaves the representatives without the lines a minor keeps confidential and the authors of the documents kept from them', async () => {
    const mobile = randomMobile();
    const body = recordBody({
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
    });
    const minor = await api.call('POST', '/v1/records', { token: doctor, body });
    expect(minor.status).toBe(201);
    const dmpId = minor.body.dmpId as string;
    const keptId = randomRpps();
    const openId = randomRpps();
    const lines = [
      medicationLine({ confidential: true, prescriber: { id: keptId, profession: '10' } }),
      medicationLine({ date: daysAgo(20), prescriber: { id: openId, profession: '10' } }),
    ];
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: body.ins, lines }] })).body.lines.accepted).toBe(2);
    await deposit(api, doctor, dmpId, { visibility: { invisibleToRepresentatives: true } });

    const rep = minor.body.representatives[0];
    const repToken = (await activeSession(api, { dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile })).token;
    const repView = await members(dmpId, repToken);
    expect(member(repView, openId)).toMatchObject({ count: 1, roles: ['prescriber'] });
    expect(member(repView, keptId)).toBeUndefined();
    expect(member(repView, doctorId)).toBeUndefined();

    const proView = await members(dmpId, doctor);
    expect(member(proView, keptId)).toMatchObject({ count: 1 });
    expect(member(proView, doctorId)).toMatchObject({ roles: ['author'] });
  });

  it('refuses professionals the matrix, an authorization or a block refuse, and traces every read', async () => {
    const p = await newPatient(api, doctor);
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [medicationLine()] }] })).status).toBe(200);
    const { token } = await activeSession(api, p);
    const nurseId = randomRpps();
    const nurse = await api.professional({ professionalId: nurseId, profession: '60' });
    await decide(p.dmpId, token, nurseId, { status: 'authorized' });
    const byNurse = await read(p.dmpId, nurse);
    expect(byNurse.status).toBe(403);
    expect(byNurse.body.type).toBe('urn:dmp:problem:profession-not-allowed');
    expect((await read(p.dmpId, await api.professional())).status).toBe(403);
    expect((await read(p.dmpId, insurer)).status).toBe(403);

    expect((await read(p.dmpId, doctor)).status).toBe(200);
    expect((await read(p.dmpId, token)).status).toBe(200);
    await decide(p.dmpId, token, doctorId, { status: 'blocked' });
    const blocked = await read(p.dmpId, doctor);
    expect(blocked.status).toBe(403);
    expect(blocked.body.type).toBe('urn:dmp:problem:blocked');

    const log = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'claims.care-team') as { actor: { kind: string; id?: string }; outcome?: string }[];
    expect(
      log
        .filter((t) => t.outcome === 'allowed')
        .map((t) => t.actor.kind)
        .sort(),
    ).toEqual(['patient', 'professional']);
    expect(log.filter((t) => t.outcome === 'allowed' && t.actor.kind === 'professional').map((t) => t.actor.id)).toEqual([doctorId]);
    expect(log.filter((t) => t.outcome === 'refused').map((t) => t.actor.id)).toEqual(expect.arrayContaining([nurseId, doctorId]));
  });
});

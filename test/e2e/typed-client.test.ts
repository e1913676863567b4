/**
 * The typed client (clients/typescript: openapi-fetch over the types generated from GET
 * /openapi.json) against the local runtime, over real HTTP: a patient's login with password and SMS
 * code, the password change, the document list, masking, the access log; a professional's record
 * creation and deposit; an error as a typed problem document. These tests compile against the
 * generated types, so a contract change that breaks clients breaks them (at type check or here).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { bearer, createDmpClient, type DmpClient } from '../../clients/typescript/index.ts';
import { recordBody } from '../support/fixtures.ts';
import { documentBody } from '../support/documents.ts';
import { lastCode, NEW_PASSWORD } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let dmp: DmpClient;
let doctor: string;
beforeAll(async () => {
  api = await startTestApi();
  dmp = createDmpClient({ baseUrl: api.runtime.url });
  doctor = await api.professional();
});
afterAll(() => api?.stop());

/** The session's record: the token's `sub` (a session opens its own record only). */
const subjectOf = (token: string): string => JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString('utf8')).sub;

/** Password, then the SMS code read from the emulator: the session token and whether the password must change. */
const logIn = async (loginId: string, password: string, mobile: string) => {
  const first = await dmp.POST('/v1/auth/patient/login', { body: { loginId, password } });
  expect(first.response.status, JSON.stringify(first.error)).toBe(202);
  const challengeId = first.data!.challengeId;
  const second = await dmp.POST('/v1/auth/patient/verify', { body: { challengeId, code: await lastCode(api, mobile) } });
  expect(second.response.status, JSON.stringify(second.error)).toBe(200);
  return second.data!;
};

describe('the typed client drives the API', () => {
  let dmpId: string;
  let mobile: string;
  let loginId: string;
  let session: string;
  const deposited: string[] = [];

  it('a professional creates a record and deposits documents', async () => {
    const body = recordBody();
    mobile = body.contact.mobile;
    const created = await dmp.POST('/v1/records', { body, headers: bearer(doctor) });
    expect(created.response.status, JSON.stringify(created.error)).toBe(201);
    dmpId = created.data!.dmpId;
    loginId = created.data!.credentials!.loginId;
    const credentials = created.data!.credentials!;
    if (!('provisionalPassword' in credentials)) throw new Error('a record created by a professional comes with a provisional password');
    const provisional = credentials.provisionalPassword;
    for (const title of ['Compte rendu de consultation', 'Bilan sanguin']) {
      const res = await dmp.POST('/v1/records/{dmpId}/documents', {
        params: { path: { dmpId } },
        body: { ...documentBody({ title }), contentType: 'application/pdf' },
        headers: bearer(doctor),
      });
      expect(res.response.status, JSON.stringify(res.error)).toBe(201);
      expect(res.data).toMatchObject({ version: 1 });
      deposited.push(res.data!.documentId);
    }

    // The provisional password: a session that may only change it.
    const first = await logIn(loginId, provisional, mobile);
    expect(first.mustChangePassword).toBe(true);
    expect(subjectOf(first.accessToken)).toBe(dmpId);
    const refused = await dmp.GET('/v1/records/{dmpId}/documents', { params: { path: { dmpId } }, headers: bearer(first.accessToken) });
    expect(refused.response.status).toBe(403);
    expect(refused.error?.type).toBe('urn:dmp:problem:password-change-required');
    const changed = await dmp.POST('/v1/auth/patient/password', {
      body: { currentPassword: provisional, newPassword: NEW_PASSWORD },
      headers: bearer(first.accessToken),
    });
    expect(changed.response.status, JSON.stringify(changed.error)).toBe(204);
  });

  it('the patient logs in with password and SMS code, and lists the documents', async () => {
    const opened = await logIn(loginId, NEW_PASSWORD, mobile);
    expect(opened).toMatchObject({ tokenType: 'Bearer', mustChangePassword: false });
    session = opened.accessToken;
    const list = await dmp.GET('/v1/records/{dmpId}/documents', { params: { path: { dmpId }, query: { limit: '10' } }, headers: bearer(session) });
    expect(list.response.status, JSON.stringify(list.error)).toBe(200);
    expect(list.data!.items.map((d) => d.documentId).sort()).toEqual([...deposited].sort());
    expect(list.data!.items.map((d) => d.title).sort()).toEqual(['Bilan sanguin', 'Compte rendu de consultation']);
    expect(list.data!.items.every((d) => d.author.kind === 'professional' && !d.visibility.maskedToProfessionals)).toBe(true);
  });

  it('the patient masks a document from professionals; the list and a professional see it', async () => {
    const documentId = deposited[0]!;
    const masked = await dmp.PATCH('/v1/records/{dmpId}/documents/{documentId}', {
      params: { path: { dmpId, documentId } },
      body: { maskedToProfessionals: true },
      headers: bearer(session),
    });
    expect(masked.response.status, JSON.stringify(masked.error)).toBe(200);
    expect(masked.data!.visibility.maskedToProfessionals).toBe(true);
    const list = await dmp.GET('/v1/records/{dmpId}/documents', { params: { path: { dmpId } }, headers: bearer(session) });
    expect(list.data!.items.find((d) => d.documentId === documentId)?.visibility.maskedToProfessionals).toBe(true);
    // Another professional, authorised by the patient, no longer sees it; the author still does.
    const other = await api.professional();
    const otherId = subjectOf(other);
    const authorised = await dmp.PUT('/v1/records/{dmpId}/professionals/{professionalId}', {
      params: { path: { dmpId, professionalId: otherId } },
      body: { status: 'authorized' },
      headers: bearer(session),
    });
    expect(authorised.response.status, JSON.stringify(authorised.error)).toBe(200);
    const seen = await dmp.GET('/v1/records/{dmpId}/documents', { params: { path: { dmpId } }, headers: bearer(other) });
    expect(seen.response.status, JSON.stringify(seen.error)).toBe(200);
    expect(seen.data!.items.map((d) => d.documentId)).toEqual([deposited[1]]);
  });

  it("the access log shows the professional's deposits and the patient's mask, newest first", async () => {
    const log = await dmp.GET('/v1/records/{dmpId}/access-log', { params: { path: { dmpId }, query: { limit: '100' } }, headers: bearer(session) });
    expect(log.response.status, JSON.stringify(log.error)).toBe(200);
    const items = log.data!.items;
    const doctorId = subjectOf(doctor);
    for (const documentId of deposited) {
      expect(items.some((e) => e.actor.kind === 'professional' && e.actor.id === doctorId && e.documentId === documentId && e.outcome === 'allowed')).toBe(true);
    }
    expect(items.some((e) => e.actor.kind === 'patient' && e.documentId === deposited[0])).toBe(true);
    const times = items.map((e) => e.at);
    expect(times).toEqual([...times].sort().reverse());
  });

  it('an error is a typed problem document: an unknown field, a wrong SMS code', async () => {
    const bad = await dmp.PATCH('/v1/records/{dmpId}/documents/{documentId}', {
      params: { path: { dmpId, documentId: deposited[1]! } },
      // An unknown field, which the types refuse too: sent anyway, the API answers 400.
      body: { maskedToProfessionals: true, colour: 'red' } as never,
      headers: bearer(session),
    });
    expect(bad.response.status).toBe(400);
    expect(bad.response.headers.get('content-type')).toContain('application/problem+json');
    expect(bad.error).toMatchObject({ status: 400 });
    const first = await dmp.POST('/v1/auth/patient/login', { body: { loginId, password: NEW_PASSWORD } });
    const wrongCode = (await lastCode(api, mobile)) === '000000' ? '111111' : '000000';
    const refused = await dmp.POST('/v1/auth/patient/verify', { body: { challengeId: first.data!.challengeId, code: wrongCode } });
    expect(refused.response.status).toBe(401);
    expect(refused.error?.status).toBe(401);
    expect(refused.data).toBeUndefined();
  });
});

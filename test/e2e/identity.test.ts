/**
 * Patient identity over HTTP through the local runtime: password + SMS code, sessions signed by
 * KMS, the provisional password changed at first login, lockouts, representatives of a minor and
 * the desk's reissue at 18. Codes are read from the SMS the AWS emulator recorded.
 */
import { SignJWT, generateKeyPair } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recordCalls, failNext } from '../support/faults.ts';
import { adultIdentity, minorBirthDate, randomMobile, recordBody } from '../support/fixtures.ts';
import { MovableClock, NEW_PASSWORD, YEAR_MS, activeSession, lastCode, login, newPatient, openSession, verify, startClockedApi } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

describe('login: password, then a one-time code by SMS', () => {
  it('opens a session whose provisional password must be changed before anything else', async () => {
    const p = await newPatient(api, doctor);
    const first = await login(api, p.loginId, p.password);
    expect(first.status).toBe(202);
    expect(Date.parse(first.body.expiresAt) - clock.now().getTime()).toBeLessThanOrEqual(5 * 60_000);
    const sms = (await api.sms(p.mobile)).at(-1)!;
    expect(sms.message).toMatch(/\b[0-9]{6}\b/);
    expect(sms.message).not.toContain(p.loginId);
    const session = await verify(api, first.body.challengeId, await lastCode(api, p.mobile));
    expect(session.status).toBe(200);
    expect(session.body).toMatchObject({ tokenType: 'Bearer', mustChangePassword: true });
    expect(session.body.expiresIn).toBeLessThanOrEqual(900);

    const blocked = await api.call('GET', `/v1/records/${p.dmpId}`, { token: session.body.accessToken });
    expect(blocked.status).toBe(403);
    expect(blocked.body.type).toBe('urn:dmp:problem:password-change-required');

    const weak = await api.call('POST', '/v1/auth/patient/password', { token: session.body.accessToken, body: { currentPassword: p.password, newPassword: 'court' } });
    expect(weak.status).toBe(422);
    const changed = await api.call('POST', '/v1/auth/patient/password', { token: session.body.accessToken, body: { currentPassword: p.password, newPassword: NEW_PASSWORD } });
    expect(changed.status).toBe(204);

    expect((await login(api, p.loginId, p.password)).status).toBe(401);
    const again = await openSession(api, { ...p, password: NEW_PASSWORD });
    expect(again.body.mustChangePassword).toBe(false);
    const read = await api.call('GET', `/v1/records/${p.dmpId}`, { token: again.body.accessToken });
    expect(read.status).toBe(200);
    expect(read.body.contact.mobile).toBe(p.mobile);
    expect(read.body.identity.birthDate).toBe('1975-03-14');
  });

  it('answers a wrong login id and a wrong password alike (401, same body)', async () => {
    const p = await newPatient(api, doctor);
    const wrongPassword = await login(api, p.loginId, 'pas le bon mot de passe');
    const wrongLogin = await login(api, '00000000000', 'pas le bon mot de passe');
    expect(wrongPassword.status).toBe(401);
    expect(wrongLogin.status).toBe(401);
    const strip = ({ instance: _i, ...rest }: Record<string, unknown>) => rest;
    expect(strip(wrongPassword.body)).toEqual(strip(wrongLogin.body));
    expect(await api.sms(p.mobile)).toEqual([]);
  });

  it('uses a code once, allows five attempts, and lets it expire after five minutes', async () => {
    const p = await newPatient(api, doctor);
    const used = await login(api, p.loginId, p.password);
    const code = await lastCode(api, p.mobile);
    expect((await verify(api, used.body.challengeId, code)).status).toBe(200);
    expect((await verify(api, used.body.challengeId, code)).status).toBe(401);

    const guessed = await login(api, p.loginId, p.password);
    const right = await lastCode(api, p.mobile);
    const wrong = right === '000000' ? '111111' : '000000';
    for (let i = 0; i < 5; i++) expect((await verify(api, guessed.body.challengeId, wrong)).status).toBe(401);
    expect((await verify(api, guessed.body.challengeId, right)).status).toBe(401);

    const q = await newPatient(api, doctor); // p is locked now: five wrong codes count against it
    const late = await login(api, q.loginId, q.password);
    const lateCode = await lastCode(api, q.mobile);
    clock.advance(5 * 60_000 + 1000);
    try {
      expect((await verify(api, late.body.challengeId, lateCode)).status).toBe(401);
    } finally {
      clock.reset();
    }
  });

  it('locks an account after repeated failures (429 with Retry-After), even for the right password', async () => {
    const p = await newPatient(api, doctor);
    const statuses: number[] = [];
    for (let i = 0; i < 6; i++) statuses.push((await login(api, p.loginId, `mauvais mot de passe ${i}`)).status);
    expect(statuses.slice(0, 5)).toEqual([401, 401, 401, 401, 401]);
    expect(statuses[5]).toBe(429);
    const locked = await login(api, p.loginId, p.password);
    expect(locked.status).toBe(429);
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(await api.sms(p.mobile)).toEqual([]);
    // The lock ends; the failures still count (cumulative): one more and the lock is longer.
    clock.advance(61_000);
    try {
      expect((await login(api, p.loginId, 'encore faux')).status).toBe(401);
      const relocked = await login(api, p.loginId, p.password);
      expect(relocked.status).toBe(429);
      expect(Number(relocked.headers.get('retry-after'))).toBeGreaterThan(60);
    } finally {
      clock.reset();
    }
  });

  it('fails cleanly when the SMS cannot be sent: 503, and no challenge is left behind', async () => {
    const p = await newPatient(api, doctor);
    const before = (await api.scanAll()).filter((i) => i.pk.S.startsWith('CHAL#')).length;
    const restore = failNext(api.runtime.sns, 'PublishCommand');
    try {
      const res = await login(api, p.loginId, p.password);
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBeTruthy();
    } finally {
      restore();
    }
    expect((await api.scanAll()).filter((i) => i.pk.S.startsWith('CHAL#')).length).toBe(before);
    expect((await openSession(api, p)).status).toBe(200);
  });

  it('costs one KMS Sign per login and no KMS call per authenticated request', async () => {
    const p = await newPatient(api, doctor);
    const { token } = await activeSession(api, p);
    const kms = recordCalls(api.runtime.deps.kms);
    try {
      await openSession(api, { ...p, password: NEW_PASSWORD });
      expect(kms.calls.filter((c) => c.command === 'SignCommand')).toHaveLength(1);
      kms.calls.length = 0;
      for (let i = 0; i < 3; i++) expect((await api.call('GET', `/v1/records/${p.dmpId}/notifications`, { token })).status).toBe(200);
      expect(kms.calls).toEqual([]);
    } finally {
      kms.stop();
    }
  });
});

describe('sessions open one record, for the right kind of caller only', () => {
  it('a patient token opens its own record and nothing else', async () => {
    const a = await newPatient(api, doctor);
    const b = await newPatient(api, doctor);
    const { token } = await activeSession(api, a);
    expect((await api.call('GET', `/v1/records/${b.dmpId}`, { token })).status).toBe(404);
    expect((await api.call('GET', `/v1/records/${b.dmpId}/notifications`, { token })).status).toBe(404);
    expect((await api.call('POST', `/v1/records/${b.dmpId}/closure`, { token })).status).toBe(404);
    expect((await api.call('PATCH', `/v1/records/${b.dmpId}/settings`, { token, body: { emergencyAccess: { breakGlass: false } } })).status).toBe(404);
    expect((await api.call('POST', '/v1/records/search', { token, body: { ins: b.ins } })).status).toBe(403);
    expect((await api.call('POST', '/v1/records', { token, body: recordBody() })).status).toBe(403);
    expect((await api.call('POST', `/v1/records/${a.dmpId}/credentials`, { token, body: { identityChecked: true } })).status).toBe(403);
  });

  it('a professional token is refused on patient operations, and forged or expired sessions on all', async () => {
    const p = await newPatient(api, doctor);
    const { token } = await activeSession(api, p);
    expect((await api.call('POST', '/v1/auth/patient/password', { token: doctor, body: { currentPassword: 'x', newPassword: NEW_PASSWORD } })).status).toBe(403);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token: doctor })).status).toBe(403);

    const [header, payload] = token.split('.');
    const claims = JSON.parse(Buffer.from(payload!, 'base64url').toString());
    const tampered = `${header}.${Buffer.from(JSON.stringify({ ...claims, sub: 'someoneElse123' })).toString('base64url')}.${token.split('.')[2]}`;
    const none = `${Buffer.from(JSON.stringify({ alg: 'none', typ: 'JWT' })).toString('base64url')}.${payload}.`;
    const { privateKey } = await generateKeyPair('ES256');
    const forged = await new SignJWT(claims).setProtectedHeader({ alg: 'ES256', kid: JSON.parse(Buffer.from(header!, 'base64url').toString()).kid }).sign(privateKey);
    for (const bad of [tampered, none, forged]) {
      const res = await api.call('GET', `/v1/records/${p.dmpId}`, { token: bad });
      expect(res.status).toBe(401);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    clock.advance(16 * 60_000);
    try {
      expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token })).status).toBe(401);
    } finally {
      clock.reset();
    }
  });
});

describe('representatives of a minor', () => {
  it('log in with their own code, act for the minor, and lose access at 18; the desk then issues the patient’s credentials', async () => {
    const repMobile = randomMobile();
    const patientMobile = randomMobile();
    const created = await api.call('POST', '/v1/records', {
      token: doctor,
      body: recordBody({
        identity: { ...adultIdentity(), birthDate: minorBirthDate(clock.now()) },
        contact: { mobile: patientMobile },
        representatives: [{ familyName: 'CanaryRep', givenNames: 'Anne', relationship: 'MTH', mobile: repMobile }],
      }),
    });
    expect(created.status).toBe(201);
    const dmpId = created.body.dmpId as string;
    const rep = { dmpId, loginId: created.body.representatives[0].loginId, password: created.body.representatives[0].provisionalPassword, mobile: repMobile };
    const { token } = await activeSession(api, rep);
    const claims = JSON.parse(Buffer.from(token.split('.')[1]!, 'base64url').toString());
    expect(claims).toMatchObject({ sub: dmpId, actor: 'representative' });
    expect((await api.sms(patientMobile)).filter((m) => /code/.test(m.message))).toEqual([]);
    expect((await api.call('GET', `/v1/records/${dmpId}`, { token })).status).toBe(200);

    const agent = await api.agent();
    const early = await api.call('POST', `/v1/records/${dmpId}/credentials`, { token: agent, body: { identityChecked: true } });
    expect(early.status).toBe(409);

    clock.advance(9 * YEAR_MS);
    try {
      const ended = await login(api, rep.loginId, NEW_PASSWORD);
      expect(ended.status).toBe(403);
      expect(ended.body.type).toBe('urn:dmp:problem:representative-ended');
      const deskAgent = await api.agent(); // tokens live in the simulated time
      const issued = await api.call('POST', `/v1/records/${dmpId}/credentials`, { token: deskAgent, body: { identityChecked: true } });
      expect(issued.status).toBe(201);
      const patient = { dmpId, loginId: issued.body.loginId, password: issued.body.provisionalPassword, mobile: patientMobile };
      const session = await openSession(api, patient);
      expect(session.status).toBe(200);
      expect(session.body.mustChangePassword).toBe(true);
      // The representatives' logins are gone with the reissue.
      expect((await login(api, rep.loginId, NEW_PASSWORD)).status).toBe(401);
      const missing = await api.call('POST', `/v1/records/${dmpId}/credentials`, { token: deskAgent, body: {} });
      expect(missing.status).toBe(400);
    } finally {
      clock.reset();
    }
  });
});

/**
 * The auth use cases (functions/capabilities/auth/use-cases.ts) with in-memory fakes of their
 * ports (test/support/fakes.ts), the SMS sender and the session signer included: login with a
 * password then a code sent by SMS, the attempts counted before each check and given back when
 * right, lockouts per login id and per source, password change, and the desk's reissue of
 * credentials. Passwords are hashed with the real scrypt (slow by design): each test logs in only a
 * few times. The same routes over HTTP, on the emulator: test/e2e/identity.test.ts,
 * lockout-burst.test.ts, session-end.test.ts.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { hashPassword } from '../../functions/adapters/passwords.ts';
import { capability } from '../../functions/capabilities/auth/use-cases.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { fakeDeps, type SeedOptions } from '../support/fakes.ts';
import { adultIdentity, minorBirthDate, randomMobile } from '../support/fixtures.ts';
import { caller } from '../support/use-case-calls.ts';

const PASSWORD = 'provisoire-Kx7mQ2pL9w';
const NEW_PASSWORD = 'un cheval bleu mange des pommes';
const agent: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };
const doctor: Actor = { kind: 'professional', id: '810000000010', profession: '10' };

let passwordHash: string;
beforeAll(async () => {
  passwordHash = await hashPassword(PASSWORD);
});

const setup = async (o: SeedOptions = {}) => {
  const f = fakeDeps();
  const call = caller(capability, f.deps);
  const seeded = await f.seed({ passwordHash, ...o });
  const login = (loginId = seeded.loginId, password = PASSWORD) => call('patientLogin', { kind: 'anonymous' }, { body: { loginId, password } });
  const verify = (challengeId: string, code: string) => call('patientVerify', { kind: 'anonymous' }, { body: { challengeId, code } });
  /** The code of the last SMS sent. */
  const code = () => /code de connexion est ([0-9]{6})/.exec(f.sms.sent.at(-1)?.message ?? '')?.[1] ?? 'none';
  const source = () => [...f.world.sources.values()][0];
  return { ...f, ...seeded, call, login, verify, code, source };
};

describe('login', () => {
  it('a right password sends a code by SMS and gives its attempts back; the code opens one session', async () => {
    const t = await setup();
    const started = await t.login();
    expect(started).toMatchObject({ status: 202, body: { challengeId: expect.any(String), expiresAt: '2026-11-24T10:05:00.000Z' } });
    expect(t.sms.sent).toEqual([{ to: t.contact.mobile, message: expect.stringContaining(t.code()) }]);
    expect(t.world.notifications(t.dmpId)).toMatchObject([{ kind: 'sent-log', template: 'login-code', status: 'sent' }]);
    expect(t.world.challenges.get(started.body.challengeId)).toMatchObject({ dmpId: t.dmpId, loginId: t.loginId, actor: 'patient', attempts: 0, mustChangePassword: true });
    // Both attempts were counted before the check and given back after it.
    expect(t.world.locks.get(t.loginId)).toEqual({ failures: 0, lastFailureAt: undefined });
    expect([...t.source()!.values()]).toEqual([0]);

    t.clock.advance(30_000);
    const session = await t.verify(started.body.challengeId, t.code());
    expect(session).toMatchObject({ status: 200, body: { accessToken: 'session.1', tokenType: 'Bearer', mustChangePassword: true } });
    expect(t.sessions.issued).toEqual([
      { dmpId: t.dmpId, loginId: t.loginId, actor: 'patient', passwordChangeRequired: true, authenticatedAt: new Date('2026-11-24T10:00:00.000Z'), notAfter: undefined },
    ]);
    expect(t.world.challenges.get(started.body.challengeId)?.usedAt).toEqual(t.clock.now());
    expect(t.world.locks.has(t.loginId)).toBe(false);
    expect(t.world.traces(t.dmpId).at(-1)).toMatchObject({ action: 'session.open', actor: { kind: 'patient', id: t.dmpId } });
    expect(await t.verify(started.body.challengeId, t.code())).toMatchObject({ status: 401, code: 'wrong-code' });
    expect(t.sessions.issued).toHaveLength(1);
  });

  it('a wrong password and an unknown login id answer alike, and stay counted against the id and the source', async () => {
    const t = await setup();
    expect(await t.login(t.loginId, 'not-the-password')).toMatchObject({ status: 401, code: 'wrong-credentials' });
    expect(await t.login('00000000000')).toMatchObject({ status: 401, code: 'wrong-credentials' });
    expect(t.world.locks.get(t.loginId)?.failures).toBe(1);
    expect(t.world.locks.get('00000000000')?.failures).toBe(1);
    expect([...t.source()!.values()]).toEqual([2]);
    expect(t.sms.sent).toEqual([]);
  });

  it('a login id locked by the schedule, or a source over its allowance, is refused before any check (429, Retry-After)', async () => {
    const t = await setup();
    t.world.locks.set(t.loginId, { failures: 5, lastFailureAt: t.clock.now().toISOString() });
    const locked = await t.login();
    expect(locked).toMatchObject({ status: 429, headers: { 'Retry-After': '60' } });
    expect(t.world.locks.get(t.loginId)?.failures).toBe(5);
    // A minute later the next attempt is admitted (and, right, gives itself back).
    t.clock.advance(60_000);
    expect((await t.login()).status).toBe(202);

    const source = await t.deps.hasher.hash('source', '198.51.100.7');
    const window = Math.floor(t.clock.now().getTime() / 900_000);
    t.world.sources.set(source, new Map([[window, 30]]));
    const refused = await t.call('patientLogin', { kind: 'anonymous' }, { body: { loginId: t.loginId, password: PASSWORD }, sourceIp: '198.51.100.7' });
    expect(refused.status).toBe(429);
    // The login id's attempt, counted first, was given back: no check happened.
    expect(t.world.locks.get(t.loginId)).toEqual({ failures: 5, lastFailureAt: '2026-11-24T10:00:00.000Z' });
    // This process now refuses the source without asking the store.
    expect(t.deps.logins.sourceRefusedUntil(source, t.clock.now())).toBeInstanceOf(Date);
  });

  it('a wrong code is counted; five attempts spend the challenge, the right code included', async () => {
    const t = await setup();
    const { body } = await t.login();
    const code = t.code();
    const wrong = code === '000000' ? '111111' : '000000';
    expect(await t.verify(body.challengeId, wrong)).toMatchObject({ status: 401, code: 'wrong-code' });
    expect(t.world.challenges.get(body.challengeId)?.attempts).toBe(1);
    expect(t.world.locks.get(t.loginId)?.failures).toBe(1);
    for (let i = 0; i < 4; i++) await t.verify(body.challengeId, wrong);
    expect(await t.verify(body.challengeId, code)).toMatchObject({ status: 401, code: 'wrong-code' });
    expect(t.sessions.issued).toEqual([]);
  });

  it('a code used meanwhile by another request opens no second session', async () => {
    const t = await setup();
    const { body } = await t.login();
    t.world.beforeNextCommit(() => {
      t.world.challenges.get(body.challengeId)!.usedAt = t.clock.now();
    });
    expect(await t.verify(body.challengeId, t.code())).toMatchObject({ status: 401, code: 'wrong-code' });
    expect(t.sessions.issued).toEqual([]);
    expect(t.world.traces(t.dmpId).map((x) => x.action)).toEqual(['record.create']);
  });

  it('no mobile: no code can be sent (422); a representative of a person now of age is refused (403)', async () => {
    const t = await setup({ contact: {}, representatives: [{ familyName: 'Martin', givenNames: 'Anne', relationship: 'MTH', mobile: randomMobile() }] });
    expect(await t.login()).toMatchObject({ status: 422, code: 'no-mobile' });
    expect(await t.login(t.representatives[0]!.loginId)).toMatchObject({ status: 403, code: 'representative-ended' });
    expect(t.sms.sent).toEqual([]);
    expect(t.world.challenges.size).toBe(0);
  });

  it('an SMS that cannot be sent leaves no challenge', async () => {
    const t = await setup();
    t.sms.failNext = true;
    await expect(t.login()).rejects.toThrow('SNS unavailable');
    expect(t.world.challenges.size).toBe(0);
  });
});

describe('password change', () => {
  it('replaces the hash that was checked and ends the login’s earlier sessions; the old password no longer counts', async () => {
    const t = await setup();
    t.clock.advance(1000);
    const changed = await t.call('patientPassword', t.patient, { body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } });
    expect(changed.status).toBe(204);
    expect(t.world.logins.get(t.loginId)).toMatchObject({ mustChangePassword: false, passwordHash: expect.not.stringMatching(passwordHash) });
    expect(t.world.record(t.dmpId).sessionEnds.passwordChangedAt).toEqual({ [t.loginId]: t.clock.now().getTime() });
    expect(t.world.traces(t.dmpId).at(-1)).toMatchObject({ action: 'password.change', actor: { kind: 'patient' } });
    expect(t.world.locks.get(t.loginId)).toMatchObject({ failures: 0 });
    // The session that changed it ended with the old password.
    expect(await t.call('patientPassword', t.patient, { body: { currentPassword: NEW_PASSWORD, newPassword: 'encore un autre mot de passe' } })).toMatchObject({
      status: 401,
      code: 'session-ended',
    });
  });

  it('a wrong current password is refused and counted; a weak new one is refused', async () => {
    const t = await setup();
    expect(await t.call('patientPassword', t.patient, { body: { currentPassword: 'not-the-password', newPassword: NEW_PASSWORD } })).toMatchObject({
      status: 403,
      code: 'wrong-password',
    });
    expect(t.world.locks.get(t.loginId)?.failures).toBe(1);
    expect(await t.call('patientPassword', t.patient, { body: { currentPassword: PASSWORD, newPassword: 'azerty123456' } })).toMatchObject({
      status: 422,
      code: 'weak-password',
    });
    expect(t.world.logins.get(t.loginId)?.passwordHash).toBe(passwordHash);
  });

  it('a desk reissue that lands during the change wins: 409, the reissued logins stand', async () => {
    const t = await setup();
    t.world.beforeNextCommit(() => t.world.logins.delete(t.loginId));
    expect(await t.call('patientPassword', t.patient, { body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } })).toMatchObject({
      status: 409,
      code: 'password-changed-meanwhile',
    });
    expect(t.world.logins.has(t.loginId)).toBe(false);
    expect(t.world.record(t.dmpId).sessionEnds.passwordChangedAt).toEqual({});
    expect(t.world.traces(t.dmpId).map((x) => x.action)).toEqual(['record.create']);
  });
});

describe('credentials reissue', () => {
  it('an agent issues new patient credentials: the former logins go (representatives’ too, once of age), the patient is told', async () => {
    const t = await setup({ representatives: [{ familyName: 'Martin', givenNames: 'Anne', relationship: 'MTH' }] });
    t.clock.advance(1000);
    const reissued = await t.call('reissueCredentials', agent, { params: { dmpId: t.dmpId }, body: { identityChecked: true } });
    expect(reissued).toMatchObject({ status: 201, body: { loginId: expect.any(String), provisionalPassword: expect.any(String) } });
    expect([...t.world.logins.values()]).toMatchObject([{ loginId: reissued.body.loginId, dmpId: t.dmpId, actor: 'patient', mustChangePassword: true }]);
    expect(await t.deps.logins.ofRecord(t.dmpId)).toEqual([{ loginId: reissued.body.loginId, actor: 'patient' }]);
    expect(t.world.record(t.dmpId)).toMatchObject({ minor: false, sessionEnds: { credentialsReissuedAt: t.clock.now().getTime() } });
    expect(t.world.notifications(t.dmpId)).toMatchObject([{ template: 'credentials-reissued', to: t.contact.mobile }]);
    expect(t.world.traces(t.dmpId).at(-1)).toMatchObject({ action: 'credentials.reissue', actor: { kind: 'agent', id: 'agent-1' } });
    // Every session opened before ends.
    expect(await t.call('patientPassword', t.patient, { body: { currentPassword: PASSWORD, newPassword: NEW_PASSWORD } })).toMatchObject({ status: 401, code: 'session-ended' });
  });

  it('not for a minor, and only by an agent', async () => {
    const t = await setup({
      identity: { ...adultIdentity(), birthDate: minorBirthDate(new Date('2026-11-24')) },
      representatives: [{ familyName: 'Martin', givenNames: 'Anne', relationship: 'MTH' }],
    });
    expect(await t.call('reissueCredentials', agent, { params: { dmpId: t.dmpId }, body: { identityChecked: true } })).toMatchObject({ status: 409, code: 'still-minor' });
    expect(await t.call('reissueCredentials', doctor, { params: { dmpId: t.dmpId }, body: { identityChecked: true } })).toMatchObject({ status: 403, code: 'agents-only' });
    expect(t.world.logins.size).toBe(1);
    expect(t.world.commits).toHaveLength(1);
  });
});

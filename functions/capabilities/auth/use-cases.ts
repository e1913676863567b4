/**
 * Patient authentication: password, then a one-time code sent by SMS, then a short session signed
 * by KMS. Guessing is bounded per login id (counted attempts, growing locks) and per source
 * (failures over a sliding quarter of an hour), each attempt counted before its password or code is
 * checked; a wrong login id and a wrong password answer alike, after the same work.
 * Also the desk's reissue of a patient's credentials.
 */
import { timingSafeEqual } from 'node:crypto';
import { openRecord } from '#adapters/record-sealing';
import type { StoredRecord } from '#domain/records';
import { hashPassword, verifyPassword } from '#adapters/passwords';
import { renderText } from '#domain/notifications';
import type { Write } from '#domain/ports';
import { isRecordHolder } from '#domain/actor';
import { passwordProblem } from '#domain/password-policy';
import { adulthood, isMinorOn } from '#domain/dates';
import { refuse, ConditionsRefused } from '#domain/errors';
import { newLoginId, newProvisionalPassword } from '#domain/identifiers';
import { CODE_TTL_MS, loginRefusal, newChallengeId, newLoginCode, retryAfterSeconds, sourceGroup } from '#domain/login';
import type { AccountReservation, SourceReservation } from '#domain/login';
import type { AuthDeps } from './deps.ts';
import { HttpProblem } from '#platform/problem';
import { defineCapability, type HandlerOf } from '#http/define-capability';
import { decideCredentialsReissue, decideHolderAction } from '#domain/access-policy';
import { accessRecord, eventId, notify, traceWrite } from '../common.ts';
import { AUTH, type AUTH_ROUTES } from './routes.ts';

type Handler<Id extends (typeof AUTH_ROUTES)[number]['id']> = HandlerOf<typeof AUTH_ROUTES, Id, AuthDeps>;

/**
 * Checked when the login id is unknown, so that an unknown id costs the same scrypt as a wrong
 * password (same parameters; no password matches it).
 */
const UNKNOWN_LOGIN_HASH = 'scrypt$32768$8$1$ue8ANcamcLeG6ljSRwFN7g$23_7vI2NyO76vh6B5qQ8tDyceKJuBnOIXDSncsCICnw';

const WRONG_CREDENTIALS = 'The login id or the password is wrong.';
const WRONG_CODE = 'The code is wrong, expired or already used. Log in again to receive a new one.';

const tooMany = (until: Date, now: Date): never => {
  throw new HttpProblem(429, 'Too many failed attempts. Try again later.', { headers: { 'Retry-After': String(retryAfterSeconds(until, now)) } });
};

/** The address group a source is counted as, keyed (no address is stored). */
const sourceOf = (deps: AuthDeps, sourceIp: string): Promise<string> => deps.hasher.hash('source', sourceGroup(sourceIp));

/** Refuses at once a source this process already knows to be over its allowance (no call). */
const refuseKnownSource = (deps: AuthDeps, source: string, now: Date): void => {
  const until = deps.logins.sourceRefusedUntil(source, now);
  if (until) tooMany(until, now);
};

/**
 * Counts an attempt against the source before anything is checked; refused, the account's attempt
 * (already counted) is given back: no check happened.
 */
const reserveSource = async (deps: AuthDeps, source: string, now: Date, account?: AccountReservation): Promise<SourceReservation> => {
  const r = await deps.logins.reserveSource(source, now);
  if ('reserved' in r) return r.reserved;
  if (account) await deps.logins.releaseAccount(account);
  return tooMany(r.refusedUntil, now);
};

/** Counts an attempt against a login id before anything is checked, or refuses it. */
const reserveAccount = async (deps: AuthDeps, loginId: string, now: Date): Promise<AccountReservation> => {
  const r = await deps.logins.reserveAccount(loginId, now);
  if ('reserved' in r) return r.reserved;
  // An attempt refused by the login id's lock (counted for operations: a wave of them is an attack).
  deps.metrics?.count('Lockouts', {});
  return tooMany(r.refusedUntil, now);
};

/** The record a login belongs to, opened by the login flow itself (to send its code), not for a caller. */
const loadOpen = async (deps: AuthDeps, dmpId: string): Promise<{ record: StoredRecord; opened: ReturnType<typeof openRecord> } | undefined> => {
  const record = await deps.records.load(dmpId);
  if (!record) return undefined;
  const key = await deps.keyRing.unwrap(dmpId, record.wrappedKey);
  return { record, opened: openRecord(key, record) };
};

const patientLogin: Handler<'patientLogin'> = async (call, deps) => {
  const { loginId, password } = call.body;
  const now = deps.clock.now();
  const source = await sourceOf(deps, call.sourceIp);
  // The attempt is counted against the login id, then the source, before the password is checked:
  // concurrent guesses get no more checks than the allowances.
  refuseKnownSource(deps, source, now);
  const account = await reserveAccount(deps, loginId, now);
  const [sourceReservation, login] = await Promise.all([reserveSource(deps, source, now, account), deps.logins.get(loginId)]);
  const passwordOk = await verifyPassword(password, login?.passwordHash ?? UNKNOWN_LOGIN_HASH);
  // A wrong password stays counted, against both.
  if (!login || !passwordOk) throw new HttpProblem(401, WRONG_CREDENTIALS, { code: 'wrong-credentials' });
  // The right one is no failure: both attempts are given back (while the record is read).
  const [found] = await Promise.all([loadOpen(deps, login.dmpId), deps.logins.releaseAccount(account), deps.logins.releaseSource(sourceReservation)]);
  if (!found) throw new HttpProblem(401, WRONG_CREDENTIALS, { code: 'wrong-credentials' });
  const { identity, contact, representatives } = found.opened;
  const refusal = loginRefusal(login.actor, isMinorOn(identity.birthDate, now));
  if (refusal) return refuse('forbidden', refusal.code, refusal.message);
  const mobile = login.actor === 'patient' ? contact.mobile : representatives.find((r) => r.loginId === loginId)?.mobile;
  if (!mobile) return refuse('refused', 'no-mobile', 'No mobile number is known for this login: a one-time code cannot be sent. Contact a CPAM desk.');

  const bytes = (n: number) => deps.random.bytes(n);
  const challengeId = newChallengeId(bytes);
  const code = newLoginCode(bytes);
  const expiresAt = new Date(now.getTime() + CODE_TTL_MS);
  // The code is sent before the challenge exists: if sending fails, no usable challenge remains.
  await deps.sms.send(mobile, renderText('login-code', { code }));
  deps.metrics?.count('SmsSent', { Kind: 'login-code' });
  await deps.transactions.commit([
    deps.logins.challengePut(
      {
        challengeId,
        dmpId: login.dmpId,
        loginId,
        actor: login.actor,
        codeHash: await deps.hasher.hash('login-code', `${challengeId}.${code}`),
        expiresAt,
        mustChangePassword: login.mustChangePassword,
        // A representative acts for a minor: the session ends at the 18th birthday at the latest.
        sessionNotAfter: login.actor === 'representative' ? adulthood(identity.birthDate) : undefined,
      },
      now,
    ),
    deps.notifications.sentLog(login.dmpId, 'login-code', now, eventId(deps)),
  ]);
  return { status: 202, body: { challengeId, expiresAt: expiresAt.toISOString() } };
};

const patientVerify: Handler<'patientVerify'> = async (call, deps) => {
  const { challengeId, code } = call.body;
  const now = deps.clock.now();
  const source = await sourceOf(deps, call.sourceIp);
  refuseKnownSource(deps, source, now);
  // The attempt is counted against the challenge (five at most), then the login id and the source,
  // before the code is compared (a locked guesser only burns the challenge's attempts).
  const challenge = await deps.logins.attempt(challengeId, now);
  if (!challenge) {
    // Unknown, expired, used or spent: a failure against the source.
    await reserveSource(deps, source, now);
    throw new HttpProblem(401, WRONG_CODE, { code: 'wrong-code' });
  }
  const account = await reserveAccount(deps, challenge.loginId, now);
  const sourceReservation = await reserveSource(deps, source, now, account);
  const expected = Buffer.from(challenge.codeHash);
  const actual = Buffer.from(await deps.hasher.hash('login-code', `${challengeId}.${code}`));
  // A wrong code stays counted, against the login id and the source.
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) throw new HttpProblem(401, WRONG_CODE, { code: 'wrong-code' });
  const actor =
    challenge.actor === 'patient'
      ? { kind: 'patient' as const, dmpId: challenge.dmpId, loginId: challenge.loginId }
      : { kind: 'representative' as const, dmpId: challenge.dmpId, loginId: challenge.loginId };
  try {
    // The completed login clears the login id's count (the attempt just reserved included).
    await deps.transactions.commit([
      deps.logins.challengeUse(challengeId, now),
      deps.logins.clearFailuresWrite(challenge.loginId),
      traceWrite(deps, { actor, requestId: call.requestId }, challenge.dmpId, 'session.open', now),
    ]);
  } catch (error) {
    if (error instanceof ConditionsRefused) throw new HttpProblem(401, WRONG_CODE, { code: 'wrong-code' });
    throw error;
  }
  const [session] = await Promise.all([
    deps.sessions.issue({
      dmpId: challenge.dmpId,
      loginId: challenge.loginId,
      actor: challenge.actor,
      passwordChangeRequired: challenge.mustChangePassword,
      authenticatedAt: challenge.createdAt,
      notAfter: challenge.sessionNotAfter,
    }),
    deps.logins.releaseSource(sourceReservation),
  ]);
  deps.metrics?.count('Logins', {});
  return {
    status: 200,
    body: { accessToken: session.accessToken, tokenType: 'Bearer', expiresIn: session.expiresIn, mustChangePassword: challenge.mustChangePassword },
  };
};

const patientPassword: Handler<'patientPassword'> = async (call, deps) => {
  const { currentPassword, newPassword } = call.body;
  const actor = call.actor;
  if (!isRecordHolder(actor)) return refuse('forbidden', 'not-a-patient', 'Only a patient or a representative has a password here.');
  const now = deps.clock.now();
  // The record's META item tells whether this session ended: opening the record as its holder
  // refuses an ended session, before any attempt is counted.
  const [source] = await Promise.all([sourceOf(deps, call.sourceIp), accessRecord(deps, call, actor.dmpId, ({ record }) => decideHolderAction(actor, record))]);
  // The current password is checked like a login's: counted first.
  refuseKnownSource(deps, source, now);
  const account = await reserveAccount(deps, actor.loginId, now);
  const [sourceReservation, login] = await Promise.all([reserveSource(deps, source, now, account), deps.logins.get(actor.loginId)]);
  if (!login || login.dmpId !== actor.dmpId) {
    await Promise.all([deps.logins.releaseAccount(account), deps.logins.releaseSource(sourceReservation)]);
    throw new HttpProblem(401, 'This session’s login no longer exists. Log in again.', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
  }
  if (!(await verifyPassword(currentPassword, login.passwordHash))) refuse('forbidden', 'wrong-password', 'The current password is wrong.');
  await Promise.all([deps.logins.releaseAccount(account), deps.logins.releaseSource(sourceReservation)]);
  const weak = passwordProblem(newPassword, { loginId: actor.loginId });
  if (weak) refuse('refused', 'weak-password', weak);
  if (newPassword === currentPassword) refuse('refused', 'same-password', 'The new password must differ from the current one.');
  try {
    await deps.transactions.commit([
      deps.logins.passwordChange(actor.loginId, login.passwordHash, await hashPassword(newPassword), now),
      // Every session of this login opened until now ends with the old password.
      deps.records.passwordChangedWrite(actor.dmpId, actor.loginId, now),
      traceWrite(deps, { actor, requestId: call.requestId }, actor.dmpId, 'password.change', now),
    ]);
  } catch (error) {
    if (error instanceof ConditionsRefused) refuse('conflict', 'password-changed-meanwhile', 'The password was changed meanwhile. Log in again.');
    throw error;
  }
  return { status: 204 };
};

/**
 * A CPAM agent, having checked the person's identity at the desk, issues new patient credentials:
 * the previous patient login stops working; once the person is of age, the representatives'
 * logins are removed too (they only ever act for a minor).
 */
const reissueCredentials: Handler<'reissueCredentials'> = async (call, deps) => {
  const { dmpId } = call.params;
  const now = deps.clock.now();
  const access = await accessRecord(deps, call, dmpId, () => decideCredentialsReissue(call.actor));
  const key = await access.key();
  const { identity, contact } = openRecord(key, access.record);
  if (isMinorOn(identity.birthDate, now)) {
    refuse('conflict', 'still-minor', 'The person is a minor: the record is used by the legal representatives until the 18th birthday.');
  }
  const bytes = (n: number) => deps.random.bytes(n);
  const loginId = newLoginId(bytes);
  const provisionalPassword = newProvisionalPassword(bytes);
  const existing = await deps.logins.ofRecord(dmpId);
  const writes: Write[] = [
    ...existing.flatMap((l) => deps.logins.loginDeletes(dmpId, l.loginId)),
    ...deps.logins.loginPuts(dmpId, { loginId, actor: 'patient', passwordHash: await hashPassword(provisionalPassword), mustChangePassword: true }, now),
    // Every session opened until now ends with the logins it replaces.
    deps.records.reissueWrite(dmpId, now),
    traceWrite(deps, call, dmpId, 'credentials.reissue', now),
  ];
  if (contact.mobile) {
    writes.push(notify(deps, key, { to: contact.mobile, template: 'credentials-reissued' }, now));
  }
  await deps.transactions.commit(writes);
  return { status: 201, body: { loginId, provisionalPassword } };
};

export const capability = defineCapability<AuthDeps>()(AUTH, { patientLogin, patientVerify, patientPassword, reissueCredentials });

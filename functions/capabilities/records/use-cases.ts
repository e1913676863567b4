/**
 * Records: creation on every channel, creation codes, search by INS, reading a record.
 * Each route reads as a use case: validated input in, a few port calls, a typed reply out.
 */
import { timingSafeEqual } from 'node:crypto';
import { openJson, sealJson } from '#adapters/envelope';
import type { Write } from '#domain/ports';
import type { SettingsChange } from '#domain/stores';
import { openRecord } from '#adapters/record-sealing';
import type { Contact, EmergencyAccess, LoginToCreate, Representative, StoredRecord } from '#domain/records';
import { assertClosable, assertOpenForChange, assertReactivation, retainUntil } from '#domain/lifecycle';
import { CODE_TTL_MS, MAX_CODE_ATTEMPTS, newLoginCode, retryAfterSeconds } from '#domain/login';
import { MOBILE_CODE_WINDOWS } from '#domain/sms-budget';
import { hashPassword } from '#adapters/passwords';
import { decideHolderAction, decideReactivation, decideRecordRead, decideRecordSearch, searchAuthorization } from '#domain/access-policy';
import { accessRecord, commit, eventId, notify, replayed, traceRead, traceWrite, type Subject } from '../common.ts';
import { actorRef } from '#domain/actor';
import { creationCodeOpens, planCreation } from '#domain/creation';
import { passwordProblem } from '#domain/password-policy';
import { refuse, ConditionsRefused } from '#domain/errors';
import { newCreationCode, newDmpId, newEventId, newLoginId, newProvisionalPassword } from '#domain/identifiers';
import { traceActor } from '#domain/trace';
import { isoMonth } from '#domain/dates';
import type { CryptoDeps } from '#platform/deps-data';
import { HttpProblem } from '#platform/problem';
import { defineCapability, type Call, type HandlerOf } from '#http/define-capability';
import { canonicalJson } from '#http/canonical';
import { RECORDS, type RECORDS_ROUTES } from './routes.ts';

type Handler<Id extends (typeof RECORDS_ROUTES)[number]['id']> = HandlerOf<typeof RECORDS_ROUTES, Id, CryptoDeps>;

const CREATION_CODE_DAYS = 90;

const creationCodeInvalid = (): never => refuse('refused', 'creation-code-invalid', 'The creation code is unknown, expired, already used or issued for another person.');

const createRecord: Handler<'createRecord'> = async (call, deps) => {
  const body = call.body;
  const now = deps.clock.now();
  const plan = planCreation(call.actor, body, now);
  if (plan.channel === 'online') {
    const weak = passwordProblem(body.password ?? '');
    if (weak) refuse('refused', 'weak-password', weak);
  }
  const bytes = (n: number) => deps.random.bytes(n);
  const scope = actorRef(call.actor);
  const idem = call.idempotencyKey ? { key: call.idempotencyKey, hash: await deps.hasher.hash('idempotency', canonicalJson(['createRecord', scope, body])) } : undefined;
  if (idem) {
    const replay = await replayed(deps, scope, idem.key, idem.hash);
    if (replay) return replay;
  }

  const [insHash, codeHash] = await Promise.all([deps.hasher.hash('ins', body.ins), body.creationCode ? deps.hasher.hash('creation-code', body.creationCode) : undefined]);
  // Online, nobody is authenticated: the creation code, bound to one INS, is the caller's only
  // title. It is checked first and cheaply (one read), with one answer for every INS, so that
  // inventing codes tells nothing about who has a DMP and costs no password hash nor data key.
  // The transaction still holds the code's conditions, against a concurrent use.
  if (codeHash && !creationCodeOpens(await deps.records.creationCode(codeHash), insHash, now)) creationCodeInvalid();
  const dmpId = newDmpId(bytes);
  // A minor's record is used by the representatives; the person's own login is issued at a desk
  // once of age (POST /v1/records/{dmpId}/credentials).
  const patientLogin = plan.minor
    ? undefined
    : { loginId: newLoginId(bytes), password: plan.channel === 'online' ? (body.password ?? '') : newProvisionalPassword(bytes), actor: 'patient' as const };
  const repLogins = (body.representatives ?? []).map(() => ({ loginId: newLoginId(bytes), password: newProvisionalPassword(bytes), actor: 'representative' as const }));
  const allLogins = [...(patientLogin ? [patientLogin] : []), ...repLogins];
  const [{ key, wrapped }, ...hashes] = await Promise.all([deps.keyRing.generate(dmpId), ...allLogins.map((l) => hashPassword(l.password))]);
  const logins: LoginToCreate[] = allLogins.map((l, i) => ({
    loginId: l.loginId,
    actor: l.actor,
    passwordHash: hashes[i] as string,
    mustChangePassword: !(l.actor === 'patient' && plan.channel === 'online'),
  }));
  const representatives: Representative[] = (body.representatives ?? []).map((r, i) => ({ ...r, loginId: repLogins[i]!.loginId }));
  const recipients = [...new Set([body.contact?.mobile, ...representatives.map((r) => r.mobile)].filter((m): m is string => !!m))];

  const createdAt = now.toISOString();
  const response = {
    dmpId,
    status: 'active' as const,
    channel: plan.channel,
    createdAt,
    ...(patientLogin
      ? {
          credentials: plan.channel === 'online' ? { loginId: patientLogin.loginId } : { loginId: patientLogin.loginId, provisionalPassword: patientLogin.password },
        }
      : {}),
    ...(repLogins.length > 0 ? { representatives: repLogins.map((l) => ({ loginId: l.loginId, provisionalPassword: l.password })) } : {}),
  };

  try {
    await deps.records.create(key, wrapped, {
      dmpId,
      channel: plan.channel,
      createdAt: now,
      createdBy: scope,
      consentInformedAt: body.consent.informedAt ? new Date(body.consent.informedAt) : now,
      minor: plan.minor,
      emergencyAccess: { breakGlass: body.emergencyAccess?.breakGlass ?? true, regulation: body.emergencyAccess?.regulation ?? true },
      identity: body.identity,
      contact: body.contact ?? {},
      representatives,
      logins,
      insHash,
      authorizedProfessional: call.actor.kind === 'professional' ? call.actor.id : undefined,
      ledger: plan.pharmacyFiness ? { finess: plan.pharmacyFiness, month: isoMonth(now) } : undefined,
      creationCode: codeHash ? { hash: codeHash, insHash } : undefined,
      notifications: recipients.map((to) => ({ message: { to, template: 'record-created' as const }, id: newEventId(bytes) })),
      trace: { trace: { actor: traceActor(call.actor), action: 'record.create', mode: 'normal', outcome: 'allowed', requestId: call.requestId }, id: newEventId(bytes) },
      extra: idem ? [deps.idempotency.put(scope, idem.key, idem.hash, key, { status: 201, body: response }, now)] : [],
    });
  } catch (error) {
    deps.keyRing.forget(dmpId);
    if (!(error instanceof ConditionsRefused)) throw error;
    if (idem && error.labels.has('idempotency')) {
      const replay = await replayed(deps, scope, idem.key, idem.hash);
      if (replay) return replay;
    }
    // A code that no longer opens this creation (used meanwhile) says nothing about the INS.
    if (error.labels.has('creation-code')) creationCodeInvalid();
    // Only a valid code's holder, the person it was issued to for this INS, learns of a DMP created since.
    if (error.labels.has('ins')) refuse('conflict', 'dmp-exists', 'A DMP already exists for this INS. A closed DMP is reactivated, not created again.');
    throw error;
  }
  deps.metrics?.count('RecordsCreated', { Channel: plan.channel });
  return { status: 201, body: response };
};

const createCreationCode: Handler<'createCreationCode'> = async (call, deps) => {
  const { ins } = call.body;
  const now = deps.clock.now();
  const insHash = await deps.hasher.hash('ins', ins);
  if (await deps.records.dmpIdByInsHash(insHash)) refuse('conflict', 'dmp-exists', 'A DMP already exists for this INS.');
  const code = newCreationCode((n) => deps.random.bytes(n));
  const expiresAt = new Date(now.getTime() + CREATION_CODE_DAYS * 86_400_000);
  await deps.records.putCreationCode(await deps.hasher.hash('creation-code', code), insHash, now, expiresAt, actorRef(call.actor));
  return { status: 201, body: { creationCode: code, expiresAt: expiresAt.toISOString() } };
};

const searchRecord: Handler<'searchRecord'> = async (call, deps) => {
  const { ins } = call.body;
  const dmpId = await deps.records.dmpIdByInsHash(await deps.hasher.hash('ins', ins));
  if (!dmpId) throw new HttpProblem(404, 'No DMP exists for this INS.');
  const { record, standing } = await accessRecord(deps, call, dmpId, () => decideRecordSearch(call.actor), { action: 'record.search' });
  const relation = standing.relation;
  await traceRead(deps, call, dmpId, 'record.search', { mode: 'normal' });
  return {
    status: 200,
    body: {
      dmpId,
      status: record.status,
      ...(record.closedAt ? { closedAt: record.closedAt } : {}),
      authorization: searchAuthorization(call.actor, record, relation, deps.clock.now()),
      attendingPhysician: relation?.status === 'authorized' && relation.attendingPhysician,
    },
  };
};

const getRecord: Handler<'getRecord'> = async (call, deps) => {
  const { dmpId } = call.params;
  const opened = await accessRecord(deps, call, dmpId, ({ record, standing }, now) => decideRecordRead(call.actor, record, standing, now), { action: 'record.read' });
  const { record } = opened;
  const [key, authorizations] = await Promise.all([opened.key(), deps.records.authorizations(dmpId)]);
  await traceRead(deps, call, dmpId, 'record.read', { mode: opened.decision.mode }, opened);
  const { identity, contact, representatives } = openRecord(key, record);
  return {
    status: 200,
    body: {
      dmpId,
      status: record.status,
      channel: record.channel,
      createdAt: record.createdAt,
      ...(record.closedAt ? { closedAt: record.closedAt } : {}),
      identity,
      contact,
      emergencyAccess: record.emergencyAccess,
      attendingPhysicians: authorizations.filter((a) => a.attendingPhysician && a.status === 'authorized').map((a) => ({ professionalId: a.professionalId })),
      representatives: representatives.map(({ loginId: _secretless, ...r }) => r),
    },
  };
};

// ── The patient's own record: lifecycle, settings, notifications ──────────────────────────────

/** The record a patient or representative session opens, and only that one (decideHolderAction). */
const holdersRecord = (call: Call & { params: { dmpId: string } }, deps: CryptoDeps) =>
  accessRecord(deps, call, call.params.dmpId, ({ record }) => decideHolderAction(call.actor, record));

const closeRecord: Handler<'closeRecord'> = async (call, deps) => {
  const opened = await holdersRecord(call, deps);
  const { record } = opened;
  assertClosable(record.status);
  const now = deps.clock.now();
  const until = retainUntil(now);
  const key = await opened.key();
  const { contact } = openRecord(key, record);
  await commit(
    deps,
    [
      ...deps.records.closeWrites(record.dmpId, now, until),
      traceWrite(deps, call, record.dmpId, 'record.close', now),
      ...(contact.mobile ? [notify(deps, key, { to: contact.mobile, template: 'record-closed' }, now)] : []),
    ],
    'The record changed meanwhile (already closed?).',
  );
  return { status: 200, body: { status: 'closed', closedAt: now.toISOString(), retainUntil: until.toISOString() } };
};

const reactivateRecord: Handler<'reactivateRecord'> = async (call, deps) => {
  const { dmpId } = call.params;
  const { consent } = call.body;
  const actor = call.actor;
  const decide = ({ record, standing }: Subject, now: Date) => decideReactivation(actor, record, standing, now);
  // A holder's session opened before the closure may still undo it (and nothing else).
  const opened = await accessRecord(deps, call, dmpId, decide, { closure: 'undo' });
  const { record } = opened;
  assertReactivation(actor, record.status, consent);
  const now = deps.clock.now();
  const key = await opened.key();
  const { contact } = openRecord(key, record);
  const writes = [
    ...deps.records.reactivateWrites(dmpId),
    traceWrite(deps, call, dmpId, 'record.reactivate', now),
    ...(contact.mobile ? [notify(deps, key, { to: contact.mobile, template: 'record-reactivated' }, now)] : []),
  ];
  // The professional holds the consent just given: an authorization, as at creation.
  if (actor.kind === 'professional') writes.push(deps.records.authorizationWrite(dmpId, actor.id, now, 'reactivation'));
  try {
    await deps.transactions.commit(writes);
  } catch (error) {
    // The authorization is refused only over a block: one that landed first gets the access
    // policy's answer on the facts as they are now, as a guard's refusal does (commitGuarded).
    if (error instanceof ConditionsRefused && error.labels.has('authorization')) await opened.redecide(decide);
    if (error instanceof ConditionsRefused) refuse('conflict', 'state-changed', 'The record changed meanwhile (already active, or destroyed).');
    throw error;
  }
  return { status: 200, body: { status: 'active' } };
};

const settingsView = (
  record: StoredRecord,
  contact: Contact,
  emergencyAccess: EmergencyAccess,
  pending?: { expiresAt: string },
  vaccinationReminders = record.vaccinationReminders,
) => ({
  emergencyAccess,
  contact: { ...(contact.mobile ? { mobile: contact.mobile } : {}), ...(contact.email ? { email: contact.email } : {}) },
  // Vaccination reminders are on until the holders turn them off.
  vaccinationReminders: vaccinationReminders ?? true,
  ...(pending ? { pendingMobile: { expiresAt: pending.expiresAt } } : record.pendingMobile ? { pendingMobile: { expiresAt: record.pendingMobile.expiresAt } } : {}),
});

/**
 * Emergency-access oppositions and e-mail change at once; a new mobile waits for the code sent to
 * it (a number the patient cannot receive on must never become where login codes go).
 */
const updateSettings: Handler<'updateSettings'> = async (call, deps) => {
  const body = call.body;
  const opened = await holdersRecord(call, deps);
  const { record } = opened;
  assertOpenForChange(record.status);
  const now = deps.clock.now();
  const key = await opened.key();
  const { contact } = openRecord(key, record);
  const emergencyAccess = { ...record.emergencyAccess, ...body.emergencyAccess };
  const nextContact: Contact = { ...contact, ...(body.contact && 'email' in body.contact ? { email: body.contact.email } : {}) };
  const newMobile = body.contact?.mobile !== undefined && body.contact.mobile !== contact.mobile ? body.contact.mobile : undefined;
  const writes: Write[] = [];
  let pending: { expiresAt: string } | undefined;
  let pendingMobile: SettingsChange['pendingMobile'];
  if (newMobile) {
    const id = eventId(deps);
    const code = newLoginCode((n) => deps.random.bytes(n));
    const expiresAt = new Date(now.getTime() + CODE_TTL_MS);
    pendingMobile = {
      id,
      sealed: sealJson(key, 'META', 'pendingMobile', newMobile),
      codeHash: await deps.hasher.hash('login-code', `mobile.${record.dmpId}.${id}.${code}`),
      expiresAt,
    };
    pending = { expiresAt: expiresAt.toISOString() };
    writes.push(
      notify(deps, key, { to: newMobile, template: 'mobile-code', params: { code } }, now),
      ...deps.smsBudgets.spendWrites(record.dmpId, 'mobile-code', MOBILE_CODE_WINDOWS, now),
    );
  }
  writes.push(
    deps.records.settingsWrite(record.dmpId, record.revision, {
      emergencyAccess,
      vaccinationReminders: body.vaccinationReminders,
      contact: body.contact?.email !== undefined ? sealJson(key, 'META', 'contact', nextContact) : undefined,
      pendingMobile,
    }),
    traceWrite(deps, call, record.dmpId, 'settings.update', now),
  );
  try {
    await deps.transactions.commit(writes);
  } catch (error) {
    // Codes sent to new mobiles are capped per record: past the cap, nothing changes and nothing is sent.
    const until = deps.smsBudgets.exhausted(error, 'mobile-code', MOBILE_CODE_WINDOWS, now);
    if (until) {
      throw new HttpProblem(429, 'Too many mobile changes on this record for now: no code was sent. Retry after the delay given.', {
        code: 'sms-limit',
        headers: { 'Retry-After': String(retryAfterSeconds(until, now)) },
      });
    }
    if (error instanceof ConditionsRefused) refuse('conflict', 'state-changed', 'The record changed meanwhile: read it again and retry.');
    throw error;
  }
  return { status: 200, body: settingsView(record, nextContact, emergencyAccess, pending, body.vaccinationReminders ?? record.vaccinationReminders) };
};

const confirmMobile: Handler<'confirmMobile'> = async (call, deps) => {
  const { code } = call.body;
  const opened = await holdersRecord(call, deps);
  const { record } = opened;
  assertOpenForChange(record.status);
  const now = deps.clock.now();
  const pending = record.pendingMobile;
  const wrongCode = (): never => refuse('refused', 'wrong-code', 'The code is wrong or expired, or the change was replaced. Ask for a new code by changing the mobile again.');
  if (!pending || !(await deps.records.attemptPendingMobile(record.dmpId, pending.id, MAX_CODE_ATTEMPTS, now))) return wrongCode();
  const expected = Buffer.from(pending.codeHash);
  const actual = Buffer.from(await deps.hasher.hash('login-code', `mobile.${record.dmpId}.${pending.id}.${code}`));
  if (expected.length !== actual.length || !timingSafeEqual(expected, actual)) return wrongCode();
  const key = await opened.key();
  const { contact } = openRecord(key, record);
  const mobile = openJson<string>(key, 'META', 'pendingMobile', pending.sealed);
  const nextContact: Contact = { ...contact, mobile };
  await commit(
    deps,
    [
      // Attempts are counted outside the revision: a concurrent settings change still wins.
      deps.records.settingsWrite(record.dmpId, record.revision, { contact: sealJson(key, 'META', 'contact', nextContact), pendingMobile: null }),
      traceWrite(deps, call, record.dmpId, 'settings.update', now),
      // The former number hears of the change: a hijack does not go unnoticed.
      ...(contact.mobile ? [notify(deps, key, { to: contact.mobile, template: 'mobile-changed' }, now)] : []),
    ],
    'The record changed meanwhile: read it again and retry.',
  );
  return { status: 200, body: { emergencyAccess: record.emergencyAccess, contact: nextContact, vaccinationReminders: record.vaccinationReminders ?? true } };
};

const listNotifications: Handler<'listNotifications'> = async (call, deps) => {
  const { record } = await holdersRecord(call, deps);
  const { limit, cursor } = call.query;
  const page = await deps.records.notifications(record.dmpId, limit ? Number(limit) : 50, cursor);
  return {
    status: 200,
    body: { items: page.items.map(({ id, at, ...rest }) => ({ id, at, channel: 'sms' as const, ...rest })), nextCursor: page.nextCursor },
  };
};

export const capability = defineCapability<CryptoDeps>()(RECORDS, {
  createRecord,
  createCreationCode,
  searchRecord,
  getRecord,
  closeRecord,
  reactivateRecord,
  updateSettings,
  confirmMobile,
  listNotifications,
});

/**
 * Records: creation on every channel, creation codes, search by INS, reading a record.
 * Each route reads as a use case: validated input in, a few port calls, a typed reply out.
 */
import { ConditionsRefused } from '#adapters/transactions';
import { openRecord, type LoginToCreate, type Representative } from '#adapters/record-store';
import { hashPassword } from '#adapters/passwords';
import { decideRecordRead, searchAuthorization } from '#domain/access-policy';
import { actorRef } from '#domain/actor';
import { passwordProblem, planCreation } from '#domain/creation';
import { refuse } from '#domain/errors';
import { newCreationCode, newDmpId, newEventId, newLoginId, newProvisionalPassword } from '#domain/identifiers';
import { traceActor, type Trace } from '#domain/trace';
import { writeTrace } from '#adapters/trace-store';
import { isoMonth } from '#domain/dates';
import type { CryptoDeps } from '#platform/deps-data';
import { HttpProblem } from '#platform/problem';
import type { CapabilityDef, Call, Reply } from '../pipeline.ts';
import type { CreateRecordBody } from '../schemas.ts';
import { canonicalJson } from '../canonical.ts';

const CREATION_CODE_DAYS = 90;

const createRecord = async (call: Call, deps: CryptoDeps): Promise<Reply> => {
  const body = call.body as CreateRecordBody;
  const now = deps.clock.now();
  const plan = planCreation(call.actor, body, now);
  if (plan.channel === 'online') {
    const weak = passwordProblem(body.password ?? '');
    if (weak) refuse('refused', 'weak-password', weak);
  }
  const bytes = (n: number) => deps.random.bytes(n);
  const scope = actorRef(call.actor);
  const idem = call.idempotencyKey
    ? { key: call.idempotencyKey, hash: await deps.hasher.hash('idempotency', canonicalJson(['createRecord', scope, body])) }
    : undefined;
  if (idem) {
    const replay = await replayed(deps, scope, idem.key, idem.hash);
    if (replay) return replay;
  }

  const [insHash, codeHash] = await Promise.all([
    deps.hasher.hash('ins', body.ins),
    body.creationCode ? deps.hasher.hash('creation-code', body.creationCode) : undefined,
  ]);
  const dmpId = newDmpId(bytes);
  const patientLogin = { loginId: newLoginId(bytes), password: plan.channel === 'online' ? (body.password ?? '') : newProvisionalPassword(bytes) };
  const repLogins = (body.representatives ?? []).map(() => ({ loginId: newLoginId(bytes), password: newProvisionalPassword(bytes) }));
  const [{ key, wrapped }, ...hashes] = await Promise.all([
    deps.keyRing.generate(dmpId),
    ...[patientLogin, ...repLogins].map((l) => hashPassword(l.password)),
  ]);
  const logins: LoginToCreate[] = [patientLogin, ...repLogins].map((l, i) => ({
    loginId: l.loginId,
    actor: i === 0 ? 'patient' : 'representative',
    passwordHash: hashes[i] as string,
    mustChangePassword: !(i === 0 && plan.channel === 'online'),
  }));
  const representatives: Representative[] = (body.representatives ?? []).map((r, i) => ({ ...r, loginId: repLogins[i]!.loginId }));
  const recipients = [...new Set([body.contact?.mobile, ...representatives.map((r) => r.mobile)].filter((m): m is string => !!m))];

  const createdAt = now.toISOString();
  const response = {
    dmpId,
    status: 'active' as const,
    channel: plan.channel,
    createdAt,
    credentials:
      plan.channel === 'online'
        ? { loginId: patientLogin.loginId }
        : { loginId: patientLogin.loginId, provisionalPassword: patientLogin.password },
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
      trace: { trace: { actor: traceActor(call.actor), action: 'record.create', mode: 'normal' }, id: newEventId(bytes) },
      extra: idem ? [{ label: 'idempotency', item: deps.idempotency.put(scope, idem.key, idem.hash, key, { status: 201, body: response }, now) }] : [],
    });
  } catch (error) {
    deps.keyRing.forget(dmpId);
    if (!(error instanceof ConditionsRefused)) throw error;
    if (idem && error.labels.has('idempotency')) {
      const replay = await replayed(deps, scope, idem.key, idem.hash);
      if (replay) return replay;
    }
    if (error.labels.has('ins')) refuse('conflict', 'dmp-exists', 'A DMP already exists for this INS. A closed DMP is reactivated, not created again.');
    if (error.labels.has('creation-code')) refuse('refused', 'creation-code-invalid', 'The creation code is unknown, expired, already used or issued for another person.');
    throw error;
  }
  return { status: 201, body: response };
};

/** The first response to this idempotency key, or a 422 when the key came with another body. */
const replayed = async (deps: CryptoDeps, scope: string, key: string, hash: string): Promise<Reply | undefined> => {
  const found = await deps.idempotency.lookup(scope, key, hash, deps.clock.now());
  if (found.kind === 'none') return undefined;
  if (found.kind === 'mismatch') refuse('refused', 'idempotency-key-reused', 'This Idempotency-Key was used with another request body.');
  if (found.kind !== 'replay') return undefined;
  const record = await deps.records.load(found.dmpId);
  if (!record) return undefined;
  const dataKey = await deps.keyRing.unwrap(found.dmpId, record.wrappedKey);
  const stored = deps.idempotency.open(dataKey, found);
  return { status: stored.status, body: stored.body, headers: { 'Idempotent-Replayed': 'true' } };
};

const createCreationCode = async (call: Call, deps: CryptoDeps): Promise<Reply> => {
  const { ins } = call.body as { ins: string };
  const now = deps.clock.now();
  const insHash = await deps.hasher.hash('ins', ins);
  if (await deps.records.dmpIdByInsHash(insHash)) refuse('conflict', 'dmp-exists', 'A DMP already exists for this INS.');
  const code = newCreationCode((n) => deps.random.bytes(n));
  const expiresAt = new Date(now.getTime() + CREATION_CODE_DAYS * 86_400_000);
  await deps.records.putCreationCode(await deps.hasher.hash('creation-code', code), insHash, now, expiresAt, actorRef(call.actor));
  return { status: 201, body: { creationCode: code, expiresAt: expiresAt.toISOString() } };
};

const searchRecord = async (call: Call, deps: CryptoDeps): Promise<Reply> => {
  const { ins } = call.body as { ins: string };
  const dmpId = await deps.records.dmpIdByInsHash(await deps.hasher.hash('ins', ins));
  const record = dmpId ? await deps.records.load(dmpId) : undefined;
  if (!dmpId || !record) throw new HttpProblem(404, 'No DMP exists for this INS.');
  const relation = call.actor.kind === 'professional' ? await deps.records.authorization(dmpId, call.actor.id) : undefined;
  await traced(deps, call, dmpId, 'record.search');
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

const getRecord = async (call: Call, deps: CryptoDeps): Promise<Reply> => {
  const { dmpId } = call.params as { dmpId: string };
  const [record, relation] = await Promise.all([
    deps.records.load(dmpId),
    call.actor.kind === 'professional' ? deps.records.authorization(dmpId, call.actor.id) : undefined,
  ]);
  if (!record) throw new HttpProblem(404, 'No such record.');
  const decision = decideRecordRead(call.actor, record, relation, deps.clock.now());
  if (!decision.allow) throw new HttpProblem(decision.answer === 'forbidden' ? 403 : 404, decision.answer === 'forbidden' ? 'You are not authorised on this record.' : 'No such record.');
  const [key, authorizations] = await Promise.all([
    deps.keyRing.unwrap(dmpId, record.wrappedKey),
    deps.records.authorizations(dmpId),
    traced(deps, call, dmpId, 'record.read'),
  ]);
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

/** Writes the access's trace; the access fails if its trace cannot be written. */
const traced = (deps: CryptoDeps, call: Call, dmpId: string, action: Trace['action']): Promise<void> =>
  writeTrace(deps.db, deps.config.tableName, dmpId, { actor: traceActor(call.actor), action, mode: 'normal' }, deps.clock.now(), newEventId((n) => deps.random.bytes(n)));

export const records: CapabilityDef<CryptoDeps> = {
  name: 'records',
  routes: { createRecord, createCreationCode, searchRecord, getRecord },
};

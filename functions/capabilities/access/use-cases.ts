/**
 * Who may see the record: the patient's list of professionals (authorise, block, attending
 * physicians), the access professionals declare (consent at the consultation, break-glass,
 * regulation), and the access log. Decisions are the access policy's; every change is traced in
 * its own transaction, with the notifications it causes.
 */
import type { Write } from '#domain/ports';
import { EMERGENCY_NOTICE } from '#domain/stores';
import { EMERGENCY_NOTICE_WINDOWS, emergencyNoticeCutoff, emergencyNoticeDue } from '#domain/sms-budget';
import { EMERGENCY_ACCESS_MS, authorizationState, decideAccessLogRead, decideAccessRequest, decideHolderAction, type Relation } from '#domain/access-policy';
import { refuse, ConditionsRefused } from '#domain/errors';
import { assertOpenForChange } from '#domain/lifecycle';
import type { CryptoDeps } from '#platform/deps-data';
import { HttpProblem } from '#platform/problem';
import { defineCapability, type Call, type HandlerOf } from '#http/define-capability';
import { accessRecord, commit, guardRefused, holderMobiles, notify, notifyAll, traceRead, traceWrite, type Subject } from '../common.ts';
import { accessLogPage } from './reader.ts';
import { ACCESS, type ACCESS_ROUTES } from './routes.ts';

type Handler<Id extends (typeof ACCESS_ROUTES)[number]['id']> = HandlerOf<typeof ACCESS_ROUTES, Id, CryptoDeps>;

const professionalsView = (a: { professionalId: string; status: Relation['status']; attendingPhysician: boolean; since: string; expiresAt?: string | undefined }) => ({
  professionalId: a.professionalId,
  status: a.status,
  attendingPhysician: a.attendingPhysician,
  since: a.since,
  ...(a.expiresAt ? { expiresAt: a.expiresAt } : {}),
});

/** The record of the patient (or representative) calling, who manages it. */
const managedRecord = async (call: Call & { params: { dmpId: string } }, deps: CryptoDeps) =>
  (await accessRecord(deps, call, call.params.dmpId, ({ record }) => decideHolderAction(call.actor, record))).record;

const listProfessionals: Handler<'listProfessionals'> = async (call, deps) => {
  const record = await managedRecord(call, deps);
  const items = await deps.records.authorizations(record.dmpId);
  return { status: 200, body: { items: items.map(professionalsView) } };
};

const decideProfessional: Handler<'decideProfessional'> = async (call, deps) => {
  const { professionalId } = call.params;
  const { status, attendingPhysician } = call.body;
  if (status === 'blocked' && attendingPhysician) refuse('refused', 'contradictory', 'A blocked professional cannot be the attending physician.');
  const record = await managedRecord(call, deps);
  assertOpenForChange(record.status);
  const now = deps.clock.now();
  const { relation, since: previousSince } = await deps.access.standing(record.dmpId, professionalId);
  // A decision that does not change the status keeps its date.
  const since = relation?.status === status && authorizationState(relation, now) !== 'EXPIRE' && previousSince ? previousSince : now.toISOString();
  const attending = status === 'authorized' && (attendingPhysician ?? relation?.attendingPhysician ?? false);
  await commit(
    deps,
    [
      deps.access.decisionWrite(record.dmpId, professionalId, status, attending, since),
      traceWrite(deps, call, record.dmpId, status === 'blocked' ? 'authorization.block' : 'authorization.grant', now, { mode: 'normal', subjectId: professionalId }),
    ],
    'The record changed meanwhile: retry.',
  );
  return { status: 200, body: professionalsView({ professionalId, status, attendingPhysician: attending, since }) };
};

const removeProfessional: Handler<'removeProfessional'> = async (call, deps) => {
  const { professionalId } = call.params;
  const record = await managedRecord(call, deps);
  assertOpenForChange(record.status);
  const now = deps.clock.now();
  try {
    await deps.transactions.commit([
      deps.access.removeAuthorizationWrite(record.dmpId, professionalId),
      traceWrite(deps, call, record.dmpId, 'authorization.remove', now, { mode: 'normal', subjectId: professionalId }),
    ]);
  } catch (error) {
    if (error instanceof ConditionsRefused && error.labels.has('authorization')) throw new HttpProblem(404, 'This professional has no authorization on this record.');
    throw error;
  }
  return { status: 204 };
};

const declareAccess: Handler<'declareAccess'> = async (call, deps) => {
  const request = call.body;
  const actor = call.actor;
  const decide = ({ record, standing }: Subject, now: Date) => decideAccessRequest(actor, record, standing, request, now);
  const opened = await accessRecord(deps, call, call.params.dmpId, decide, { action: request.mode === 'normal' ? 'access.consent' : 'access.emergency' });
  // The policy allows professionals only; this narrows the type.
  if (actor.kind !== 'professional') throw new HttpProblem(403, 'Only professionals declare an access.');
  const { record, standing, decision } = opened;
  const now = deps.clock.now();
  const dmpId = record.dmpId;

  if (decision.mode === 'normal') {
    // Consent given at the consultation: an authorization (never over a block, and never naming
    // the attending physician: the patient's choice stays as it is), traced. The record still
    // active and the authorization's own condition (not blocked) are the decision's guards: a
    // closure or a block that landed first gets the policy's answer on the facts as they are now.
    if (request.patientConsent) {
      try {
        await deps.transactions.commit([
          deps.records.authorizationWrite(dmpId, actor.id, now, 'consultation'),
          traceWrite(deps, call, dmpId, 'access.consent', now, { mode: 'normal' }),
          deps.records.activeCheck(dmpId),
        ]);
      } catch (error) {
        if (error instanceof ConditionsRefused && (error.labels.has('authorization') || guardRefused(error))) await opened.redecide(decide);
        throw error;
      }
    }
    return { status: 200, body: { authorization: 'VALIDE', mode: 'normal' } };
  }

  // An emergency access: the patient is told by SMS, attending physicians through professional
  // messaging: one fan-out item for all of them, which the outbox dispatcher expands, so that this
  // transaction holds the same few items whatever their number. The patient's SMS is capped: none
  // for a renewal of the professional's running access, at most one per professional in 12 hours,
  // and a few a day for the record (counted in this transaction); past them the access is granted
  // and traced all the same (an emergency does not wait), and the access log shows it.
  const until = new Date(now.getTime() + EMERGENCY_ACCESS_MS);
  const key = await opened.key();
  const mobiles = holderMobiles(key, record, now);
  const notice: Write[] =
    mobiles.length > 0 && emergencyNoticeDue(standing.emergency, standing.emergencyNoticeAt, now)
      ? [
          ...mobiles.map((to) => notify(deps, key, { to, template: 'emergency-access' }, now)),
          deps.smsBudgets.emergencyNoticeWrite(dmpId, actor.id, now, emergencyNoticeCutoff(now), until),
          ...deps.smsBudgets.spendWrites(dmpId, 'emergency', EMERGENCY_NOTICE_WINDOWS, now),
        ]
      : [];
  let writes: Write[] = [
    deps.access.emergencyWrite(key, actor.id, decision.mode, request.reason, now, until),
    traceWrite(deps, call, dmpId, 'access.emergency', now, { mode: decision.mode }),
    ...notice,
    notifyAll(deps, key, { audience: 'attending-physicians', except: actor.id, template: 'emergency-access-professional', params: { dmpId, mode: decision.mode } }, now),
    // A closure or a block that lands first refuses the access: nothing granted, nobody told.
    ...opened.guards(),
  ];
  // The first access is this one: recorded now, so no later "first access" message follows it.
  if (!standing.seenAt) writes.push(deps.access.seenWrite(dmpId, actor.id, now));
  // Refused only for what a concurrent request did first (recorded the first access, told the
  // patient, filled the record's cap): the access is declared without that part.
  for (;;) {
    try {
      await deps.transactions.commit(writes);
      break;
    } catch (error) {
      if (!(error instanceof ConditionsRefused)) throw error;
      if (guardRefused(error)) await opened.redecide(decide);
      const seen = error.labels.has('seen');
      const told = error.labels.has(EMERGENCY_NOTICE) || deps.smsBudgets.exhausted(error, 'emergency', EMERGENCY_NOTICE_WINDOWS, now) !== undefined;
      if (!seen && !told) throw error;
      writes = writes.filter((w) => !(seen && w.label === 'seen') && !(told && notice.includes(w)));
    }
  }
  deps.metrics?.count('EmergencyAccesses', {});
  return { status: 200, body: { authorization: 'VALIDE', mode: decision.mode, expiresAt: until.toISOString() } };
};

/** Query pages one access-log page reads at most: one unless traces of documents hidden from the reader were left out. */
const MAX_LOG_QUERIES = 4;

const accessLog: Handler<'accessLog'> = async (call, deps) => {
  const { limit, cursor } = call.query;
  const { record, decision } = await accessRecord(deps, call, call.params.dmpId, ({ record, standing }, now) => decideAccessLogRead(call.actor, record, standing, now), {
    action: 'access-log.read',
  });
  const { entries, nextCursor } = await accessLogPage(deps.traces, call.actor, record.dmpId, decision.scope, {
    limit: limit ? Number(limit) : 50,
    cursor,
    maxQueries: MAX_LOG_QUERIES,
  });
  // Reading the whole log is itself an access to the record: traced, for professionals.
  if (call.actor.kind === 'professional' && decision.scope === 'all') {
    await traceRead(deps, call, record.dmpId, 'access-log.read', { mode: 'normal' });
  }
  return { status: 200, body: { items: entries, nextCursor } };
};

export const capability = defineCapability<CryptoDeps>()(ACCESS, { listProfessionals, decideProfessional, removeProfessional, declareAccess, accessLog });

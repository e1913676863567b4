/**
 * What the capabilities that act on a record share: loading the record with the caller's standing,
 * turning a policy denial into its answer, traces and notifications as parts of the action's own
 * transaction, the first access of a professional (traced and notified once), and idempotent
 * replays.
 */
import type { ProfessionalStanding } from '#domain/access-policy';
import { holderMobiles } from '#adapters/record-sealing';
import type { StoredRecord } from '#domain/records';

export { holderMobiles };
import type { DataKey } from '#domain/ports';
import type { FanOutMessage, OutboxMessage } from '#domain/notifications';
import type { Write } from '#domain/ports';
import type { Allowed, Denial } from '#domain/access-policy';
import { isRecordHolder, type Actor } from '#domain/actor';
import { sessionEnd } from '#domain/login';
import { denied } from '#http/denial';
import { refuse, ConditionsRefused } from '#domain/errors';
import { newEventId } from '#domain/identifiers';
import { traceActor, type Trace } from '#domain/trace';
import type { CryptoDeps } from '#platform/deps-data';
import { HttpProblem } from '#platform/problem';
import type { Call, Reply } from '#http/define-capability';

export const eventId = (deps: CryptoDeps): string => newEventId((n) => deps.random.bytes(n));

export interface Subject {
  record: StoredRecord;
  /** A professional caller's standing on the record (empty for anyone else). */
  standing: ProfessionalStanding;
}

/**
 * A record opened for one caller by one decision of the access policy: the only way a use case
 * reaches a record, its standing and its data key. A refused decision never gets this far.
 */
export interface RecordAccess<A extends Allowed = Allowed> extends Subject {
  /** The policy's decision that opened it (its mode, and what the decision carries). */
  decision: A;
  /** The record's data key, unwrapped on first use. */
  key(): Promise<DataKey>;
  /**
   * The facts the decision rested on that may change under the request, as conditions of the
   * action's transaction: the record still active, a professional caller still not blocked. A
   * closure or a block that lands first refuses the action (a settings change does not).
   */
  guards(): Write[];
  /**
   * The answer to an action whose guards were refused: the access policy's, asked again on the
   * record and standing as they are now; a conflict if it allows after all (they changed back).
   */
  redecide(decide: (subject: Subject, now: Date) => Allowed | Denial): Promise<never>;
}

/** Whether a refused transaction was refused by the guards of its decision. */
export const guardRefused = (error: ConditionsRefused): boolean => error.labels.has(RECORD_ACTIVE) || error.labels.has(NOT_BLOCKED);
const RECORD_ACTIVE = 'record-active';
const NOT_BLOCKED = 'not-blocked';

/**
 * A holder's session on its own record ended: its credentials changed (a desk reissue, a password
 * change) or the record was closed since it was issued. The token no longer authenticates anyone
 * (401, invalid_token: logging in again is the way on), which the record's META item, read by the
 * request anyway, tells without another call. After a closure, undoing it (`closure: 'undo'`) is
 * the one thing an earlier session still does.
 */
const assertSessionStands = (actor: Call['actor'], record: StoredRecord, closure: 'refuse' | 'undo' = 'refuse'): void => {
  if (!isRecordHolder(actor) || actor.dmpId !== record.dmpId) return;
  const end = sessionEnd(actor, record.sessionEnds);
  if (end === 'credentials' || (end === 'closure' && closure === 'refuse')) {
    throw new HttpProblem(401, 'This session ended: the credentials changed or the record was closed since it was opened. Log in again.', {
      code: 'session-ended',
      headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' },
    });
  }
};

/** The record and the caller's standing on it, read side by side; 404 when there is no record. */
const loadSubject = async (deps: CryptoDeps, call: Call, dmpId: string, closure: 'refuse' | 'undo'): Promise<Subject> => {
  const [record, standing] = await Promise.all([
    deps.records.load(dmpId),
    call.actor.kind === 'professional' ? deps.access.standing(dmpId, call.actor.id) : ({} as ProfessionalStanding),
  ]);
  if (!record) throw new HttpProblem(404, 'No such record.');
  assertSessionStands(call.actor, record, closure);
  return { record, standing };
};

/**
 * The answer to a refusal of the access policy on a record that exists, traced first when the
 * caller is a professional: the patient reads in the access log who was refused what, with the
 * refusal's code and the request id. Only refusals of access (403, 404): a 409 or 422 of the
 * policy answers what the request asked for, not who asked. Only professionals: a patient or representative refused on
 * another record would put a stranger's identity into this patient's log, an anonymous caller has
 * no identity to trace nor to bound its traces by, and an agent's refusals are of actions outside
 * its role (agents never read content), not accesses to the record. At most one trace per
 * professional, record, action and minute (writeRefusalTrace). A trace that cannot be written does
 * not change the answer: the refusal goes out all the same (refusing a refusal would only turn it
 * into a 5xx the caller can provoke), and the failure is logged by its error name only.
 */
export const refusedOn = async (
  deps: CryptoDeps,
  call: Call,
  dmpId: string,
  action: Trace['action'] | undefined,
  denial: Denial,
  details: TraceDetails = { mode: 'normal' },
): Promise<never> => {
  const actor = call.actor;
  if (action && actor.kind === 'professional' && (denial.answer === 'forbidden' || denial.answer === 'not-found')) {
    const trace = { actor: { ...traceActor(actor), id: actor.id }, action, ...details, requestId: call.requestId, code: denial.code };
    try {
      await deps.traces.refusal(dmpId, trace, deps.clock.now());
    } catch (error) {
      deps.logger.error('refusal trace not written', { requestId: call.requestId, errorName: (error as Error)?.name });
    }
  }
  return denied(denial);
};

/**
 * Loads the record and the caller's standing, refuses a holder's session that ended (see
 * assertSessionStands: `closure: 'undo'` for reactivation only), asks the access policy, and opens
 * the record only when it allows; otherwise the refusal is the answer, traced as `action` when the
 * caller is a professional (refusedOn).
 */
export const accessRecord = async <A extends Allowed>(
  deps: CryptoDeps,
  call: Call,
  dmpId: string,
  decide: (subject: Subject, now: Date) => A | Denial,
  { closure = 'refuse', action }: { closure?: 'refuse' | 'undo'; action?: Trace['action'] } = {},
): Promise<RecordAccess<A>> => {
  const subject = await loadSubject(deps, call, dmpId, closure);
  const decision = decide(subject, deps.clock.now());
  if (!decision.allow) return refusedOn(deps, call, dmpId, action, decision);
  let key: Promise<DataKey> | undefined;
  const actor = call.actor;
  return {
    ...subject,
    decision,
    key: () => (key ??= deps.keyRing.unwrap(dmpId, subject.record.wrappedKey)),
    guards: () => [deps.records.activeCheck(dmpId), ...(actor.kind === 'professional' ? [deps.access.notBlockedCheck(dmpId, actor.id)] : [])],
    redecide: async (again) => {
      const fresh = again(await loadSubject(deps, call, dmpId, closure), deps.clock.now());
      if (!fresh.allow) return refusedOn(deps, call, dmpId, action, fresh);
      return refuse('conflict', 'state-changed', 'The record changed meanwhile: retry.');
    },
  };
};

export type TraceDetails = Omit<Trace, 'actor' | 'action' | 'outcome' | 'requestId' | 'code'>;

/** A trace as one write of the action's own transaction: the action fails if its trace cannot be written. */
export const traceWrite = (
  deps: CryptoDeps,
  by: { actor: Actor; requestId: string },
  dmpId: string,
  action: Trace['action'],
  now: Date,
  details: TraceDetails = { mode: 'normal' },
): Write => deps.traces.write(dmpId, { actor: traceActor(by.actor), action, ...details, outcome: 'allowed', requestId: by.requestId }, now, eventId(deps));

export const notify = (deps: CryptoDeps, key: DataKey, message: OutboxMessage, now: Date): Write => deps.notifications.message(key, message, now, eventId(deps));

/**
 * A message to each member of an audience (the record's attending physicians), as one write of the
 * action's transaction whatever their number: the outbox dispatcher writes one message per member.
 */
export const notifyAll = (deps: CryptoDeps, key: DataKey, message: FanOutMessage, now: Date): Write => deps.notifications.fanOut(key, message, now, eventId(deps));

/** Runs an action's transaction; a refused condition means the state changed under the request. */
export const commit = async (deps: CryptoDeps, writes: Write[], conflict: string): Promise<void> => {
  try {
    await deps.transactions.commit(writes);
  } catch (error) {
    if (error instanceof ConditionsRefused) refuse('conflict', 'state-changed', conflict);
    throw error;
  }
};

/**
 * Runs an action's transaction under the guards of the decision that opened the record: a closure
 * or a block that landed first gets the policy's answer on the facts as they are now; any other
 * refused condition means the state changed under the request.
 */
export const commitGuarded = async (
  deps: CryptoDeps,
  opened: RecordAccess,
  writes: Write[],
  decide: (subject: Subject, now: Date) => Allowed | Denial,
  conflict: string,
): Promise<void> => {
  try {
    await deps.transactions.commit([...writes, ...opened.guards()]);
  } catch (error) {
    if (error instanceof ConditionsRefused && guardRefused(error)) await opened.redecide(decide);
    if (error instanceof ConditionsRefused) refuse('conflict', 'state-changed', conflict);
    throw error;
  }
};

/**
 * The trace of a read, written before anything is returned (no access without its trace). When
 * the read opens the record's content to a professional for the first time, that first access is
 * recorded in the same transaction and, in normal mode, the patient is told (an emergency access
 * was told already, when it was declared). Reads that open no content (a search, the access log)
 * pass no access, and leave their trace alone.
 */
export const traceRead = async (deps: CryptoDeps, call: Call, dmpId: string, action: Trace['action'], details: TraceDetails, opened?: RecordAccess): Promise<void> => {
  const now = deps.clock.now();
  const alone = () => deps.traces.append(dmpId, { actor: traceActor(call.actor), action, ...details, outcome: 'allowed', requestId: call.requestId }, now, eventId(deps));
  if (!opened || call.actor.kind !== 'professional' || opened.standing.seenAt) return alone();
  const key = await opened.key();
  const first = [
    deps.access.seenWrite(dmpId, call.actor.id, now),
    ...(details.mode === 'normal' ? holderMobiles(key, opened.record, now).map((to) => notify(deps, key, { to, template: 'first-access' }, now)) : []),
  ];
  try {
    await deps.transactions.commit([traceWrite(deps, call, dmpId, action, now, details), ...first]);
  } catch (error) {
    // Another request of this professional was the first: this one is an access like any other.
    if (!(error instanceof ConditionsRefused) || !error.labels.has('seen')) throw error;
    await alone();
  }
};

/** The first response to an idempotency key, or a 422 when the key came with another body. */
export const replayed = async (deps: CryptoDeps, scope: string, key: string, hash: string): Promise<Reply | undefined> => {
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

/**
 * An entry's author as a reader sees it: a representative's id is a login id (half of a
 * credential), shown to the record's holders only; anyone else learns that a representative wrote
 * it, not which one (as the health profile's views do).
 */
export const authorShownTo = <A extends { kind: string; id: string }>(reader: Actor, author: A): A | Omit<A, 'id'> => {
  if (author.kind !== 'representative' || isRecordHolder(reader)) return author;
  const { id: _hidden, ...shown } = author;
  return shown;
};

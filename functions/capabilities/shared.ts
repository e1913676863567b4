/**
 * What the capabilities that act on a record share: loading the record with the caller's standing,
 * turning a policy denial into its answer, traces and notifications as parts of the action's own
 * transaction, the first access of a professional (traced and notified once), and idempotent
 * replays.
 */
import type { ProfessionalStanding } from '#adapters/access-store';
import { holderMobiles, type StoredRecord } from '#adapters/record-store';

export { holderMobiles };
import type { DataKey } from '#adapters/envelope';
import { outboxPut, type OutboxMessage } from '#adapters/outbox-store';
import { tracePut, writeTrace } from '#adapters/trace-store';
import { ConditionsRefused, transact, type LabelledWrite } from '#adapters/transactions';
import type { Denial } from '#domain/access-policy';
import { refuse } from '#domain/errors';
import { newEventId } from '#domain/identifiers';
import { traceActor, type Trace } from '#domain/trace';
import type { CryptoDeps } from '#platform/deps-data';
import { HttpProblem } from '#platform/problem';
import type { Call, Reply } from '#http/capability';

export const eventId = (deps: CryptoDeps): string => newEventId((n) => deps.random.bytes(n));

/** A policy's refusal, as the client reads it. */
export const denied = (d: Denial): never => {
  switch (d.answer) {
    case 'not-found':
      throw new HttpProblem(404, d.reason, { code: d.code });
    case 'forbidden':
      return refuse('forbidden', d.code, d.reason);
    case 'conflict':
      return refuse('conflict', d.code, d.reason);
    case 'refused':
      return refuse('refused', d.code, d.reason);
  }
};

export interface Subject {
  record: StoredRecord;
  /** A professional caller's standing on the record (empty for anyone else). */
  standing: ProfessionalStanding;
}

/** The record and the caller's standing on it, read side by side; 404 when there is no record. */
export const loadSubject = async (deps: CryptoDeps, call: Call, dmpId: string): Promise<Subject> => {
  const [record, standing] = await Promise.all([
    deps.records.load(dmpId),
    call.actor.kind === 'professional' ? deps.access.standing(dmpId, call.actor.id) : ({} as ProfessionalStanding),
  ]);
  if (!record) throw new HttpProblem(404, 'No such record.');
  return { record, standing };
};

export type TraceDetails = Omit<Trace, 'actor' | 'action'>;

export const traceWrite = (deps: CryptoDeps, call: Call, dmpId: string, action: Trace['action'], now: Date, details: TraceDetails = { mode: 'normal' }): LabelledWrite => ({
  label: 'trace',
  item: tracePut(deps.config.tableName, dmpId, { actor: traceActor(call.actor), action, ...details }, now, eventId(deps)),
});

export const notify = (deps: CryptoDeps, key: DataKey, message: OutboxMessage, now: Date): LabelledWrite => ({
  label: 'notification',
  item: outboxPut(deps.config.tableName, key, message, now, eventId(deps)),
});


/** Runs an action's transaction; a refused condition means the state changed under the request. */
export const commit = async (deps: CryptoDeps, writes: LabelledWrite[], conflict: string): Promise<void> => {
  try {
    await transact(deps.db, writes);
  } catch (error) {
    if (error instanceof ConditionsRefused) refuse('conflict', 'state-changed', conflict);
    throw error;
  }
};

/**
 * The trace of a read, written before anything is returned (no access without its trace). A
 * professional's first access to the record is recorded in the same transaction and, in normal
 * mode, the patient is told (an emergency access was told already, when it was declared).
 */
export const traceAccess = async (deps: CryptoDeps, call: Call, subject: Subject, key: DataKey, action: Trace['action'], details: TraceDetails): Promise<void> => {
  const now = deps.clock.now();
  const { record, standing } = subject;
  const trace = traceWrite(deps, call, record.dmpId, action, now, details);
  if (call.actor.kind !== 'professional' || standing.seenAt) {
    await writeTrace(deps.db, deps.config.tableName, record.dmpId, { actor: traceActor(call.actor), action, ...details }, now, eventId(deps));
    return;
  }
  const first = [
    deps.access.seenWrite(record.dmpId, call.actor.id, now),
    ...(details.mode === 'normal' ? holderMobiles(key, record).map((to) => notify(deps, key, { to, template: 'first-access' }, now)) : []),
  ];
  try {
    await transact(deps.db, [trace, ...first]);
  } catch (error) {
    // Another request of this professional was the first: this one is an access like any other.
    if (!(error instanceof ConditionsRefused) || !error.labels.has('seen')) throw error;
    await writeTrace(deps.db, deps.config.tableName, record.dmpId, { actor: traceActor(call.actor), action, ...details }, now, eventId(deps));
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

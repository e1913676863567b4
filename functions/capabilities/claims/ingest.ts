/**
 * The one ingestion core of the reimbursed-care history: `POST /v1/claims/batches` and the nightly
 * bulk import both hand it a batch of patients `{ ins, lines }` and get its outcome.
 *
 * Safe to run again after a crash at any point, and twice at once:
 *   1. The batch's record is started first (a conditional put): the keyed hash of its body and the
 *      instant it started. Run again, the same body goes on from that record (the same day of
 *      reference for the date checks, the same instant for the traces); another body under the
 *      same id is refused (422). A batch whose record holds its outcome answers that outcome.
 *   2. Each patient: the INS is looked up through its keyed hash (all the batch's at once, in
 *      BatchGetItem calls of 100); an unknown or closed record takes
 *      no line. The record's data key is unwrapped once (one KMS Decrypt at most; none when the
 *      KeyRing has it cached), never once per line.
 *   3. Each line is keyed deterministically (store.ts lineSk: its date and a keyed hash of its
 *      sourceId). One BatchGetItem per 100 lines tells which are stored already; the others are
 *      put with BatchWriteItem, 25 a call.
 *      Why BatchWriteItem and not transactions: a put on a deterministic key is idempotent by
 *      itself (a repeated put lands on the same item with the same line), so exactly-once needs
 *      no condition and no transaction; a transaction writes each item at twice the capacity
 *      units, holds at most 100 items and is cancelled whole by one conflicting line. The read
 *      before the write is what tells a duplicate (another batch stored the line) from a line of
 *      this batch that an interrupted run stored already (counted accepted, as the first run would
 *      have), and it spares the rewrite of a line that is there.
 *   4. One trace per patient and batch ("reimbursement history updated by the Assurance
 *      Maladie"), after the patient's lines: its key is the batch's start instant and an id derived
 *      from the batch id, put on condition that it does not exist: written at most once, and
 *      written by the run that gets there.
 *   5. The batch's outcome, written last on its record.
 * A failure (DynamoDB, KMS) anywhere fails the run; running the same batch again completes it.
 */
import { createHash } from 'node:crypto';
import { BATCH_ID, checkLine, checkPatient, MAX_PATIENTS_PER_BATCH, type ClaimLine } from '#domain/claims/lines';
import { isoDate } from '#domain/dates';
import { refuse } from '#domain/errors';
import { decideClaimsWrite } from '#domain/access-policy';
import { canonicalJson } from '#http/canonical';
import type { ClaimsDeps } from './deps.ts';

export type { ClaimsDeps };
export { withClaims } from './deps.ts';

export interface BatchOutcome {
  patients: { stored: number; unknown: number; closed: number };
  lines: { accepted: number; duplicate: number; rejected: number };
  rejected: { patient: number; line: number; path: string; reason: string }[];
}

/** At most this many patients of a batch are worked on at once (each is a few round trips). */
const PATIENT_CONCURRENCY = 16;

const SLOT_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** The id of a batch's traces: the same on every run of the batch (12 characters of the traces' alphabet). */
const traceIdOf = (batchId: string): string => {
  const digest = createHash('sha256').update(`claims-batch\n${batchId}`).digest();
  return Array.from(digest.subarray(0, 12), (b) => SLOT_ALPHABET[b % 32]).join('');
};

type Rejection = BatchOutcome['rejected'][number];

interface PatientResult {
  patient: 'stored' | 'unknown' | 'closed' | 'invalid';
  accepted: number;
  duplicate: number;
  rejected: Rejection[];
  rejectedLines: number;
}

/** Who sent the batch, for its traces: the sync's client id and request (absent for the bulk import). */
export interface BatchSource {
  clientId?: string | undefined;
  requestId?: string | undefined;
}

export const ingestBatch = async (deps: ClaimsDeps, batch: { batchId: string; patients: unknown[] }, source: BatchSource = {}): Promise<BatchOutcome> => {
  if (!BATCH_ID.test(batch.batchId)) refuse('invalid', 'invalid-batch-id', 'A batchId has 1 to 64 letters, digits, . _ : or -.');
  if (batch.patients.length > MAX_PATIENTS_PER_BATCH) refuse('refused', 'batch-too-large', `A batch holds at most ${MAX_PATIENTS_PER_BATCH} patients.`);
  const requestHash = await deps.hasher.hash('idempotency', canonicalJson(['claims-batch', batch.batchId, batch.patients]));
  const record = await deps.claims.startBatch(batch.batchId, requestHash, deps.clock.now());
  if (record.requestHash !== requestHash) refuse('refused', 'batch-id-reused', 'This batchId was sent with another body.');
  if (record.outcome !== undefined) return record.outcome as BatchOutcome;

  // Every INS of the batch is looked up at once (BatchGetItem, 100 a call) rather than one GetItem per patient.
  const insHashes = new Map<string, string>();
  for (const p of batch.patients) {
    const check = checkPatient(p);
    if (check.ok && !insHashes.has(check.ins)) insHashes.set(check.ins, await deps.hasher.hash('ins', check.ins));
  }
  const dmpIds = await deps.claims.dmpIdsByInsHash([...insHashes.values()]);
  const dmpIdOf = (ins: string): string | undefined => dmpIds.get(insHashes.get(ins) ?? '');
  const context: RunContext = { deps, batchId: batch.batchId, startedAt: record.startedAt, today: isoDate(record.startedAt), source, seen: new Set(), dmpIdOf };
  const results: PatientResult[] = new Array(batch.patients.length);
  // Entries of the same INS are worked on one after the other (by one worker): the second finds
  // the first's lines stored and counts them duplicate, as a later batch would.
  const groups = new Map<unknown, number[]>();
  batch.patients.forEach((p, i) => {
    const ins = typeof p === 'object' && p !== null ? (p as { ins?: unknown }).ins : undefined;
    const group = typeof ins === 'string' ? ins : Symbol(i);
    groups.set(group, [...(groups.get(group) ?? []), i]);
  });
  const queue = [...groups.values()];
  let next = 0;
  const worker = async () => {
    while (next < queue.length) {
      for (const i of queue[next++] ?? []) results[i] = await ingestPatient(context, i, batch.patients[i]);
    }
  };
  await Promise.all(Array.from({ length: Math.min(PATIENT_CONCURRENCY, queue.length) }, worker));

  const outcome: BatchOutcome = { patients: { stored: 0, unknown: 0, closed: 0 }, lines: { accepted: 0, duplicate: 0, rejected: 0 }, rejected: [] };
  for (const r of results) {
    if (r.patient !== 'invalid') outcome.patients[r.patient]++;
    outcome.lines.accepted += r.accepted;
    outcome.lines.duplicate += r.duplicate;
    outcome.lines.rejected += r.rejectedLines;
    outcome.rejected.push(...r.rejected);
  }
  await deps.claims.finishBatch(batch.batchId, requestHash, outcome);
  deps.logger.info('claims batch ingested', {
    batchId: batch.batchId,
    patientsStored: outcome.patients.stored,
    patientsUnknown: outcome.patients.unknown,
    patientsClosed: outcome.patients.closed,
    linesAccepted: outcome.lines.accepted,
    linesDuplicate: outcome.lines.duplicate,
    linesRejected: outcome.lines.rejected,
  });
  return outcome;
};

interface RunContext {
  deps: ClaimsDeps;
  batchId: string;
  startedAt: Date;
  today: string;
  source: BatchSource;
  /** Lines this run has counted already (`dmpId sk`): the same line under a second entry of the same INS is a duplicate. */
  seen: Set<string>;
  /** The DMP of an INS of the batch, if it has one. */
  dmpIdOf: (ins: string) => string | undefined;
}

const ingestPatient = async (ctx: RunContext, index: number, raw: unknown): Promise<PatientResult> => {
  const { deps } = ctx;
  const patient = checkPatient(raw);
  if (!patient.ok) {
    const lines = typeof raw === 'object' && raw !== null && Array.isArray((raw as { lines?: unknown }).lines) ? (raw as { lines: unknown[] }).lines.length : 0;
    // The entry itself is at fault: one rejection for all its lines, at line -1.
    return { patient: 'invalid', accepted: 0, duplicate: 0, rejectedLines: lines, rejected: [{ patient: index, line: -1, path: patient.path, reason: patient.reason }] };
  }
  const rejected: Rejection[] = [];
  const valid: ClaimLine[] = [];
  patient.lines.forEach((raw, line) => {
    const check = checkLine(raw, ctx.today);
    if (check.ok) valid.push(check.line);
    else rejected.push({ patient: index, line, path: check.path, reason: check.reason });
  });
  const result = (p: PatientResult['patient'], accepted = 0, duplicate = 0): PatientResult => ({ patient: p, accepted, duplicate, rejected, rejectedLines: rejected.length });

  const dmpId = ctx.dmpIdOf(patient.ins);
  const record = dmpId ? await deps.records.load(dmpId) : undefined;
  if (!dmpId || !record) return result('unknown');
  if (record.status === 'closed') return result('closed');
  if (valid.length === 0) return result('stored');

  const key = await deps.keyRing.unwrap(dmpId, record.wrappedKey);
  // The same line twice in one patient's entry is one line.
  const bySk = new Map<string, ClaimLine>();
  let duplicate = 0;
  for (const line of valid) {
    const sk = deps.claims.lineSk(key, line);
    if (bySk.has(sk) || ctx.seen.has(`${dmpId} ${sk}`)) duplicate++;
    else bySk.set(sk, line);
  }
  for (const sk of bySk.keys()) ctx.seen.add(`${dmpId} ${sk}`);
  const existing = await deps.claims.existing(dmpId, [...bySk.keys()]);
  const fresh: { sk: string; line: ClaimLine }[] = [];
  let accepted = 0;
  for (const [sk, line] of bySk) {
    const writtenBy = existing.get(sk);
    if (writtenBy === undefined) fresh.push({ sk, line });
    else if (writtenBy !== ctx.batchId) {
      duplicate++;
      continue;
    }
    // Stored now, or by an earlier run of this very batch: accepted either way.
    accepted++;
  }
  await deps.claims.putLines(key, fresh, ctx.batchId);
  if (accepted > 0) await traceUpdate(ctx, dmpId);
  return result('stored', accepted, duplicate);
};

/** The patient's trace of this batch, at most once: a conditional put on a key the same for every run. */
const traceUpdate = (ctx: RunContext, dmpId: string): Promise<boolean> =>
  ctx.deps.claims.traceOnce(
    dmpId,
    {
      actor: { kind: 'insurer', ...(ctx.source.clientId ? { id: ctx.source.clientId } : {}) },
      action: 'claims.update',
      mode: 'normal',
      outcome: 'allowed',
      ...(ctx.source.requestId ? { requestId: ctx.source.requestId } : {}),
    },
    ctx.startedAt,
    traceIdOf(ctx.batchId),
  );

/** The policy's word on who writes claims, for the HTTP route (the bulk import is the insurer's own file). */
export const assertClaimsWriter = (actor: Parameters<typeof decideClaimsWrite>[0]): void => {
  const decision = decideClaimsWrite(actor);
  if (!decision.allow) refuse('forbidden', decision.code, decision.reason);
};

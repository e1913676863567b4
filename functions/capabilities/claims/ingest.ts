/**
 * The one ingestion core of the reimbursed-care history: `POST /v1/claims/batches` and the nightly
 * bulk import both hand it a batch of patients `{ ins, lines }` and get its outcome.
 *
 * Safe to run again after a crash at any point, and twice at once. Each step works on the whole
 * batch at once (batch calls filled across patients, a few calls in flight), so that its calls
 * grow with its lines and not with its patients:
 *   1. The batch's record is started first (a conditional put): the keyed hash of its body and the
 *      instant it started. Run again, the same body goes on from that record (the same day of
 *      reference for the date checks, the same instant for the traces); another body under the
 *      same id is refused (422). A batch whose record holds its outcome answers that outcome.
 *   2. The INS are looked up through their keyed hash, then the records found (status and wrapped
 *      data key), each with BatchGetItem; an unknown or closed record takes no line. Each record's
 *      data key is unwrapped once (one KMS Decrypt at most; none when the KeyRing has it cached),
 *      never once per line.
 *   3. Each line has one deterministic item (store.ts lineKeys), keyed by a keyed hash of its
 *      sourceId alone, whatever its date; its date is its position in the history's index. The
 *      items are read (BatchGetItem, 100 a call) and each line is:
 *        - new (no item): put with BatchWriteItem, 25 items a call, one item per line;
 *        - a duplicate (the item is at this very position, written by another batch): nothing written;
 *        - stored by an earlier run of this very batch (the item names this batch): counted
 *          accepted (and corrected, if a correction wrote it), as the first run would have;
 *        - a correction (the item is at another date): the newer send replaces it in place, in one
 *          transaction (store.ts replaceLine): the line put on condition that its item is still at
 *          the date read, and the record still active. Counted accepted and corrected.
 *      Exactly once per sourceId holds by the key alone: a put repeated by a retry, or sent by two
 *      batches at once (even with different dates), lands on the same item. Why BatchWriteItem and
 *      not transactions for new lines: a put on a deterministic key is idempotent by itself; a
 *      transaction writes each item at twice the capacity units, holds at most 100 items and is
 *      cancelled whole by one conflicting line. Corrections are rare: they take the transaction,
 *      whose check of the record keeps a line stored before a closure as it was.
 *   4. A closure landing in the middle of the batch: BatchWriteItem takes no condition, so once the
 *      new lines are written the records' status is read again (one BatchGetItem for the records
 *      written); a record no longer active has the lines this batch put deleted, and counts
 *      closed. Corrections check the status inside their transaction. A run that finds a record
 *      closed since the batch started deletes what an interrupted run of the batch may have put
 *      there with plain puts before the closure was seen (found by their `batch`).
 *   5. One trace per patient and batch ("reimbursement history updated by the Assurance
 *      Maladie"), after the patient's lines: its key is the batch's start instant and an id derived
 *      from the batch id, put on condition that it does not exist: written at most once, and
 *      written by the run that gets there.
 *   6. The batch's outcome, written last on its record.
 * A failure (DynamoDB, KMS) anywhere fails the run; running the same batch again completes it.
 */
import { createHash } from 'node:crypto';
import { BATCH_ID, checkLine, checkPatient, MAX_PATIENTS_PER_BATCH, type ClaimLine } from '#domain/claims/lines';
import { isoDate } from '#domain/dates';
import { refuse } from '#domain/errors';
import { decideClaimsWrite } from '#domain/access-policy';
import type { DataKey } from '#domain/ports';
import { canonicalJson } from '#http/canonical';
import type { ClaimsDeps } from './deps.ts';
import { inPool } from '#adapters/pool';
import { lineRefId, type LineWrite, type RecordState, type StoredLine } from './store.ts';

export type { ClaimsDeps };
export { withClaims } from './deps.ts';

export interface BatchOutcome {
  patients: { stored: number; unknown: number; closed: number };
  /** `corrected`: of the accepted lines, those that replaced the line of another date stored under their sourceId. */
  lines: { accepted: number; corrected: number; duplicate: number; rejected: number };
  rejected: { patient: number; line: number; path: string; reason: string }[];
}

/** Records whose data key is unwrapped at once (a KMS call each when not cached). */
const KEYS_AT_ONCE = 16;
/** Corrections (one transaction each) and traces (one conditional put each) sent at once. */
const WRITES_AT_ONCE = 8;
/** A correction whose marker keeps changing under it (other batches correcting the same line) is tried this often. */
const CORRECTION_ATTEMPTS = 5;
/** A record closed less than this before the batch started may have been closed while another run of it wrote (clocks differ). */
const CLOCK_MARGIN_MS = 5 * 60_000;

const SLOT_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';
/** The id of a batch's traces: the same on every run of the batch (12 characters of the traces' alphabet). */
const traceIdOf = (batchId: string): string => {
  const digest = createHash('sha256').update(`claims-batch\n${batchId}`).digest();
  return Array.from(digest.subarray(0, 12), (b) => SLOT_ALPHABET[b % 32]).join('');
};

type Rejection = BatchOutcome['rejected'][number];

/** A patient entry of the batch and what became of it. */
interface Entry {
  index: number;
  patient: 'stored' | 'unknown' | 'closed' | 'invalid';
  ins?: string;
  valid: ClaimLine[];
  rejected: Rejection[];
  rejectedLines: number;
  accepted: number;
  corrected: number;
  duplicate: number;
}

/** A line this batch stores, and the entry it came in. */
interface Pending extends LineWrite {
  entry: Entry;
}

/** A record the batch has lines for. */
interface Patient {
  dmpId: string;
  state: RecordState;
  entries: Entry[];
  key?: DataKey;
  /** The lines to store, by item: a sourceId sent twice in the batch is stored once, as sent last. */
  lines: Map<string, Pending>;
  /** Lines this run put with BatchWriteItem (deleted again if the record turns out closed). */
  written: Pending[];
  /** Found no longer active after the lines were written, or by a correction's transaction. */
  closed: boolean;
}

/** Who sent the batch, for its traces: the sync's client id and request (absent for the bulk import). */
export interface BatchSource {
  clientId?: string | undefined;
  requestId?: string | undefined;
}

/** Checks an entry and its lines: nothing is read or written yet. */
const checkEntry = (raw: unknown, index: number, today: string): Entry => {
  const entry: Entry = { index, patient: 'invalid', valid: [], rejected: [], rejectedLines: 0, accepted: 0, corrected: 0, duplicate: 0 };
  const patient = checkPatient(raw);
  if (!patient.ok) {
    // The entry itself is at fault: one rejection for all its lines, at line -1.
    entry.rejectedLines = typeof raw === 'object' && raw !== null && Array.isArray((raw as { lines?: unknown }).lines) ? (raw as { lines: unknown[] }).lines.length : 0;
    entry.rejected.push({ patient: index, line: -1, path: patient.path, reason: patient.reason });
    return entry;
  }
  entry.ins = patient.ins;
  patient.lines.forEach((rawLine, line) => {
    const check = checkLine(rawLine, today);
    if (check.ok) entry.valid.push(check.line);
    else entry.rejected.push({ patient: index, line, path: check.path, reason: check.reason });
  });
  entry.rejectedLines = entry.rejected.length;
  return entry;
};

/** An outcome stored before `lines.corrected` was counted answers 0 for it. */
const replayed = (outcome: BatchOutcome): BatchOutcome => ({ ...outcome, lines: { ...outcome.lines, corrected: outcome.lines.corrected ?? 0 } });

export const ingestBatch = async (deps: ClaimsDeps, batch: { batchId: string; patients: unknown[] }, source: BatchSource = {}): Promise<BatchOutcome> => {
  if (!BATCH_ID.test(batch.batchId)) refuse('invalid', 'invalid-batch-id', 'A batchId has 1 to 64 letters, digits, . _ : or -.');
  if (batch.patients.length > MAX_PATIENTS_PER_BATCH) refuse('refused', 'batch-too-large', `A batch holds at most ${MAX_PATIENTS_PER_BATCH} patients.`);
  const requestHash = await deps.hasher.hash('idempotency', canonicalJson(['claims-batch', batch.batchId, batch.patients]));
  const record = await deps.claims.startBatch(batch.batchId, requestHash, deps.clock.now());
  if (record.requestHash !== requestHash) refuse('refused', 'batch-id-reused', 'This batchId was sent with another body.');
  if (record.outcome !== undefined) return replayed(record.outcome as BatchOutcome);

  const batchId = batch.batchId;
  const entries = batch.patients.map((raw, index) => checkEntry(raw, index, isoDate(record.startedAt)));

  // Every INS of the batch is looked up at once (BatchGetItem, 100 a call), then every record found.
  const insHashes = new Map<string, string>();
  for (const e of entries) if (e.ins !== undefined && !insHashes.has(e.ins)) insHashes.set(e.ins, await deps.hasher.hash('ins', e.ins));
  const dmpIds = await deps.claims.dmpIdsByInsHash([...insHashes.values()]);
  const dmpIdOf = (ins: string): string | undefined => dmpIds.get(insHashes.get(ins) ?? '');
  const states = await deps.claims.recordStates([...new Set(entries.flatMap((e) => (e.ins === undefined ? [] : (dmpIdOf(e.ins) ?? []))))], true);

  const patients = new Map<string, Patient>();
  const closedSinceStart = new Map<string, Patient>();
  for (const e of entries) {
    if (e.ins === undefined) continue;
    const dmpId = dmpIdOf(e.ins);
    const state = dmpId ? states.get(dmpId) : undefined;
    if (!dmpId || !state) {
      e.patient = 'unknown';
      continue;
    }
    e.patient = state.status === 'active' ? 'stored' : 'closed';
    // Every entry of an active record (so that a closure found later counts them all closed); of a
    // record closed since the batch started, those with lines an earlier run may have stored.
    const group = state.status === 'active' ? patients : closedSince(state, record.startedAt) && e.valid.length > 0 ? closedSinceStart : undefined;
    if (!group) continue;
    const p: Patient = group.get(dmpId) ?? { dmpId, state, entries: [], lines: new Map(), written: [], closed: false };
    p.entries.push(e);
    group.set(dmpId, p);
  }

  // One unwrap per record with lines (a KMS call when its key is not cached), a few at once.
  const withLines = [...patients.values(), ...closedSinceStart.values()].filter((p) => p.entries.some((e) => e.valid.length > 0));
  await inPool(withLines, KEYS_AT_ONCE, async (p) => {
    if (p.state.wrappedKey) p.key = await deps.keyRing.unwrap(p.dmpId, p.state.wrappedKey);
  });
  for (const p of withLines) {
    const key = p.key;
    if (!key) continue;
    for (const entry of p.entries) {
      for (const line of entry.valid) {
        const keys = deps.claims.lineKeys(key, line);
        // The same sourceId again in the batch: the later send is the one stored, the earlier counts duplicate.
        const earlier = p.lines.get(keys.sk);
        if (earlier && entry.patient === 'stored') earlier.entry.duplicate++;
        p.lines.set(keys.sk, { ...keys, key, line, entry });
      }
    }
  }
  if (closedSinceStart.size > 0) await removeEarlierRuns(deps, batchId, [...closedSinceStart.values()]);

  const now = deps.clock.now();
  const pending = [...patients.values()].flatMap((p) => [...p.lines.values()]);
  const stored = await deps.claims.lines(
    pending.map((l) => ({ dmpId: l.key.dmpId, sk: l.sk })),
    now,
  );
  const fresh: Pending[] = [];
  const corrections: { line: Pending; found: StoredLine }[] = [];
  for (const l of pending) {
    const found = stored.get(lineRefId(l.key.dmpId, l.sk));
    if (!found) fresh.push(l);
    else if (found.position !== l.position) corrections.push({ line: l, found });
    else if (found.batch === batchId) count(l.entry, found);
    else l.entry.duplicate++;
  }

  await deps.claims.putLines(fresh, batchId);
  for (const l of fresh) {
    l.entry.accepted++;
    patients.get(l.key.dmpId)?.written.push(l);
  }
  // BatchWriteItem takes no condition: a closure that landed while the lines were written is seen now.
  const written = [...patients.values()].filter((p) => p.written.length > 0);
  if (written.length > 0) {
    const after = await deps.claims.recordStates(
      written.map((p) => p.dmpId),
      false,
    );
    for (const p of written) if (after.get(p.dmpId)?.status !== 'active') p.closed = true;
  }

  await inPool(corrections, WRITES_AT_ONCE, async ({ line, found }) => {
    const p = patients.get(line.key.dmpId);
    if (p) await correct(deps, batchId, p, line, found, now);
  });

  const closed = [...patients.values()].filter((p) => p.closed);
  if (closed.length > 0) {
    await deps.claims.removeLines(closed.flatMap((p) => p.written.map((l) => ({ dmpId: p.dmpId, sk: l.sk }))));
    for (const p of closed) {
      for (const e of p.entries) Object.assign(e, { patient: 'closed', accepted: 0, corrected: 0, duplicate: 0 });
    }
  }

  const context: TraceContext = { deps, batchId, startedAt: record.startedAt, source };
  const updated = [...patients.values()].filter((p) => !p.closed && p.entries.some((e) => e.accepted > 0));
  await inPool(updated, WRITES_AT_ONCE, (p) => traceUpdate(context, p.dmpId));

  const outcome: BatchOutcome = { patients: { stored: 0, unknown: 0, closed: 0 }, lines: { accepted: 0, corrected: 0, duplicate: 0, rejected: 0 }, rejected: [] };
  for (const e of entries) {
    if (e.patient !== 'invalid') outcome.patients[e.patient]++;
    outcome.lines.accepted += e.accepted;
    outcome.lines.corrected += e.corrected;
    outcome.lines.duplicate += e.duplicate;
    outcome.lines.rejected += e.rejectedLines;
    outcome.rejected.push(...e.rejected);
  }
  await deps.claims.finishBatch(batchId, requestHash, outcome);
  deps.logger.info('claims batch ingested', {
    batchId,
    patientsStored: outcome.patients.stored,
    patientsUnknown: outcome.patients.unknown,
    patientsClosed: outcome.patients.closed,
    linesAccepted: outcome.lines.accepted,
    linesCorrected: outcome.lines.corrected,
    linesDuplicate: outcome.lines.duplicate,
    linesRejected: outcome.lines.rejected,
  });
  return outcome;
};

/** Whether a closed record may have been closed while a run of the batch wrote to it. */
const closedSince = (state: RecordState, startedAt: Date): boolean => state.closedAt !== undefined && Date.parse(state.closedAt) >= startedAt.getTime() - CLOCK_MARGIN_MS;

/** A line an earlier run of this batch stored: counted as that run counted it. */
const count = (entry: Entry, found: StoredLine): void => {
  entry.accepted++;
  if (found.correction) entry.corrected++;
};

/**
 * A correction: the sourceId's line moves to this line's date, in one transaction (store.ts
 * replaceLine). When its item changed since it was read (another batch, or another run of this
 * one), it is read again and the line decided again.
 */
const correct = async (deps: ClaimsDeps, batchId: string, p: Patient, line: Pending, first: StoredLine, now: Date): Promise<void> => {
  let found: StoredLine | undefined = first;
  for (let attempt = 0; attempt < CORRECTION_ATTEMPTS; attempt++) {
    if (p.closed) return;
    const result = await deps.claims.replaceLine(line, found, batchId);
    if (result === 'replaced') {
      line.entry.accepted++;
      if (found) line.entry.corrected++;
      return;
    }
    if (result === 'closed') {
      p.closed = true;
      return;
    }
    found = (await deps.claims.lines([{ dmpId: p.dmpId, sk: line.sk }], now)).get(lineRefId(p.dmpId, line.sk));
    if (found?.position === line.position) {
      if (found.batch === batchId) count(line.entry, found);
      else line.entry.duplicate++;
      return;
    }
  }
  throw new Error('a claim line kept changing under its correction');
};

/**
 * Records closed since the batch started: what an interrupted run of this batch put there with
 * plain puts (before it could see the closure) is deleted, found by the `batch` of the lines; what
 * its corrections wrote stays (their transaction checked the record active).
 */
const removeEarlierRuns = async (deps: ClaimsDeps, batchId: string, closed: Patient[]): Promise<void> => {
  const lines = closed.flatMap((p) => [...p.lines.values()]);
  const stored = await deps.claims.lines(
    lines.map((l) => ({ dmpId: l.key.dmpId, sk: l.sk })),
    deps.clock.now(),
  );
  const ours = lines.filter((l) => {
    const found = stored.get(lineRefId(l.key.dmpId, l.sk));
    return found !== undefined && found.batch === batchId && !found.correction && found.position === l.position;
  });
  if (ours.length > 0) await deps.claims.removeLines(ours.map((l) => ({ dmpId: l.key.dmpId, sk: l.sk })));
};

interface TraceContext {
  deps: ClaimsDeps;
  batchId: string;
  startedAt: Date;
  source: BatchSource;
}

/** The patient's trace of this batch, at most once: a conditional put on a key the same for every run. */
const traceUpdate = (ctx: TraceContext, dmpId: string): Promise<boolean> =>
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

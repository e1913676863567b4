/**
 * The nightly bulk import of the Assurance Maladie's reimbursed care: an NDJSON object (one patient
 * a line, the shape of the push API's patients) dropped in the inbox, read as a stream and handed to
 * the claims ingestion core in batches of at most MAX_BATCH_PATIENTS patients — the same core, and
 * so the same validation, storage and traces, as `POST /v1/claims/batches`.
 *
 * Exactly once under faults, without a scheduler of our own:
 *   - each batch has a deterministic id, a hash of the object (key and version) and of the batch's
 *     index and first byte: a batch sent again is the same batch under the same id, which the core
 *     answers as it did the first time, storing nothing twice (its lines are keyed by sourceId);
 *   - after each batch the import's progress (the byte and line where the next batch starts, the
 *     totals so far) is checkpointed in the table, so an import that crashed, or stopped at its
 *     time budget, resumes at the first batch not yet committed, never skipping one: the batch that
 *     was in flight when it crashed is re-sent under its own id;
 *   - the object is deleted only once its last batch is committed and the import marked complete.
 *
 * Memory stays flat whatever the file's size: bytes are read from a byte offset as a stream and
 * split into lines as they come, and only one batch (bounded in patients and in bytes) is held at a
 * time. A line longer than MAX_LINE_BYTES is never buffered whole: it is skipped and rejected.
 *
 * A line that is not a JSON object is rejected with its line number and never reaches the core;
 * blank lines are ignored. Nothing the file holds (INS, names, codes) is logged or returned: counts,
 * line numbers, field paths and the core's reasons only.
 */
import type { Logger } from '../ports.ts';

/** The most patients in one batch: the push API's own limit. */
export const MAX_BATCH_PATIENTS = 500;
/**
 * The most bytes of lines in one batch, so that a batch of long lines stays small in memory: the
 * core holds a batch's lines (parsed, checked, keyed) while it works on them, several times their
 * bytes, for as long as the batch takes, so they outlive V8's young generation and are collected
 * only by the less frequent major collections; 256 KB is about 1,000 claim lines, about what 500
 * patients of a day's file hold (2.5 lines each), and keeps the import's memory high-water low.
 */
export const MAX_BATCH_BYTES = 256 * 1024;
/** The longest line read: a longer one is skipped (and rejected) without being held in memory. */
export const MAX_LINE_BYTES = 1024 * 1024;
/** How many rejected lines one run reports in detail (all of them are counted). */
export const MAX_REPORTED_REJECTIONS = 100;

/**
 * What the claims ingestion core answers for one batch (functions/capabilities/claims/ingest.ts,
 * `BatchOutcome`: the same shape, declared here so that the domain does not depend on it).
 */
export interface BatchOutcome {
  patients: { stored: number; unknown: number; closed: number };
  /** `corrected`: of the accepted lines, those that moved a line stored under their sourceId to another date. */
  lines: { accepted: number; corrected: number; duplicate: number; rejected: number };
  /** Each rejected line: the patient's index in the batch, the line's index in the patient's lines, the field and why. */
  rejected: { patient: number; line: number; path: string; reason: string }[];
}

/**
 * The claims ingestion core, as the import sees it. Idempotent per batchId: the same id and the same
 * patients answer the same outcome, and store each line once even when the first call crashed.
 */
export interface ClaimsBatches {
  ingest(batchId: string, patients: unknown[]): Promise<BatchOutcome>;
}

/** One object of the inbox: its key and the version (S3 ETag or version id) the import reads. */
export interface InboxObject {
  key: string;
  version: string;
}

/** Where the NDJSON objects are: the inbox bucket in AWS, a file or the emulator's bucket locally. */
export interface InboxObjects {
  /**
   * The object's bytes from `fromByte` to its end, as a stream (empty when `fromByte` is its size);
   * undefined when that version of the object no longer exists (deleted, or replaced by another).
   */
  read(object: InboxObject, fromByte: number): Promise<AsyncIterable<Uint8Array> | undefined>;
  /** Deletes the object once imported (nothing when it is already gone). */
  remove(object: InboxObject): Promise<void>;
}

/** Counts over the whole object: never what a line holds. */
export interface ImportTotals {
  /** Batches handed to the core. */
  batches: number;
  /** Lines of the file that were not blank. */
  records: number;
  /** Records that were not a JSON object (or longer than MAX_LINE_BYTES): rejected, never sent. */
  malformed: number;
  patients: BatchOutcome['patients'];
  lines: BatchOutcome['lines'];
}

/** An import's progress, checkpointed after each committed batch. */
export interface ImportCheckpoint {
  /** The number of batches committed: the next batch's index. */
  batch: number;
  /** The byte of the object where the next batch starts. */
  byte: number;
  /** The lines of the object before that byte. */
  line: number;
  totals: ImportTotals;
  /** The last batch is committed: only the object's deletion may remain. */
  complete: boolean;
}

/** Where imports keep their progress, per object version. */
export interface ImportCheckpoints {
  load(object: InboxObject): Promise<ImportCheckpoint | undefined>;
  /** Saves the progress unless a checkpoint at least as far is already saved (progress never goes back). */
  save(object: InboxObject, checkpoint: ImportCheckpoint, now: Date): Promise<void>;
}

/** One rejected line of this run: its line number in the object, and for the core's rejections the claim line's index. */
export interface Rejection {
  record: number;
  line?: number;
  path: string;
  reason: string;
}

export interface ImportReport {
  /**
   * `complete`: every batch committed and the object deleted; `paused`: the run stopped at its time
   * budget after a checkpoint, to be resumed; `gone`: the object (that version) no longer exists
   * and was never fully imported here (replaced by a newer upload, or removed by hand).
   */
  status: 'complete' | 'paused' | 'gone';
  totals: ImportTotals;
  /** The rejected lines seen by this run (the first MAX_REPORTED_REJECTIONS of them). */
  rejections: Rejection[];
}

export interface ClaimsImportDeps {
  batches: ClaimsBatches;
  objects: InboxObjects;
  checkpoints: ImportCheckpoints;
  logger: Logger;
  now: () => Date;
}

export interface RunOptions {
  /** Asked after each committed batch: true stops the run there (status `paused`), to resume later. */
  stop?: () => boolean;
}

const emptyTotals = (): ImportTotals => ({
  batches: 0,
  records: 0,
  malformed: 0,
  patients: { stored: 0, unknown: 0, closed: 0 },
  lines: { accepted: 0, corrected: 0, duplicate: 0, rejected: 0 },
});

/**
 * The batch's id: a hash of the object's key and version, the batch's index and its first byte. The
 * same batch of the same object always has the same id (a resumed batch is an idempotent re-send);
 * nothing of the file, nor its name, can be read from it.
 */
export const batchIdOf = async (object: InboxObject, batch: number, byte: number): Promise<string> => {
  // Web Crypto (a global of the runtime): the domain imports no module outside itself.
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(JSON.stringify(['claims-import', object.key, object.version, batch, byte])));
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('');
};

/** The pieces of one line as one array. */
const joined = (parts: Uint8Array[], length: number): Uint8Array => {
  if (parts.length === 1 && parts[0]) return parts[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** One line of the object, with where the next one starts. */
interface Line {
  /** Its number in the object, from 1. */
  number: number;
  /** The byte just after it (after its newline). */
  end: number;
  /** Its text, or undefined when it was longer than MAX_LINE_BYTES. */
  text: string | undefined;
}

const NEWLINE = 0x0a;

/**
 * Splits a byte stream into lines as it arrives, counting bytes (not characters) so that a line's
 * end is a byte offset the object can be read from again. Holds at most one chunk's lines and one
 * unfinished line.
 *
 * Each chunk is split and its whole lines decoded before any of them is handed out, so that no
 * chunk is still referenced while its lines are used: the consumer awaits a whole batch (seconds of
 * DynamoDB calls) between two lines, long enough for a chunk still referenced then to outlive V8's
 * young generation, and its bytes (outside the heap) would then wait for a major collection.
 */
export async function* linesOf(bytes: AsyncIterable<Uint8Array>, startByte: number, startLine: number): AsyncGenerator<Line> {
  const decoder = new TextDecoder('utf-8', { fatal: false, ignoreBOM: false });
  let parts: Uint8Array[] = [];
  let held = 0;
  let tooLong = false;
  let position = startByte;
  let number = startLine;
  const take = (end: number): Line => {
    number += 1;
    const text = tooLong ? undefined : decoder.decode(joined(parts, held));
    parts = [];
    held = 0;
    tooLong = false;
    return { number, end, text };
  };
  const hold = (piece: Uint8Array): void => {
    if (tooLong) return;
    if (held + piece.length > MAX_LINE_BYTES) {
      tooLong = true;
      parts = [];
      held = 0;
      return;
    }
    parts.push(piece);
    held += piece.length;
  };
  /** The whole lines a chunk ends; what follows its last newline is copied and held. */
  const split = (chunk: Uint8Array): Line[] => {
    const lines: Line[] = [];
    let from = 0;
    for (let i = chunk.indexOf(NEWLINE); i !== -1; i = chunk.indexOf(NEWLINE, from)) {
      hold(chunk.subarray(from, i));
      lines.push(take(position + i + 1));
      from = i + 1;
    }
    // Copied: the stream may reuse its buffer for the next chunk, and the chunk is let go.
    if (from < chunk.length) hold(Uint8Array.prototype.slice.call(chunk, from));
    position += chunk.length;
    return lines;
  };
  // The iterator by hand: a for-await loop would keep its chunk referenced across the yields.
  const chunks = bytes[Symbol.asyncIterator]();
  let done = false;
  try {
    while (!done) {
      const lines = await chunks.next().then((r) => (r.done ? undefined : split(r.value)));
      if (lines === undefined) done = true;
      else yield* lines;
    }
  } finally {
    // Stopped early (the time budget, a failure): the stream is closed, as a for-await loop does.
    if (!done) await chunks.return?.();
  }
  if (held > 0 || tooLong) yield take(position);
}

const isBlank = (text: string): boolean => text.trim().length === 0;

/** A record's patient, or why it is refused before the core. */
const parseRecord = (text: string | undefined): { patient: object } | { reason: string } => {
  if (text === undefined) return { reason: `the line is longer than ${MAX_LINE_BYTES} bytes` };
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return { reason: 'the line is not valid JSON' };
  }
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return { reason: 'the line is not a JSON object' };
  return { patient: value };
};

const add = (totals: ImportTotals, outcome: BatchOutcome): void => {
  totals.batches += 1;
  totals.patients.stored += outcome.patients.stored;
  totals.patients.unknown += outcome.patients.unknown;
  totals.patients.closed += outcome.patients.closed;
  totals.lines.accepted += outcome.lines.accepted;
  totals.lines.corrected += outcome.lines.corrected;
  totals.lines.duplicate += outcome.lines.duplicate;
  totals.lines.rejected += outcome.lines.rejected;
};

/** The batch being filled: its patients with their line numbers, and the counts of its lines. */
interface PendingBatch {
  startByte: number;
  patients: unknown[];
  records: number[];
  bytes: number;
  /** Non-blank lines and malformed lines since the last checkpoint. */
  seen: number;
  malformed: number;
}

export class ClaimsImport {
  private readonly d: ClaimsImportDeps;
  constructor(deps: ClaimsImportDeps) {
    this.d = deps;
  }

  /** Imports the object from where its last run stopped (or from its start), then deletes it. */
  async run(object: InboxObject, options: RunOptions = {}): Promise<ImportReport> {
    const { objects, checkpoints, logger } = this.d;
    const saved = await checkpoints.load(object);
    let at: ImportCheckpoint = saved ?? { batch: 0, byte: 0, line: 0, totals: emptyTotals(), complete: false };
    const rejections: Rejection[] = [];
    if (!at.complete) {
      const bytes = await objects.read(object, at.byte);
      if (!bytes) {
        logger.warn('claims import: object gone before it was imported', { batches: at.totals.batches, resumedAt: at.line });
        return { status: 'gone', totals: at.totals, rejections };
      }
      if (saved) logger.info('claims import resumed', { batch: at.batch, line: at.line });
      const stopped = await this.import(object, at, bytes, rejections, options, (next) => {
        at = next;
      });
      if (stopped) {
        logger.info('claims import paused', { batch: at.batch, line: at.line });
        return { status: 'paused', totals: at.totals, rejections };
      }
      at = { ...at, complete: true };
      await checkpoints.save(object, at, this.d.now());
    }
    // Deleted only once complete: a crash before this line deletes it on the next delivery.
    await objects.remove(object);
    logger.info('claims import complete', { ...flatTotals(at.totals) });
    return { status: 'complete', totals: at.totals, rejections };
  }

  /** Reads and sends every batch after `from`; true when stopped at the time budget. */
  private async import(
    object: InboxObject,
    from: ImportCheckpoint,
    bytes: AsyncIterable<Uint8Array>,
    rejections: Rejection[],
    options: RunOptions,
    committed: (checkpoint: ImportCheckpoint) => void,
  ): Promise<boolean> {
    let at = from;
    const reject = (rejection: Rejection): void => {
      if (rejections.length < MAX_REPORTED_REJECTIONS) rejections.push(rejection);
    };
    const open = (startByte: number): PendingBatch => ({ startByte, patients: [], records: [], bytes: 0, seen: 0, malformed: 0 });
    let pending = open(at.byte);
    let lastLine = at.line;
    let lastByte = at.byte;

    const commit = async (): Promise<void> => {
      const totals: ImportTotals = structuredClone(at.totals);
      totals.records += pending.seen;
      totals.malformed += pending.malformed;
      if (pending.patients.length > 0) {
        const outcome = await this.d.batches.ingest(await batchIdOf(object, at.batch, pending.startByte), pending.patients);
        add(totals, outcome);
        for (const r of outcome.rejected) reject({ record: pending.records[r.patient] ?? 0, line: r.line, path: r.path, reason: r.reason });
      }
      at = { batch: at.batch + (pending.patients.length > 0 ? 1 : 0), byte: lastByte, line: lastLine, totals, complete: false };
      await this.d.checkpoints.save(object, at, this.d.now());
      committed(at);
      pending = open(lastByte);
    };

    for await (const line of linesOf(bytes, at.byte, at.line)) {
      const size = line.end - lastByte;
      lastLine = line.number;
      lastByte = line.end;
      if (line.text !== undefined && isBlank(line.text)) continue;
      pending.seen += 1;
      const parsed = parseRecord(line.text);
      if ('reason' in parsed) {
        pending.malformed += 1;
        reject({ record: line.number, path: '', reason: parsed.reason });
      } else {
        pending.patients.push(parsed.patient);
        pending.records.push(line.number);
        pending.bytes += size;
      }
      if (pending.patients.length >= MAX_BATCH_PATIENTS || pending.bytes >= MAX_BATCH_BYTES) {
        await commit();
        if (options.stop?.()) return true;
      }
    }
    if (pending.seen > 0 || lastByte !== at.byte) await commit();
    return false;
  }
}

/** The totals as flat named counts: log attributes, and the checkpoint's stored totals. */
export const flatTotals = (t: ImportTotals) => ({
  batches: t.batches,
  records: t.records,
  malformed: t.malformed,
  patientsStored: t.patients.stored,
  patientsUnknown: t.patients.unknown,
  patientsClosed: t.patients.closed,
  linesAccepted: t.lines.accepted,
  linesCorrected: t.lines.corrected,
  linesDuplicate: t.lines.duplicate,
  linesRejected: t.lines.rejected,
});

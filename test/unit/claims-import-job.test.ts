/**
 * The claims import's use case against in-memory ports: how an NDJSON object is cut into batches,
 * their deterministic ids, malformed lines counted with their line numbers, and exactly-once under
 * faults (a crash in the middle of the file, before a checkpoint, a run paused at its time budget).
 *
 * `FakeClaimsCore` stands for the claims ingestion core (functions/capabilities/claims/ingest.ts),
 * built and tested separately and wired in at merge: it keeps the core's promises the import relies
 * on (idempotent per batchId, each line stored once by its sourceId) and can crash mid-batch.
 * Against S3 and DynamoDB on the emulator: test/integration/claims-import.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { objectsOfS3Event } from '../../functions/adapters/inbox.ts';
import { makeLogger } from '../../functions/adapters/logger.ts';
import {
  type BatchOutcome,
  batchIdOf,
  type ClaimsBatches,
  ClaimsImport,
  type ImportCheckpoint,
  type ImportCheckpoints,
  type InboxObject,
  type InboxObjects,
  linesOf,
  MAX_BATCH_PATIENTS,
  MAX_LINE_BYTES,
} from '../../functions/domain/jobs/claims-import.ts';

const OBJECT: InboxObject = { key: 'inbox/2026-12-01-claims.ndjson', version: '"etag-1"' };
const NOW = new Date('2026-12-01T02:00:00.000Z');

interface Patient {
  ins: string;
  lines: { sourceId: string; category: string }[];
}

/** A patient per line: `n` lines of claims each, one of which is bad when `bad` is set. */
const patient = (i: number, n = 2, bad = false): Patient => ({
  ins: `1${String(850_000_000_000 + i).padStart(12, '0')}`,
  lines: Array.from({ length: n }, (_, j) => ({ sourceId: `SRC-${i}-${j}`, category: bad && j === 0 ? 'bogus' : 'medication' })),
});

const ndjson = (lines: string[]): Buffer => Buffer.from(`${lines.join('\n')}\n`, 'utf8');
const patients = (count: number, from = 0): string[] => Array.from({ length: count }, (_, i) => JSON.stringify(patient(from + i)));

/** Objects in memory, read back in small uneven pieces so that lines straddle them. */
class MemoryObjects implements InboxObjects {
  readonly objects = new Map<string, { version: string; body: Buffer }>();
  readonly removed: string[] = [];
  readonly reads: number[] = [];
  readonly piece: number;
  constructor(object: InboxObject, body: Buffer, piece = 97) {
    this.piece = piece;
    this.objects.set(object.key, { version: object.version, body });
  }
  async read(object: InboxObject, fromByte: number): Promise<AsyncIterable<Uint8Array> | undefined> {
    const stored = this.objects.get(object.key);
    if (stored?.version !== object.version) return undefined;
    this.reads.push(fromByte);
    const { body } = stored;
    const piece = this.piece;
    return (async function* () {
      for (let i = fromByte; i < body.length; i += piece) yield Uint8Array.prototype.slice.call(body, i, Math.min(i + piece, body.length));
    })();
  }
  async remove(object: InboxObject): Promise<void> {
    if (this.objects.get(object.key)?.version === object.version) this.objects.delete(object.key);
    this.removed.push(object.key);
  }
}

class MemoryCheckpoints implements ImportCheckpoints {
  readonly saved = new Map<string, ImportCheckpoint>();
  failNextSave = false;
  async load(object: InboxObject): Promise<ImportCheckpoint | undefined> {
    const c = this.saved.get(`${object.key}@${object.version}`);
    return c && structuredClone(c);
  }
  async save(object: InboxObject, checkpoint: ImportCheckpoint): Promise<void> {
    if (this.failNextSave) {
      this.failNextSave = false;
      throw Object.assign(new Error('injected checkpoint failure'), { name: 'ProvisionedThroughputExceededException' });
    }
    const id = `${object.key}@${object.version}`;
    const before = this.saved.get(id);
    if (before && (before.byte > checkpoint.byte || (before.byte === checkpoint.byte && before.complete && !checkpoint.complete))) return;
    this.saved.set(id, structuredClone(checkpoint));
  }
}

/**
 * Stands for the claims ingestion core (merged separately): each line stored once by its sourceId;
 * the same batchId answers the same outcome, a line stored by an earlier attempt of the same batch
 * counting as accepted again. `crashOn` makes the nth call crash after storing half its patients.
 */
class FakeClaimsCore implements ClaimsBatches {
  /** sourceId → the batch that stored it. */
  readonly stored = new Map<string, string>();
  readonly calls: { batchId: string; patients: number }[] = [];
  crashOn: number | undefined;
  async ingest(batchId: string, patients: unknown[]): Promise<BatchOutcome> {
    this.calls.push({ batchId, patients: patients.length });
    const crash = this.crashOn === this.calls.length;
    const outcome: BatchOutcome = { patients: { stored: 0, unknown: 0, closed: 0 }, lines: { accepted: 0, corrected: 0, duplicate: 0, rejected: 0 }, rejected: [] };
    for (const [p, value] of (patients as Patient[]).entries()) {
      if (crash && p >= patients.length / 2) throw Object.assign(new Error('injected core failure'), { name: 'KMSInternalException' });
      outcome.patients.stored += 1;
      for (const [l, line] of value.lines.entries()) {
        if (line.category === 'bogus') {
          outcome.lines.rejected += 1;
          outcome.rejected.push({ patient: p, line: l, path: `patients[${p}].lines[${l}].category`, reason: 'unknown category' });
          continue;
        }
        const by = this.stored.get(line.sourceId);
        if (by === undefined) this.stored.set(line.sourceId, batchId);
        if (by === undefined || by === batchId) outcome.lines.accepted += 1;
        else outcome.lines.duplicate += 1;
      }
    }
    return outcome;
  }
}

const setUp = (body: Buffer, piece?: number) => {
  const objects = new MemoryObjects(OBJECT, body, piece);
  const checkpoints = new MemoryCheckpoints();
  const core = new FakeClaimsCore();
  const logs: string[] = [];
  const logger = makeLogger({ logLevel: 'DEBUG', write: (line) => logs.push(line) });
  const job = new ClaimsImport({ batches: core, objects, checkpoints, logger, now: () => NOW });
  return { objects, checkpoints, core, logs, job };
};

describe('the claims import', () => {
  it(`cuts the object into batches of at most ${MAX_BATCH_PATIENTS} patients, in order, then deletes it`, async () => {
    const { job, core, objects } = setUp(ndjson(patients(1234)));
    const report = await job.run(OBJECT);
    expect(report.status).toBe('complete');
    expect(core.calls.map((c) => c.patients)).toEqual([500, 500, 234]);
    expect(core.stored.size).toBe(1234 * 2);
    expect(report.totals).toEqual({
      batches: 3,
      records: 1234,
      malformed: 0,
      patients: { stored: 1234, unknown: 0, closed: 0 },
      lines: { accepted: 2468, corrected: 0, duplicate: 0, rejected: 0 },
    });
    expect(objects.objects.has(OBJECT.key)).toBe(false);
    expect(objects.removed).toEqual([OBJECT.key]);
  });

  it('cuts a batch early when its lines reach the byte budget, so that long lines do not pile up in memory', async () => {
    // 300 patients of ~20 kB each (6 MB): 4 MiB is reached after ~200 of them.
    const big = Array.from({ length: 300 }, (_, i) => JSON.stringify(patient(i, 400)));
    const { job, core } = setUp(ndjson(big), 64 * 1024);
    await job.run(OBJECT);
    expect(core.calls.length).toBeGreaterThan(1);
    expect(core.calls.every((c) => c.patients < MAX_BATCH_PATIENTS)).toBe(true);
    expect(core.calls.reduce((n, c) => n + c.patients, 0)).toBe(300);
  });

  it('gives each batch an id from the object, its version and the batch alone: the same on another run, another for another version, naming nothing of the file', async () => {
    const body = ndjson(patients(1100));
    const first = setUp(body);
    await first.job.run(OBJECT);
    const again = setUp(body);
    await again.job.run(OBJECT);
    const ids = first.core.calls.map((c) => c.batchId);
    expect(again.core.calls.map((c) => c.batchId)).toEqual(ids);
    expect(new Set(ids).size).toBe(3);
    for (const id of ids) expect(id).toMatch(/^[0-9a-f]{64}$/);

    const other = { ...OBJECT, version: '"etag-2"' };
    const replaced = setUp(body);
    replaced.objects.objects.set(OBJECT.key, { version: other.version, body });
    await replaced.job.run(other);
    expect(replaced.core.calls.map((c) => c.batchId).filter((id) => ids.includes(id))).toEqual([]);
    expect(await batchIdOf(OBJECT, 0, 0)).not.toBe(await batchIdOf(OBJECT, 1, 0));
    expect(await batchIdOf(OBJECT, 1, 10)).not.toBe(await batchIdOf(OBJECT, 1, 11));
    expect(ids[0]).toBe(await batchIdOf(OBJECT, 0, 0));
  });

  it('rejects the lines that are not a JSON object with their line numbers, ignores blank lines, and sends the rest', async () => {
    const lines = [
      JSON.stringify(patient(0)), // 1
      '{"ins": "1850', // 2: cut short
      '', // 3: blank
      '[1, 2]', // 4: an array
      '42', // 5
      'null', // 6
      '   ', // 7: blank
      JSON.stringify(patient(1, 3, true)), // 8: one bad claim line
      'x'.repeat(MAX_LINE_BYTES + 10), // 9: too long
      JSON.stringify(patient(2)), // 10
    ];
    const { job, core, logs } = setUp(ndjson(lines), 4096);
    const report = await job.run(OBJECT);
    expect(report.status).toBe('complete');
    expect(core.calls).toHaveLength(1);
    expect(core.calls[0]?.patients).toBe(3);
    expect(report.totals).toMatchObject({ records: 8, malformed: 5, patients: { stored: 3 }, lines: { accepted: 6, rejected: 1 } });
    expect(report.rejections).toEqual([
      { record: 2, path: '', reason: 'the line is not valid JSON' },
      { record: 4, path: '', reason: 'the line is not a JSON object' },
      { record: 5, path: '', reason: 'the line is not a JSON object' },
      { record: 6, path: '', reason: 'the line is not a JSON object' },
      { record: 9, path: '', reason: `the line is longer than ${MAX_LINE_BYTES} bytes` },
      { record: 8, line: 0, path: 'patients[1].lines[0].category', reason: 'unknown category' },
    ]);
    // The logs say how much, never what: no INS, no source id.
    expect(logs.join('\n')).not.toMatch(/185000000000|SRC-|ins/);
  });

  it('reads CRLF lines, a last line without a newline and characters cut between two reads', async () => {
    const withAccents = { ins: '1850000000001', lines: [{ sourceId: 'SRC-é-0', category: 'medication' }], note: 'Hôpital Saint-Étienne ✓' };
    const body = Buffer.from(`${JSON.stringify(withAccents)}\r\n${JSON.stringify(patient(1))}\r\n${JSON.stringify(patient(2))}`, 'utf8');
    const { job, core } = setUp(body, 3);
    const report = await job.run(OBJECT);
    expect(report.totals).toMatchObject({ records: 3, malformed: 0, lines: { accepted: 5 } });
    expect(core.stored.has('SRC-é-0')).toBe(true);
  });

  it('resumes a crash in the middle of the file at the batch in flight, re-sent under its id: every line stored once, none skipped, the object deleted only at the end', async () => {
    const body = ndjson(patients(2250));
    const clean = setUp(body);
    const cleanReport = await clean.job.run(OBJECT);
    const expectedIds = clean.core.calls.map((c) => c.batchId);

    const { job, core, objects, checkpoints } = setUp(body);
    core.crashOn = 3;
    await expect(job.run(OBJECT)).rejects.toThrow('injected core failure');
    expect(objects.objects.has(OBJECT.key)).toBe(true);
    expect(objects.removed).toEqual([]);
    expect([...checkpoints.saved.values()][0]).toMatchObject({ batch: 2, line: 1000, complete: false });
    // Half of the third batch reached storage before the crash.
    expect(core.stored.size).toBe(1000 * 2 + 250 * 2);

    const report = await job.run(OBJECT);
    expect(report.status).toBe('complete');
    expect(core.calls.slice(3).map((c) => c.batchId)).toEqual(expectedIds.slice(2));
    expect(core.calls[2]?.batchId).toBe(core.calls[3]?.batchId);
    expect([...new Set(core.calls.map((c) => c.batchId))]).toEqual(expectedIds);
    expect(core.stored.size).toBe(2250 * 2);
    expect(report.totals).toEqual(cleanReport.totals);
    expect(report.totals.lines).toEqual({ accepted: 4500, corrected: 0, duplicate: 0, rejected: 0 });
    expect(objects.objects.has(OBJECT.key)).toBe(false);
  });

  it('counts a batch once when the crash comes after the core answered and before the checkpoint', async () => {
    const { job, core, checkpoints, objects } = setUp(ndjson(patients(700)));
    checkpoints.failNextSave = true;
    await expect(job.run(OBJECT)).rejects.toThrow('injected checkpoint failure');
    const report = await job.run(OBJECT);
    expect(core.calls.map((c) => c.batchId)).toEqual([core.calls[0]?.batchId, core.calls[0]?.batchId, core.calls[2]?.batchId]);
    expect(report.totals).toMatchObject({ batches: 2, records: 700, patients: { stored: 700 }, lines: { accepted: 1400, duplicate: 0 } });
    expect(objects.reads).toEqual([0, 0]);
  });

  it('pauses at its time budget after a committed batch, and the next run goes on from there', async () => {
    const { job, core, objects } = setUp(ndjson(patients(1600)));
    const paused = await job.run(OBJECT, { stop: () => core.calls.length >= 2 });
    expect(paused.status).toBe('paused');
    expect(paused.totals.patients.stored).toBe(1000);
    expect(objects.objects.has(OBJECT.key)).toBe(true);
    const done = await job.run(OBJECT);
    expect(done.status).toBe('complete');
    expect(core.calls.map((c) => c.patients)).toEqual([500, 500, 500, 100]);
    expect(new Set(core.calls.map((c) => c.batchId)).size).toBe(4);
    expect(done.totals.patients.stored).toBe(1600);
    // The second run read the object from the byte where the third batch starts.
    expect(objects.reads[1]).toBe(ndjson(patients(1000)).length);
  });

  it('deletes, without sending anything again, an object whose import completed before its deletion failed', async () => {
    const { job, core, objects } = setUp(ndjson(patients(10)));
    const remove = objects.remove.bind(objects);
    objects.remove = async () => {
      throw Object.assign(new Error('injected S3 failure'), { name: 'InternalError' });
    };
    await expect(job.run(OBJECT)).rejects.toThrow('injected S3 failure');
    objects.remove = remove;
    const report = await job.run(OBJECT);
    expect(report).toMatchObject({ status: 'complete', totals: { batches: 1, patients: { stored: 10 } } });
    expect(core.calls).toHaveLength(1);
    expect(objects.objects.has(OBJECT.key)).toBe(false);
  });

  it('sends nothing for an object that is gone (replaced by another version, or removed)', async () => {
    const { job, core, objects } = setUp(ndjson(patients(10)));
    const report = await job.run({ ...OBJECT, version: '"older"' });
    expect(report.status).toBe('gone');
    expect(core.calls).toEqual([]);
    expect(objects.removed).toEqual([]);
  });
});

describe('linesOf', () => {
  it('gives each line the byte where the next starts, whatever the pieces', async () => {
    const text = 'ab\nçé\n\nlast';
    const bytes = Buffer.from(text, 'utf8');
    for (const piece of [1, 2, 5, 100]) {
      const pieces = (async function* () {
        for (let i = 0; i < bytes.length; i += piece) yield Uint8Array.prototype.slice.call(bytes, i, i + piece);
      })();
      const lines = [];
      for await (const line of linesOf(pieces, 100, 7)) lines.push(line);
      expect(lines).toEqual([
        { number: 8, end: 103, text: 'ab' },
        { number: 9, end: 108, text: 'çé' },
        { number: 10, end: 109, text: '' },
        { number: 11, end: 113, text: 'last' },
      ]);
    }
  });
});

describe('the import queue’s messages', () => {
  const event = (records: unknown[]) => JSON.stringify({ Records: records });
  const created = (bucket: string, key: string, eTag = 'd41d8cd98f00b204e9800998ecf8427e') => ({
    eventName: 'ObjectCreated:Put',
    s3: { bucket: { name: bucket }, object: { key, eTag, size: 10 } },
  });

  it('name the objects created in the inbox bucket, keys decoded', () => {
    expect(objectsOfS3Event(event([created('inbox', 'nightly/2026-12-01+claims%C3%A9.ndjson')]), 'inbox')).toEqual([
      { key: 'nightly/2026-12-01 claimsé.ndjson', version: 'd41d8cd98f00b204e9800998ecf8427e' },
    ]);
  });

  it('name nothing for S3’s test event, another bucket, another event or a body that is not an event', () => {
    expect(objectsOfS3Event(JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Bucket: 'inbox' }), 'inbox')).toEqual([]);
    expect(objectsOfS3Event(event([created('elsewhere', 'a.ndjson')]), 'inbox')).toEqual([]);
    expect(objectsOfS3Event(event([{ ...created('inbox', 'a.ndjson'), eventName: 'ObjectRemoved:Delete' }]), 'inbox')).toEqual([]);
    expect(objectsOfS3Event(event([null, 42, { eventName: 'ObjectCreated:Put' }]), 'inbox')).toEqual([]);
    expect(objectsOfS3Event('not json', 'inbox')).toEqual([]);
  });
});

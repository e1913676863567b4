/**
 * The claims import's adapters against the emulator, through the real SDK: the inbox bucket read
 * from a byte offset (Range) of the version being imported (If-Match), its conditional deletion,
 * and the checkpoint item in the table (counts and offsets only, under a hashed key, never moving
 * back); then a whole import of a real NDJSON object that crashes in the middle and resumes.
 *
 * `FakeClaimsCore` stands for the claims ingestion core (functions/capabilities/claims/ingest.ts),
 * merged separately: idempotent per batchId, each line stored once by its sourceId.
 */
import { randomUUID } from 'node:crypto';
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { describe, expect, it } from 'vitest';
import { s3Client } from '../../functions/adapters/aws.ts';
import { DynamoImportCheckpoints, checkpointKey } from '../../functions/adapters/import-checkpoints.ts';
import { bareEtag, S3InboxObjects } from '../../functions/adapters/inbox.ts';
import { makeLogger } from '../../functions/adapters/logger.ts';
import { type BatchOutcome, type ClaimsBatches, ClaimsImport, type InboxObject } from '../../functions/domain/jobs/claims-import.ts';
import { emulator } from '../support/aws.ts';

const NOW = new Date('2026-12-01T02:00:00.000Z');

const line = (i: number): string => JSON.stringify({ ins: `2${String(800_000_000_000 + i).padStart(12, '0')}`, lines: [{ sourceId: `S3-${i}-0` }, { sourceId: `S3-${i}-1` }] });

const collect = async (stream: AsyncIterable<Uint8Array> | undefined): Promise<Buffer | undefined> => {
  if (!stream) return undefined;
  const parts: Uint8Array[] = [];
  for await (const part of stream) parts.push(part);
  return Buffer.concat(parts);
};

/** Stands for the claims ingestion core (merged separately); crashes on its `crashOn`th call. */
class FakeClaimsCore implements ClaimsBatches {
  readonly stored = new Map<string, string>();
  readonly calls: string[] = [];
  crashOn: number | undefined;
  async ingest(batchId: string, patients: unknown[]): Promise<BatchOutcome> {
    this.calls.push(batchId);
    if (this.crashOn === this.calls.length) throw Object.assign(new Error('injected core failure'), { name: 'InternalServerError' });
    let accepted = 0;
    let duplicate = 0;
    for (const p of patients as { lines: { sourceId: string }[] }[]) {
      for (const l of p.lines) {
        const by = this.stored.get(l.sourceId) ?? batchId;
        this.stored.set(l.sourceId, by);
        if (by === batchId) accepted += 1;
        else duplicate += 1;
      }
    }
    return { patients: { stored: patients.length, unknown: 0, closed: 0 }, lines: { accepted, corrected: 0, duplicate, rejected: 0 }, rejected: [] };
  }
}

const world = async () => {
  const env = await emulator();
  const s3: S3Client = s3Client({ region: 'eu-west-3', endpoint: env.endpoint });
  const bucket = `inbox-${randomUUID().slice(0, 12)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-3' } }));
  const put = async (key: string, body: string | Buffer): Promise<InboxObject> => {
    const out = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: body }));
    return { key, version: bareEtag(out.ETag ?? '') };
  };
  const exists = async (key: string): Promise<string | undefined> => {
    try {
      return bareEtag((await s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key }))).ETag ?? '');
    } catch {
      return undefined;
    }
  };
  return { ...env, s3, bucket, put, exists, objects: new S3InboxObjects(s3, bucket), checkpoints: new DynamoImportCheckpoints(env.db, env.tableName) };
};

describe('the inbox bucket', () => {
  it('reads the object from a byte offset, the whole of it from 0, nothing from its end', async () => {
    const w = await world();
    const body = Buffer.from(`${[0, 1, 2, 3].map(line).join('\n')}\n`);
    const object = await w.put('inbox/a.ndjson', body);
    expect(await w.objects.current(object.key)).toEqual(object);
    expect(await collect(await w.objects.read(object, 0))).toEqual(body);
    const offset = body.indexOf('\n') + 1;
    expect(await collect(await w.objects.read(object, offset))).toEqual(body.subarray(offset));
    expect(await collect(await w.objects.read(object, body.length))).toEqual(Buffer.alloc(0));
  });

  it('reads a replaced object as gone, and never deletes the newer upload under the same key', async () => {
    const w = await world();
    const first = await w.put('inbox/b.ndjson', `${line(1)}\n`);
    const second = await w.put('inbox/b.ndjson', `${line(2)}\n${line(3)}\n`);
    expect(second.version).not.toBe(first.version);
    expect(await w.objects.read(first, 0)).toBeUndefined();
    await w.objects.remove(first);
    expect(await w.exists('inbox/b.ndjson')).toBe(second.version);
    await w.objects.remove(second);
    expect(await w.exists('inbox/b.ndjson')).toBeUndefined();
    // Already gone: nothing to do, no error.
    await w.objects.remove(second);
    expect(await w.objects.read(second, 0)).toBeUndefined();
    expect(await w.objects.current('inbox/b.ndjson')).toBeUndefined();
  });
});

describe('the import checkpoints', () => {
  it('keep counts and offsets under a hashed key, with an expiry, and never move back', async () => {
    const w = await world();
    const object = { key: 'inbox/2026-12-01 claims.ndjson', version: 'abc123' };
    const totals = {
      batches: 2,
      records: 1001,
      malformed: 1,
      patients: { stored: 990, unknown: 8, closed: 2 },
      lines: { accepted: 1900, corrected: 30, duplicate: 70, rejected: 10 },
    };
    expect(await w.checkpoints.load(object)).toBeUndefined();
    await w.checkpoints.save(object, { batch: 2, byte: 5000, line: 1001, totals, complete: false }, NOW);
    // Behind the stored progress: ignored.
    await w.checkpoints.save(object, { batch: 1, byte: 2500, line: 500, totals: { ...totals, batches: 1 }, complete: false }, NOW);
    expect(await w.checkpoints.load(object)).toEqual({ batch: 2, byte: 5000, line: 1001, totals, complete: false });
    await w.checkpoints.save(object, { batch: 2, byte: 5000, line: 1001, totals, complete: true }, NOW);
    await w.checkpoints.save(object, { batch: 2, byte: 5000, line: 1001, totals, complete: false }, NOW);
    expect((await w.checkpoints.load(object))?.complete).toBe(true);
    // Another version of the same key has progress of its own.
    expect(await w.checkpoints.load({ ...object, version: 'def456' })).toBeUndefined();

    const k = checkpointKey(object);
    const item = (await w.db.send(new GetItemCommand({ TableName: w.tableName, Key: { pk: { S: k.pk }, sk: { S: k.sk } } }))).Item;
    expect(k.pk).toMatch(/^IMPORT#[0-9a-f]{64}$/);
    expect(JSON.stringify(item)).not.toContain('claims.ndjson');
    expect(Number(item?.ttl?.N)).toBeGreaterThan(NOW.getTime() / 1000 + 30 * 86_400);
  });
});

describe('an import from the bucket', () => {
  it('resumes a crash in the middle of the object from its checkpoint (Range from the batch in flight): every line once, then the object is deleted', async () => {
    const w = await world();
    const records = Array.from({ length: 1300 }, (_, i) => line(i));
    records.splice(700, 0, '{not json');
    const object = await w.put('inbox/night.ndjson', `${records.join('\n')}\n`);
    const core = new FakeClaimsCore();
    core.crashOn = 2;
    const job = new ClaimsImport({ batches: core, objects: w.objects, checkpoints: w.checkpoints, logger: makeLogger({ logLevel: 'SILENT' }), now: () => NOW });

    await expect(job.run(object)).rejects.toThrow('injected core failure');
    expect(await w.exists(object.key)).toBe(object.version);
    const saved = await w.checkpoints.load(object);
    expect(saved).toMatchObject({ batch: 1, line: 500, complete: false, totals: { batches: 1, records: 500 } });
    expect(saved?.byte).toBe(Buffer.byteLength(`${records.slice(0, 500).join('\n')}\n`));

    const report = await job.run(object);
    expect(report.status).toBe('complete');
    expect(core.calls[1]).toBe(core.calls[2]);
    expect(new Set(core.calls).size).toBe(3);
    expect(core.stored.size).toBe(2600);
    expect(report.totals).toEqual({
      batches: 3,
      records: 1301,
      malformed: 1,
      patients: { stored: 1300, unknown: 0, closed: 0 },
      lines: { accepted: 2600, corrected: 0, duplicate: 0, rejected: 0 },
    });
    expect(report.rejections).toEqual([{ record: 701, path: '', reason: 'the line is not valid JSON' }]);
    expect(await w.exists(object.key)).toBeUndefined();
    expect(await w.checkpoints.load(object)).toMatchObject({ complete: true, totals: report.totals });

    // The same event delivered again: nothing sent, nothing to delete.
    expect(await job.run(object)).toMatchObject({ status: 'complete', totals: report.totals });
    expect(core.calls).toHaveLength(4);
  });
});

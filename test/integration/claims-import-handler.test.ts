/**
 * The claims import's Lambda entry (functions/jobs/claims-import.ts) against the emulator's S3, SQS
 * and DynamoDB through the real SDK: a message of the import queue as S3 notifies an object,
 * imported and deleted; S3's test event ignored; a failed import reported as that message's
 * failure (SQS delivers it again), and the next delivery resuming; an import that reaches its time
 * budget re-sending its notification to the queue, which the next invocation finishes.
 *
 * The module binding the claims core (functions/jobs/claims-batches.ts) is replaced by a stand-in
 * for the claims ingestion core, merged separately: idempotent per batchId, each line stored once.
 */
import { randomUUID } from 'node:crypto';
import { CreateBucketCommand, HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { CreateQueueCommand, ReceiveMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { beforeAll, describe, expect, inject, it, vi } from 'vitest';
import { s3Client, sqsClient } from '../../functions/adapters/aws.ts';
import { bareEtag } from '../../functions/adapters/inbox.ts';
import type { BatchOutcome, ClaimsBatches } from '../../functions/domain/jobs/claims-import.ts';
import { emulator } from '../support/aws.ts';

const core = vi.hoisted(() => {
  class FakeClaimsCore {
    readonly stored = new Map<string, string>();
    readonly calls: string[] = [];
    failNext = false;
    async ingest(batchId: string, patients: unknown[]) {
      this.calls.push(batchId);
      if (this.failNext) {
        this.failNext = false;
        throw Object.assign(new Error('injected core failure'), { name: 'InternalServerError' });
      }
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
  return new FakeClaimsCore();
});
vi.mock('../../functions/jobs/claims-batches.ts', () => ({ claimsBatches: (): ClaimsBatches => ({ ingest: (id, p) => core.ingest(id, p) as Promise<BatchOutcome> }) }));

type Handler = (event: SQSEvent, context: Context) => Promise<SQSBatchResponse>;
let handler: Handler;
let bucket: string;
let queueUrl: string;
const endpoint = inject('awsEndpoint');
const s3 = s3Client({ region: 'eu-west-3', endpoint });
const sqs = sqsClient({ region: 'eu-west-3', endpoint });

beforeAll(async () => {
  const env = await emulator();
  bucket = `inbox-${randomUUID().slice(0, 12)}`;
  await s3.send(new CreateBucketCommand({ Bucket: bucket, CreateBucketConfiguration: { LocationConstraint: 'eu-west-3' } }));
  queueUrl = (await sqs.send(new CreateQueueCommand({ QueueName: `import-${randomUUID().slice(0, 12)}` }))).QueueUrl ?? '';
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-3',
    DMP_AWS_ENDPOINT: endpoint,
    TABLE_NAME: env.tableName,
    DATA_KEY_ID: env.dataKeyId,
    INBOX_BUCKET: bucket,
    IMPORT_QUEUE_URL: queueUrl,
    LOG_LEVEL: 'SILENT',
  });
  ({ handler } = (await import('../../functions/jobs/claims-import.ts')) as { handler: Handler });
});

const ndjson = (count: number, tag: string): string =>
  `${Array.from({ length: count }, (_, i) => JSON.stringify({ ins: `1${String(850_000_000_000 + i).padStart(12, '0')}`, lines: [{ sourceId: `${tag}-${i}` }] })).join('\n')}\n`;

/** An object dropped in the inbox, and the message S3 would put on the queue for it. */
const drop = async (count: number, tag: string) => {
  const key = `nightly/${tag} ${randomUUID()}.ndjson`;
  const put = await s3.send(new PutObjectCommand({ Bucket: bucket, Key: key, Body: ndjson(count, tag) }));
  const body = JSON.stringify({
    Records: [
      {
        eventVersion: '2.1',
        eventSource: 'aws:s3',
        eventName: 'ObjectCreated:Put',
        s3: {
          bucket: { name: bucket, arn: `arn:aws:s3:::${bucket}` },
          object: { key: encodeURIComponent(key).replace(/%2F/g, '/').replace(/%20/g, '+'), eTag: bareEtag(put.ETag ?? ''), size: 1 },
        },
      },
    ],
  });
  return { key, body };
};
const event = (body: string, messageId: string = randomUUID()): SQSEvent => ({ Records: [{ messageId, body } as SQSEvent['Records'][number]] });
const context = (remainingMs: number): Context => ({ getRemainingTimeInMillis: () => remainingMs }) as Context;
const exists = async (key: string): Promise<boolean> =>
  s3.send(new HeadObjectCommand({ Bucket: bucket, Key: key })).then(
    () => true,
    () => false,
  );

describe('the claims import Lambda', () => {
  it('imports the object a message names, then deletes it', async () => {
    const { key, body } = await drop(700, 'L');
    const before = core.calls.length;
    expect(await handler(event(body), context(600_000))).toEqual({ batchItemFailures: [] });
    expect(core.calls.length - before).toBe(2);
    expect([...core.stored.keys()].filter((k) => k.startsWith('L-'))).toHaveLength(700);
    expect(await exists(key)).toBe(false);
  });

  it('does nothing for S3’s test event', async () => {
    const before = core.calls.length;
    const test = JSON.stringify({ Service: 'Amazon S3', Event: 's3:TestEvent', Time: new Date().toISOString(), Bucket: bucket });
    expect(await handler(event(test), context(600_000))).toEqual({ batchItemFailures: [] });
    expect(core.calls.length).toBe(before);
  });

  it('reports a failed import as its message’s failure, and the next delivery resumes it', async () => {
    const { key, body } = await drop(1200, 'F');
    const before = core.calls.length;
    // The second batch fails.
    const original = core.ingest.bind(core);
    let n = 0;
    core.ingest = async (id, p) => {
      n += 1;
      core.failNext = n === 2;
      return original(id, p);
    };
    try {
      expect(await handler(event(body, 'm-1'), context(600_000))).toEqual({ batchItemFailures: [{ itemIdentifier: 'm-1' }] });
      expect(await exists(key)).toBe(true);
      expect(await handler(event(body, 'm-1'), context(600_000))).toEqual({ batchItemFailures: [] });
    } finally {
      core.ingest = original;
    }
    const ids = core.calls.slice(before);
    // batch 0, batch 1 (failed), batch 1 again under the same id, batch 2.
    expect(ids).toHaveLength(4);
    expect(ids[1]).toBe(ids[2]);
    expect(new Set(ids).size).toBe(3);
    expect([...core.stored.keys()].filter((k) => k.startsWith('F-'))).toHaveLength(1200);
    expect(await exists(key)).toBe(false);
  });

  it('stops at its time budget after a batch, re-sends the notification to the queue, and the next invocation finishes', async () => {
    const { key, body } = await drop(1100, 'T');
    const before = core.calls.length;
    // Less than the margin left: it stops after its first batch.
    expect(await handler(event(body), context(30_000))).toEqual({ batchItemFailures: [] });
    expect(core.calls.length - before).toBe(1);
    expect(await exists(key)).toBe(true);
    const received = await sqs.send(new ReceiveMessageCommand({ QueueUrl: queueUrl, MaxNumberOfMessages: 10, WaitTimeSeconds: 1 }));
    expect(received.Messages?.map((m) => m.Body)).toEqual([body]);
    expect(await handler(event(received.Messages?.[0]?.Body ?? ''), context(600_000))).toEqual({ batchItemFailures: [] });
    expect(core.calls.length - before).toBe(3);
    expect([...core.stored.keys()].filter((k) => k.startsWith('T-'))).toHaveLength(1100);
    expect(await exists(key)).toBe(false);
  });
});

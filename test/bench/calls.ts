/**
 * AWS calls per operation, counted on the runtime's own DynamoDB and KMS clients. Structural
 * targets (not timings): a creation makes exactly one KMS GenerateDataKey and one DynamoDB
 * TransactWriteItems (the idempotency record inside it) and no other write; a read right after
 * creation makes no KMS call (the data key is cached); a read with the cache cleared makes exactly
 * one KMS Decrypt.
 */
import { randomBytes } from 'node:crypto';
import { CallCounter, countOf, formatCalls, type Counts } from './counting.ts';
import { creationBody, expectStatus, type Bench } from './harness.ts';

const DYNAMO_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

export interface CallsRow {
  scenario: string;
  n: number;
  kms: string;
  dynamodb: string;
  attempts: number;
  target: string;
  /** undefined: informative only. */
  ok: boolean | undefined;
  /** Per request, the calls counted. */
  samples: Counts[];
  violations: string[];
}

type Check = (c: Counts) => string[];

const creationCheck: Check = (c) => {
  const v: string[] = [];
  if (countOf(c, 'kms', 'GenerateDataKey') !== 1) v.push(`kms.GenerateDataKey = ${countOf(c, 'kms', 'GenerateDataKey')} (target 1)`);
  if (countOf(c, 'kms') !== countOf(c, 'kms', 'GenerateDataKey')) v.push(`other KMS calls: ${formatCalls(c, 'kms')}`);
  if (countOf(c, 'dynamodb', 'TransactWriteItems') !== 1) v.push(`dynamodb.TransactWriteItems = ${countOf(c, 'dynamodb', 'TransactWriteItems')} (target 1)`);
  const otherWrites = DYNAMO_WRITES.filter((w) => w !== 'TransactWriteItems').reduce((n, w) => n + countOf(c, 'dynamodb', w), 0);
  if (otherWrites > 0) v.push(`${otherWrites} DynamoDB write(s) outside the transaction: ${formatCalls(c, 'dynamodb')}`);
  return v;
};
const cachedReadCheck: Check = (c) => (countOf(c, 'kms') === 0 ? [] : [`${countOf(c, 'kms')} KMS call(s) on a cached read: ${formatCalls(c, 'kms')} (target 0)`]);
const uncachedReadCheck: Check = (c) => {
  const v: string[] = [];
  if (countOf(c, 'kms', 'Decrypt') !== 1) v.push(`kms.Decrypt = ${countOf(c, 'kms', 'Decrypt')} (target 1)`);
  if (countOf(c, 'kms') !== countOf(c, 'kms', 'Decrypt')) v.push(`other KMS calls: ${formatCalls(c, 'kms')}`);
  return v;
};

const summarizeCalls = (samples: Counts[], service: string): string => {
  const distinct = new Map<string, number>();
  for (const s of samples) distinct.set(formatCalls(s, service), (distinct.get(formatCalls(s, service)) ?? 0) + 1);
  if (distinct.size === 1) return [...distinct.keys()][0] as string;
  return [...distinct.entries()].map(([k, n]) => `[${n}/${samples.length}] ${k}`).join(' | ');
};

export interface CallsResult {
  rows: CallsRow[];
  failures: string[];
}

export const measureCalls = async (bench: Bench, perScenario: number): Promise<CallsResult> => {
  const { runtime } = bench;
  const counter = new CallCounter();
  counter.attach('dynamodb', runtime.deps.db);
  counter.attach('kms', runtime.deps.kms);
  const token = await bench.professionalToken();
  const rows: CallsRow[] = [];

  const scenario = async (name: string, target: string, check: Check | undefined, n: number, op: (i: number) => Promise<void>) => {
    const samples: Counts[] = [];
    let attempts = 0;
    for (let i = 0; i < n; i++) {
      counter.reset();
      await op(i);
      const taken = counter.take();
      samples.push(taken.calls);
      attempts += taken.attempts;
    }
    const violations = check ? [...new Set(samples.flatMap((s, i) => check(s).map((v) => `request ${i + 1}: ${v}`)))] : [];
    rows.push({
      scenario: name,
      n,
      kms: summarizeCalls(samples, 'kms'),
      dynamodb: summarizeCalls(samples, 'dynamodb'),
      attempts,
      target,
      ok: check ? violations.length === 0 : undefined,
      samples,
      violations,
    });
  };

  const create = async (headers: Record<string, string> = {}, body = creationBody()) =>
    expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token, body, headers }), 201).body.dmpId as string;

  const created: string[] = [];
  await scenario('warm-up creation (first of the process)', 'loads the keyed-hash secret once', undefined, 1, async () => {
    created.push(await create());
  });
  await scenario('(a) POST /v1/records', '1 GenerateDataKey, 1 TransactWriteItems, no other write', creationCheck, perScenario, async () => {
    created.push(await create());
  });
  let replay: { key: string; body: ReturnType<typeof creationBody> } | undefined;
  await scenario('(a) POST /v1/records + Idempotency-Key', '1 GenerateDataKey, 1 TransactWriteItems, no other write', creationCheck, perScenario, async () => {
    const key = randomBytes(16).toString('base64url');
    const body = creationBody();
    created.push(await create({ 'idempotency-key': key }, body));
    replay = { key, body };
  });
  await scenario('    same Idempotency-Key again (replay)', 'informative', undefined, 1, async () => {
    if (!replay) throw new Error('no creation to replay');
    const res = expectStatus('replayed POST /v1/records', await bench.call('POST', '/v1/records', { token, body: replay.body, headers: { 'idempotency-key': replay.key } }), 201);
    if (res.body.dmpId !== created[created.length - 1]) throw new Error('the replay answered another dmpId than the first response');
  });
  const recent = created.slice(-perScenario);
  await scenario('(b) GET /v1/records/{dmpId}, key cached', '0 KMS calls', cachedReadCheck, recent.length, async (i) => {
    expectStatus('GET /v1/records/{dmpId}', await bench.call('GET', `/v1/records/${recent[i]}`, { token }), 200);
  });
  await scenario('(c) same GET after keyRing.forget(dmpId)', 'exactly 1 KMS Decrypt', uncachedReadCheck, recent.length, async (i) => {
    runtime.deps.keyRing.forget(recent[i] as string);
    expectStatus('GET /v1/records/{dmpId} (key evicted)', await bench.call('GET', `/v1/records/${recent[i]}`, { token }), 200);
  });

  const failures = rows.flatMap((r) => r.violations.map((v) => `${r.scenario.trim()}: ${v}`));
  return { rows, failures };
};

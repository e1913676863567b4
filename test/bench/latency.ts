/**
 * Latency through the local runtime over real HTTP, beside a bare DynamoDB GetItem on the same
 * emulator with the same client configuration, all measured in the same interleaved rounds so
 * that the ratios hold on a shared machine.
 */
import { DeleteTableCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../bin/local-aws.ts';
import { hashPassword } from '#adapters/passwords';
import { dynamoClient } from '#adapters/aws';
import { keys } from '#adapters/table';
import type { CallCounter } from './counting.ts';
import { round, summarize, type Summary } from './report.ts';
import { creationBody, expectStatus, type Bench } from './harness.ts';

export interface LatencyRow {
  name: string;
  note: string;
  summary: Summary;
  /** Median over the bare GetItem median. */
  ratio: number;
  /** Per request, the summed durations of the runtime's AWS calls (emulator round trips). */
  awsMs: Summary | undefined;
  samples: number[];
}

export interface LatencyResult {
  warmupRounds: number;
  rows: LatencyRow[];
  baseline: Summary;
}

/**
 * moto's TransactWriteItems deep-copies the table once per item of the transaction (to roll back),
 * stream records included, and a table's stream only grows (deletes add records too): a creation's
 * transaction takes ~10 ms on a new table and ~500 ms after a hundred creations. So between rounds
 * (untimed) the table is dropped and created again, empty, under the same name: every round meets
 * the same fresh table and the figures do not depend on how long the run was. The runtime keeps
 * its keyed-hash secret in memory, so it does not miss the secret's item.
 */
const recreateTable = async (db: DynamoDBClient, table: string): Promise<void> => {
  await db.send(new DeleteTableCommand({ TableName: table }));
  await ensureTable(db, table);
};

const timed = async (op: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
};

export const measureLatency = async (bench: Bench, counter: CallCounter, rounds: number, warmupRounds: number): Promise<LatencyResult> => {
  const { runtime } = bench;
  const token = await bench.professionalToken();
  const bare = dynamoClient(runtime.config);
  try {
    const names = ['post', 'get', 'getItem', 'jwks', 'scrypt'] as const;
    const samples: Record<(typeof names)[number], number[]> = { post: [], get: [], getItem: [], jwks: [], scrypt: [] };
    const awsMs: Record<'post' | 'get', number[]> = { post: [], get: [] };
    let last: string | undefined;
    const ops: Record<(typeof names)[number], () => Promise<unknown>> = {
      post: async () => {
        const res = await bench.call('POST', '/v1/records', { token, body: creationBody() });
        last = expectStatus('POST /v1/records', res, 201).body.dmpId as string;
      },
      get: async () => expectStatus('GET /v1/records/{dmpId}', await bench.call('GET', `/v1/records/${last}`, { token }), 200),
      getItem: async () => {
        const k = keys.record(last as string);
        const out = await bare.send(new GetItemCommand({ TableName: runtime.config.tableName, Key: { pk: { S: k.pk }, sk: { S: k.sk } }, ConsistentRead: true }));
        if (!out.Item) throw new Error('bare GetItem found no item');
      },
      jwks: async () => expectStatus('GET /_local/jwks.json', await bench.call('GET', '/_local/jwks.json'), 200),
      scrypt: () => hashPassword('Bench-provisional-1234'),
    };
    await recreateTable(bare, runtime.config.tableName);
    for (let r = 0; r < warmupRounds + rounds; r++) {
      // The POST first (the GET reads what it created); the others in an order that rotates.
      const rest = names.filter((n) => n !== 'post');
      const rotated = [...rest.slice(r % rest.length), ...rest.slice(0, r % rest.length)];
      for (const name of ['post' as const, ...rotated]) {
        counter.reset();
        const elapsed = await timed(ops[name]);
        const aws = counter.take().callMs;
        if (r < warmupRounds) continue;
        samples[name].push(elapsed);
        if (name === 'post' || name === 'get') awsMs[name].push(aws);
      }
      await recreateTable(bare, runtime.config.tableName);
    }
    const baseline = summarize(samples.getItem);
    const row = (name: string, note: string, xs: number[], aws?: number[]): LatencyRow => {
      const summary = summarize(xs);
      return { name, note, summary, ratio: summary.median / baseline.median, awsMs: aws ? summarize(aws) : undefined, samples: xs.map((x) => round(x, 1)) };
    };
    return {
      warmupRounds,
      baseline,
      rows: [
        row('POST /v1/records', 'HTTP; fresh INS; includes scrypt N=2^15 of the provisional password', samples.post, awsMs.post),
        row('GET /v1/records/{dmpId}', 'HTTP; by the creating professional; data key cached', samples.get, awsMs.get),
        row('DynamoDB GetItem (bare)', 'SDK → emulator, same client config; the baseline', samples.getItem),
        row('GET /_local/jwks.json', 'HTTP to the local runtime, no AWS call: the HTTP floor', samples.jwks),
        row('scrypt hashPassword (in-process)', 'N=2^15, r=8, p=1: the deliberate cost inside each POST', samples.scrypt),
      ],
    };
  } finally {
    bare.destroy();
  }
};

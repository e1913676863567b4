/**
 * Reading the reimbursed-care history (section `claims-read`), through the local runtime over real
 * HTTP, by the attending physician who created the record: GET …/claims (one page of 50 lines) and
 * GET …/medication-review (200 medication lines dispensed in the last 90 days, the alert rules
 * run), beside a bare DynamoDB GetItem of the record's META item on the same emulator, all timed in
 * the same interleaved rounds so that the ratios hold on a shared machine. Data keys are cached
 * (after the first round, which is a warm-up).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../../functions/adapters/aws.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { batchId, daysAgo, labLine, medicationLine } from '../support/claims.ts';
import { type Bench, creationBody, expectStatus } from './harness.ts';
import { summarize, type Summary } from './report.ts';

export interface ClaimsReadRow {
  name: string;
  summary: Summary;
  /** Median over the bare GetItem's median. */
  ratio: number;
}

export interface ClaimsReadResult {
  rounds: number;
  baseline: Summary;
  rows: ClaimsReadRow[];
}

/** Medicines of a few ATC classes, so that the rules have something to weigh. */
const ATC = ['N02BE01', 'M01AE01', 'C09AA05', 'C03CA01', 'B01AA03', 'N05BA12', 'A02BC01', 'C10AA05'];

const timed = async (op: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
};

export const measureClaimsReads = async (bench: Bench, rounds: number, warmupRounds = 2): Promise<ClaimsReadResult> => {
  const doctor = await bench.professionalToken();
  const insurer = expectStatus('POST /_local/tokens (insurer)', await bench.call('POST', '/_local/tokens', { body: { kind: 'insurer', clientId: 'bench-claims-sync' } }), 200).body
    .accessToken as string;
  const body = creationBody();
  const dmpId = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token: doctor, body }), 201).body.dmpId as string;
  // 50 lines of care over the last months, and 200 medicines dispensed within 90 days.
  const care = Array.from({ length: 50 }, (_, i) => labLine({ date: daysAgo(100 + i * 5) }));
  const medicines = Array.from({ length: 200 }, (_, i) =>
    medicationLine({ date: daysAgo(1 + (i % 88)), atcValence: ATC[i % ATC.length], activeComponents: [String(1000 + (i % 40))] }),
  );
  for (const lines of [care, medicines.slice(0, 100), medicines.slice(100)]) {
    const pushed = await bench.call('POST', '/v1/claims/batches', { token: insurer, body: { batchId: batchId(), patients: [{ ins: body.ins, lines }] } });
    expectStatus('POST /v1/claims/batches', pushed, 200);
    if (pushed.body.lines.accepted !== lines.length) throw new Error(`claims bench: ${JSON.stringify(pushed.body.lines)} of ${lines.length} lines`);
  }

  const bare = dynamoClient(bench.runtime.config);
  const ops = {
    getItem: async () => {
      const out = await bare.send(new GetItemCommand({ TableName: bench.runtime.config.tableName, Key: keyItem(keys.record(dmpId)), ConsistentRead: true }));
      if (!out.Item) throw new Error('bare GetItem found no item');
    },
    claims: async () => {
      const res = expectStatus('GET …/claims', await bench.call('GET', `/v1/records/${dmpId}/claims?limit=50`, { token: doctor }), 200);
      if (res.body.items.length !== 50) throw new Error(`claims bench: a page of ${res.body.items.length} lines, not 50`);
    },
    review: async () => {
      const res = expectStatus('GET …/medication-review', await bench.call('GET', `/v1/records/${dmpId}/medication-review`, { token: doctor }), 200);
      if (!Array.isArray(res.body.alerts)) throw new Error('claims bench: the review has no alerts list');
    },
  } as const;
  const names = Object.keys(ops) as (keyof typeof ops)[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<keyof typeof ops, number[]>;
  try {
    for (let r = 0; r < warmupRounds + rounds; r++) {
      // The order rotates from round to round, so that no operation always follows the same one.
      const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)];
      for (const name of order) {
        const ms = await timed(ops[name]);
        if (r >= warmupRounds) samples[name].push(ms);
      }
    }
  } finally {
    bare.destroy();
  }
  const baseline = summarize(samples.getItem);
  const row = (name: string, key: keyof typeof ops): ClaimsReadRow => {
    const summary = summarize(samples[key]);
    return { name, summary, ratio: summary.median / baseline.median };
  };
  return {
    rounds,
    baseline,
    rows: [row('GET /v1/records/{dmpId}/claims?limit=50 (50 lines)', 'claims'), row('GET /v1/records/{dmpId}/medication-review (200 lines in 90 days)', 'review')],
  };
};

/**
 * Latency through the local runtime over real HTTP, beside a bare DynamoDB GetItem on the same
 * emulator with the same client configuration, all measured in the same interleaved rounds so
 * that the ratios hold on a shared machine. The patient's path (password, SMS code, session, read)
 * is timed on its three API calls only: reading the code from the emulator's SMS record between
 * login and verify is the phone's part, not the API's.
 */
import { DeleteTableCommand, GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { ensureTable } from '../../bin/local-aws.ts';
import { hashPassword } from '#adapters/passwords';
import { dynamoClient } from '#adapters/aws';
import { keyItem, keys } from '#adapters/table';
import type { CallCounter } from './counting.ts';
import { round, summarize, type Summary } from './report.ts';
import { activatePatient, creationBody, expectStatus, lastSmsCode, patientLogin, patientVerify, type Bench, type Holder } from './harness.ts';

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
    const keysOf = ['post', 'get', 'getItem', 'jwks', 'scrypt', 'patientPath', 'patientLogin', 'patientVerify', 'patientGet'] as const;
    type Key = (typeof keysOf)[number];
    const samples = Object.fromEntries(keysOf.map((k) => [k, [] as number[]])) as Record<Key, number[]>;
    const awsMs = Object.fromEntries(keysOf.map((k) => [k, [] as number[]])) as Record<Key, number[]>;
    let warm = true;
    /** Times one operation and sums the durations of the runtime's AWS calls it caused. */
    const measure = async (op: () => Promise<unknown>): Promise<{ ms: number; aws: number }> => {
      counter.reset();
      const ms = await timed(op);
      return { ms, aws: counter.take().callMs };
    };
    const keep = (key: Key, m: { ms: number; aws: number }) => {
      if (warm) return;
      samples[key].push(m.ms);
      awsMs[key].push(m.aws);
    };

    let last: string | undefined;
    let holder: Holder | undefined;
    let session: string | undefined;
    const simple: Record<'post' | 'get' | 'getItem' | 'jwks' | 'scrypt' | 'patientGet', () => Promise<unknown>> = {
      post: async () => {
        const body = creationBody();
        const res = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token, body }), 201);
        last = res.body.dmpId as string;
        holder = { dmpId: last, loginId: res.body.credentials.loginId, password: res.body.credentials.provisionalPassword, mobile: body.contact.mobile };
      },
      get: async () => expectStatus('GET /v1/records/{dmpId}', await bench.call('GET', `/v1/records/${last}`, { token }), 200),
      getItem: async () => {
        const k = keys.record(last as string);
        const out = await bare.send(new GetItemCommand({ TableName: runtime.config.tableName, Key: keyItem(k), ConsistentRead: true }));
        if (!out.Item) throw new Error('bare GetItem found no item');
      },
      jwks: async () => expectStatus('GET /_local/jwks.json', await bench.call('GET', '/_local/jwks.json'), 200),
      scrypt: () => hashPassword('Bench-provisional-1234'),
      patientGet: async () => expectStatus('GET /v1/records/{dmpId} (patient session)', await bench.call('GET', `/v1/records/${last}`, { token: session }), 200),
    };
    /** login (timed) · the code from the SMS record (untimed) · verify (timed) · GET the record (timed). */
    const patientPath = async (): Promise<void> => {
      const h = holder as Holder;
      let challengeId = '';
      const login = await measure(async () => (challengeId = await patientLogin(bench, h)));
      const code = await lastSmsCode(bench, h.mobile);
      let opened: { accessToken: string; mustChangePassword: boolean } | undefined;
      const verify = await measure(async () => (opened = await patientVerify(bench, challengeId, code)));
      if (!opened || opened.mustChangePassword) throw new Error('the patient session still asks for a password change');
      session = opened.accessToken;
      const read = await measure(simple.patientGet);
      keep('patientLogin', login);
      keep('patientVerify', verify);
      keep('patientPath', { ms: login.ms + verify.ms + read.ms, aws: login.aws + verify.aws + read.aws });
    };

    await recreateTable(bare, runtime.config.tableName);
    for (let r = 0; r < warmupRounds + rounds; r++) {
      warm = r < warmupRounds;
      // The POST first (the GETs read what it created), then, untimed, the patient's first session
      // and the password change it is limited to, then the patient's path (its session serves the
      // patient GET); the others in an order that rotates.
      keep('post', await measure(simple.post));
      holder = await activatePatient(bench, holder as Holder);
      await patientPath();
      const rest = ['get', 'getItem', 'jwks', 'scrypt', 'patientGet'] as const;
      const rotated = [...rest.slice(r % rest.length), ...rest.slice(0, r % rest.length)];
      for (const name of rotated) keep(name, await measure(simple[name]));
      await recreateTable(bare, runtime.config.tableName);
    }
    const baseline = summarize(samples.getItem);
    const row = (name: string, note: string, key: Key, withAws = true): LatencyRow => {
      const xs = samples[key];
      const summary = summarize(xs);
      return { name, note, summary, ratio: summary.median / baseline.median, awsMs: withAws ? summarize(awsMs[key]) : undefined, samples: xs.map((x) => round(x, 1)) };
    };
    return {
      warmupRounds,
      baseline,
      rows: [
        row('POST /v1/records', 'HTTP; fresh INS; includes scrypt N=2^15 of the provisional password', 'post'),
        row('GET /v1/records/{dmpId}', 'HTTP; by the creating professional; data key cached', 'get'),
        row(
          'patient login + verify + GET /v1/records/{dmpId}',
          'HTTP; the 3 API calls only (SMS code lookup excluded); login = one scrypt password check (N=2^15, deliberately slow: the scrypt row is its cost here) + SNS Publish; verify = one KMS Sign; data key cached',
          'patientPath',
        ),
        row('  of which POST /v1/auth/patient/login', 'scrypt check of the password (deliberate) + the code by SMS (SNS Publish)', 'patientLogin'),
        row('  of which POST /v1/auth/patient/verify', 'one KMS Sign (the ES256 session token)', 'patientVerify'),
        row('GET /v1/records/{dmpId}, patient session', 'HTTP; session verified with the cached public key (no KMS); data key cached', 'patientGet'),
        row('DynamoDB GetItem (bare)', 'SDK → emulator, same client config; the baseline', 'getItem', false),
        row('GET /_local/jwks.json', 'HTTP to the local runtime, no AWS call: the HTTP floor', 'jwks', false),
        row('scrypt hashPassword (in-process)', 'N=2^15, r=8, p=1: the deliberate cost inside each POST and each patient login', 'scrypt', false),
      ],
    };
  } finally {
    bare.destroy();
  }
};

/**
 * Recording measurements (section `measurements`), through the local runtime over real HTTP: a
 * paired device's POST …/measurements of 100 new values, and the same batch sent again (100
 * duplicates, none written), beside a bare BatchWriteItem of 100 items of a sealed measurement's
 * size (4 calls of 25, side by side, as the store sends them) on the same emulator, all timed in
 * the same interleaved rounds so that the ratios hold on a shared machine. Each round writes to a
 * record of its own (created, its patient's session opened and a device paired, untimed): moto
 * reads a whole partition on every Query, where DynamoDB reads only what it returns, so a partition
 * growing round after round would slow the record's own Query there and nowhere else. The AWS
 * calls of each request are counted on the runtime's clients (as the calls section counts them).
 */
import { randomBytes } from 'node:crypto';
import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../../functions/adapters/aws.ts';
import type { CallCounter, Counts } from './counting.ts';
import { formatCalls } from './counting.ts';
import { activatePatient, createPatient, expectStatus, lastSmsCode, patientLogin, patientVerify, type Bench } from './harness.ts';
import { summarize, type Summary } from './report.ts';

export const BATCH = 100;

export interface MeasurementsRow {
  name: string;
  summary: Summary;
  /** Median over the bare BatchWriteItem's median. */
  ratio: number;
  /** Summed durations of the runtime's AWS calls per request (side-by-side calls overlap). */
  awsMs: Summary;
  /** AWS calls of one request, as counted (distinct patterns with their share of the rounds). */
  dynamodb: string;
  kms: string;
}

export interface MeasurementsResult {
  rounds: number;
  warmupRounds: number;
  itemBytes: number;
  baseline: Summary;
  baselineCalls: string;
  rows: MeasurementsRow[];
}

const timed = async (op: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
};

/** 100 measurements of a device, one a minute back from `now`: weights, heart rates, blood pressures, step counts in turn. */
const batchOf = (now: number) =>
  Array.from({ length: BATCH }, (_, i) => {
    const effectiveAt = new Date(now - (i + 1) * 60_000).toISOString();
    switch (i % 4) {
      case 0:
        return { code: '29463-7', unit: 'kg', value: 70 + (i % 10) / 10, effectiveAt };
      case 1:
        return { code: '8867-4', unit: '/min', value: 60 + (i % 30), effectiveAt };
      case 2:
        return {
          code: '85354-9',
          unit: 'mm[Hg]',
          components: [
            { code: '8480-6', value: 110 + (i % 30) },
            { code: '8462-4', value: 70 + (i % 15) },
          ],
          effectiveAt,
        };
      default:
        return { code: '41950-7', unit: '/(24.h)', value: 1000 * i, effectiveAt };
    }
  });

/** The size of a sealed measurement as the store writes it: its JSON with source, author and recording instant, plus the seal's 31 bytes. */
const sealedBytes = (): number => {
  const m = { ...batchOf(Date.now())[2], source: 'device', author: { kind: 'device', id: 'a'.repeat(20) }, deviceId: 'a'.repeat(20), recordedAt: new Date().toISOString() };
  return Buffer.byteLength(JSON.stringify(m)) + 31;
};

const distinct = (samples: Counts[], service: string): string => {
  const seen = new Map<string, number>();
  for (const s of samples) seen.set(formatCalls(s, service), (seen.get(formatCalls(s, service)) ?? 0) + 1);
  if (seen.size === 1) return [...seen.keys()][0] as string;
  return [...seen.entries()].map(([k, n]) => `[${n}/${samples.length}] ${k}`).join(' | ');
};

/** A new record whose patient paired a device: the record and the device's credential (all untimed). */
const recordWithDevice = async (bench: Bench, doctor: string): Promise<{ dmpId: string; credential: string }> => {
  const holder = await activatePatient(bench, await createPatient(bench, doctor));
  const challengeId = await patientLogin(bench, holder);
  const session = await patientVerify(bench, challengeId, await lastSmsCode(bench, holder.mobile));
  const paired = expectStatus(
    'POST …/devices',
    await bench.call('POST', `/v1/records/${holder.dmpId}/devices`, { token: session.accessToken, body: { name: 'Banc de mesures' } }),
    201,
  );
  return { dmpId: holder.dmpId, credential: paired.body.credential as string };
};

export const measureMeasurementWrites = async (
  bench: Bench,
  counter: CallCounter,
  rounds: number,
  warmupRounds: number,
  progress: (text: string) => void,
): Promise<MeasurementsResult> => {
  const doctor = await bench.professionalToken();
  const table = bench.runtime.config.tableName;
  const itemBytes = sealedBytes();
  const bare = dynamoClient(bench.runtime.config);
  const samples = { bare: [] as number[], fresh: [] as number[], resent: [] as number[] };
  const calls = { fresh: [] as Counts[], resent: [] as Counts[] };
  const awsMs = { fresh: [] as number[], resent: [] as number[] };
  try {
    for (let r = 0; r < warmupRounds + rounds; r++) {
      if (r % 5 === 0) progress(`measurements: round ${r + 1}/${warmupRounds + rounds}`);
      const { dmpId, credential } = await recordWithDevice(bench, doctor);
      const body = { measurements: batchOf(Date.now()) };
      // The same keys' shape and a sealed measurement's size, in a partition of the round's own.
      const requests: WriteRequest[] = Array.from({ length: BATCH }, (_, i) => ({
        PutRequest: {
          Item: {
            pk: { S: `BENCHMEAS#${dmpId}` },
            sk: { S: `OBS#${'c'.repeat(16)}#${body.measurements[i]?.effectiveAt}#${randomBytes(12).toString('base64url')}` },
            measurement: { B: randomBytes(itemBytes) },
          },
        },
      }));
      const bareWrite = async () => {
        const chunks = [0, 25, 50, 75].map((start) => requests.slice(start, start + 25));
        await Promise.all(
          chunks.map(async (chunk) => {
            const out = await bare.send(new BatchWriteItemCommand({ RequestItems: { [table]: chunk } }));
            if ((out.UnprocessedItems?.[table]?.length ?? 0) > 0) throw new Error('bare BatchWriteItem left items unprocessed');
          }),
        );
      };
      const post = async (expected: { stored: number; duplicate: number }) => {
        const res = expectStatus('POST …/measurements', await bench.call('POST', `/v1/records/${dmpId}/measurements`, { token: credential, body }), 200);
        if (res.body.stored !== expected.stored || res.body.duplicate !== expected.duplicate) {
          throw new Error(`measurements bench: ${JSON.stringify(res.body)}, expected ${JSON.stringify(expected)}`);
        }
      };
      // The bare write first on even rounds, the API's first on odd ones; the re-send always
      // follows the first send (it is the same batch again).
      const order: ('bare' | 'api')[] = r % 2 === 0 ? ['bare', 'api'] : ['api', 'bare'];
      for (const step of order) {
        if (step === 'bare') {
          const ms = await timed(bareWrite);
          if (r >= warmupRounds) samples.bare.push(ms);
          continue;
        }
        counter.reset();
        const fresh = await timed(() => post({ stored: BATCH, duplicate: 0 }));
        const freshCalls = counter.take();
        const resent = await timed(() => post({ stored: 0, duplicate: BATCH }));
        const resentCalls = counter.take();
        if (r >= warmupRounds) {
          samples.fresh.push(fresh);
          samples.resent.push(resent);
          calls.fresh.push(freshCalls.calls);
          calls.resent.push(resentCalls.calls);
          awsMs.fresh.push(freshCalls.callMs);
          awsMs.resent.push(resentCalls.callMs);
        }
      }
    }
  } finally {
    bare.destroy();
  }
  const baseline = summarize(samples.bare);
  const row = (name: string, key: 'fresh' | 'resent'): MeasurementsRow => {
    const summary = summarize(samples[key]);
    return {
      name,
      summary,
      ratio: summary.median / baseline.median,
      awsMs: summarize(awsMs[key]),
      dynamodb: distinct(calls[key], 'dynamodb'),
      kms: distinct(calls[key], 'kms'),
    };
  };
  return {
    rounds,
    warmupRounds,
    itemBytes,
    baseline,
    baselineCalls: '4× BatchWriteItem (25 items each, side by side)',
    rows: [row(`POST …/measurements, ${BATCH} new values (a device)`, 'fresh'), row(`the same batch again (${BATCH} duplicates)`, 'resent')],
  };
};

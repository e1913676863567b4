/**
 * The emergency summary (section `emergency`), through the local runtime over real HTTP, by the
 * doctor who created the record: GET …/emergency-summary on a full record — a health profile, 20
 * vaccinations, 200 lines of the reimbursement history and 50 documents — beside a bare DynamoDB
 * GetItem of the record's META item on the same emulator, timed in the same interleaved rounds.
 * The AWS calls of one summary are counted on the runtime's clients: with the data key cached, no
 * KMS call, and a number of DynamoDB calls that does not grow with the entries (no read per entry).
 */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../../functions/adapters/aws.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { batchId, daysAgo, labLine, medicationLine } from '../support/claims.ts';
import type { CallCounter, Counts } from './counting.ts';
import { countOf } from './counting.ts';
import { activatePatient, type Bench, creationBody, expectStatus, lastSmsCode, patientLogin, patientVerify } from './harness.ts';
import { summarize, type Summary } from './report.ts';

export interface EmergencyResult {
  rounds: number;
  baseline: Summary;
  summary: Summary;
  /** Median over the bare GetItem's median. */
  ratio: number;
  /** The AWS calls of one summary, key cached. */
  calls: Counts;
  /** What the record held. */
  record: { documents: number; claimLines: number; vaccinations: number };
  failures: string[];
}

const ATC = ['N02BE01', 'M01AE01', 'C09AA05', 'C03CA01', 'B01AA03', 'N05BA12', 'A02BC01', 'C10AA05'];
/** The document types a record of a chronic patient gathers; the newest summary and discharge letter are among them. */
const TYPES = ['11502-2', '11488-4', '18748-4', '57833-6', '60591-5', '11490-0'];

const timed = async (op: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
};

/** The most DynamoDB calls one summary may make, whatever the record holds: the record, the standing, each part's Query, the mask, the trace. */
export const MAX_SUMMARY_DYNAMODB_CALLS = 10;

export const measureEmergencySummary = async (bench: Bench, counter: CallCounter, rounds: number, warmupRounds = 2): Promise<EmergencyResult> => {
  const doctor = await bench.professionalToken();
  const insurer = expectStatus('POST /_local/tokens (insurer)', await bench.call('POST', '/_local/tokens', { body: { kind: 'insurer', clientId: 'bench-emergency-sync' } }), 200)
    .body.accessToken as string;
  const body = creationBody();
  const created = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token: doctor, body }), 201).body;
  const dmpId = created.dmpId as string;

  // 200 lines: 150 medicines over 90 days, 50 lab tests before.
  const medicines = Array.from({ length: 150 }, (_, i) =>
    medicationLine({ date: daysAgo(1 + (i % 88)), atcValence: ATC[i % ATC.length], activeComponents: [String(1000 + (i % 30))] }),
  );
  const care = Array.from({ length: 50 }, (_, i) => labLine({ date: daysAgo(100 + i * 5) }));
  for (const lines of [medicines.slice(0, 100), [...medicines.slice(100), ...care]]) {
    const pushed = expectStatus(
      'POST /v1/claims/batches',
      await bench.call('POST', '/v1/claims/batches', { token: insurer, body: { batchId: batchId(), patients: [{ ins: body.ins, lines }] } }),
      200,
    );
    if (pushed.body.lines.accepted !== lines.length) throw new Error(`emergency bench: ${JSON.stringify(pushed.body.lines)} of ${lines.length} lines`);
  }
  // 50 documents, oldest first (the newest summary and letter among the last ones).
  for (let i = 0; i < 50; i++) {
    const typeCode = TYPES[i % TYPES.length] ?? '11502-2';
    const doc = { typeCode, title: `Document ${i}`, serviceDate: daysAgo(400 - i * 7), contentType: 'text/plain', content: Buffer.from(`compte rendu ${i}`).toString('base64') };
    expectStatus('POST …/documents', await bench.call('POST', `/v1/records/${dmpId}/documents`, { token: doctor, body: doc }), 201);
  }

  // 20 vaccinations recorded by the doctor, over twenty years.
  const VACCINES = ['J07CA01', 'J07BB02', 'J07BC01', 'J07AM51'];
  for (let i = 0; i < 20; i++) {
    const vaccine = { name: `Vaccin ${i}`, codeSystem: 'ATC_VALENCE', code: VACCINES[i % VACCINES.length] };
    const body = { date: daysAgo(30 + i * 365), vaccine, lotNumber: `LOT-${i}`, doseNumber: 1 };
    expectStatus('POST …/vaccinations', await bench.call('POST', `/v1/records/${dmpId}/vaccinations`, { token: doctor, body }), 201);
  }
  // A full profile, written by the patient on the version read.
  const holder = await activatePatient(bench, { dmpId, loginId: created.credentials.loginId, password: created.credentials.provisionalPassword, mobile: body.contact.mobile });
  const session = (await patientVerify(bench, await patientLogin(bench, holder), await lastSmsCode(bench, holder.mobile))).accessToken;
  const current = expectStatus('GET …/profile', await bench.call('GET', `/v1/records/${dmpId}/profile`, { token: session }), 200);
  const profile = {
    bloodGroup: { abo: 'O', rh: '+' },
    height: { cm: 172 },
    weight: { kg: 70 },
    allergies: Array.from({ length: 5 }, (_, i) => ({ substance: `allergène ${i}`, category: 'medication', reaction: 'urticaire', criticality: 'high' })),
    conditions: Array.from({ length: 5 }, (_, i) => ({ text: `antécédent ${i}`, since: daysAgo(3000 + i) })),
    treatments: Array.from({ length: 5 }, (_, i) => ({ medication: `traitement ${i}`, dosage: '1 cp/j' })),
  };
  expectStatus(
    'PUT …/profile',
    await bench.call('PUT', `/v1/records/${dmpId}/profile`, { token: session, body: profile, headers: { 'If-Match': `"v${current.body.version}"` } }),
    200,
  );

  const bare = dynamoClient(bench.runtime.config);
  const failures: string[] = [];
  let calls: Counts = {};
  const ops = {
    getItem: async () => {
      const out = await bare.send(new GetItemCommand({ TableName: bench.runtime.config.tableName, Key: keyItem(keys.record(dmpId)), ConsistentRead: true }));
      if (!out.Item) throw new Error('bare GetItem found no item');
    },
    summary: async () => {
      const res = expectStatus('GET …/emergency-summary', await bench.call('GET', `/v1/records/${dmpId}/emergency-summary`, { token: doctor }), 200);
      if (!res.body.documents?.latestSummary || !res.body.treatments?.dispensed?.length || !res.body.profile?.bloodGroup)
        throw new Error('emergency bench: the summary misses a part');
    },
  } as const;
  const names = Object.keys(ops) as (keyof typeof ops)[];
  const samples = Object.fromEntries(names.map((n) => [n, [] as number[]])) as Record<keyof typeof ops, number[]>;
  try {
    for (let r = 0; r < warmupRounds + rounds; r++) {
      const order = [...names.slice(r % names.length), ...names.slice(0, r % names.length)];
      for (const name of order) {
        if (name === 'summary' && r === warmupRounds) counter.reset();
        const ms = await timed(ops[name]);
        if (name === 'summary' && r === warmupRounds) calls = counter.take().calls;
        if (r >= warmupRounds) samples[name].push(ms);
      }
    }
  } finally {
    bare.destroy();
  }
  if (countOf(calls, 'kms') !== 0) failures.push(`emergency summary: ${countOf(calls, 'kms')} KMS calls with the key cached (target 0)`);
  if (countOf(calls, 'dynamodb') > MAX_SUMMARY_DYNAMODB_CALLS)
    failures.push(`emergency summary: ${countOf(calls, 'dynamodb')} DynamoDB calls (target ≤ ${MAX_SUMMARY_DYNAMODB_CALLS})`);
  const baseline = summarize(samples.getItem);
  const summary = summarize(samples.summary);
  return { rounds, baseline, summary, ratio: summary.median / baseline.median, calls, record: { documents: 50, claimLines: 200, vaccinations: 20 }, failures };
};

/**
 * AWS calls per operation, counted on the runtime's own DynamoDB and KMS clients. Structural
 * targets (not timings): a creation makes exactly one KMS GenerateDataKey and one DynamoDB
 * TransactWriteItems (the idempotency record inside it) and no other write; a read right after
 * creation makes no KMS call (the data key is cached); a read with the cache cleared makes exactly
 * one KMS Decrypt. Patients: a login (password, then the SMS code) makes exactly one KMS call, the
 * session's Sign, when the record's data key is cached, and one Sign plus at most one Decrypt (the
 * record's sealed mobile, to send the code) when it is not; a request with the session then makes
 * no KMS call at all (the session key's public half is cached: no GetPublicKey, no Verify).
 */
import { randomBytes } from 'node:crypto';
import { CallCounter, countOf, formatCalls, type Counts } from './counting.ts';
import { activatePatient, createPatient, creationBody, expectStatus, lastSmsCode, patientLogin, patientVerify, type Bench, type Holder } from './harness.ts';

const DYNAMO_WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];

export interface CallsRow {
  scenario: string;
  n: number;
  kms: string;
  dynamodb: string;
  sns: string;
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

/** Login + verify: the session's Sign and nothing else from KMS. */
const cachedLoginCheck: Check = (c) => {
  const v: string[] = [];
  if (countOf(c, 'kms', 'Sign') !== 1) v.push(`kms.Sign = ${countOf(c, 'kms', 'Sign')} (target 1)`);
  if (countOf(c, 'kms') !== countOf(c, 'kms', 'Sign')) v.push(`other KMS calls: ${formatCalls(c, 'kms')} (target: the Sign only)`);
  return v;
};
/** Login + verify with the data key evicted: the Sign, and the Decrypt that opens the sealed mobile at most. */
const uncachedLoginCheck: Check = (c) => {
  const v: string[] = [];
  if (countOf(c, 'kms', 'Sign') !== 1) v.push(`kms.Sign = ${countOf(c, 'kms', 'Sign')} (target 1)`);
  if (countOf(c, 'kms', 'Decrypt') > 1) v.push(`kms.Decrypt = ${countOf(c, 'kms', 'Decrypt')} (target ≤ 1)`);
  const others = countOf(c, 'kms') - countOf(c, 'kms', 'Sign') - countOf(c, 'kms', 'Decrypt');
  if (others > 0) v.push(`other KMS calls: ${formatCalls(c, 'kms')} (target: 1 Sign + at most 1 Decrypt)`);
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

interface Scenario {
  name: string;
  target: string;
  check: Check | undefined;
  samples: Counts[];
  attempts: number;
}

/** Counts on the runtime's own clients; attach once per runtime. */
export const countRuntimeCalls = (bench: Bench): CallCounter => {
  const counter = new CallCounter();
  counter.attach('dynamodb', bench.runtime.deps.db);
  counter.attach('kms', bench.runtime.deps.kms);
  counter.attach('sns', bench.runtime.sns);
  return counter;
};

export const measureCalls = async (bench: Bench, counter: CallCounter, perScenario: number): Promise<CallsResult> => {
  const { runtime } = bench;
  const token = await bench.professionalToken();

  const scenario = (name: string, target: string, check?: Check): Scenario => ({ name, target, check, samples: [], attempts: 0 });
  const warmup = scenario('warm-up POST (first of the process)', 'info: first use of the keyed-hash secret (created: new table)');
  const plain = scenario('(a) POST /v1/records', '1 GenerateDataKey, 1 TransactWriteItems, no other write', creationCheck);
  const keyed = scenario('(a) POST /v1/records + Idempotency-Key', '1 GenerateDataKey, 1 TransactWriteItems, no other write', creationCheck);
  const replayed = scenario('    same key and body again (replay)', 'info');
  const cached = scenario('(b) GET /v1/records/{id} right after', '0 KMS calls', cachedReadCheck);
  const evicted = scenario('(c) same GET, keyRing.forget(id) first', '1 KMS Decrypt, no other KMS call', uncachedReadCheck);
  const firstSession = scenario(
    'warm-up: first patient session of the process',
    'info: login + verify + POST /v1/auth/patient/password (provisional password; first GetPublicKey)',
  );
  const login = scenario('(d) patient login + verify, data key cached', '1 KMS Sign, no other KMS call', cachedLoginCheck);
  const loginEvicted = scenario('(e) same, keyRing.forget(id) before login', '1 Sign + at most 1 Decrypt, no other KMS call', uncachedLoginCheck);
  const patientRead = scenario('(f) GET /v1/records/{id}, patient session', '0 KMS calls', cachedReadCheck);
  const patientNotifications = scenario('(f) GET …/{id}/notifications, patient session', '0 KMS calls', cachedReadCheck);

  /** Counts the AWS calls of one operation (requests are sequential; the runtime sweeps no outbox). */
  const counted = async <T>(s: Scenario, op: () => Promise<T>): Promise<T> => {
    counter.reset();
    const out = await op();
    const taken = counter.take();
    s.samples.push(taken.calls);
    s.attempts += taken.attempts;
    return out;
  };
  const create = async (body: ReturnType<typeof creationBody>, headers: Record<string, string> = {}) =>
    expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token, body, headers }), 201).body.dmpId as string;
  const read = async (dmpId: string) => expectStatus('GET /v1/records/{dmpId}', await bench.call('GET', `/v1/records/${dmpId}`, { token }), 200);

  await counted(warmup, () => create(creationBody()));
  for (let i = 0; i < perScenario; i++) {
    for (const withKey of [false, true]) {
      const body = creationBody();
      const headers: Record<string, string> = withKey ? { 'idempotency-key': randomBytes(16).toString('base64url') } : {};
      const dmpId = await counted(withKey ? keyed : plain, () => create(body, headers));
      if (withKey && i === 0) {
        const again = await counted(replayed, () => create(body, headers));
        if (again !== dmpId) throw new Error('the replayed creation answered another dmpId than the first response');
      }
      await counted(cached, () => read(dmpId));
      runtime.deps.keyRing.forget(dmpId);
      await counted(evicted, () => read(dmpId));
    }
  }

  /**
   * Password, then the code read from the SMS the emulator recorded (GET /_local/sms reads moto's
   * data over plain HTTP, through none of the counted clients), then the session.
   */
  const session = async (h: Holder) => {
    const challengeId = await patientLogin(bench, h);
    return patientVerify(bench, challengeId, await lastSmsCode(bench, h.mobile));
  };
  const patientGet = async (path: string, accessToken: string) => expectStatus(`GET ${path}`, await bench.call('GET', path, { token: accessToken }), 200);

  for (let i = 0; i < perScenario; i++) {
    const created = await createPatient(bench, token);
    // The first session of a provisional password may only change it; the first one of the
    // process also fetches the session key's public half (verifying its token).
    const h = i === 0 ? await counted(firstSession, () => activatePatient(bench, created)) : await activatePatient(bench, created);
    const { accessToken, mustChangePassword } = await counted(login, () => session(h));
    if (mustChangePassword) throw new Error('the session after the password change still asks for one');
    await counted(patientRead, () => patientGet(`/v1/records/${h.dmpId}`, accessToken));
    await counted(patientNotifications, () => patientGet(`/v1/records/${h.dmpId}/notifications`, accessToken));
    runtime.deps.keyRing.forget(h.dmpId);
    await counted(loginEvicted, () => session(h));
  }

  const rows: CallsRow[] = [warmup, plain, keyed, replayed, cached, evicted, firstSession, login, loginEvicted, patientRead, patientNotifications].map((s) => {
    const violations = s.check ? [...new Set(s.samples.flatMap((c, i) => s.check!(c).map((v) => `request ${i + 1}: ${v}`)))] : [];
    return {
      scenario: s.name,
      n: s.samples.length,
      kms: summarizeCalls(s.samples, 'kms'),
      dynamodb: summarizeCalls(s.samples, 'dynamodb'),
      sns: summarizeCalls(s.samples, 'sns'),
      attempts: s.attempts,
      target: s.target,
      ok: s.check ? violations.length === 0 : undefined,
      samples: s.samples,
      violations,
    };
  });
  const failures = rows.flatMap((r) => r.violations.map((v) => `${r.scenario.trim()}: ${v}`));
  return { rows, failures };
};

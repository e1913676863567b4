/**
 * Documents: AWS calls per operation (deposit, list, read, for a professional and for the patient),
 * latency through the local runtime as ratios to a bare GetItem of the same run, the in-process cost
 * of the access policy's decision per document of a 1,000-document listing (relative to mapping the
 * same 1,000 DynamoDB items; and the cost of opening their sealed facts, which a listing does before
 * the policy weighs them), and a real 1,000-document record listed over HTTP.
 *
 * Structural targets (exact call counts; timings never fail the run): with a valid authorization
 * (or the patient's own session) and the record's data key cached, no KMS call at all; a listing
 * makes exactly one Query of the documents (one page of LIST_EVALUATION metadata items) beside the
 * record's and the standing's; a read fetches its chunks in one BatchGetItem; a deposit of one chunk
 * writes in one TransactWriteItems only; a deposit of several chunks writes its upload intent (one
 * PutItem), its chunks (one BatchWriteItem up to 25 chunks) and commits in one TransactWriteItems.
 */
import { randomBytes } from 'node:crypto';
import { DeleteTableCommand, GetItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import documentTypes from '../../data/document-types.json' with { type: 'json' };
import { ensureTable } from '../../bin/local-aws.ts';
import { dynamoClient } from '#adapters/aws';
import { DocumentStore, LIST_EVALUATION, toStoredDocument } from '../../functions/capabilities/documents/store.ts';
import type { DocumentAuthor, NewDocument } from '../../functions/domain/documents.ts';
import { seal } from '#adapters/envelope';
import type { DataKey } from '#domain/ports';
import { keyItem, keys } from '#adapters/table';
import { documentReader, type DocumentLabels, type DocumentStatus, type RecordFacts, type Standing } from '#domain/access-policy';
import type { Actor } from '#domain/actor';
import { CHUNK_BYTES, NO_LABELS, chunkCount, newDocumentId, searchWords } from '#domain/documents';
import { defaultAccessMatrix } from '#domain/reference-data';
import { randomRpps } from '../support/fixtures.ts';
import type { CallCounter, Counts } from './counting.ts';
import { countOf, formatCalls } from './counting.ts';
import { activatePatient, createPatient, creationBody, expectStatus, lastSmsCode, patientLogin, patientVerify, type Bench } from './harness.ts';
import { median, round, summarize, type Summary } from './report.ts';

export const SMALL_BYTES = 2048;
export const LARGE_BYTES = 1024 * 1024;

// ── HTTP, without the harness's JSON work inside the timed part ─────────────────────────────────

interface Raw {
  status: number;
  text: string;
}

/** One request; the body already serialized; resolves once the whole answer is received. */
const raw = async (bench: Bench, method: string, path: string, token: string | undefined, body?: string): Promise<Raw> => {
  const headers: Record<string, string> = {};
  if (token) headers.authorization = `Bearer ${token}`;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${bench.runtime.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
  return { status: res.status, text: await res.text() };
};

const expectRaw = (what: string, res: Raw, status: number): any => {
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status}: ${res.text.slice(0, 500)}`);
  return res.text ? JSON.parse(res.text) : undefined;
};

/** A deposit body (a lab report by default), serialized once: the same text can be sent many times. */
const depositText = (content: Buffer, typeCode = '11502-2'): string =>
  JSON.stringify({ typeCode, title: 'Bilan sanguin de contrôle', serviceDate: '2026-11-20', contentType: 'application/pdf', content: content.toString('base64') });

const proToken = async (bench: Bench, profession: string, professionalId = randomRpps(), role?: string): Promise<{ id: string; token: string }> => {
  const res = await bench.call('POST', '/_local/tokens', { body: { kind: 'professional', professionalId, profession, ...(role ? { role } : {}) } });
  if (res.status !== 200) throw new Error(`token request refused (${res.status}): ${JSON.stringify(res.body)}`);
  return { id: professionalId, token: res.body.accessToken as string };
};

/** A new record created by the doctor (who holds an authorization from the creation): the patient's day-to-day session. */
const patientWithSession = async (bench: Bench, doctorToken: string): Promise<{ dmpId: string; session: string }> => {
  const h = await activatePatient(bench, await createPatient(bench, doctorToken));
  const challengeId = await patientLogin(bench, h);
  const opened = await patientVerify(bench, challengeId, await lastSmsCode(bench, h.mobile));
  if (opened.mustChangePassword) throw new Error('the patient session still asks for a password change');
  return { dmpId: h.dmpId, session: opened.accessToken };
};

/** The listing's Query as DocumentStore.page sends it (first page), from a bare client: what the emulator alone costs. */
const bareDocumentPage = async (db: DynamoDBClient, table: string, dmpId: string): Promise<number> => {
  const out = await db.send(
    new QueryCommand({
      TableName: table,
      KeyConditionExpression: 'pk = :pk AND begins_with(sk, :doc)',
      ExpressionAttributeValues: { ':pk': { S: keys.record(dmpId).pk }, ':doc': { S: 'DOC#' } },
      ScanIndexForward: false,
      Limit: LIST_EVALUATION,
      ConsistentRead: true,
    }),
  );
  return out.Items?.length ?? 0;
};

const bareGetItem = async (db: DynamoDBClient, table: string, dmpId: string): Promise<void> => {
  const k = keys.record(dmpId);
  const out = await db.send(new GetItemCommand({ TableName: table, Key: keyItem(k), ConsistentRead: true }));
  if (!out.Item) throw new Error('bare GetItem found no item');
};

const recreateTable = async (db: DynamoDBClient, table: string): Promise<void> => {
  await db.send(new DeleteTableCommand({ TableName: table }));
  await ensureTable(db, table);
};

const timed = async <T>(op: () => Promise<T>): Promise<{ ms: number; out: T }> => {
  const t0 = performance.now();
  const out = await op();
  return { ms: performance.now() - t0, out };
};

// ── Which items each DynamoDB call touched (a second middleware, on the runtime's client) ───────

type Av = Record<string, AttributeValue>;
/** The kind of an item from its sort key: TRACE#…→TRACE, CHUNK#…→CHUNK, META→META. */
const kindOf = (sk: string | undefined): string => (sk ? (sk.split('#')[0] as string) : '?');
const countKinds = (sks: (string | undefined)[]): string => {
  const n = new Map<string, number>();
  for (const sk of sks) n.set(kindOf(sk), (n.get(kindOf(sk)) ?? 0) + 1);
  return [...n.entries()].map(([k, c]) => (c > 1 ? `${c} ${k}` : k)).join(' ');
};

/** A DynamoDB call and what it touched: Query[DOC#], GetItem[DOC], BatchGetItem[3 CHUNK], TransactWriteItems[DOC TRACE]... */
const describeCall = (command: string, input: any): string => {
  switch (command) {
    case 'Query': {
      const v = (input.ExpressionAttributeValues ?? {}) as Av;
      const from = v[':from']?.S ?? v[':doc']?.S ?? '';
      const range = v[':doc'] || from === 'DOC#' ? 'DOC#' : from === 'KEY' ? `KEY‥${v[':to']?.S ?? ''}` : from.startsWith('PRO#') ? 'PRO#<id>*' : kindOf(from) || '?';
      return `Query[${range}${input.Limit ? ` ≤${input.Limit}` : ''}]`;
    }
    case 'GetItem':
    case 'DeleteItem':
    case 'UpdateItem':
      return `${command}[${kindOf((input.Key as Av | undefined)?.sk?.S)}]`;
    case 'PutItem':
      return `PutItem[${kindOf((input.Item as Av | undefined)?.sk?.S)}]`;
    case 'BatchGetItem':
      return `BatchGetItem[${countKinds(Object.values(input.RequestItems ?? {}).flatMap((r: any) => (r.Keys as Av[]).map((k) => k.sk?.S)))}]`;
    case 'BatchWriteItem':
      return `BatchWriteItem[${countKinds(
        Object.values(input.RequestItems ?? {}).flatMap((rs: any) => (rs as any[]).map((r) => (r.PutRequest?.Item?.sk?.S ?? r.DeleteRequest?.Key?.sk?.S) as string | undefined)),
      )}]`;
    case 'TransactWriteItems':
      return `TransactWriteItems[${(input.TransactItems as any[])
        .map((t) => {
          const [op, body] = Object.entries(t)[0] as [string, any];
          return `${op} ${kindOf(body.Item?.sk?.S ?? body.Key?.sk?.S)}`;
        })
        .join(', ')}]`;
    default:
      return command;
  }
};

class CallLog {
  entries: string[] = [];
  private readonly db: DynamoDBClient;
  constructor(db: DynamoDBClient) {
    this.db = db;
    db.middlewareStack.add(
      (next, context) => async (args) => {
        this.entries.push(describeCall((context.commandName ?? 'Unknown').replace(/Command$/, ''), args.input));
        return next(args);
      },
      { step: 'initialize', name: 'benchDescribeDocumentCalls', priority: 'low' },
    );
  }
  detach(): void {
    this.db.middlewareStack.remove('benchDescribeDocumentCalls');
  }
  take(): string[] {
    const out = this.entries;
    this.entries = [];
    return out;
  }
}

/** The calls in a stable order, repeated ones counted: "2× Query[…] + PutItem[TRACE]". */
const formatLog = (entries: string[]): string => {
  const n = new Map<string, number>();
  for (const e of [...entries].sort()) n.set(e, (n.get(e) ?? 0) + 1);
  return [...n.entries()].map(([e, c]) => (c > 1 ? `${c}× ${e}` : e)).join(' + ') || '—';
};

// ── 1. AWS calls per operation ──────────────────────────────────────────────────────────────────

export interface DocCallsRow {
  scenario: string;
  n: number;
  kms: string;
  dynamodb: string;
  /** What the DynamoDB calls touched (Query ranges, item kinds). */
  items: string;
  attempts: number;
  target: string;
  ok: boolean | undefined;
  samples: Counts[];
  violations: string[];
}

type Check = (c: Counts, log: string[]) => string[];

const WRITES = ['PutItem', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'TransactWriteItems'];
const noKms = (c: Counts): string[] => (countOf(c, 'kms') === 0 ? [] : [`${countOf(c, 'kms')} KMS call(s) with the data key cached: ${formatCalls(c, 'kms')} (target 0)`]);
const exactly = (c: Counts, command: string, n: number): string[] =>
  countOf(c, 'dynamodb', command) === n ? [] : [`dynamodb.${command} = ${countOf(c, 'dynamodb', command)} (target ${n})`];
const logCount = (log: string[], prefix: string): number => log.filter((e) => e.startsWith(prefix)).length;
const writesOtherThan = (c: Counts, allowed: Record<string, number>): string[] => {
  const extra = WRITES.filter((w) => !(w in allowed)).reduce((n, w) => n + countOf(c, 'dynamodb', w), 0);
  return extra > 0 ? [`${extra} other DynamoDB write(s): ${formatCalls(c, 'dynamodb')}`] : [];
};

/** Record and standing (one BatchGetItem of META, KEY and, for a professional, the 4 PRO# keys) + one page of documents + the trace's PutItem; nothing else. */
const listCheck: Check = (c, log) => [
  ...noKms(c),
  ...(logCount(log, 'Query[DOC#') === 1 ? [] : [`${logCount(log, 'Query[DOC#')} Query(s) of the documents (target exactly 1)`]),
  ...exactly(c, 'Query', 1),
  ...exactly(c, 'BatchGetItem', 1),
  ...exactly(c, 'PutItem', 1),
  ...(countOf(c, 'dynamodb') === 3 ? [] : [`other DynamoDB calls: ${formatCalls(c, 'dynamodb')}`]),
];
/** The metadata's GetItem and the chunks in one BatchGetItem (+ the record and standing's BatchGetItem, the trace). */
const readCheck: Check = (c, log) => [
  ...noKms(c),
  ...exactly(c, 'GetItem', 1),
  ...(log.filter((e) => e.startsWith('BatchGetItem[') && e.includes('CHUNK')).length === 1 ? [] : [`chunks read in other than one BatchGetItem: ${log.join(', ')}`]),
  ...writesOtherThan(c, { PutItem: 1 }),
  ...exactly(c, 'PutItem', 1),
];
const smallDepositCheck: Check = (c) => [...noKms(c), ...exactly(c, 'TransactWriteItems', 1), ...writesOtherThan(c, { TransactWriteItems: 1 })];
const largeDepositCheck: Check = (c) => [
  ...noKms(c),
  ...exactly(c, 'PutItem', 1),
  ...exactly(c, 'BatchWriteItem', 1),
  ...exactly(c, 'TransactWriteItems', 1),
  ...writesOtherThan(c, { PutItem: 1, BatchWriteItem: 1, TransactWriteItems: 1 }),
];

interface Scenario {
  name: string;
  target: string;
  check: Check | undefined;
  samples: Counts[];
  logs: string[][];
  attempts: number;
}

const summarizeSamples = (values: string[]): string => {
  const distinct = new Map<string, number>();
  for (const v of values) distinct.set(v, (distinct.get(v) ?? 0) + 1);
  if (distinct.size === 1) return [...distinct.keys()][0] as string;
  return [...distinct.entries()].map(([k, n]) => `[${n}/${values.length}] ${k}`).join(' | ');
};

export const measureDocumentCalls = async (bench: Bench, counter: CallCounter, perScenario: number): Promise<{ rows: DocCallsRow[]; failures: string[] }> => {
  const log = new CallLog(bench.runtime.deps.db);
  try {
    const doctor = await bench.professionalToken();
    const scenario = (name: string, target: string, check?: Check): Scenario => ({ name, target, check, samples: [], logs: [], attempts: 0 });
    const firstAccess = scenario(
      'warm-up: first document list of the professional',
      'info: the first access is recorded (SEEN) with its trace and the patient’s SMS, in one transaction',
    );
    const depositSmall = scenario(`POST …/documents, ${SMALL_BYTES} B (1 chunk)`, '0 KMS; 1 TransactWriteItems, no other write', smallDepositCheck);
    const depositLarge = scenario(
      `POST …/documents, 1 MiB (${chunkCount(LARGE_BYTES)} chunks)`,
      '0 KMS; 1 PutItem (intent) + 1 BatchWriteItem + 1 TransactWriteItems',
      largeDepositCheck,
    );
    const list = scenario('GET …/documents (limit 50), authorised doctor', '0 KMS; 1 BatchGetItem (record and standing) + 1 Query (1 page of documents) + 1 PutItem', listCheck);
    const readSmall = scenario(
      `GET …/documents/{id}, ${SMALL_BYTES} B, authorised doctor`,
      '0 KMS; 1 GetItem + 1 BatchGetItem of chunks + 1 PutItem (+ record, standing)',
      readCheck,
    );
    const readLarge = scenario('GET …/documents/{id}, 1 MiB, authorised doctor', '0 KMS; 1 GetItem + 1 BatchGetItem (all chunks) + 1 PutItem (+ record, standing)', readCheck);
    const patientList = scenario('GET …/documents (limit 50), patient session', '0 KMS; 1 BatchGetItem (record) + 1 Query (1 page of documents) + 1 PutItem', listCheck);
    const patientSmall = scenario(
      `GET …/documents/{id}, ${SMALL_BYTES} B, patient session`,
      '0 KMS; 1 GetItem + 1 BatchGetItem of chunks + 1 PutItem (+ record, standing)',
      readCheck,
    );
    const patientLarge = scenario('GET …/documents/{id}, 1 MiB, patient session', '0 KMS; 1 GetItem + 1 BatchGetItem (all chunks) + 1 PutItem (+ record, standing)', readCheck);

    const counted = async <T>(s: Scenario, op: () => Promise<T>): Promise<T> => {
      counter.reset();
      log.take();
      const out = await op();
      const taken = counter.take();
      s.samples.push(taken.calls);
      s.logs.push(log.take());
      s.attempts += taken.attempts;
      return out;
    };
    const small = depositText(randomBytes(SMALL_BYTES));
    const large = depositText(randomBytes(LARGE_BYTES));

    for (let i = 0; i < perScenario; i++) {
      const { dmpId, session } = await patientWithSession(bench, doctor);
      const base = `/v1/records/${dmpId}/documents`;
      const listAs = async (token: string) => expectRaw(`GET ${base}`, await raw(bench, 'GET', `${base}?limit=50`, token), 200);
      const readAs = async (token: string, id: string) => expectRaw(`GET ${base}/{id}`, await raw(bench, 'GET', `${base}/${id}`, token), 200);
      await counted(firstAccess, () => listAs(doctor));
      const smallId = (await counted(depositSmall, async () => expectRaw(`POST ${base}`, await raw(bench, 'POST', base, doctor, small), 201))).documentId as string;
      const largeId = (await counted(depositLarge, async () => expectRaw(`POST ${base}`, await raw(bench, 'POST', base, doctor, large), 201))).documentId as string;
      const listed = await counted(list, () => listAs(doctor));
      if (listed.items.length !== 2) throw new Error(`the doctor listed ${listed.items.length} documents, 2 expected`);
      await counted(readSmall, () => readAs(doctor, smallId));
      const read = await counted(readLarge, () => readAs(doctor, largeId));
      if (read.size !== LARGE_BYTES) throw new Error('the 1 MiB document read back with another size');
      await counted(patientList, () => listAs(session));
      await counted(patientSmall, () => readAs(session, smallId));
      await counted(patientLarge, () => readAs(session, largeId));
    }

    const rows = [firstAccess, depositSmall, depositLarge, list, readSmall, readLarge, patientList, patientSmall, patientLarge].map((s): DocCallsRow => {
      const violations = s.check ? [...new Set(s.samples.flatMap((c, i) => s.check!(c, s.logs[i] ?? []).map((v) => `request ${i + 1}: ${v}`)))] : [];
      return {
        scenario: s.name,
        n: s.samples.length,
        kms: summarizeSamples(s.samples.map((c) => formatCalls(c, 'kms'))),
        dynamodb: summarizeSamples(s.samples.map((c) => formatCalls(c, 'dynamodb'))),
        items: summarizeSamples(s.logs.map(formatLog)),
        attempts: s.attempts,
        target: s.target,
        ok: s.check ? violations.length === 0 : undefined,
        samples: s.samples,
        violations,
      };
    });
    return { rows, failures: rows.flatMap((r) => r.violations.map((v) => `documents, ${r.scenario}: ${v}`)) };
  } finally {
    log.detach();
  }
};

// ── Seeding documents straight into the table (what a committed deposit writes, without HTTP) ───

/** Facts of the i-th seeded document: varied classes, types, labels, statuses and authors. */
interface SeedFacts {
  typeCode: string;
  classCode: string;
  labels: DocumentLabels;
  status: DocumentStatus;
  author: DocumentAuthor;
}

const TYPES = documentTypes.types.filter((t) => t.classCode !== '60');
const PATIENT_TYPES = TYPES.filter((t) => t.classCode === '90');
const PRO_TYPES = TYPES.filter((t) => t.classCode !== '90');

/**
 * A deterministic mix: 1 in 10 by the patient (class 90), the rest by professionals over every
 * other type (1 in 7 of them by `ownAuthor`); 1 in 9 masked by the patient, 1 in 13 invisible to
 * the patient, 1 in 17 invisible to representatives; 1 in 11 archived, 1 in 15 superseded, 1 in 23 deleted.
 */
export const seedFacts = (i: number, ownAuthor: string, otherAuthors: readonly string[]): SeedFacts => {
  const byPatient = i % 10 === 3;
  const type = byPatient ? (PATIENT_TYPES[i % PATIENT_TYPES.length] as (typeof TYPES)[number]) : (PRO_TYPES[(i * 7) % PRO_TYPES.length] as (typeof TYPES)[number]);
  const masked = i % 9 === 0;
  const invisibleToPatient = !byPatient && !masked && i % 13 === 5;
  const status: DocumentStatus = i % 23 === 7 ? 'deleted' : i % 15 === 4 ? 'superseded' : i % 11 === 2 ? 'archived' : 'current';
  return {
    typeCode: type.typeCode,
    classCode: type.classCode,
    labels: { maskedToProfessionals: masked, invisibleToPatient, invisibleToRepresentatives: !byPatient && i % 17 === 6 },
    status,
    author: byPatient
      ? { kind: 'patient', id: 'patient' }
      : i % 7 === 1
        ? { kind: 'professional', id: ownAuthor, profession: '10' }
        : { kind: 'professional', id: otherAuthors[i % otherAuthors.length] as string, profession: '10' },
  };
};

/** The DynamoDB items of a committed one-chunk document (metadata + chunk), status and labels as given. */
const seedItems = (store: DocumentStore, key: DataKey, i: number, at: Date, facts: SeedFacts): Av[] => {
  const doc: NewDocument = {
    documentId: newDocumentId(at, (n) => randomBytes(n)),
    version: 1,
    setId: '',
    typeCode: facts.typeCode,
    classCode: facts.classCode,
    title: `Document ${i} ${facts.typeCode} compte rendu`,
    serviceDate: '2026-01-15',
    depositedAt: at,
    contentType: 'text/plain',
    content: Buffer.from(`contenu du document ${i}`),
    author: facts.author.kind === 'patient' ? { kind: 'patient', id: key.dmpId } : facts.author,
    labels: facts.labels,
  };
  doc.setId = doc.documentId;
  const chunkKey = keys.chunk(key.dmpId, doc.documentId, 0);
  const chunk = { label: 'upload', item: { Put: { TableName: 'seed', Item: { ...keyItem(chunkKey), content: { B: seal(key, chunkKey.sk, 'content', doc.content) } } } } };
  const writes = store.commitWrites(key, doc, [chunk], searchWords(doc.title));
  const items = writes.map((w) => w.item.Put?.Item as Av);
  const meta = items[0] as Av;
  meta.status = { S: facts.status };
  return items;
};

/**
 * Writes `count` committed documents into a record with BatchWriteItem (no transaction: moto
 * deep-copies the table per transaction item); with `chunks: false`, their metadata items only.
 */
const seedRecord = async (bench: Bench, dmpId: string, count: number, facts: (i: number) => SeedFacts, chunks = true): Promise<void> => {
  const { deps } = bench.runtime;
  const record = await deps.records.load(dmpId);
  if (!record) throw new Error('the record to seed does not exist');
  const key = await deps.keyRing.unwrap(dmpId, record.wrappedKey);
  const oldest = Date.now() - 365 * 86_400_000;
  const store = new DocumentStore(bench.runtime.deps.db, bench.runtime.config.tableName);
  const items = Array.from({ length: count }, (_, i) => seedItems(store, key, i, new Date(oldest + i * 60_000), facts(i))).flatMap((d) => (chunks ? d : d.slice(0, 1)));
  await store.batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
};

// ── 2. Latency through the local runtime ────────────────────────────────────────────────────────

export interface DocLatencyRow {
  name: string;
  note: string;
  summary: Summary;
  ratio: number;
  awsMs: Summary | undefined;
  samples: number[];
}

export interface DocLatencyResult {
  warmupRounds: number;
  baseline: Summary;
  rows: DocLatencyRow[];
}

/**
 * Each round, on a table created anew (moto's TransactWriteItems deep-copies the table per item:
 * the figures must not depend on how much earlier rounds wrote): a record by the doctor, its first
 * access and 50 documents seeded, untimed; then, timed, the two deposits (alternating order), then
 * in a rotating order the reads of what they deposited, a list of 50 and the bare GetItem.
 */
export const measureDocumentLatency = async (bench: Bench, counter: CallCounter, rounds: number, warmupRounds: number): Promise<DocLatencyResult> => {
  const { runtime } = bench;
  const bare = dynamoClient(runtime.config);
  try {
    const doctor = await proToken(bench, '10');
    const others = [randomRpps(), randomRpps()];
    const small = depositText(randomBytes(SMALL_BYTES));
    const large = depositText(randomBytes(LARGE_BYTES));
    const names = ['depositSmall', 'depositLarge', 'readSmall', 'readLarge', 'list50', 'queryPage', 'getItem'] as const;
    type Key = (typeof names)[number];
    const samples = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<Key, number[]>;
    const awsMs = Object.fromEntries(names.map((k) => [k, [] as number[]])) as Record<Key, number[]>;

    for (let r = 0; r < warmupRounds + rounds; r++) {
      const warm = r < warmupRounds;
      await recreateTable(bare, runtime.config.tableName);
      const dmpId = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token: doctor.token, body: creationBody() }), 201).body.dmpId as string;
      const base = `/v1/records/${dmpId}/documents`;
      expectRaw('first access', await raw(bench, 'GET', base, doctor.token), 200);
      // Only documents the doctor may read: the list of 50 answers 50 items.
      await seedRecord(bench, dmpId, 50, (i) => ({ ...seedFacts(i, doctor.id, others), labels: NO_LABELS, status: 'current' }));

      const ids: Partial<Record<'small' | 'large', string>> = {};
      const ops: Record<Key, () => Promise<unknown>> = {
        depositSmall: async () => (ids.small = expectRaw('POST small', await raw(bench, 'POST', base, doctor.token, small), 201).documentId),
        depositLarge: async () => (ids.large = expectRaw('POST 1 MiB', await raw(bench, 'POST', base, doctor.token, large), 201).documentId),
        readSmall: async () => raw(bench, 'GET', `${base}/${ids.small}`, doctor.token),
        readLarge: async () => raw(bench, 'GET', `${base}/${ids.large}`, doctor.token),
        list50: async () => raw(bench, 'GET', `${base}?limit=50`, doctor.token),
        queryPage: () => bareDocumentPage(bare, runtime.config.tableName, dmpId),
        getItem: () => bareGetItem(bare, runtime.config.tableName, dmpId),
      };
      const measure = async (name: Key) => {
        counter.reset();
        const { ms, out } = await timed(ops[name]);
        const aws = counter.take().callMs;
        // Checked outside the timed part.
        if (name === 'readSmall' || name === 'readLarge' || name === 'list50') {
          const body = expectRaw(name, out as Raw, 200);
          if (name === 'list50' && body.items.length !== 50) throw new Error(`the list of 50 answered ${body.items.length} items`);
          if (name === 'readLarge' && body.size !== LARGE_BYTES) throw new Error('the 1 MiB read answered another size');
        }
        if (!warm) {
          samples[name].push(ms);
          awsMs[name].push(aws);
        }
      };
      const deposits: Key[] = r % 2 === 0 ? ['depositSmall', 'depositLarge'] : ['depositLarge', 'depositSmall'];
      for (const name of deposits) await measure(name);
      const rest: Key[] = ['readSmall', 'readLarge', 'list50', 'queryPage', 'getItem'];
      for (const name of [...rest.slice(r % rest.length), ...rest.slice(0, r % rest.length)]) await measure(name);
    }
    await recreateTable(bare, runtime.config.tableName);

    const baseline = summarize(samples.getItem);
    const row = (name: string, note: string, key: Key, withAws = true): DocLatencyRow => {
      const summary = summarize(samples[key]);
      return { name, note, summary, ratio: summary.median / baseline.median, awsMs: withAws ? summarize(awsMs[key]) : undefined, samples: samples[key].map((x) => round(x, 1)) };
    };
    return {
      warmupRounds,
      baseline,
      rows: [
        row(`POST …/documents, ${SMALL_BYTES} B`, '1 chunk, written in the commit transaction (doc + chunk + trace)', 'depositSmall'),
        row(
          'POST …/documents, 1 MiB',
          `${chunkCount(LARGE_BYTES)} chunks of ≤ ${CHUNK_BYTES} B: intent PutItem, BatchWriteItem, commit transaction; ~1.4 MB of base64 JSON sent`,
          'depositLarge',
        ),
        row(`GET …/documents/{id}, ${SMALL_BYTES} B`, 'metadata GetItem, 1 chunk by BatchGetItem, trace PutItem', 'readSmall'),
        row('GET …/documents/{id}, 1 MiB', `${chunkCount(LARGE_BYTES)} chunks in one BatchGetItem; ~1.4 MB of base64 JSON received`, 'readLarge'),
        row('GET …/documents?limit=50 (52 documents)', 'one Query page, 50 titles opened, trace PutItem', 'list50'),
        row(
          'DynamoDB Query of the documents page (bare)',
          `SDK → emulator, the listing's own Query (≤ ${LIST_EVALUATION} items, 52 found): moto reads the whole partition`,
          'queryPage',
          false,
        ),
        row('DynamoDB GetItem (bare)', 'SDK → emulator, the record’s META; the baseline', 'getItem', false),
      ],
    };
  } finally {
    bare.destroy();
  }
};

// ── 3. The policy's decision per document, in process ───────────────────────────────────────────

export interface PolicyRow {
  actor: string;
  visible: number;
  /** Median µs for the whole pass over the 1,000 documents (the reader's construction included). */
  passUs: number;
  nsPerDocument: number;
  /** The pass over the mapping of the same 1,000 items. */
  ratioToMapping: number;
}

export interface PolicyResult {
  documents: number;
  iterations: number;
  mappingUs: number;
  mappingNsPerItem: number;
  /** Opening the sealed facts of the same 1,000 mapped documents (one AES-GCM each), per pass. */
  openingUs: number;
  openingNsPerItem: number;
  rows: PolicyRow[];
}

let sink = 0;

/**
 * 1,000 raw DynamoDB items as a deposit commits them (sealed titles, keyed title tokens), mapped by
 * toStoredDocument and their sealed facts opened (DocumentStore.openDocument); then
 * documentReader(actor, record, standing, now, matrix) over all of them, per actor. Each iteration
 * times one mapping pass, one opening pass and one policy pass per actor, interleaved; medians.
 */
export const measurePolicy = (iterations: number, count = 1000): PolicyResult => {
  const dmpId = 'bench00policy';
  const key: DataKey = { dmpId, version: 1, material: randomBytes(32) };
  const store = new DocumentStore(undefined as unknown as DynamoDBClient, 'bench');
  const doctorId = randomRpps();
  const others = Array.from({ length: 20 }, () => randomRpps());
  const oldest = Date.now() - 365 * 86_400_000;
  const items = Array.from({ length: count }, (_, i) => seedItems(store, key, i, new Date(oldest + i * 60_000), seedFacts(i, doctorId, others))[0] as Av);
  const stored = items.map(toStoredDocument);
  const docs = stored.map((d) => store.openDocument(key, d));
  const record: RecordFacts = { dmpId, status: 'active', emergencyAccess: { breakGlass: true, regulation: true }, minor: false };
  const now = new Date();
  const pro = (id: string, profession: string): Actor => ({ kind: 'professional', id, profession });
  const authorized: Standing = { relation: { status: 'authorized', attendingPhysician: false } };
  const actors: { name: string; actor: Actor; standing: Standing }[] = [
    { name: 'patient (own record)', actor: { kind: 'patient', dmpId, loginId: 'login' }, standing: {} },
    { name: 'representative', actor: { kind: 'representative', dmpId, loginId: 'rep' }, standing: {} },
    { name: 'authorised doctor (author of 1 in 7)', actor: pro(doctorId, '10'), standing: authorized },
    { name: 'attending physician', actor: pro(randomRpps(), '10'), standing: { relation: { status: 'authorized', attendingPhysician: true } } },
    { name: 'authorised pharmacist (matrix)', actor: pro(randomRpps(), '21'), standing: authorized },
    {
      name: 'break-glass doctor (no authorization)',
      actor: pro(randomRpps(), '10'),
      standing: { emergency: { mode: 'break-glass', until: new Date(now.getTime() + 3600_000).toISOString() } },
    },
    { name: 'doctor without access (own only)', actor: pro(doctorId, '10'), standing: {} },
  ];
  const matrix = defaultAccessMatrix;
  const pass = (a: (typeof actors)[number]): number => {
    const reader = documentReader(a.actor, record, a.standing, now, matrix);
    let n = 0;
    for (const d of docs) if (reader(d).allow) n++;
    return n;
  };
  const mapping: number[] = [];
  const opening: number[] = [];
  const perActor = actors.map(() => [] as number[]);
  const warmup = Math.max(20, Math.floor(iterations / 10));
  for (let it = 0; it < warmup + iterations; it++) {
    let t0 = performance.now();
    const mapped = items.map(toStoredDocument);
    let t1 = performance.now();
    sink += mapped.length;
    if (it >= warmup) mapping.push(t1 - t0);
    t0 = performance.now();
    const opened = stored.map((d) => store.openDocument(key, d));
    t1 = performance.now();
    sink += opened.length;
    if (it >= warmup) opening.push(t1 - t0);
    for (let a = 0; a < actors.length; a++) {
      t0 = performance.now();
      sink += pass(actors[a]!);
      t1 = performance.now();
      if (it >= warmup) perActor[a]!.push(t1 - t0);
    }
  }
  if (sink < 0) throw new Error('unreachable');
  const mappingMs = median(mapping);
  return {
    documents: count,
    iterations,
    mappingUs: round(mappingMs * 1000, 1),
    mappingNsPerItem: round((mappingMs * 1e6) / count, 1),
    openingUs: round(median(opening) * 1000, 1),
    openingNsPerItem: round((median(opening) * 1e6) / count, 1),
    rows: actors.map((a, i) => {
      const m = median(perActor[i]!);
      return { actor: a.name, visible: pass(a), passUs: round(m * 1000, 1), nsPerDocument: round((m * 1e6) / count, 1), ratioToMapping: round(m / mappingMs, 4) };
    }),
  };
};

// ── 4. A 1,000-document record listed over HTTP ─────────────────────────────────────────────────

export interface ListingRow {
  actor: string;
  /** First page, limit=100. */
  firstPageItems: number;
  firstPageMore: boolean;
  firstPageCalls: string;
  firstPageItemsTouched: string;
  summary: Summary;
  ratio: number;
  /** Median over the bare Query of the documents page's median. */
  ratioToQuery: number;
  awsMs: Summary;
  /** The whole record walked with limit=100, following nextCursor. */
  walkRequests: number;
  walkItems: number;
  walkDocumentQueries: number;
  walkDynamoCalls: number;
}

export interface ListingResult {
  documents: number;
  seedSeconds: number;
  samples: number;
  baseline: Summary;
  /** The listing's Query alone, from a bare client, and how many items it found. */
  query: Summary;
  queryItems: number;
  rows: ListingRow[];
  failures: string[];
}

export const measureLargeListing = async (bench: Bench, counter: CallCounter, samplesPerActor: number, count = 1000): Promise<ListingResult> => {
  const { runtime } = bench;
  const bare = dynamoClient(runtime.config);
  const log = new CallLog(runtime.deps.db);
  try {
    // Everything that writes in transactions first, on a small table; then the 1,000 documents.
    await recreateTable(bare, runtime.config.tableName);
    const doctor = await proToken(bench, '10');
    const { dmpId, session } = await patientWithSession(bench, doctor.token);
    const base = `/v1/records/${dmpId}/documents`;
    const attending = await proToken(bench, '10');
    expectStatus(
      'PUT …/professionals/{id}',
      await bench.call('PUT', `/v1/records/${dmpId}/professionals/${attending.id}`, { token: session, body: { status: 'authorized', attendingPhysician: true } }),
      200,
    );
    const pharmacist = await proToken(bench, '21');
    expectStatus(
      'POST …/access (consent)',
      await bench.call('POST', `/v1/records/${dmpId}/access`, { token: pharmacist.token, body: { mode: 'normal', patientConsent: true } }),
      200,
    );
    const urgentist = await proToken(bench, '10');
    expectStatus(
      'POST …/access (break-glass)',
      await bench.call('POST', `/v1/records/${dmpId}/access`, { token: urgentist.token, body: { mode: 'break-glass', reason: 'Patient inconscient aux urgences' } }),
      200,
    );
    const actors = [
      { name: 'authorised doctor', token: doctor.token },
      { name: 'attending physician', token: attending.token },
      { name: 'authorised pharmacist', token: pharmacist.token },
      { name: 'break-glass doctor', token: urgentist.token },
      { name: 'patient session', token: session },
    ];
    // The first access of each professional (its transaction) before the table grows.
    for (const a of actors) expectRaw('first list', await raw(bench, 'GET', `${base}?limit=1`, a.token), 200);
    const others = Array.from({ length: 20 }, () => randomRpps());
    const seedStart = performance.now();
    // Metadata items only: a listing never reads chunks, and moto's Query reads the whole partition.
    await seedRecord(bench, dmpId, count, (i) => seedFacts(i, doctor.id, others), false);
    const seedSeconds = round((performance.now() - seedStart) / 1000, 1);

    const table = runtime.config.tableName;
    const baselineSamples: number[] = [];
    const querySamples: number[] = [];
    const latency = actors.map(() => [] as number[]);
    const aws = actors.map(() => [] as number[]);
    const pageCalls = actors.map(() => [] as string[]);
    const pageLogs = actors.map(() => [] as string[]);
    const pageCallCount = actors.map(() => 0);
    const firstPages: ({ items: unknown[]; nextCursor: string | null } | undefined)[] = actors.map(() => undefined);
    const failures: string[] = [];
    let pageFound = 0;
    for (let s = 0; s < samplesPerActor + 1; s++) {
      const warm = s === 0;
      const order = [...actors.keys()];
      const rotated = [...order.slice(s % order.length), ...order.slice(0, s % order.length)];
      for (const a of rotated) {
        counter.reset();
        log.take();
        const { ms, out } = await timed(() => raw(bench, 'GET', `${base}?limit=100`, actors[a]!.token));
        const taken = counter.take();
        const entries = log.take();
        firstPages[a] = expectRaw('list', out, 200);
        if (warm) continue;
        latency[a]!.push(ms);
        aws[a]!.push(taken.callMs);
        pageCalls[a]!.push(`${formatCalls(taken.calls, 'dynamodb')}; KMS ${formatCalls(taken.calls, 'kms')}`);
        pageLogs[a]!.push(formatLog(entries));
        pageCallCount[a] = countOf(taken.calls, 'dynamodb');
        if (logCount(entries, 'Query[DOC#') !== 1)
          failures.push(`1,000-document listing, ${actors[a]!.name}: ${logCount(entries, 'Query[DOC#')} Query(s) of the documents (target 1)`);
        if (countOf(taken.calls, 'kms') > 0) failures.push(`1,000-document listing, ${actors[a]!.name}: ${formatCalls(taken.calls, 'kms')} (target: no KMS call)`);
      }
      const q = await timed(() => bareDocumentPage(bare, table, dmpId));
      pageFound = q.out;
      const g = await timed(() => bareGetItem(bare, table, dmpId));
      if (!warm) {
        querySamples.push(q.ms);
        baselineSamples.push(g.ms);
      }
    }
    const baseline = summarize(baselineSamples);
    const query = summarize(querySamples);

    const rows: ListingRow[] = [];
    for (const [a, actor] of actors.entries()) {
      // The walk: the first page (as sampled above, its calls counted there), then every next page.
      const first = firstPages[a]!;
      let requests = 1;
      let items = first.items.length;
      let cursor = first.nextCursor;
      counter.reset();
      log.take();
      while (cursor) {
        const page = expectRaw('list', await raw(bench, 'GET', `${base}?limit=100&cursor=${cursor}`, actor.token), 200);
        requests += 1;
        items += page.items.length;
        cursor = page.nextCursor;
        if (requests > count) throw new Error('the listing does not end');
      }
      const walk = counter.take();
      const walkLog = log.take();
      const summary = summarize(latency[a]!);
      rows.push({
        actor: actor.name,
        firstPageItems: first.items.length,
        firstPageMore: first.nextCursor !== null,
        firstPageCalls: summarizeSamples(pageCalls[a]!),
        firstPageItemsTouched: summarizeSamples(pageLogs[a]!),
        summary,
        ratio: summary.median / baseline.median,
        ratioToQuery: summary.median / query.median,
        awsMs: summarize(aws[a]!),
        walkRequests: requests,
        walkItems: items,
        walkDocumentQueries: 1 + logCount(walkLog, 'Query[DOC#'),
        walkDynamoCalls: pageCallCount[a]! + countOf(walk.calls, 'dynamodb'),
      });
    }
    return { documents: count, seedSeconds, samples: samplesPerActor, baseline, query, queryItems: pageFound, rows, failures };
  } finally {
    log.detach();
    await recreateTable(bare, runtime.config.tableName).catch(() => undefined);
    bare.destroy();
  }
};

export { LIST_EVALUATION };

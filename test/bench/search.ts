/**
 * The keyword search (section `search`), through the local runtime over real HTTP, by the doctor
 * who created the record: GET …/search for one word and for three words, on a record of 1,000
 * text documents and 2,000 lines of the reimbursement history, beside a bare DynamoDB GetItem of
 * the record's META item on the same emulator, timed in the same interleaved rounds. The DynamoDB
 * calls of one search are counted on the runtime's clients (key cached): they do not grow with the
 * record (one BatchGetItem of the record, standing, mask and every word's lists, one of the page's
 * candidates: a document's change mark, a document changed since indexed, an item of another kind;
 * and the trace).
 *
 * Seeding: the history goes in over HTTP (the insurer's batches, 500 lines each); the 1,000
 * documents are written straight into the table with the documents store's own items (metadata
 * and one sealed chunk each, BatchWriteItem through the runtime's client: deposits one by one over
 * HTTP would take minutes on the emulator). Both are indexed by the index job's own code
 * (SearchIndexJob over SearchIndexTable, as the runtime's POST /_local/jobs/search-index runs it),
 * run here in process on its own client, fed the keys of every item of the record in runs of 250,
 * 4 at once (one HTTP request draining 3,000 sources would outlast fetch's time limit on the emulator).
 */
import { randomBytes } from 'node:crypto';
import { type AttributeValue, BatchGetItemCommand, GetItemCommand, PutItemCommand, QueryCommand, TransactWriteItemsCommand } from '@aws-sdk/client-dynamodb';
import { dynamoClient } from '../../functions/adapters/aws.ts';
import { inPool } from '../../functions/adapters/pool.ts';
import { makeLogger } from '../../functions/adapters/logger.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { SearchIndexJob, type Change } from '../../functions/domain/jobs/search-index.ts';
import { SearchIndexTable } from '../../functions/jobs/search-sources.ts';
import { DocumentStore } from '../../functions/capabilities/documents/store.ts';
import { NO_LABELS, newDocumentId, searchWords, type NewDocument } from '../../functions/domain/documents.ts';
import { batchId, daysAgo, labLine, medicationLine } from '../support/claims.ts';
import type { CallCounter, Counts } from './counting.ts';
import { countOf } from './counting.ts';
import { type Bench, creationBody, expectStatus } from './harness.ts';
import { summarize, type Summary } from './report.ts';

export interface SearchRow {
  name: string;
  query: string;
  summary: Summary;
  /** Median over the bare GetItem's median. */
  ratio: number;
  /** Items on the first page (limit 50). */
  found: number;
  /** The AWS calls of one search, key cached. */
  calls: Counts;
  /** The same DynamoDB calls (same inputs) sent one after another from a bare client: the emulator's own cost of them. */
  replay: Summary;
  /** The search's median over the replay's. */
  overReplay: number;
}

export interface SearchBenchResult {
  rounds: number;
  baseline: Summary;
  rows: SearchRow[];
  record: { documents: number; claimLines: number };
  seedSeconds: number;
  indexSeconds: number;
  failures: string[];
}

/**
 * The most DynamoDB calls one search of up to three words may make with the record's key in memory:
 * one BatchGetItem of the record, standing, mask and the words' lists, one of the candidates (a
 * document unchanged since indexed is only its change mark's key), the trace (without the key in memory, the lists take a BatchGetItem of their own, after the record's).
 */
export const MAX_SEARCH_DYNAMODB_CALLS = 3;

/** The record: 1,000 documents and 2,000 history lines (a smoke run, BENCH_QUICK, takes a tenth). */
const SIZES = { full: { documents: 1000, claimLines: 2000 }, quick: { documents: 100, claimLines: 200 } } as const;
const LINES_PER_BATCH = 500;

/** Words of a record's documents: the target words appear in some documents only. */
const FILLER = [
  'patient',
  'examen',
  'clinique',
  'normal',
  'bilan',
  'suivi',
  'consultation',
  'traitement',
  'douleur',
  'abdominale',
  'tension',
  'artérielle',
  'contrôle',
  'glycémie',
  'cholestérol',
  'radiographie',
  'échographie',
  'rééducation',
  'kinésithérapie',
  'antécédents',
];
const MEDICINES = [
  'AMOXICILLINE 1 G CPR',
  'DOLIPRANE 1000 MG CPR',
  'KARDEGIC 75 MG',
  'METFORMINE 850 MG',
  'LEVOTHYROX 50 µG',
  'ATORVASTATINE 20 MG',
  'VENTOLINE 100 µG',
  'INEXIUM 20 MG',
];
const LABS = ['HEMOGRAMME', 'HBA1C', 'CREATININE', 'TSH', 'FERRITINE'];

const pick = <T>(xs: readonly T[], i: number): T => xs[i % xs.length] as T;

/** A document's text: filler words, with « scanner du thorax avec injection » in one document of 40 and « amoxicilline » in one of 20. */
const documentText = (i: number): string => {
  const words = Array.from({ length: 40 }, (_, k) => pick(FILLER, i * 7 + k * 3));
  if (i % 40 === 3) words.splice(10, 0, 'scanner', 'du', 'thorax', 'avec', 'injection');
  if (i % 20 === 5) words.splice(20, 0, 'amoxicilline');
  return `Compte rendu ${i}. ${words.join(' ')}.`;
};

const seedDocuments = async (bench: Bench, dmpId: string, authorId: string, count: number): Promise<void> => {
  const { deps, config } = bench.runtime;
  const record = await deps.records.load(dmpId);
  if (!record) throw new Error('search bench: the record to seed does not exist');
  const key = await deps.keyRing.unwrap(dmpId, record.wrappedKey);
  const store = new DocumentStore(deps.db, config.tableName);
  const oldest = Date.now() - 700 * 86_400_000;
  const items = [];
  for (let i = 0; i < count; i++) {
    const at = new Date(oldest + i * 3_600_000);
    const documentId = newDocumentId(at, (n) => randomBytes(n));
    const doc: NewDocument = {
      documentId,
      version: 1,
      setId: documentId,
      typeCode: '11502-2',
      classCode: '10',
      title: `Compte rendu ${i}`,
      serviceDate: at.toISOString().slice(0, 10),
      depositedAt: at,
      contentType: 'text/plain',
      content: Buffer.from(documentText(i), 'utf8'),
      author: { kind: 'professional', id: authorId, profession: '10' },
      labels: NO_LABELS,
    };
    // One chunk: stageChunks hands it back as a put of the commit, without a call.
    const staged = await store.stageChunks(key, doc, at);
    for (const w of store.commitWrites(key, doc, staged, searchWords(doc.title))) if (w.item.Put?.Item) items.push(w.item.Put.Item);
  }
  await store.batchWrite(items.map((Item) => ({ PutRequest: { Item } })));
};

/** Runs the index job's code over every item of the record, 250 changes a run, 4 runs at once. */
const indexRecord = async (bench: Bench, db: ReturnType<typeof dynamoClient>, dmpId: string, progress: (text: string) => void): Promise<void> => {
  const { config, deps } = bench.runtime;
  const changes: Change[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: config.tableName,
        KeyConditionExpression: 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: keys.record(dmpId).pk } },
        ProjectionExpression: 'sk',
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    // The items the index follows: documents' metadata and the history's lines (the job ignores any other).
    for (const item of out.Items ?? []) if (item.sk?.S?.startsWith('DOC#') || item.sk?.S?.startsWith('CLAIMSRC#')) changes.push({ dmpId, sk: item.sk.S });
    start = out.LastEvaluatedKey;
  } while (start);
  const job = new SearchIndexJob(
    new SearchIndexTable({ db, tableName: config.tableName, keyRing: deps.keyRing, clock: deps.clock }),
    makeLogger({ serviceName: 'bench-search-index', logLevel: 'SILENT' }),
  );
  const totals: Record<string, number> = {};
  // Runs of 250 changes, 4 at once (as the stream's shards would run them): lists shared by two
  // runs are written on condition of their version, so concurrent runs lose nothing.
  let done = 0;
  const runs: Change[][] = [];
  for (let i = 0; i < changes.length; i += 250) runs.push(changes.slice(i, i + 250));
  await inPool(runs, 4, async (run) => {
    const { report } = await job.run(run);
    for (const [k, v] of Object.entries(report)) totals[k] = (totals[k] ?? 0) + v;
    done += run.length;
    progress(`search: indexed ${done} of ${changes.length} items`);
  });
  if (totals.failed) throw new Error(`search bench: ${totals.failed} changes failed to index`);
  progress(`search: index job ${JSON.stringify(totals)}`);
};

const timed = async (op: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
};

export const measureSearch = async (
  bench: Bench,
  counter: CallCounter,
  rounds: number,
  opts: { quick: boolean; warmupRounds?: number; progress?: (text: string) => void },
): Promise<SearchBenchResult> => {
  const { documents: DOCUMENTS, claimLines: CLAIM_LINES } = opts.quick ? SIZES.quick : SIZES.full;
  const warmupRounds = Math.max(1, opts.warmupRounds ?? 2);
  const progress = opts.progress ?? (() => {});
  const doctorId = `8${String(Date.now()).slice(-11)}`;
  const tokenRes = await bench.call('POST', '/_local/tokens', { body: { kind: 'professional', professionalId: doctorId, profession: '10' } });
  const doctor = expectStatus('POST /_local/tokens', tokenRes, 200).body.accessToken as string;
  const insurer = expectStatus('POST /_local/tokens (insurer)', await bench.call('POST', '/_local/tokens', { body: { kind: 'insurer', clientId: 'bench-search-sync' } }), 200).body
    .accessToken as string;
  const body = creationBody();
  const dmpId = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token: doctor, body }), 201).body.dmpId as string;

  const seedStart = performance.now();
  progress(`search: ${CLAIM_LINES} history lines over HTTP`);
  const lines = Array.from({ length: CLAIM_LINES }, (_, i) =>
    i % 4 === 3 ? labLine({ date: daysAgo(1 + (i % 700)), display: pick(LABS, i) }) : medicationLine({ date: daysAgo(1 + (i % 700)), display: pick(MEDICINES, i) }),
  );
  for (let i = 0; i < lines.length; i += LINES_PER_BATCH) {
    const chunk = lines.slice(i, i + LINES_PER_BATCH);
    const pushed = expectStatus(
      'POST /v1/claims/batches',
      await bench.call('POST', '/v1/claims/batches', { token: insurer, body: { batchId: batchId(), patients: [{ ins: body.ins, lines: chunk }] } }),
      200,
    );
    if (pushed.body.lines.accepted !== chunk.length) throw new Error(`search bench: ${JSON.stringify(pushed.body.lines)} of ${chunk.length} lines`);
  }
  progress(`search: ${DOCUMENTS} documents through the documents store`);
  await seedDocuments(bench, dmpId, doctorId, DOCUMENTS);
  const seedSeconds = (performance.now() - seedStart) / 1000;
  const bare = dynamoClient(bench.runtime.config);
  const indexStart = performance.now();
  await indexRecord(bench, bare, dmpId, progress);
  const indexSeconds = (performance.now() - indexStart) / 1000;

  const queries = [
    { name: 'one word', query: 'amoxicilline' },
    { name: 'three words', query: 'scanner thorax injection' },
  ];
  const failures: string[] = [];
  const calls: Counts[] = queries.map(() => ({}));
  const found = queries.map(() => 0);
  // The DynamoDB calls of one search of each query, as the runtime sent them (recorded in the last
  // warm-up round), to send again from the bare client: what the emulator takes for those calls alone.
  const recorded: { command: string; input: any }[][] = queries.map(() => []);
  let recording: number | undefined;
  const runtimeDb = bench.runtime.deps.db;
  runtimeDb.middlewareStack.add(
    (next, context) => async (args) => {
      if (recording !== undefined) recorded[recording]?.push({ command: context.commandName ?? '', input: structuredClone(args.input) });
      return next(args);
    },
    { step: 'initialize', name: 'benchRecordSearchCalls' },
  );
  const replay = async (i: number) => {
    for (const { command, input } of recorded[i] ?? []) {
      const c =
        command === 'BatchGetItemCommand'
          ? new BatchGetItemCommand(input)
          : command === 'PutItemCommand'
            ? new PutItemCommand(input)
            : command === 'TransactWriteItemsCommand'
              ? new TransactWriteItemsCommand(input)
              : command === 'QueryCommand'
                ? new QueryCommand(input)
                : new GetItemCommand(input);
      // A trace put again under its own condition may be refused: its cost is the same.
      await bare.send(c as GetItemCommand).catch(() => undefined);
    }
  };
  const ops: { name: string; op: () => Promise<void> }[] = [
    {
      name: 'getItem',
      op: async () => {
        const out = await bare.send(new GetItemCommand({ TableName: bench.runtime.config.tableName, Key: keyItem(keys.record(dmpId)), ConsistentRead: true }));
        if (!out.Item) throw new Error('bare GetItem found no item');
      },
    },
    ...queries.map((q, i) => ({
      name: q.name,
      op: async () => {
        const res = expectStatus('GET …/search', await bench.call('GET', `/v1/records/${dmpId}/search?q=${encodeURIComponent(q.query)}`, { token: doctor }), 200);
        found[i] = res.body.items.length;
        if (found[i] === 0) throw new Error(`search bench: "${q.query}" found nothing`);
      },
    })),
    ...queries.map((q, i) => ({ name: `${q.name}, its calls sent bare`, op: () => replay(i) })),
  ];
  const samples = ops.map(() => [] as number[]);
  try {
    for (let r = 0; r < warmupRounds + rounds; r++) {
      const order = [...ops.keys()];
      const rotated = [...order.slice(r % order.length), ...order.slice(0, r % order.length)];
      for (const k of rotated) {
        const op = ops[k];
        if (!op) continue;
        const isSearch = k > 0 && k <= queries.length;
        const counted = isSearch && r === warmupRounds;
        if (counted) counter.reset();
        // Recorded in the last warm-up round: the key cached and the doctor's first access past, as in the timed ones.
        if (isSearch && r === warmupRounds - 1) {
          recording = k - 1;
          recorded[k - 1] = [];
        }
        const ms = await timed(op.op);
        recording = undefined;
        if (counted) calls[k - 1] = counter.take().calls;
        if (r >= warmupRounds) samples[k]?.push(ms);
      }
    }
  } finally {
    runtimeDb.middlewareStack.remove('benchRecordSearchCalls');
    bare.destroy();
  }
  const baseline = summarize(samples[0] ?? []);
  const rows = queries.map((q, i) => {
    const summary = summarize(samples[i + 1] ?? []);
    const c = calls[i] ?? {};
    if (countOf(c, 'kms') !== 0) failures.push(`search "${q.query}": ${countOf(c, 'kms')} KMS calls with the key cached (target 0)`);
    if (countOf(c, 'dynamodb') > MAX_SEARCH_DYNAMODB_CALLS) failures.push(`search "${q.query}": ${countOf(c, 'dynamodb')} DynamoDB calls (target ≤ ${MAX_SEARCH_DYNAMODB_CALLS})`);
    const replayed = summarize(samples[i + 1 + queries.length] ?? []);
    return {
      name: q.name,
      query: q.query,
      summary,
      ratio: summary.median / baseline.median,
      found: found[i] ?? 0,
      calls: c,
      replay: replayed,
      overReplay: summary.median / replayed.median,
    };
  });
  return { rounds, baseline, rows, record: { documents: DOCUMENTS, claimLines: CLAIM_LINES }, seedSeconds, indexSeconds, failures };
};

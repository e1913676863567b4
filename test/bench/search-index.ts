/**
 * The keyword index job (section `search-index`), on the bench's runtime and emulator: documents
 * deposited over HTTP (a 1 KiB text, a 1 MiB PDF with a text layer), then indexed by a job of its
 * own whose DynamoDB and KMS clients are counted: words indexed per second of the job, AWS calls per
 * document, and the index's size per document (bytes of its items, as DynamoDB counts an item:
 * attribute names and values). The deposit itself is timed against a bare PutItem of a 1 KiB item,
 * in interleaved rounds, with its own AWS calls: indexing adds nothing to the request's path (in
 * AWS the stream delivers the change after the deposit answered; locally, the change feed records
 * the written keys in memory).
 */
import { PutItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { randomBytes } from 'node:crypto';
import { dynamoClient, kmsClient } from '../../functions/adapters/aws.ts';
import { DataKeyCache } from '../../functions/adapters/envelope.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { extractText } from '../../functions/adapters/text-extraction.ts';
import { SearchIndexJob } from '../../functions/domain/jobs/search-index.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { words } from '../../functions/domain/search/words.ts';
import { SearchIndexTable } from '../../functions/jobs/search-sources.ts';
import { pdfWithText } from '../support/pdf.ts';
import { CallCounter, type Counts } from './counting.ts';
import { type Bench, creationBody, expectStatus } from './harness.ts';
import { summarize, type Summary } from './report.ts';

export interface IndexRow {
  document: string;
  bytes: number;
  /** Normalised words indexed per document (all positions). */
  words: number;
  /** Median wall time of the job for one document. */
  jobMs: Summary;
  wordsPerSecond: number;
  /** AWS calls of the job for one document (the first time: key not cached). */
  calls: Counts;
  /** Index items and their bytes for one document. */
  items: number;
  indexBytes: number;
}

export interface SearchIndexResult {
  rows: IndexRow[];
  /** The deposit with the index's change feed (after), without it (before), against a bare PutItem. */
  deposit: { baseline: Summary; deposit: Summary; ratio: number; calls: Counts; before: Summary; afterOverBefore: number };
}

const VOCABULARY = (() => {
  const syllables = ['ca', 'ro', 'li', 'ne', 'mé', 'to', 'da', 'phi', 'gra', 'thè', 'su', 'lo', 'ver', 'ton', 'mi', 'que'];
  return Array.from({ length: 4000 }, (_, i) => `${syllables[i % 16]}${syllables[(i >> 4) % 16]}${syllables[(i >> 8) % 16]}${i % 7 === 0 ? 's' : ''}`);
})();
const sentence = (i: number): string =>
  `Le ${VOCABULARY[(i * 7) % VOCABULARY.length]} du patient ${VOCABULARY[(i * 13) % VOCABULARY.length]} montre une ${VOCABULARY[(i * 31) % VOCABULARY.length]} (code ${1000 + (i % 900)}-${i % 10}).`;

/** A text of about `bytes` bytes of French-like sentences. */
const textOf = (bytes: number): string => {
  const out: string[] = [];
  let size = 0;
  for (let i = 0; size < bytes; i++) {
    const s = sentence(i);
    out.push(s);
    size += Buffer.byteLength(s) + 1;
  }
  return out.join(' ').slice(0, bytes);
};

/** A PDF of about `bytes` bytes: lines of text, compressed. */
const pdfOf = (bytes: number): Buffer => {
  let lines = 4000;
  for (;;) {
    const pdf = pdfWithText(
      Array.from({ length: lines }, (_, i) =>
        sentence(i * 3 + 1)
          .normalize('NFD')
          .replace(/\p{M}/gu, ''),
      ),
    );
    if (pdf.length >= bytes) return pdf;
    lines = Math.ceil((lines * bytes) / pdf.length) + 100;
  }
};

/** The size of an item as DynamoDB counts it: names and values. */
const itemBytes = (item: Record<string, { S?: string; B?: Uint8Array; N?: string }>): number =>
  Object.entries(item).reduce((sum, [name, v]) => sum + name.length + (v.S !== undefined ? Buffer.byteLength(v.S) : v.B ? v.B.length : String(v.N ?? '').length), 0);

const indexItems = async (db: DynamoDBClient, table: string, dmpId: string) => {
  const items: Record<string, { S?: string; B?: Uint8Array }>[] = [];
  let start: Record<string, unknown> | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :idx)',
        ExpressionAttributeValues: { ':pk': { S: `REC#${dmpId}` }, ':idx': { S: 'IDX' } },
        ...(start ? { ExclusiveStartKey: start as never } : {}),
      }),
    );
    items.push(...((out.Items ?? []) as never[]));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
};

const timed = async (op: () => Promise<unknown>): Promise<number> => {
  const t0 = performance.now();
  await op();
  return performance.now() - t0;
};

export const measureSearchIndex = async (bench: Bench, runtimeCounter: CallCounter, rounds: number): Promise<SearchIndexResult> => {
  const config = bench.runtime.config;
  const doctor = await bench.professionalToken();
  const counter = new CallCounter();
  const db = dynamoClient(config);
  const kms = kmsClient(config);
  counter.attach('dynamodb', db);
  counter.attach('kms', kms);
  const job = new SearchIndexJob(
    new SearchIndexTable({ db, tableName: config.tableName, keyRing: new KeyRing(kms, config.dataKeyId, new DataKeyCache(systemClock)), clock: systemClock }),
    { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  );
  const deposit = async (dmpId: string, contentType: string, content: Buffer) =>
    expectStatus(
      'POST …/documents',
      await bench.call('POST', `/v1/records/${dmpId}/documents`, {
        token: doctor,
        body: { typeCode: '11502-2', title: 'Compte rendu de consultation', serviceDate: '2026-11-20', contentType, content: content.toString('base64') },
      }),
      201,
    ).body.documentId as string;

  // The deposit against a bare PutItem of a 1 KiB item, interleaved; first, while the emulator's
  // table is small (moto copies the whole table in every transaction: a large table slows it).
  // Before and after the index, in the same rounds: "before" with the runtime's change feed
  // detached from its client (as the runtime was before the index existed), "after" with it
  // recording the deposit's keys (the local stand-in for the stream; in AWS the stream is read by
  // another function, after the deposit answered). The feed's job is not run meanwhile.
  const dmpId = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token: doctor, body: creationBody() }), 201).body.dmpId as string;
  const bare = dynamoClient(config);
  const baseline: number[] = [];
  const deposits: number[] = [];
  const withoutIndex: number[] = [];
  let depositCalls: Counts = {};
  const text = Buffer.from(textOf(1024));
  const feed = bench.runtime.changeFeed;
  await deposit(dmpId, 'text/plain', text);
  try {
    for (let round = 0; round < rounds * 4; round++) {
      baseline.push(
        await timed(() => bare.send(new PutItemCommand({ TableName: config.tableName, Item: { pk: { S: `BENCH#${round}` }, sk: { S: 'PUT' }, v: { B: randomBytes(1024) } } }))),
      );
      feed.detach(bench.runtime.deps.db);
      try {
        withoutIndex.push(await timed(() => deposit(dmpId, 'text/plain', text)));
      } finally {
        feed.attach(bench.runtime.deps.db);
      }
      runtimeCounter.reset();
      deposits.push(await timed(() => deposit(dmpId, 'text/plain', text)));
      if (round === 0) depositCalls = runtimeCounter.take().calls;
    }
  } finally {
    // What the rounds recorded is not this section's to index.
    feed.drain();
  }
  const scenarios: { document: string; contentType: string; content: () => Buffer }[] = [
    { document: 'text/plain, 1 KiB', contentType: 'text/plain', content: () => Buffer.from(textOf(1024)) },
    { document: 'application/pdf, 1 MiB', contentType: 'application/pdf', content: () => pdfOf(1024 * 1024) },
  ];
  const rows: IndexRow[] = [];
  for (const s of scenarios) {
    const content = s.content();
    const extracted = await extractText(s.contentType, content);
    const wordCount = extracted.state === 'indexed' ? words(extracted.text).length + words('Compte rendu de consultation').length : 0;
    const times: number[] = [];
    let calls: Counts = {};
    let items = 0;
    let indexBytes = 0;
    for (let round = 0; round < rounds; round++) {
      // A record per round: the first document of a record, its key not cached by this job.
      const dmpId = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token: doctor, body: creationBody() }), 201).body.dmpId as string;
      const documentId = await deposit(dmpId, s.contentType, content);
      counter.reset();
      times.push(await timed(() => job.run([{ dmpId, sk: `DOC#${documentId}` }])));
      if (round === 0) {
        calls = counter.take().calls;
        const written = await indexItems(db, config.tableName, dmpId);
        items = written.length;
        indexBytes = written.reduce((sum, i) => sum + itemBytes(i), 0);
      }
    }
    const jobMs = summarize(times);
    rows.push({ document: s.document, bytes: content.length, words: wordCount, jobMs, wordsPerSecond: Math.round(wordCount / (jobMs.median / 1000)), calls, items, indexBytes });
  }

  const b = summarize(baseline);
  const d = summarize(deposits);
  const before = summarize(withoutIndex);
  return { rows, deposit: { baseline: b, deposit: d, ratio: d.median / b.median, calls: depositCalls, before, afterOverBefore: d.median / before.median } };
};

/**
 * `npm run bench`: cold start per Lambda function against its AWS SDK floor, AWS calls per
 * operation, and latency through the local runtime; for documents (documents.ts) their calls,
 * latency, the access policy's cost per document and a 1,000-document listing; for the claims
 * import (claims.ts) a 100,000-line import's rate (against a bare BatchWriteItem measured before and
 * after it), KMS calls and memory, and a small re-send with every key cached; for measurements
 * (measurements.ts) a device's POST of 100 values against a bare BatchWriteItem of 100 items; the
 * emergency summary (emergency.ts) of a full record against a bare GetItem; the typed client's
 * browser bundle (client.ts), minified and gzipped; the keyword index job
 * (search-index.ts): words per second, AWS calls and index bytes per document, and the deposit
 * against a bare PutItem; the keyword search
 * (search.ts) of one and three words over 1,000 documents and 2,000 history lines against a bare
 * GetItem. Prints figures;
 * timings never fail the run. It exits non-zero only when something breaks or a structural target is violated (exact AWS call
 * counts, the Node version the figures are for), and says which.
 *
 * Env: BENCH_JSON=path writes the figures as JSON there (otherwise they close stdout);
 * BENCH_QUICK=1 takes few samples (a smoke run of the bench itself, figures not meaningful);
 * BENCH_SECTIONS=cold,calls,latency,documents,claims,claims-read,measurements,emergency,client,search-index,search,fhir (comma-separated) runs only those sections (default: all);
 * BENCH_CLAIMS_PATIENTS=n sets the claims section's patients with a DMP (default 100: each record is
 * created over HTTP, with its password's scrypt, which takes most of a second on the emulator);
 * BENCH_CLAIMS_LINES=n the claim lines of the file (default 100,000, spread evenly over those
 * patients). Both are printed in the claims table's header: a smaller file is for experiments, its
 * figures are not the target's. The claims section runs in a process of its own with the claims
 * import Lambda's NODE_OPTIONS (lib/claims-import.ts); BENCH_CLAIMS_NODE_OPTIONS=... replaces them
 * (empty: none), to compare.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countRuntimeCalls, measureCalls, type CallsResult } from './calls.ts';
import { measureClaimsReads } from './claims-read.ts';
import { IMPORT_NODE_OPTIONS } from '../../lib/claims-import.ts';
import { MAX_KMS_PER_PATIENT_BATCH, MAX_MEMORY_GROWTH_MB, runInOwnProcess, type ClaimsResult } from './claims.ts';
import { formatCalls } from './counting.ts';
import { measureEmergencySummary } from './emergency.ts';
import { measureSearchIndex } from './search-index.ts';
import { measureSearch } from './search.ts';
import { measureFhir } from './fhir.ts';
import { buildBundles, measureColdStart, GROUPS, type ColdStartResult } from './cold-start.ts';
import { measureClientBundles } from './client.ts';
import { startBench, type Bench } from './harness.ts';
import { measureLatency, type LatencyResult } from './latency.ts';
import { measureMeasurementWrites, type MeasurementsResult } from './measurements.ts';
import {
  LARGE_BYTES,
  LIST_EVALUATION,
  measureDocumentCalls,
  measureDocumentLatency,
  measureLargeListing,
  measurePolicy,
  type DocCallsRow,
  type DocLatencyResult,
  type ListingResult,
  type PolicyResult,
} from './documents.ts';
import { ms, ratio, round, table } from './report.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const COLD_ROUNDS = QUICK ? 3 : 30;
const DEP_ROUNDS = QUICK ? 2 : 12;
const CALLS_PER_SCENARIO = QUICK ? 2 : 5;
const LATENCY_ROUNDS = QUICK ? 5 : 60;
const LATENCY_WARMUP = QUICK ? 1 : 5;
const DOC_CALLS_PER_SCENARIO = QUICK ? 1 : 3;
const DOC_LATENCY_ROUNDS = QUICK ? 3 : 25;
const DOC_LATENCY_WARMUP = QUICK ? 1 : 3;
const POLICY_ITERATIONS = QUICK ? 50 : 1000;
const LISTING_SAMPLES = QUICK ? 1 : 4;
const LISTING_DOCUMENTS = 1000;
/** 100,000 claim lines: patients with a DMP × lines each; 5 % more patients without a DMP. */
const CLAIMS_LINES = Number(process.env.BENCH_CLAIMS_LINES ?? (QUICK ? 2_000 : 100_000));
const CLAIMS_PATIENTS = Number(process.env.BENCH_CLAIMS_PATIENTS ?? (QUICK ? 20 : 100));
/** The claims section's process runs with the claims import Lambda's NODE_OPTIONS (set, even empty, to compare). */
const CLAIMS_NODE_OPTIONS = process.env.BENCH_CLAIMS_NODE_OPTIONS ?? IMPORT_NODE_OPTIONS;
const MEASUREMENT_ROUNDS = QUICK ? 3 : 15;
const MEASUREMENT_WARMUP = QUICK ? 1 : 2;
const SECTIONS = new Set(
  (process.env.BENCH_SECTIONS ?? 'cold,calls,latency,documents,claims,claims-read,measurements,emergency,client,search-index,search,fhir').split(',').map((s) => s.trim()),
);
const KNOWN_SECTIONS = ['cold', 'calls', 'latency', 'documents', 'claims', 'claims-read', 'measurements', 'emergency', 'client', 'search-index', 'search', 'fhir'];
const MAX_BUNDLE_BYTES = 1_000_000;
const MAX_RATIO = 1.2;

const kb = (bytes: number): string => (bytes / 1000).toFixed(1);
const say = (text: string) => process.stdout.write(`${text}\n`);
const progress = (text: string) => process.stderr.write(`… ${text}\n`);

const started = performance.now();
const failures: string[] = [];
let bench: Bench | undefined;
let outDir: string | undefined;

const cleanup = async (): Promise<void> => {
  const b = bench;
  bench = undefined;
  await b?.stop().catch((e: unknown) => progress(`stopping the runtime failed: ${(e as Error).message}`));
  if (outDir) await rm(outDir, { recursive: true, force: true }).catch(() => undefined);
};
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    progress(`${signal}: stopping`);
    void cleanup().finally(() => process.exit(130));
  });
}

const coldStartTables = (c: ColdStartResult): string => {
  const flagsOf = (r: ColdStartResult['rows'][number]) =>
    [r.bytes > MAX_BUNDLE_BYTES ? 'OVER 1 MB' : '', r.ratio !== undefined && r.ratio > MAX_RATIO ? `RATIO > ${MAX_RATIO.toFixed(2)}` : ''].filter(Boolean).join(', ') || 'ok';
  const main = table(
    `Cold start: import time of each Lambda bundle in a fresh Node ${c.node} process (${c.samplesPerBundle} samples each, interleaved with its floor)`,
    `ms inside the child around await import(bundle); floor = only the function's SDK clients, created at module scope (docs, authorizer: an empty module); ratio = median over rounds of (function / floor sample of the same round), target ≤ ${MAX_RATIO.toFixed(2)}; flags: bundle > 1 MB, ratio > ${MAX_RATIO.toFixed(2)}`,
    ['function', 'SDK clients (floor)', 'KB', 'floor KB', 'median', 'p90', 'floor median', 'floor p90', 'added ms', 'ratio', 'boot+import', 'flags'],
    c.rows.map((r) => [
      r.name,
      r.clients.map((x) => x.replace('Client', '')).join(' + ') || '(empty module)',
      kb(r.bytes),
      kb(r.floorBytes),
      ms(r.fn.median),
      ms(r.fn.p90),
      ms(r.floor.median),
      ms(r.floor.p90),
      `+${ms(r.addedMs)}`,
      r.ratio === undefined ? '—' : ratio(r.ratio),
      ms(r.fnReadyMedian),
      flagsOf(r),
    ]),
    ['left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
  const composition = table(
    'Bundle composition: KB of minified output by origin (esbuild metafile)',
    'what each bundle is made of; "AWS SDK" = @aws-sdk/*, @smithy/* and their helpers; "other" = @aws/lambda-invoke-store (used by the SDK)',
    ['function', 'total', ...GROUPS],
    c.rows.map((r) => [r.name, kb(r.bytes), ...GROUPS.map((g) => (r.composition[g] ? kb(r.composition[g]) : '—'))]),
  );
  const deps = table(
    `Where import time goes: single dependencies bundled alone, same options (${c.empty.n} samples each, interleaved with an empty module: median ${ms(c.empty.median)} ms)`,
    'added = median − empty module median; the last three rows are the same records bundle: as deployed (source maps shipped, not parsed), with NODE_OPTIONS=--enable-source-maps, and its import followed by a first request (schemas are built on first use: the difference is what the first request builds)',
    ['bundle', 'KB', 'median', 'p90', 'added ms'],
    c.dependencies.map((d) => [d.name, kb(d.bytes), ms(d.import.median), ms(d.import.p90), `+${ms(d.addedMs)}`]),
  );
  return [main, composition, deps].join('\n');
};

const callsTable = (c: CallsResult): string =>
  table(
    'AWS calls per operation (SDK middleware on the runtime’s DynamoDB, KMS and SNS clients; one row = n sequential requests)',
    'counts per request (identical across the n requests unless split as [k/n]); attempts = HTTP attempts of all n requests (retries would show there); a patient login row = POST …/login + POST …/verify together (the SMS code read between them calls no counted client); SNS shows direct sends only (record notifications go through the outbox, not swept here)',
    ['operation', 'n', 'KMS', 'DynamoDB', 'SNS', 'attempts', 'target', 'verdict'],
    c.rows.map((r) => [r.scenario, r.n, r.kms, r.dynamodb, r.sns, r.attempts, r.target, r.ok === undefined ? 'info' : r.ok ? 'OK' : 'VIOLATED']),
    ['left', 'right', 'left', 'left', 'left', 'right', 'left', 'left'],
  );

const latencyTable = (l: LatencyResult): string =>
  table(
    `Latency through the local runtime on moto (${l.rows[0]?.summary.n} samples each after ${l.warmupRounds} warm-up rounds, interleaved)`,
    `ms per request, client side; × GetItem = median over the bare GetItem median (${ms(l.baseline.median)} ms) of the same run; AWS calls ms = median per request of the summed durations of the runtime's SDK calls (parallel calls overlap); the table is dropped and recreated between rounds, untimed (moto's TransactWriteItems deep-copies the table and its ever-growing stream per item: ~10 ms on a new table, ~500 ms after 100 creations). POST includes deliberate scrypt hashing (N=2^15) of the provisional password, a patient login one scrypt check of the password (same cost). Each round, untimed, the new record's patient opens the provisional password's session and changes the password; then the patient path is timed on its three API calls (the SMS code is read between them, untimed) and its session serves the patient GET`,
    ['operation', 'n', 'median', 'p90', '× GetItem', 'AWS calls ms', 'note'],
    l.rows.map((r) => [r.name, r.summary.n, ms(r.summary.median), ms(r.summary.p90), ratio(r.ratio), r.awsMs ? ms(r.awsMs.median) : '', r.note]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
  );

const docCallsTable = (rows: DocCallsRow[]): string =>
  table(
    'Documents: AWS calls per operation (same SDK middleware; a new record per round, created by the doctor, who holds an authorization from the creation; data key cached)',
    `counts per request (identical across the n requests unless split as [k/n]); "items touched" names each DynamoDB call by the sort keys it reads or writes: BatchGetItem[META KEY 4 PRO] = the record and the professional's standing, Query[DOC# ≤${LIST_EVALUATION}] = one page of the documents; 1 MiB = ${LARGE_BYTES} bytes`,
    ['operation', 'n', 'KMS', 'DynamoDB', 'items touched', 'attempts', 'target', 'verdict'],
    rows.map((r) => [r.scenario, r.n, r.kms, r.dynamodb, r.items, r.attempts, r.target, r.ok === undefined ? 'info' : r.ok ? 'OK' : 'VIOLATED']),
    ['left', 'right', 'left', 'left', 'left', 'right', 'left', 'left'],
  );

const docLatencyTable = (l: DocLatencyResult): string =>
  table(
    `Documents: latency through the local runtime on moto (${l.rows[0]?.summary.n} samples each after ${l.warmupRounds} warm-up rounds, interleaved)`,
    `ms per request, client side until the whole answer is received (bodies serialized beforehand, answers parsed afterwards); × GetItem = median over the bare GetItem median (${ms(l.baseline.median)} ms) of the same rounds; AWS calls ms = median summed duration of the runtime's SDK calls; each round on a table created anew, untimed: a record by the doctor, its first access, 50 documents seeded; the deposits first (alternating), then the rest in a rotating order`,
    ['operation', 'n', 'median', 'p90', '× GetItem', 'AWS calls ms', 'note'],
    l.rows.map((r) => [r.name, r.summary.n, ms(r.summary.median), ms(r.summary.p90), ratio(r.ratio), r.awsMs ? ms(r.awsMs.median) : '', r.note]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'left'],
  );

const policyTable = (p: PolicyResult): string =>
  table(
    `Documents: the access policy's decision per document over ${p.documents} documents, in process (${p.iterations} iterations, medians; Node ${process.version})`,
    `one pass = documentReader(actor, record, standing, now, matrix) built once, then applied to each of the ${p.documents} opened documents (varied classes, types, labels, statuses, authors); relative to mapping the same ${p.documents} raw DynamoDB items with toStoredDocument: ${p.mappingUs} µs per pass, ${p.mappingNsPerItem} ns per item; opening their sealed facts (type, class, service date, content type, author: one AES-GCM per document, done before the policy weighs them): ${p.openingUs} µs per pass, ${p.openingNsPerItem} ns per item`,
    ['actor', 'visible', 'µs per pass', 'ns per document', '× mapping'],
    p.rows.map((r) => [r.actor, `${r.visible}/${p.documents}`, r.passUs.toFixed(1), r.nsPerDocument.toFixed(1), `${r.ratioToMapping.toFixed(3)}×`]),
  );

const listingTable = (l: ListingResult): string =>
  table(
    `Documents: a record of ${l.documents} documents listed over HTTP, GET …/documents?limit=100 (${l.samples} samples per actor after 1 warm-up, interleaved; seeded in ${l.seedSeconds} s by BatchWriteItem)`,
    `one listing request = one Query of at most ${LIST_EVALUATION} metadata items, newest first, answering the first 100 visible among them (fewer when the page holds fewer, then with a cursor); × GetItem = median over the bare GetItem median (${ms(l.baseline.median)} ms); × page Query = over the median of the listing's own Query sent alone from a bare client (${ms(l.query.median)} ms, ${l.queryItems} items: moto reads and sorts the whole partition on every Query, the record's Query included, where DynamoDB reads only what it returns; so the ${l.documents} documents are seeded as metadata items only, no chunks, which a listing never reads); AWS calls ms = summed durations of the runtime's SDK calls (its 3 Queries run side by side, moto serializes them); walk = every page with limit=100 following nextCursor; seeded mix: 1/10 by the patient, 1/7 by the doctor, 1/9 masked, 1/13 invisible to the patient, 1/11 archived, 1/15 superseded, 1/23 deleted (a list shows current documents)`,
    [
      'actor',
      'page 1 items',
      'more',
      'DynamoDB calls of one request',
      'median',
      'p90',
      '× GetItem',
      '× page Query',
      'AWS calls ms',
      'walk requests',
      'walk items',
      'walk Query[DOC#]',
      'walk DynamoDB calls',
    ],
    l.rows.map((r) => [
      r.actor,
      r.firstPageItems,
      r.firstPageMore ? 'yes' : 'no',
      r.firstPageItemsTouched,
      ms(r.summary.median),
      ms(r.summary.p90),
      ratio(r.ratio),
      ratio(r.ratioToQuery),
      ms(r.awsMs.median),
      r.walkRequests,
      r.walkItems,
      r.walkDocumentQueries,
      r.walkDynamoCalls,
    ]),
    ['left', 'right', 'left', 'left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right'],
  );

const claimsTable = (c: ClaimsResult): string => {
  const baselines = table(
    'Claims import baseline: a bare BatchWriteItem of new items of a sealed line’s size (600 B), 25 a call, on the same emulator, just before and just after the import',
    `items/s of each measure; the ratios below use the mean of each kind (one call at a time: ${Math.round(c.baseline.sequential)} items/s; ${c.baselines.at(-1)?.callsAtOnce ?? ''} at once, as the core sends its batch calls: ${Math.round(c.baseline.concurrent)} items/s)`,
    ['when', 'calls at once', 'items', 'seconds', 'items/s'],
    c.baselines.map((b) => [b.when, b.callsAtOnce, b.items, b.seconds.toFixed(1), Math.round(b.itemsPerSecond)]),
    ['left', 'right', 'right', 'right', 'right'],
  );
  const runs = table(
    `Claims import: a file of ${c.claimLines} claim lines (${c.fileRecords} NDJSON lines, ${(c.fileBytes / 1e6).toFixed(1)} MB; ${c.options.patients} patients with a DMP × ${c.options.linesPerPatient} lines, ${c.options.unknownPatients} without) through POST /_local/jobs/claims-import, in a process of its own with NODE_OPTIONS=${c.nodeOptions ? `'${c.nodeOptions}'` : 'unset'}`,
    `lines/s = claim lines of the run over its wall time; × BatchWriteItem = over the baseline above, one call at a time (target ≥ 0.50×, a timing: never fails the run) and as many at once as the core; each new line is one item (keyed by its sourceId; DynamoDB adds its entry in the history's index): items × at once = the items the run wrote per second over the baseline of as many calls at once (what the core adds beyond its writes); KMS per patient·batch = KMS calls over the patients of all batches (target ≤ ${MAX_KMS_PER_PATIENT_BATCH}, and 0 with every key cached); memory, above its level before the file (after a full collection): live = the heap right after each major collection, at its highest (what the process holds; target ≤ ${MAX_MEMORY_GROWTH_MB} MB), RSS and heap = high-water marks sampled every 25 ms (garbage not collected yet included); records created for it over HTTP in ${c.seedSeconds.toFixed(0)} s, untimed`,
    [
      'run',
      'seconds',
      'lines/s',
      '× BatchWriteItem',
      '× BatchWriteItem at once',
      'items × at once',
      'KMS',
      'KMS per patient·batch',
      'DynamoDB',
      'DynamoDB per line',
      'live +MB',
      'RSS +MB',
      'heap +MB',
      'calls',
    ],
    c.runs.map((r) => [
      r.name,
      r.seconds.toFixed(1),
      Math.round(r.linesPerSecond),
      ratio(r.ratio),
      ratio(r.ratioConcurrent),
      r.itemRatio > 0 ? ratio(r.itemRatio) : '—',
      r.kms,
      r.kmsPerPatientBatch.toFixed(3),
      r.dynamodb,
      r.dynamodbPerLine.toFixed(3),
      r.liveGrowthMb.toFixed(1),
      r.rssGrowthMb.toFixed(1),
      r.heapGrowthMb.toFixed(1),
      r.calls,
    ]),
    ['left', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'right', 'left'],
  );
  return [baselines, runs].join('\n');
};

const measurementsTable = (m: MeasurementsResult): string =>
  table(
    `Measurements: a paired device's POST …/measurements of 100 values through the local runtime on moto (${m.rounds} interleaved rounds after ${m.warmupRounds} warm-up rounds, medians)`,
    `ms per request, client side; × BatchWriteItem = median over the median of a bare BatchWriteItem of 100 items of a sealed measurement's size (${m.itemBytes} bytes), sent as ${m.baselineCalls}, on the same emulator in the same rounds (${m.baseline.median} ms, p90 ${m.baseline.p90}); AWS calls ms = median summed duration of the runtime's SDK calls per request (side-by-side calls overlap); AWS calls = what one request made on the runtime's clients (the same in every round unless split as [k/n]); each round on a new record with its device paired, untimed, its data key cached by the pairing`,
    ['operation', 'n', 'median', 'p90', '× BatchWriteItem', 'AWS calls ms', 'DynamoDB calls', 'KMS calls'],
    [
      ['bare BatchWriteItem, 100 items', m.baseline.n, ms(m.baseline.median), ms(m.baseline.p90), ratio(1), '', m.baselineCalls, '—'],
      ...m.rows.map((r) => [r.name, r.summary.n, ms(r.summary.median), ms(r.summary.p90), ratio(r.ratio), ms(r.awsMs.median), r.dynamodb, r.kms]),
    ],
    ['left', 'right', 'right', 'right', 'right', 'right', 'left', 'left'],
  );

const main = async (): Promise<void> => {
  say(`DMP backend benchmarks — Node ${process.version}, ${process.platform}/${process.arch}, ${QUICK ? 'QUICK (smoke) run' : 'full run'}`);
  if (!process.version.startsWith('v24.')) failures.push(`the figures are for Node 24 (Lambda nodejs24.x); this is Node ${process.version}: run through npm run bench`);

  const unknown = [...SECTIONS].filter((s) => !KNOWN_SECTIONS.includes(s));
  if (unknown.length > 0) throw new Error(`BENCH_SECTIONS: unknown section(s) ${unknown.join(', ')} (known: ${KNOWN_SECTIONS.join(', ')})`);
  const sectionTimes: Record<string, number> = {};
  const section = async <T>(name: string, run: () => Promise<T>): Promise<T | undefined> => {
    if (!SECTIONS.has(name)) return undefined;
    const t0 = performance.now();
    try {
      return await run();
    } finally {
      sectionTimes[name] = round((performance.now() - t0) / 1000, 1);
    }
  };
  let counterOf: ReturnType<typeof countRuntimeCalls> | undefined;
  const runtime = async (): Promise<{ bench: Bench; counter: ReturnType<typeof countRuntimeCalls> }> => {
    if (!bench) {
      progress('starting moto_server and the local runtime');
      bench = await startBench();
      counterOf = countRuntimeCalls(bench);
    }
    return { bench, counter: counterOf! };
  };
  const cold = await section('cold', async () => {
    say(
      "bundles: lib/dmp-function.ts's LAMBDA_BUNDLE options (ESM, minify, node24, source maps, createRequire banner, AWS SDK bundled); measured on this machine's CPU, Lambda runs arm64",
    );
    outDir = await mkdtemp(join(tmpdir(), 'dmp-bench-'));
    progress(`bundling 5 functions, their floors and 5 single dependencies into ${outDir}`);
    const bundles = await buildBundles(outDir);
    let lastPct = -1;
    const result = await measureColdStart(bundles, COLD_ROUNDS, DEP_ROUNDS, (done, total) => {
      const pct = Math.floor((done / total) * 4) * 25;
      if (pct !== lastPct) progress(`cold start: ${done}/${total} fresh processes`);
      lastPct = pct;
    });
    say(coldStartTables(result));
    return result;
  });

  const calls = await section('calls', async () => {
    const { bench: b, counter } = await runtime();
    const result = await measureCalls(b, counter, CALLS_PER_SCENARIO);
    failures.push(...result.failures);
    say(callsTable(result));
    return result;
  });

  const latency = await section('latency', async () => {
    const { bench: b, counter } = await runtime();
    progress(`latency: ${LATENCY_WARMUP + LATENCY_ROUNDS} rounds`);
    const result = await measureLatency(b, counter, LATENCY_ROUNDS, LATENCY_WARMUP);
    say(latencyTable(result));
    return result;
  });

  const documents = await section('documents', async () => {
    const { bench: b, counter } = await runtime();
    progress(`documents: calls per operation (${DOC_CALLS_PER_SCENARIO} records)`);
    const docCalls = await measureDocumentCalls(b, counter, DOC_CALLS_PER_SCENARIO);
    failures.push(...docCalls.failures);
    say(docCallsTable(docCalls.rows));
    progress(`documents: latency, ${DOC_LATENCY_WARMUP + DOC_LATENCY_ROUNDS} rounds`);
    const docLatency = await measureDocumentLatency(b, counter, DOC_LATENCY_ROUNDS, DOC_LATENCY_WARMUP);
    say(docLatencyTable(docLatency));
    progress(`documents: the policy over 1,000 documents in process, ${POLICY_ITERATIONS} iterations`);
    const policy = measurePolicy(POLICY_ITERATIONS);
    say(policyTable(policy));
    progress(`documents: a record of ${LISTING_DOCUMENTS} documents over HTTP`);
    const listing = await measureLargeListing(b, counter, LISTING_SAMPLES, LISTING_DOCUMENTS);
    failures.push(...listing.failures);
    say(listingTable(listing));
    return { calls: docCalls, latency: docLatency, policy, listing };
  });

  const claims = await section('claims', async () => {
    const linesPerPatient = Math.max(1, Math.round(CLAIMS_LINES / CLAIMS_PATIENTS));
    const result = await runInOwnProcess({ patients: CLAIMS_PATIENTS, linesPerPatient, unknownPatients: Math.ceil(CLAIMS_PATIENTS / 20) }, CLAIMS_NODE_OPTIONS);
    failures.push(...result.failures);
    say(claimsTable(result));
    return result;
  });

  const claimsRead = await section('claims-read', async () => {
    const { bench: b } = await runtime();
    const result = await measureClaimsReads(b, 15);
    say(`Reading the history (${result.rounds} interleaved rounds; median ms, and ratio to a bare GetItem of ${result.baseline.median} ms):`);
    for (const r of result.rows) say(`  ${r.name}: ${r.summary.median} ms (p90 ${r.summary.p90}) = ${round(r.ratio, 2)}× GetItem`);
    return result;
  });

  const measurements = await section('measurements', async () => {
    const { bench: b, counter } = await runtime();
    const result = await measureMeasurementWrites(b, counter, MEASUREMENT_ROUNDS, MEASUREMENT_WARMUP, progress);
    say(measurementsTable(result));
    return result;
  });

  const emergency = await section('emergency', async () => {
    const { bench: b, counter } = await runtime();
    const result = await measureEmergencySummary(b, counter, QUICK ? 3 : 15);
    failures.push(...result.failures);
    say(
      `Emergency summary (${result.rounds} interleaved rounds; a record with ${result.record.documents} documents, ${result.record.claimLines} history lines, ${result.record.vaccinations} vaccinations and a profile; median ms, and ratio to a bare GetItem of ${result.baseline.median} ms):`,
    );
    say(`  GET /v1/records/{dmpId}/emergency-summary: ${result.summary.median} ms (p90 ${result.summary.p90}) = ${round(result.ratio, 2)}× GetItem`);
    say(`  AWS calls of one summary (key cached): DynamoDB ${formatCalls(result.calls, 'dynamodb')}; KMS ${formatCalls(result.calls, 'kms')}`);
    return result;
  });

  const client = await section('client', async () => {
    const rows = await measureClientBundles();
    const client = rows[1]!;
    say(
      table(
        'The typed client in a browser: esbuild bundles (ESM, minified, es2022), raw and gzip -9',
        `× openapi-fetch = gzip size over openapi-fetch's alone; the generated types (clients/typescript/schema.d.ts) weigh nothing at run time; the example page = the client and the page's own script, as bin/local-web.ts serves it (the client is ${((client.gzipBytes / rows[2]!.gzipBytes) * 100).toFixed(0)} % of its gzip bytes)`,
        ['bundle', 'KB minified', 'KB gzip', '× openapi-fetch'],
        rows.map((r) => [r.name, kb(r.bytes), kb(r.gzipBytes), ratio(r.gzipBytes / rows[0]!.gzipBytes)]),
        ['left', 'right', 'right', 'right'],
      ),
    );
    return rows;
  });

  const searchIndex = await section('search-index', async () => {
    const { bench: b, counter } = await runtime();
    const result = await measureSearchIndex(b, counter, QUICK ? 2 : 8);
    say(
      table(
        'Keyword index job, one document (first of its record: key not cached)',
        'words: normalised words indexed; job ms: median; AWS calls of the job; index: its items and their bytes (names + values)',
        ['document', 'bytes', 'words', 'job ms', 'words/s', 'DynamoDB calls', 'KMS calls', 'index items', 'index bytes'],
        result.rows.map((r) => [
          r.document,
          r.bytes,
          r.words,
          ms(r.jobMs.median),
          r.wordsPerSecond,
          formatCalls(r.calls, 'dynamodb'),
          formatCalls(r.calls, 'kms'),
          r.items,
          r.indexBytes,
        ]),
      ),
    );
    say(
      `  Deposit (1 KiB text/plain), interleaved rounds: with the index's change feed ${result.deposit.deposit.median} ms (p90 ${result.deposit.deposit.p90}) = ${ratio(result.deposit.ratio)} a bare PutItem of 1 KiB (${result.deposit.baseline.median} ms); without it (before the index) ${result.deposit.before.median} ms (p90 ${result.deposit.before.p90}); after / before = ${ratio(result.deposit.afterOverBefore)} (target: unchanged); its AWS calls: DynamoDB ${formatCalls(result.deposit.calls, 'dynamodb')}; KMS ${formatCalls(result.deposit.calls, 'kms')} (no index work on the request's path)`,
    );
    return result;
  });

  const search = await section('search', async () => {
    const { bench: b, counter } = await runtime();
    const result = await measureSearch(b, counter, QUICK ? 3 : 15, { quick: QUICK, progress });
    failures.push(...result.failures);
    say(
      `Keyword search (${result.rounds} interleaved rounds; a record of ${result.record.documents} text documents and ${result.record.claimLines} history lines, seeded in ${round(result.seedSeconds, 1)} s and indexed by the index job in ${round(result.indexSeconds, 1)} s; the doctor's first page of 50; median ms, and ratio to a bare GetItem of ${result.baseline.median} ms):`,
    );
    for (const r of result.rows) {
      say(`  ${r.name} (q=${r.query}, ${r.found} items): ${r.summary.median} ms (p90 ${r.summary.p90}) = ${round(r.ratio, 2)}× GetItem (target ≤ 5×)`);
      say(`    AWS calls (key cached): DynamoDB ${formatCalls(r.calls, 'dynamodb')}; KMS ${formatCalls(r.calls, 'kms')}`);
      say(
        `    the same DynamoDB calls sent one after another from a bare client: ${r.replay.median} ms (${round(r.replay.median / result.baseline.median, 2)}× GetItem); the search = ${round(r.overReplay, 2)}× its own calls (HTTP, tokens, policy, sealing: the rest)`,
      );
    }
    return result;
  });

  const fhir = await section('fhir', async () => {
    const { bench: b, counter } = await runtime();
    const result = await measureFhir(b, counter, QUICK ? 3 : 15);
    say(`FHIR interface (${result.rounds} interleaved rounds, a record of ${result.documents} documents; median ms, ratio to the same data through /v1, target ≤ 1.2×):`);
    for (const r of result.rows) {
      say(`  ${r.name}: FHIR ${r.fhir.median} ms (p90 ${r.fhir.p90}), /v1 ${r.v1.median} ms (p90 ${r.v1.p90}) = ${round(r.ratio, 2)}×`);
      say(
        `    AWS calls: FHIR DynamoDB ${formatCalls(r.fhirCalls, 'dynamodb')}, KMS ${formatCalls(r.fhirCalls, 'kms')}; /v1 DynamoDB ${formatCalls(r.v1Calls, 'dynamodb')}, KMS ${formatCalls(r.v1Calls, 'kms')}`,
      );
    }
    return result;
  });

  await cleanup();
  const elapsed = (performance.now() - started) / 1000;
  say('');
  say(
    `■ Verdict (structural targets only; timings never fail the run) — bench took ${elapsed.toFixed(1)} s (${Object.entries(sectionTimes)
      .map(([k, v]) => `${k} ${v} s`)
      .join(', ')})`,
  );
  const flagged = (cold?.rows ?? []).filter((r) => r.bytes > MAX_BUNDLE_BYTES || (r.ratio !== undefined && r.ratio > MAX_RATIO));
  for (const r of flagged) {
    say(
      `  flag  ${r.name}: ${[r.bytes > MAX_BUNDLE_BYTES ? `bundle ${kb(r.bytes)} KB > 1 MB` : '', r.ratio !== undefined && r.ratio > MAX_RATIO ? `import ${ratio(r.ratio)} its SDK floor (target ≤ ${MAX_RATIO.toFixed(2)}×)` : ''].filter(Boolean).join('; ')}`,
    );
  }
  if (failures.length === 0) say('  OK    every structural target holds');
  for (const f of failures) say(`  FAIL  ${f}`);

  const json = {
    node: process.version,
    quick: QUICK,
    elapsedSeconds: round(elapsed, 1),
    sections: [...SECTIONS],
    sectionSeconds: sectionTimes,
    coldStart: cold
      ? {
          samplesPerBundle: cold.samplesPerBundle,
          maxRatio: MAX_RATIO,
          maxBundleBytes: MAX_BUNDLE_BYTES,
          functions: cold.rows.map((r) => ({
            name: r.name,
            sdkClients: r.clients,
            bytes: r.bytes,
            floorBytes: r.floorBytes,
            importMs: r.fn,
            floorImportMs: r.floor,
            bootPlusImportMedianMs: round(r.fnReadyMedian),
            floorBootPlusImportMedianMs: round(r.floorReadyMedian),
            addedMs: round(r.addedMs),
            ratio: r.ratio === undefined ? null : round(r.ratio, 3),
            composition: r.composition,
            flags: { overOneMegabyte: r.bytes > MAX_BUNDLE_BYTES, ratioAboveTarget: r.ratio !== undefined && r.ratio > MAX_RATIO },
          })),
          emptyModuleImportMs: cold.empty,
          dependencies: cold.dependencies.map((d) => ({ name: d.name, bytes: d.bytes, importMs: d.import, addedMs: round(d.addedMs) })),
        }
      : null,
    calls: calls
      ? calls.rows.map((r) => ({
          scenario: r.scenario.trim(),
          n: r.n,
          target: r.target,
          ok: r.ok ?? null,
          perRequest: r.samples,
          httpAttempts: r.attempts,
          violations: r.violations,
        }))
      : null,
    latency: latency
      ? {
          baselineMedianMs: latency.baseline.median,
          operations: latency.rows.map((r) => ({
            name: r.name.trim(),
            note: r.note,
            ms: r.summary,
            ratioToGetItem: round(r.ratio, 2),
            awsCallsMs: r.awsMs ?? null,
            samplesMs: r.samples,
          })),
        }
      : null,
    documents: documents
      ? {
          calls: documents.calls.rows.map((r) => ({
            scenario: r.scenario,
            n: r.n,
            target: r.target,
            ok: r.ok ?? null,
            perRequest: r.samples,
            itemsTouched: r.items,
            httpAttempts: r.attempts,
            violations: r.violations,
          })),
          latency: {
            baselineMedianMs: documents.latency.baseline.median,
            operations: documents.latency.rows.map((r) => ({
              name: r.name,
              note: r.note,
              ms: r.summary,
              ratioToGetItem: round(r.ratio, 2),
              awsCallsMs: r.awsMs ?? null,
              samplesMs: r.samples,
            })),
          },
          policy: documents.policy,
          listing: {
            ...documents.listing,
            rows: documents.listing.rows.map((r) => ({ ...r, ratio: round(r.ratio, 2) })),
          },
        }
      : null,
    claimsRead,
    client: client ?? null,
    emergency: emergency ? { ...emergency, ratio: round(emergency.ratio, 2) } : null,
    searchIndex: searchIndex
      ? { ...searchIndex, deposit: { ...searchIndex.deposit, ratio: round(searchIndex.deposit.ratio, 2), afterOverBefore: round(searchIndex.deposit.afterOverBefore, 2) } }
      : null,
    search: search ? { ...search, rows: search.rows.map((r) => ({ ...r, ratio: round(r.ratio, 2), overReplay: round(r.overReplay, 2) })) } : null,
    fhir: fhir ? { ...fhir, rows: fhir.rows.map((r) => ({ ...r, ratio: round(r.ratio, 2) })) } : null,
    measurements: measurements ? { ...measurements, rows: measurements.rows.map((r) => ({ ...r, ratio: round(r.ratio, 2) })) } : null,
    claims: claims
      ? {
          ...claims,
          runs: claims.runs.map((r) => ({
            ...r,
            ratio: round(r.ratio, 3),
            ratioConcurrent: round(r.ratioConcurrent, 3),
            itemRatio: round(r.itemRatio, 3),
            kmsPerPatientBatch: round(r.kmsPerPatientBatch, 3),
            dynamodbPerLine: round(r.dynamodbPerLine, 3),
          })),
        }
      : null,
    failures,
  };
  if (process.env.BENCH_JSON) {
    await writeFile(process.env.BENCH_JSON, `${JSON.stringify(json, null, 2)}\n`);
    say(`\nJSON figures written to ${process.env.BENCH_JSON}`);
  } else {
    say('\n■ JSON');
    say(JSON.stringify(json));
  }
};

try {
  await main();
} catch (error) {
  failures.push(`the bench broke: ${(error as Error).stack ?? String(error)}`);
  say(`\nFAIL  the bench broke: ${(error as Error).stack ?? String(error)}`);
} finally {
  await cleanup();
}
process.exit(failures.length > 0 ? 1 : 0);

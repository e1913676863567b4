/**
 * `npm run bench`: cold start per Lambda function against its AWS SDK floor, AWS calls per
 * operation, and latency through the local runtime. Prints figures; timings never fail the run.
 * It exits non-zero only when something breaks or a structural target is violated (exact AWS call
 * counts, the Node version the figures are for), and says which.
 *
 * Env: BENCH_JSON=path writes the figures as JSON there (otherwise they close stdout);
 * BENCH_QUICK=1 takes few samples (a smoke run of the bench itself, figures not meaningful).
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { countRuntimeCalls, measureCalls, type CallsResult } from './calls.ts';
import { buildBundles, measureColdStart, GROUPS, type ColdStartResult } from './cold-start.ts';
import { startBench, type Bench } from './harness.ts';
import { measureLatency, type LatencyResult } from './latency.ts';
import { ms, ratio, round, table } from './report.ts';

const QUICK = process.env.BENCH_QUICK === '1';
const COLD_ROUNDS = QUICK ? 3 : 30;
const DEP_ROUNDS = QUICK ? 2 : 12;
const CALLS_PER_SCENARIO = QUICK ? 2 : 5;
const LATENCY_ROUNDS = QUICK ? 5 : 60;
const LATENCY_WARMUP = QUICK ? 1 : 5;
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
    'what each bundle is made of; "AWS SDK" = @aws-sdk/*, @smithy/* and their helpers; "other" = @aws/lambda-invoke-store (shared by powertools and the SDK)',
    ['function', 'total', ...GROUPS],
    c.rows.map((r) => [r.name, kb(r.bytes), ...GROUPS.map((g) => (r.composition[g] ? kb(r.composition[g]) : '—'))]),
  );
  const deps = table(
    `Where import time goes: single dependencies bundled alone, same options (${c.empty.n} samples each, interleaved with an empty module: median ${ms(c.empty.median)} ms)`,
    'added = median − empty module median; the last two rows are the same records bundle as deployed (source maps shipped, not parsed) and with NODE_OPTIONS=--enable-source-maps',
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

const main = async (): Promise<void> => {
  say(`DMP backend benchmarks — Node ${process.version}, ${process.platform}/${process.arch}, ${QUICK ? 'QUICK (smoke) run' : 'full run'}`);
  if (!process.version.startsWith('v24.')) failures.push(`the figures are for Node 24 (Lambda nodejs24.x); this is Node ${process.version}: run through npm run bench`);

  say("bundles: lib/dmp-function.ts's LAMBDA_BUNDLE options (ESM, minify, node24, source maps, createRequire banner, AWS SDK bundled); measured on this machine's CPU, Lambda runs arm64");
  outDir = await mkdtemp(join(tmpdir(), 'dmp-bench-'));
  progress(`bundling 5 functions, their floors and 5 single dependencies into ${outDir}`);
  const bundles = await buildBundles(outDir);
  let lastPct = -1;
  const cold = await measureColdStart(bundles, COLD_ROUNDS, DEP_ROUNDS, (done, total) => {
    const pct = Math.floor((done / total) * 4) * 25;
    if (pct !== lastPct) progress(`cold start: ${done}/${total} fresh processes`);
    lastPct = pct;
  });
  say(coldStartTables(cold));

  progress('starting moto_server and the local runtime');
  bench = await startBench();
  const counter = countRuntimeCalls(bench);
  const calls = await measureCalls(bench, counter, CALLS_PER_SCENARIO);
  failures.push(...calls.failures);
  say(callsTable(calls));

  progress(`latency: ${LATENCY_WARMUP + LATENCY_ROUNDS} rounds`);
  const latency = await measureLatency(bench, counter, LATENCY_ROUNDS, LATENCY_WARMUP);
  say(latencyTable(latency));

  await cleanup();
  const elapsed = (performance.now() - started) / 1000;
  say('');
  say(`■ Verdict (structural targets only; timings never fail the run) — bench took ${elapsed.toFixed(1)} s`);
  const flagged = cold.rows.filter((r) => r.bytes > MAX_BUNDLE_BYTES || (r.ratio !== undefined && r.ratio > MAX_RATIO));
  for (const r of flagged) {
    say(`  flag  ${r.name}: ${[r.bytes > MAX_BUNDLE_BYTES ? `bundle ${kb(r.bytes)} KB > 1 MB` : '', r.ratio !== undefined && r.ratio > MAX_RATIO ? `import ${ratio(r.ratio)} its SDK floor (target ≤ ${MAX_RATIO.toFixed(2)}×)` : ''].filter(Boolean).join('; ')}`);
  }
  if (failures.length === 0) say('  OK    every structural target holds');
  for (const f of failures) say(`  FAIL  ${f}`);

  const json = {
    node: process.version,
    quick: QUICK,
    elapsedSeconds: round(elapsed, 1),
    coldStart: {
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
    },
    calls: calls.rows.map((r) => ({ scenario: r.scenario.trim(), n: r.n, target: r.target, ok: r.ok ?? null, perRequest: r.samples, httpAttempts: r.attempts, violations: r.violations })),
    latency: {
      baselineMedianMs: latency.baseline.median,
      operations: latency.rows.map((r) => ({ name: r.name.trim(), note: r.note, ms: r.summary, ratioToGetItem: round(r.ratio, 2), awsCallsMs: r.awsMs ?? null, samplesMs: r.samples })),
    },
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

/**
 * The claims import (section `claims`): a generated NDJSON file of 100,000 claim lines imported
 * through the local runtime (POST /_local/jobs/claims-import), which runs the import use case and
 * the claims ingestion core the runtime wires in (functions/jobs/claims-batches.ts). Figures:
 *   - claim lines per second, as a ratio to a bare BatchWriteItem of items of the size of a sealed
 *     line on the same emulator, measured just before and just after the import (their mean is
 *     the baseline: the emulator slows as its table grows, and other work on the machine comes and
 *     goes): one call at a time, and as many calls at once as the core sends (store.ts
 *     CLAIM_CALLS_AT_ONCE). Target ≥ 0.5× the first; a timing, printed, never failing the run;
 *   - KMS calls per patient per batch (structural target ≤ 1, with no data key cached; 0 when every
 *     key is cached, which a small re-send of lines of the patients imported last shows), and the
 *     DynamoDB calls per line, by command;
 *   - the memory growth of the process over the whole file, above what it held just before the
 *     import: the heap right after each major collection (what the process holds: structural
 *     target ≤ 64 MB), and the RSS and heap high-water marks (printed: they also count garbage
 *     not collected yet).
 *
 * The patients are real records created through POST /v1/records (the import stores lines of
 * records only); a share of the file names patients without a DMP. The files are written to a
 * temporary directory as a stream and read by the runtime from there.
 *
 * The section runs in a process of its own (claims-process.ts, started by runInOwnProcess) with the
 * claims import Lambda's NODE_OPTIONS: the memory figures are those of a process with the V8
 * settings the import has in AWS, and not shaped by the bench's earlier sections.
 *
 * The runtime's claims core is probed first: a placeholder stops the section at once with that
 * message rather than creating records for nothing.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { createWriteStream } from 'node:fs';
import { mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { PerformanceObserver, constants as perfConstants } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { BatchWriteItemCommand, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { CLAIM_CALLS_AT_ONCE } from '../../functions/capabilities/claims/store.ts';
import { randomIns, randomRpps } from '../support/fixtures.ts';
import { type CallCounter, countOf, formatCalls } from './counting.ts';
import { type Bench, creationBody, expectStatus } from './harness.ts';

/** The structural targets of the issue: at most one KMS call per patient per batch, and a flat memory. */
export const MAX_KMS_PER_PATIENT_BATCH = 1;
export const MAX_MEMORY_GROWTH_MB = 64;
/** The bytes of a stored line the baseline writes (a sealed line is well under 1 KB). */
const BASELINE_ITEM_BYTES = 600;
/** Items of one baseline measure: enough for a steady rate, few enough to repeat it around the import. */
const BASELINE_ITEMS = 20_000;
/** Lines of the re-send whose keys are all cached: enough to count KMS calls, small enough to be quick. */
const CACHED_LINES = 5_000;
const MB = 1024 * 1024;

/**
 * A POST that waits as long as the import takes: fetch gives up after 5 minutes without response
 * headers, and a 100,000-line import on the single-threaded emulator can take longer.
 */
const postUntimed = (bench: Bench, path: string, body: unknown): Promise<{ status: number; body: any }> =>
  new Promise((resolve, reject) => {
    const payload = JSON.stringify(body);
    const req = request(`${bench.runtime.url}${path}`, { method: 'POST', headers: { 'Content-Type': 'application/json', 'Content-Length': Buffer.byteLength(payload) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode ?? 0, body: text ? JSON.parse(text) : undefined });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });

export interface ClaimsOptions {
  /** Patients with a DMP in the file. */
  patients: number;
  /** Claim lines per patient with a DMP: patients × linesPerPatient is the file's claim lines. */
  linesPerPatient: number;
  /** Patients without a DMP, one line each (answered `unknown`, nothing stored). */
  unknownPatients: number;
}

/** The import's totals as POST /_local/jobs/claims-import answers them. */
interface Totals {
  batches: number;
  records: number;
  malformed: number;
  patients: { stored: number; unknown: number; closed: number };
  lines: { accepted: number; corrected: number; duplicate: number; rejected: number };
}

export interface ImportRun {
  name: string;
  seconds: number;
  linesPerSecond: number;
  /** Over the baseline of one BatchWriteItem call at a time. */
  ratio: number;
  /** Over the baseline of as many BatchWriteItem calls at once as the core sends. */
  ratioConcurrent: number;
  /**
   * The items the run wrote (a stored line is one item) per second, over that same baseline: what
   * the core adds beyond its writes (reads, sealing, round trips between steps).
   */
  itemRatio: number;
  kms: number;
  kmsPerPatientBatch: number;
  dynamodb: number;
  dynamodbPerLine: number;
  calls: string;
  totals: Totals;
  rssGrowthMb: number;
  heapGrowthMb: number;
  /** The heap after major collections, at its highest, above its level before: what the structural target applies to. */
  liveGrowthMb: number;
}

export interface ClaimsResult {
  options: ClaimsOptions;
  /** The NODE_OPTIONS of the process that ran the import (and measured its memory). */
  nodeOptions: string;
  fileBytes: number;
  fileRecords: number;
  claimLines: number;
  seedSeconds: number;
  /** Every baseline measure, in the order taken, and the mean rates the ratios use. */
  baselines: Baseline[];
  baseline: { sequential: number; concurrent: number };
  runs: ImportRun[];
  failures: string[];
}

const dayOffset = (days: number): string => new Date(Date.now() - days * 86_400_000).toISOString().slice(0, 10);

/** One claim line, of the shapes of data/claims-codes.json's examples, with a unique sourceId. */
const claimLine = (patient: number, line: number, prescriber: string) => {
  const sourceId = `BENCH-${patient}-${line}`;
  const date = dayOffset(1 + ((patient * 31 + line * 7) % 700));
  switch (line % 3) {
    case 0:
      return {
        sourceId,
        category: 'medication',
        date,
        codeSystem: 'CIP13',
        code: `34009${String(30_000_000 + ((patient + line) % 9_000_000)).padStart(8, '0')}`,
        display: 'DOLIPRANE 1000 mg cp',
        atcGroup: 'N02',
        activeComponents: ['1234'],
        quantity: 2,
        prescriber: { id: prescriber, profession: '10' },
      };
    case 1:
      return { sourceId, category: 'act', date, codeSystem: 'CCAM', code: 'QEQJ001', display: 'échographie', performer: { id: prescriber, finess: '750712184' } };
    default:
      return { sourceId, category: 'lab', date, codeSystem: 'NABM', code: '1104', display: 'hémogramme', prescriber: { id: prescriber, profession: '10' } };
  }
};

/**
 * Writes the NDJSON file as a stream (never whole in memory): known patients, with unknown ones
 * spread among them. `first` is the index of the first patient in the whole list: a patient's
 * lines (their sourceIds and dates) are the same in every file that names it.
 */
const writeFile_ = async (path: string, ins: string[], o: ClaimsOptions, first = 0): Promise<{ records: number; lines: number }> => {
  const out = createWriteStream(path);
  // events.once removes its listeners when it settles (and rejects on 'error'): none pile up.
  const write = async (text: string): Promise<void> => {
    if (!out.write(text)) await once(out, 'drain');
  };
  const prescriber = randomRpps();
  const every = o.unknownPatients > 0 ? Math.max(1, Math.floor(ins.length / o.unknownPatients)) : Number.POSITIVE_INFINITY;
  let unknown = 0;
  let records = 0;
  let lines = 0;
  for (const [p, patientIns] of ins.entries()) {
    const claimLines = Array.from({ length: o.linesPerPatient }, (_, l) => claimLine(first + p, l, prescriber));
    await write(`${JSON.stringify({ ins: patientIns, lines: claimLines })}\n`);
    records += 1;
    lines += claimLines.length;
    if (p % every === 0 && unknown < o.unknownPatients) {
      await write(`${JSON.stringify({ ins: randomIns(), lines: [claimLine(1_000_000 + unknown, 0, prescriber)] })}\n`);
      unknown += 1;
      records += 1;
    }
  }
  await new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve())));
  return { records, lines };
};

/** Records created over HTTP, a few at a time: their INS and ids. */
const createRecords = async (bench: Bench, count: number, progress: (text: string) => void): Promise<{ ins: string[]; dmpIds: string[] }> => {
  const token = await bench.professionalToken();
  const ins: string[] = [];
  const dmpIds: string[] = [];
  let next = 0;
  const worker = async () => {
    while (next < count) {
      next += 1;
      const body = creationBody();
      const res = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token, body }), 201);
      ins.push(body.ins);
      dmpIds.push(res.body.dmpId as string);
      if (ins.length % 500 === 0) progress(`claims: ${ins.length}/${count} records created`);
    }
  };
  await Promise.all(Array.from({ length: 4 }, worker));
  return { ins, dmpIds };
};

export interface Baseline {
  when: string;
  /** BatchWriteItem calls in flight at once. */
  callsAtOnce: number;
  items: number;
  seconds: number;
  itemsPerSecond: number;
}

let baselineRuns = 0;
/**
 * A bare BatchWriteItem of `items` new items of a sealed line's size, 25 a call, `callsAtOnce`
 * calls in flight, on the runtime's table.
 */
const baselineWrites = async (bench: Bench, when: string, items: number, callsAtOnce: number): Promise<Baseline> => {
  const { db, config } = bench.runtime.deps;
  const payload = randomBytes(BASELINE_ITEM_BYTES);
  const run = ++baselineRuns;
  let next = 0;
  const t0 = performance.now();
  const writer = async () => {
    while (next < items) {
      const i = next;
      next += 25;
      let requests: WriteRequest[] = Array.from({ length: Math.min(25, items - i) }, (_, j) => ({
        PutRequest: { Item: { pk: { S: `BENCH#claims#${(i + j) % 1000}` }, sk: { S: `LINE#${run}#${i + j}` }, sealed: { B: payload } } },
      }));
      while (requests.length > 0) {
        const out = await db.send(new BatchWriteItemCommand({ RequestItems: { [config.tableName]: requests } }));
        requests = out.UnprocessedItems?.[config.tableName] ?? [];
      }
    }
  };
  await Promise.all(Array.from({ length: callsAtOnce }, writer));
  const seconds = (performance.now() - t0) / 1000;
  return { when, callsAtOnce, items, seconds, itemsPerSecond: items / seconds };
};

const mean = (xs: number[]): number => xs.reduce((a, b) => a + b, 0) / Math.max(1, xs.length);

/** The runtime's own collector, exposed in this process (the bench runs without --expose-gc). */
const collect = (() => {
  setFlagsFromString('--expose-gc');
  return runInNewContext('gc') as () => void;
})();

/**
 * The process's memory while `run` runs, above what it held just before (after a full collection):
 *   - `liveGrowthMb`: the heap right after each major collection during the run, at its highest:
 *     what the process holds (the file, were it held whole, would show here);
 *   - `rssGrowthMb`, `heapGrowthMb`: the RSS and heap high-water marks, sampled every 25 ms: they
 *     also count the garbage V8 has not collected yet, which it lets grow far above the live heap
 *     while memory is plentiful.
 */
const watchMemory = async <T>(run: () => Promise<T>): Promise<{ value: T; rssGrowthMb: number; heapGrowthMb: number; liveGrowthMb: number }> => {
  collect();
  const before = process.memoryUsage();
  let rss = before.rss;
  let heap = before.heapUsed;
  let live = before.heapUsed;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    heap = Math.max(heap, m.heapUsed);
  };
  const afterCollections = new PerformanceObserver((entries) => {
    if (entries.getEntries().some((e) => (e as { detail?: { kind?: number } }).detail?.kind === perfConstants.NODE_PERFORMANCE_GC_MAJOR)) {
      live = Math.max(live, process.memoryUsage().heapUsed);
    }
  });
  afterCollections.observe({ entryTypes: ['gc'] });
  const timer = setInterval(sample, 25);
  try {
    const value = await run();
    sample();
    return { value, rssGrowthMb: (rss - before.rss) / MB, heapGrowthMb: (heap - before.heapUsed) / MB, liveGrowthMb: (live - before.heapUsed) / MB };
  } finally {
    clearInterval(timer);
    afterCollections.disconnect();
  }
};

export const measureClaimsImport = async (bench: Bench, counter: CallCounter, o: ClaimsOptions, progress: (text: string) => void): Promise<ClaimsResult> => {
  const failures: string[] = [];
  const dir = await mkdtemp(join(tmpdir(), 'dmp-bench-claims-'));
  try {
    // The runtime's claims core first: a placeholder answers 501 before anything costly is done.
    // One patient without a DMP: the core is called, nothing is stored.
    const probe = join(dir, 'probe.ndjson');
    await writeFile(probe, `${JSON.stringify({ ins: randomIns(), lines: [claimLine(2_000_000, 0, randomRpps())] })}\n`);
    const probed = await bench.call('POST', '/_local/jobs/claims-import', { body: { path: probe } });
    if (probed.status === 501) throw new Error(`the claims section needs the claims ingestion core: ${probed.body?.detail ?? 'not merged'}`);
    expectStatus('POST /_local/jobs/claims-import (probe)', probed, 200);

    progress(`claims: creating ${o.patients} records over HTTP`);
    const s0 = performance.now();
    const { ins, dmpIds } = await createRecords(bench, o.patients, progress);
    const seedSeconds = (performance.now() - s0) / 1000;
    const file = join(dir, 'claims.ndjson');
    const { records, lines } = await writeFile_(file, ins, o);
    const fileBytes = (await stat(file)).size;

    const baselines: Baseline[] = [];
    const measureBaselines = async (when: string): Promise<void> => {
      const items = Math.min(BASELINE_ITEMS, lines);
      for (const callsAtOnce of [1, CLAIM_CALLS_AT_ONCE]) {
        progress(`claims: baseline ${when}, ${items} items by BatchWriteItem, ${callsAtOnce} call(s) at once`);
        baselines.push(await baselineWrites(bench, when, items, callsAtOnce));
      }
    };
    const rateOf = (callsAtOnce: number): number => mean(baselines.filter((b) => b.callsAtOnce === callsAtOnce).map((b) => b.itemsPerSecond));

    const measured: {
      name: string;
      seconds: number;
      claimLines: number;
      value: { status: number; body: any };
      rssGrowthMb: number;
      heapGrowthMb: number;
      liveGrowthMb: number;
      calls: Record<string, number>;
    }[] = [];
    const importOnce = async (name: string, path: string, claimLines: number): Promise<void> => {
      progress(`claims: ${name}`);
      counter.reset();
      const t0 = performance.now();
      const { value, rssGrowthMb, heapGrowthMb, liveGrowthMb } = await watchMemory(() => postUntimed(bench, '/_local/jobs/claims-import', { path }));
      const seconds = (performance.now() - t0) / 1000;
      measured.push({ name, seconds, claimLines, value, rssGrowthMb, heapGrowthMb, liveGrowthMb, calls: counter.take().calls });
    };

    // The baseline around the import: before it, then after it (the mean of the two is used).
    await measureBaselines('before the import');
    // No data key cached (the creations cached the last ones): every patient's key is unwrapped.
    for (const dmpId of dmpIds) bench.runtime.deps.keyRing.forget(dmpId);
    await importOnce('first import (data keys not cached)', file, lines);
    await measureBaselines('after the import');
    // Lines of the patients imported last, sent again as a new file (another version): every line
    // a duplicate, and every key cached (the runtime's cache holds the last 500 keys for 5 minutes).
    const cachedPatients = Math.max(1, Math.min(ins.length, 500, Math.ceil(CACHED_LINES / o.linesPerPatient)));
    const cached = join(dir, 'claims-cached.ndjson');
    const cachedWritten = await writeFile_(cached, ins.slice(-cachedPatients), { ...o, unknownPatients: 0 }, ins.length - cachedPatients);
    await importOnce(`${cachedWritten.lines} lines of the last ${cachedPatients} patients sent again (duplicates; every key cached)`, cached, cachedWritten.lines);

    const runs: ImportRun[] = [];
    for (const m of measured) {
      expectStatus(`POST /_local/jobs/claims-import (${m.name})`, m.value, 200);
      const result = m.value.body.result as { status: string; totals: Totals };
      if (result.status !== 'complete') failures.push(`claims ${m.name}: the import ended ${result.status}`);
      const patientBatches = result.totals.patients.stored + result.totals.patients.unknown + result.totals.patients.closed;
      const kms = countOf(m.calls, 'kms');
      const dynamodb = countOf(m.calls, 'dynamodb');
      runs.push({
        name: m.name,
        seconds: m.seconds,
        linesPerSecond: m.claimLines / m.seconds,
        ratio: m.claimLines / m.seconds / rateOf(1),
        ratioConcurrent: m.claimLines / m.seconds / rateOf(CLAIM_CALLS_AT_ONCE),
        itemRatio: result.totals.lines.accepted / m.seconds / rateOf(CLAIM_CALLS_AT_ONCE),
        kms,
        kmsPerPatientBatch: patientBatches > 0 ? kms / patientBatches : 0,
        dynamodb,
        dynamodbPerLine: dynamodb / m.claimLines,
        calls: `${formatCalls(m.calls, 'kms')}; ${formatCalls(m.calls, 'dynamodb')}`,
        totals: result.totals,
        rssGrowthMb: m.rssGrowthMb,
        heapGrowthMb: m.heapGrowthMb,
        liveGrowthMb: m.liveGrowthMb,
      });
    }

    const [first, second] = runs;
    if (first) {
      const t = first.totals;
      if (t.lines.accepted !== lines)
        failures.push(`claims: ${t.lines.accepted} of ${lines} lines accepted (rejected ${t.lines.rejected}: the generated lines do not fit the core's schema?)`);
      if (t.patients.unknown !== o.unknownPatients) failures.push(`claims: ${t.patients.unknown} unknown patients, ${o.unknownPatients} expected`);
    }
    if (second && second.totals.lines.duplicate !== cachedWritten.lines) failures.push('claims: the re-sent lines were not all found duplicates');
    for (const r of runs) {
      if (r.kmsPerPatientBatch > MAX_KMS_PER_PATIENT_BATCH)
        failures.push(`claims ${r.name}: ${r.kmsPerPatientBatch.toFixed(2)} KMS calls per patient per batch (target ≤ ${MAX_KMS_PER_PATIENT_BATCH})`);
      if (r.liveGrowthMb > MAX_MEMORY_GROWTH_MB)
        failures.push(`claims ${r.name}: the heap after collections grew ${r.liveGrowthMb.toFixed(1)} MB over the file (target ≤ ${MAX_MEMORY_GROWTH_MB})`);
    }
    if (second && second.kms > 0) failures.push(`claims: ${second.kms} KMS calls with every data key cached (target 0)`);
    return {
      options: o,
      nodeOptions: process.env.NODE_OPTIONS ?? '',
      fileBytes,
      fileRecords: records,
      claimLines: lines,
      seedSeconds,
      baselines,
      baseline: { sequential: rateOf(1), concurrent: rateOf(CLAIM_CALLS_AT_ONCE) },
      runs,
      failures,
    };
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

/**
 * Runs the section in a process of its own (claims-process.ts), with `nodeOptions` added to its
 * NODE_OPTIONS, the same loader as this process (tsx), and its progress on this process's stderr.
 */
export const runInOwnProcess = async (o: ClaimsOptions, nodeOptions: string): Promise<ClaimsResult> => {
  const dir = await mkdtemp(join(tmpdir(), 'dmp-bench-claims-result-'));
  try {
    const out = join(dir, 'result.json');
    const child = spawn(process.execPath, [...process.execArgv, fileURLToPath(new URL('./claims-process.ts', import.meta.url))], {
      env: {
        ...process.env,
        NODE_OPTIONS: [process.env.NODE_OPTIONS, nodeOptions].filter(Boolean).join(' '),
        BENCH_CLAIMS_OUT: out,
        BENCH_CLAIMS_OPTIONS: JSON.stringify(o),
      },
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    const [code, signal] = (await once(child, 'exit')) as [number | null, string | null];
    if (code !== 0) throw new Error(`the claims section's process ended with ${code ?? signal}`);
    return JSON.parse(await readFile(out, 'utf8')) as ClaimsResult;
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
};

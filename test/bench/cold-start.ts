/**
 * Cold start per Lambda function: each entry is bundled the way the CDK stack bundles it, beside a
 * "floor" bundle that holds only the AWS SDK clients the function creates at module scope. Import
 * time is measured in fresh Node processes (one process per sample), function and floor samples
 * interleaved, so that the ratio function/floor says what our code and our other dependencies add
 * to the unavoidable SDK cost.
 */
import { spawn } from 'node:child_process';
import { mkdir, stat, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { build, type Metafile } from 'esbuild';
import { summarize, type Summary } from './report.ts';
import { FUNCTIONS, LAMBDA_BUNDLING, LAMBDA_ENV, SDK_PACKAGE, type SdkClient } from '../support/lambda-bundles.ts';

export const ROOT = resolve(import.meta.dirname, '../..');

/** The floor: the function's SDK clients, imported and created as functions/adapters/aws.ts does in AWS (no endpoint). */
const floorSource = (clients: SdkClient[]): string =>
  clients.length === 0
    ? 'export {};\n'
    : [
        ...clients.map((c) => `import { ${c} } from '${SDK_PACKAGE[c]}';`),
        `const settings = { region: process.env.AWS_REGION ?? 'eu-west-3', maxAttempts: 3 };`,
        `export const clients = [${clients.map((c) => `new ${c}(settings)`).join(', ')}];`,
        '',
      ].join('\n');

/**
 * Single dependencies, bundled alone with the same options, used the way our code uses them: which
 * of them dominates import time.
 */
const DEPENDENCIES: { name: string; source: string }[] = [
  { name: 'zod (z namespace, one schema)', source: `import { z } from 'zod';\nexport const s = z.strictObject({ a: z.string().min(1) });\n` },
  { name: 'functions/capabilities/index.ts (zod + the contract)', source: `export * from './functions/capabilities/index.ts';\n` },
  {
    name: 'jose (remote JWKS + jwtVerify)',
    source: `import { createRemoteJWKSet, decodeJwt, jwtVerify, errors } from 'jose';\nexport { createRemoteJWKSet, decodeJwt, jwtVerify, errors };\n`,
  },
  {
    name: 'functions/adapters/logger.ts (console, Lambda JSON format)',
    source: `import { makeLogger } from './functions/adapters/logger.ts';\nexport const logger = makeLogger();\n`,
  },
  {
    name: '@middy/core + functions/http/response-headers.ts',
    source: `import middy from '@middy/core';\nimport { responseHeaders } from './functions/http/response-headers.ts';\nexport const h = middy().use(responseHeaders('https://www.dmp.fr')).handler(async () => ({}));\n`,
  },
];

/** Runs in the child: the import, timed from inside, on a fresh process. */
const PROBE = `import { pathToFileURL } from 'node:url';
const bundle = process.argv[2];
const t0 = performance.now();
const mod = await import(pathToFileURL(bundle).href);
let t1 = performance.now();
if (process.env.BENCH_FIRST_REQUEST) {
  const { event, status } = JSON.parse(process.env.BENCH_FIRST_REQUEST);
  const res = await mod.handler(event, {});
  if (res.statusCode !== status) throw new Error('the first request answered ' + res.statusCode + ', not ' + status + ': ' + res.body);
  t1 = performance.now();
}
process.stdout.write(JSON.stringify({ importMs: t1 - t0, readyMs: t1, exports: Object.keys(mod) }) + '\\n');
process.exit(0);
`;

export interface Bundle {
  name: string;
  file: string;
  bytes: number;
  /** Environment of the importing process, over LAMBDA_ENV. */
  env?: Record<string, string>;
  /** Bytes in the output by origin (package, our code, reference data). */
  composition: Record<string, number>;
}

const OUR_CODE = 'our code (functions/)';
const REFERENCE_DATA = 'reference data (JSON)';
export const GROUPS = ['AWS SDK', 'zod', 'jose', 'middy', OUR_CODE, REFERENCE_DATA, 'other'] as const;

const groupOf = (input: string): string => {
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(input)?.[1];
  if (pkg) {
    if (/^@(aws-sdk|smithy|aws-crypto)\//.test(pkg) || ['mnemonist', 'obliterator', 'fast-xml-parser', 'strnum', 'tslib', 'bowser', 'uuid'].includes(pkg)) return 'AWS SDK';
    if (pkg === 'zod') return 'zod';
    if (pkg === 'jose') return 'jose';
    if (pkg.startsWith('@middy/')) return 'middy';
    return 'other';
  }
  if (input.startsWith('data/')) return REFERENCE_DATA;
  if (input.startsWith('functions/') || input.startsWith('bin/')) return OUR_CODE;
  return 'other';
};

const composition = (metafile: Metafile): Record<string, number> => {
  const out = Object.entries(metafile.outputs).find(([file]) => file.endsWith('.mjs'))?.[1];
  const by: Record<string, number> = {};
  for (const [input, info] of Object.entries(out?.inputs ?? {})) by[groupOf(input)] = (by[groupOf(input)] ?? 0) + info.bytesInOutput;
  return by;
};

const bundle = async (name: string, outDir: string, from: { entry: string } | { source: string }): Promise<Bundle> => {
  const file = join(outDir, `${name}.mjs`);
  const result = await build({
    ...LAMBDA_BUNDLING,
    absWorkingDir: ROOT,
    outfile: file,
    metafile: true,
    logLevel: 'error',
    ...('entry' in from ? { entryPoints: [join(ROOT, from.entry)] } : { stdin: { contents: from.source, resolveDir: ROOT, sourcefile: `${name}.mjs`, loader: 'js' } }),
  });
  return { name, file, bytes: (await stat(file)).size, composition: composition(result.metafile) };
};

/** A request that goes through authentication, body parsing and validation, and stops there: 400. */
const FIRST_REQUEST = {
  status: 400,
  event: {
    resource: '/v1/records',
    path: '/v1/records',
    httpMethod: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ ins: '123', identity: { familyName: 'Bench' }, consent: { expressConsent: true } }),
    isBase64Encoded: false,
    pathParameters: null,
    queryStringParameters: null,
    requestContext: { requestId: 'bench' },
  },
};

export interface Bundles {
  outDir: string;
  probe: string;
  pairs: { fn: Bundle; floor: Bundle; clients: SdkClient[] }[];
  empty: Bundle;
  dependencies: Bundle[];
}

export const buildBundles = async (outDir: string): Promise<Bundles> => {
  await mkdir(outDir, { recursive: true });
  const probe = join(outDir, 'probe.mjs');
  await writeFile(probe, PROBE);
  const pairs = await Promise.all(
    FUNCTIONS.map(async (f) => ({
      fn: await bundle(f.name, outDir, { entry: f.entry }),
      floor: await bundle(`${f.name}.floor`, outDir, { source: floorSource(f.clients) }),
      clients: f.clients,
    })),
  );
  const empty = await bundle('empty', outDir, { source: floorSource([]) });
  const dependencies = await Promise.all(DEPENDENCIES.map((d, i) => bundle(`dep-${i}`, outDir, { source: d.source }).then((b) => ({ ...b, name: d.name }))));
  // The records bundle as deployed, and without the source maps Lambda loads with it.
  const records = pairs[0]!.fn;
  dependencies.push(
    { ...records, name: 'records bundle, as deployed' },
    { ...records, name: 'records bundle, with --enable-source-maps', env: { NODE_OPTIONS: '--enable-source-maps' } },
    // Schemas are built on first use: what the first request adds, building its body's schema (no AWS call is made).
    { ...records, name: 'records bundle, import + a first request (invalid body: 400)', env: { BENCH_FIRST_REQUEST: JSON.stringify(FIRST_REQUEST) } },
  );
  return { outDir, probe, pairs, empty, dependencies };
};

interface Sample {
  importMs: number;
  readyMs: number;
  exports: string[];
}

/** One fresh Node process importing one bundle; the time is measured inside the child. */
const sampleOnce = (b: Bundles, target: Bundle): Promise<Sample> =>
  new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [b.probe, target.file], {
      cwd: b.outDir,
      env: { PATH: process.env.PATH ?? '/usr/bin:/bin', ...LAMBDA_ENV, ...target.env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err = (err + c.toString()).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`importing ${target.name} failed (exit ${code}):\n${err}`));
      try {
        resolvePromise(JSON.parse(out.trim().split('\n').pop() ?? '') as Sample);
      } catch {
        reject(new Error(`importing ${target.name} printed no measurement: ${out.slice(0, 500)}\n${err}`));
      }
    });
  });

export interface ColdStartRow {
  name: string;
  clients: string[];
  bytes: number;
  floorBytes: number;
  fn: Summary;
  floor: Summary;
  /** Process start → import done (Node boot + import), medians. */
  fnReadyMedian: number;
  floorReadyMedian: number;
  /**
   * For functions with SDK clients: the median, over rounds, of (function sample / floor sample of
   * the same round). Paired rounds cancel the machine's slow swings in load, which move unpaired
   * medians by ±15 % on this shared VM.
   */
  ratio: number | undefined;
  /** fn median − floor median (ms). */
  addedMs: number;
  composition: Record<string, number>;
}

export interface DependencyRow {
  name: string;
  bytes: number;
  import: Summary;
  /** Median minus the empty module's median, measured in the same rounds. */
  addedMs: number;
}

export interface ColdStartResult {
  node: string;
  samplesPerBundle: number;
  rows: ColdStartRow[];
  dependencies: DependencyRow[];
  empty: Summary;
}

/**
 * Rounds of samples; in each round every function is sampled next to its floor, in alternating
 * order (ABBA) so that a drift of the shared machine weighs on both alike.
 */
export const measureColdStart = async (b: Bundles, rounds: number, depRounds: number, onProgress?: (done: number, total: number) => void): Promise<ColdStartResult> => {
  // One discarded import of every bundle: the page cache, not the import, would otherwise show in the first round.
  for (const t of [...b.pairs.flatMap((p) => [p.fn, p.floor]), b.empty, ...b.dependencies]) {
    const s = await sampleOnce(b, t);
    if (b.pairs.some((p) => p.fn === t) && !s.exports.includes('handler')) throw new Error(`bundle ${t.name} exports no handler (exports: ${s.exports.join(', ')})`);
  }
  const fnSamples = b.pairs.map(() => [] as Sample[]);
  const floorSamples = b.pairs.map(() => [] as Sample[]);
  const total = rounds * b.pairs.length * 2 + depRounds * (b.dependencies.length + 1);
  let done = 0;
  for (let r = 0; r < rounds; r++) {
    for (const [i, p] of b.pairs.entries()) {
      const order = (r + i) % 2 === 0 ? (['fn', 'floor'] as const) : (['floor', 'fn'] as const);
      for (const which of order) {
        const s = await sampleOnce(b, which === 'fn' ? p.fn : p.floor);
        (which === 'fn' ? fnSamples : floorSamples)[i]!.push(s);
        onProgress?.(++done, total);
      }
    }
  }
  const emptySamples: number[] = [];
  const depSamples = b.dependencies.map(() => [] as number[]);
  for (let r = 0; r < depRounds; r++) {
    const order = [-1, ...b.dependencies.map((_, i) => i)];
    if (r % 2 === 1) order.reverse();
    for (const i of order) {
      const s = await sampleOnce(b, i < 0 ? b.empty : b.dependencies[i]!);
      (i < 0 ? emptySamples : depSamples[i]!).push(s.importMs);
      onProgress?.(++done, total);
    }
  }
  const empty = summarize(emptySamples);
  const rows: ColdStartRow[] = b.pairs.map((p, i) => {
    const fn = summarize(fnSamples[i]!.map((s) => s.importMs));
    const floor = summarize(floorSamples[i]!.map((s) => s.importMs));
    return {
      name: p.fn.name,
      clients: p.clients,
      bytes: p.fn.bytes,
      floorBytes: p.floor.bytes,
      fn,
      floor,
      fnReadyMedian: summarize(fnSamples[i]!.map((s) => s.readyMs)).median,
      floorReadyMedian: summarize(floorSamples[i]!.map((s) => s.readyMs)).median,
      ratio: p.clients.length > 0 ? summarize(fnSamples[i]!.map((s, r) => s.importMs / floorSamples[i]![r]!.importMs)).median : undefined,
      addedMs: fn.median - floor.median,
      composition: p.fn.composition,
    };
  });
  const dependencies: DependencyRow[] = b.dependencies.map((d, i) => {
    const s = summarize(depSamples[i]!);
    return { name: d.name, bytes: d.bytes, import: s, addedMs: s.median - empty.median };
  });
  return { node: process.version, samplesPerBundle: rounds, rows, dependencies, empty };
};

/**
 * The claims section's own process (test/bench/run.ts starts it): moto, the local runtime and the
 * claims import of claims.ts, in a process started with the claims import Lambda's NODE_OPTIONS
 * (lib/claims-import.ts IMPORT_NODE_OPTIONS, unless BENCH_CLAIMS_NODE_OPTIONS says otherwise), so
 * that the memory it measures is that of a process with the Lambda's V8 settings, not of the
 * bench's own process (whose young generation the earlier sections have already shaped).
 *
 * Reads its options from BENCH_CLAIMS_OPTIONS (JSON), writes its result as JSON to
 * BENCH_CLAIMS_OUT, its progress to stderr.
 */
import { writeFile } from 'node:fs/promises';
import { countRuntimeCalls } from './calls.ts';
import { type ClaimsOptions, measureClaimsImport } from './claims.ts';
import { startBench } from './harness.ts';

const progress = (text: string) => process.stderr.write(`… ${text}\n`);
const out = process.env.BENCH_CLAIMS_OUT;
const options = process.env.BENCH_CLAIMS_OPTIONS;
if (!out || !options) throw new Error('BENCH_CLAIMS_OUT and BENCH_CLAIMS_OPTIONS are set by test/bench/run.ts');

progress('claims: starting moto_server and the local runtime in the section’s own process');
const bench = await startBench();
try {
  const result = await measureClaimsImport(bench, countRuntimeCalls(bench), JSON.parse(options) as ClaimsOptions, progress);
  await writeFile(out, JSON.stringify(result));
} finally {
  await bench.stop();
}

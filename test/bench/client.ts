/**
 * The typed client's weight in a browser: esbuild bundles (ESM, minified, for browsers), as raw and
 * gzip-compressed bytes, of openapi-fetch alone, of the typed client (clients/typescript, whose
 * generated types add no byte at run time), and of the example page (examples/web: the client and
 * the page's own script) as bin/local-web.ts serves it.
 */
import { gzipSync } from 'node:zlib';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { bundleExamplePage } from '../../bin/local-web.ts';

export interface ClientBundleRow {
  name: string;
  bytes: number;
  gzipBytes: number;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

const bundle = async (contents: string): Promise<string> => {
  const out = await build({
    stdin: { contents, resolveDir: ROOT, loader: 'ts' },
    bundle: true,
    minify: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return out.outputFiles[0]!.text;
};

const row = (name: string, code: string): ClientBundleRow => ({ name, bytes: Buffer.byteLength(code), gzipBytes: gzipSync(code, { level: 9 }).length });

export const measureClientBundles = async (): Promise<ClientBundleRow[]> => [
  row('openapi-fetch alone', await bundle("export { default } from 'openapi-fetch';")),
  row('typed client (clients/typescript)', await bundle("export * from './clients/typescript/index.ts';")),
  row('example page (examples/web/main.ts)', await bundleExamplePage()),
];

/**
 * The example web page (examples/web) on an origin of its own, beside the local runtime: the page
 * is a real cross-origin client of the API, as the dmp.fr front end is, so the runtime's CORS
 * policy (its allowedOrigin, http://localhost:5173 by default) is what lets it through. The
 * script is bundled by esbuild, in memory, when the server starts.
 */
import { readFile } from 'node:fs/promises';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const PAGE_DIR = fileURLToPath(new URL('../examples/web/', import.meta.url));

export interface LocalWeb {
  /** The page's origin, e.g. http://localhost:5173: the runtime's allowedOrigin. */
  url: string;
  stop(): Promise<void>;
}

export interface LocalWebOptions {
  port?: number;
  host?: string;
  /** The API's base URL the page calls, read on each page load (the runtime may start after this server). */
  apiUrl: () => string;
}

/** The page's script: examples/web/main.ts and the typed client, one minified ES module. */
export const bundleExamplePage = async (): Promise<string> => {
  const out = await build({
    entryPoints: [`${PAGE_DIR}main.ts`],
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

const escapeAttribute = (text: string): string => text.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export const startLocalWeb = async (options: LocalWebOptions): Promise<LocalWeb> => {
  const [script, html] = await Promise.all([bundleExamplePage(), readFile(`${PAGE_DIR}index.html`, 'utf8')]);
  const server = createServer((req, res) => {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const common = { 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'Referrer-Policy': 'no-referrer' };
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { ...common, Allow: 'GET, HEAD', 'Content-Type': 'text/plain; charset=utf-8' }).end('Method not allowed\n');
      return;
    }
    if (path === '/' || path === '/index.html') {
      const apiUrl = options.apiUrl();
      res
        .writeHead(200, {
          ...common,
          'Content-Type': 'text/html; charset=utf-8',
          // The page loads its own script and calls the API only.
          'Content-Security-Policy': `default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src ${new URL(apiUrl).origin}; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`,
        })
        .end(req.method === 'HEAD' ? undefined : html.replace('%DMP_API_URL%', escapeAttribute(apiUrl)));
      return;
    }
    if (path === '/app.js') {
      res.writeHead(200, { ...common, 'Content-Type': 'text/javascript; charset=utf-8' }).end(req.method === 'HEAD' ? undefined : script);
      return;
    }
    res.writeHead(404, { ...common, 'Content-Type': 'text/plain; charset=utf-8' }).end('Not found\n');
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 5173, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://localhost:${port}`,
    stop: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
};

/** The API's own description: the OpenAPI document and a readable reference page. */
import type { HttpDeps } from '#platform/deps';
import { defineCapability } from '#http/define-capability';
import { ROUTES } from '../index.ts';
import { openApiDocument } from './openapi.ts';
import { DOCS } from './routes.ts';

let cachedDocument: unknown;
let cachedPage: string | undefined;

const escapeHtml = (s: string) => s.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);

const page = (): string => {
  const rows = ROUTES.map(
    (r) =>
      `<tr><td><code>${r.method}</code></td><td><code>${escapeHtml(r.path)}</code></td><td>${escapeHtml(r.summary)}${r.description ? `<br><small>${escapeHtml(r.description)}</small>` : ''}</td><td>${r.callers.join(', ')}</td></tr>`,
  ).join('\n');
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>DMP API reference</title>
<style>body{font-family:system-ui,sans-serif;margin:2rem;max-width:72rem}td,th{border-bottom:1px solid #ddd;padding:.4rem;text-align:left;vertical-align:top}code{font-size:.95em}</style></head>
<body><h1>DMP API v1</h1><p>The machine-readable contract is <a href="openapi.json">openapi.json</a> (OpenAPI 3.1). Errors are <code>application/problem+json</code> (RFC 9457).</p>
<table><thead><tr><th>Method</th><th>Path</th><th>What it does</th><th>Callers</th></tr></thead><tbody>
${rows}
</tbody></table></body></html>`;
};

export const capability = defineCapability<HttpDeps>()(DOCS, {
  openapi: async () => ({ status: 200, body: (cachedDocument ??= openApiDocument()) }),
  docs: async () => ({ status: 200, raw: { contentType: 'text/html; charset=utf-8', text: (cachedPage ??= page()) } }),
});

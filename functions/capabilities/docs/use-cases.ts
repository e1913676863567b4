/** The API's own description: the OpenAPI document and a reference page rendering it. */
import type { HttpDeps } from '#platform/deps';
import { defineCapability } from '#http/define-capability';
import { DOCS_PAGE_CSP } from '#http/response-headers';
import { openApiDocument } from './openapi.ts';
import { referencePage, referenceScript } from './reference-page.ts';
import { DOCS } from './routes.ts';

let cachedDocument: unknown;
let cachedPage: string | undefined;
let cachedScript: string | undefined;

/** The script changes only with a deployment: browsers may keep it for an hour. */
const SCRIPT_CACHE = 'public, max-age=3600';

export const capability = defineCapability<HttpDeps>()(DOCS, {
  openapi: async () => ({ status: 200, body: (cachedDocument ??= openApiDocument()) }),
  docs: async () => ({
    status: 200,
    raw: { contentType: 'text/html; charset=utf-8', text: (cachedPage ??= referencePage()) },
    headers: { 'Content-Security-Policy': DOCS_PAGE_CSP },
  }),
  docsScript: async () => ({
    status: 200,
    raw: { contentType: 'text/javascript; charset=utf-8', text: (cachedScript ??= referenceScript()) },
    headers: { 'Cache-Control': SCRIPT_CACHE },
  }),
});

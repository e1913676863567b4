/** The docs capability's part of the route manifest, and what its function needs (functions/capabilities/index.ts lists every capability). */
import type { CapabilityManifest } from '#http/capability';
import type { Route } from '#http/route';

export const DOCS_ROUTES = [
  {
    id: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    capability: 'docs',
    callers: ['anonymous'],
    summary: 'This API as an OpenAPI 3.1 document',
    responses: { 200: { description: 'OpenAPI document', contentType: 'application/json' } },
  },
  {
    id: 'docs',
    method: 'GET',
    path: '/docs',
    capability: 'docs',
    callers: ['anonymous'],
    summary: 'A readable reference of this API',
    description: 'The OpenAPI document rendered in the browser (Scalar), by a script this API serves itself (GET /docs/scalar.js).',
    responses: { 200: { description: 'HTML reference page', contentType: 'text/html' } },
  },
  {
    id: 'docsScript',
    method: 'GET',
    path: '/docs/scalar.js',
    capability: 'docs',
    callers: ['anonymous'],
    summary: 'The script of the reference page',
    description: 'Scalar’s API reference (@scalar/api-reference, MIT), bundled with this API, and the call that mounts it on the page of GET /docs.',
    responses: { 200: { description: 'JavaScript', contentType: 'text/javascript' } },
  },
] as const satisfies readonly Route[];

/** The docs capability: its routes and what its function needs. */
export const DOCS = {
  name: 'docs',
  routes: DOCS_ROUTES,
  function: {
    description: 'DMP API documentation: OpenAPI document and reference page',
    memorySize: 512,
    // Read on the first GET /docs/scalar.js only: kept out of the bundle, so that the cold start
    // of GET /openapi.json does not parse 3.5 MB of browser code.
    files: { 'scalar.js': '@scalar/api-reference/browser/standalone.js' },
  },
} as const satisfies CapabilityManifest;

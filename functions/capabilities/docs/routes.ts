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
    responses: { 200: { description: 'HTML reference page', contentType: 'text/html' } },
  },
] as const satisfies readonly Route[];

/** The docs capability: its routes and what its function needs. */
export const DOCS = {
  name: 'docs',
  routes: DOCS_ROUTES,
  function: {
    description: 'DMP API documentation: OpenAPI document and reference page',
    memorySize: 512,
  },
} as const satisfies CapabilityManifest;

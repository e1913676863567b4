/** The docs capability's part of the route manifest (functions/http/routes.ts gathers every part). */
import type { Route } from '../route.ts';

export const DOCS_ROUTES: readonly Route[] = [
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
];

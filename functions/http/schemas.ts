/**
 * The contract's shapes (docs/API.md) as zod schemas: they validate requests (unknown fields
 * refused), type the handlers, and generate both the API Gateway request models and the OpenAPI
 * document. Messages never echo the value they refuse.
 *
 * One module per capability under schemas/, so that each function's bundle builds only the
 * schemas of its own routes (cold start: `npm run bench`); this file gathers them all, for the
 * infrastructure, the OpenAPI document and the tests.
 *
 * Every schema is wrapped in `z.lazy`: it is built the first time it is used, then kept. A cold
 * function builds the schemas of the one route it serves, not those of all its routes, and a
 * deployed function never builds its response schemas at all (they serve the OpenAPI document and
 * the local runtime's response check). Importing a function's bundle builds no schema.
 *
 * zod/mini, not classic zod: the same validation and JSON Schema, at 17 KB and ~10 ms of import
 * instead of 454 KB and ~50 ms. Only the English messages are loaded (schemas/common.ts).
 */
export * from './schemas/common.ts';
export * from './schemas/records.ts';
export * from './schemas/auth.ts';
export * from './schemas/reporting.ts';
export * from './schemas/documents.ts';
export * from './schemas/access.ts';

/**
 * The contract's shapes (CONTRACT.md) as zod schemas: they validate requests (unknown fields
 * refused), type the handlers, and generate both the API Gateway request models and the OpenAPI
 * document. Messages never echo the value they refuse.
 *
 * One module per capability under schemas/, so that each function's bundle builds only the
 * schemas of its own routes (cold start: `npm run bench`); this file gathers them all, for the
 * infrastructure, the OpenAPI document and the tests.
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

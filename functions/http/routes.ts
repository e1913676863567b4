/**
 * THE route manifest. API Gateway (lib/api.ts), the local HTTP server (bin/local-runtime.ts) and
 * the OpenAPI document (functions/http/openapi.ts) are all generated from this list, so they cannot
 * drift apart. A route names who may call it (deny by default: no caller kinds, no access), the
 * capability (Lambda function) that serves it, and its request and response schemas.
 */
import { ACCESS_ROUTES } from './routes/access.ts';
import { AUTH_ROUTES } from './routes/auth.ts';
import { DOCS_ROUTES } from './routes/docs.ts';
import { DOCUMENTS_ROUTES } from './routes/documents.ts';
import { RECORDS_ROUTES } from './routes/records.ts';
import { REPORTING_ROUTES } from './routes/reporting.ts';
import type { Capability, Route } from './route.ts';

export * from './route.ts';

/**
 * Every route, gathered from one part per capability (routes/*.ts): a function's bundle loads only
 * its own part and the schemas it names (cold start), while the infrastructure, the local server
 * and the OpenAPI document read this whole list.
 */
export const ROUTES: readonly Route[] = [...RECORDS_ROUTES, ...AUTH_ROUTES, ...DOCUMENTS_ROUTES, ...ACCESS_ROUTES, ...REPORTING_ROUTES, ...DOCS_ROUTES];

export const routesOf = (capability: Capability): Route[] => ROUTES.filter((r) => r.capability === capability);

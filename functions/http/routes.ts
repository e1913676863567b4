/**
 * THE route manifest: every capability's routes, in the order of functions/capabilities/index.ts.
 * API Gateway (lib/api.ts), the local HTTP server (bin/local-runtime.ts) and the OpenAPI document
 * (functions/http/openapi.ts) are all generated from it, so they cannot drift apart. A function's
 * bundle loads only its own part (functions/capabilities/<name>/routes.ts) and the schemas it names
 * (cold start); the docs function, the infrastructure and the local server read this whole list.
 */
import { CAPABILITIES } from '#capabilities/index';
import type { Route } from './route.ts';

export * from './route.ts';

export const ROUTES: readonly Route[] = CAPABILITIES.flatMap((c): readonly Route[] => c.routes);

/**
 * THE list of capabilities. Each is a folder beside this file holding its routes, schemas, use
 * cases, Lambda entry (handler.ts) and, where it has its own items, its store. API Gateway and the
 * functions (lib/api.ts), the local runtime (bin/local-runtime.ts) and the OpenAPI document are
 * generated from this list: adding a capability is adding its folder and one line here.
 *
 * The order is the order of the routes in the OpenAPI document.
 */
import type { Route } from '#http/route';
import { ACCESS } from './access/routes.ts';
import { AUTH } from './auth/routes.ts';
import { CLAIMS } from './claims/routes.ts';
import { DOCS } from './docs/routes.ts';
import { DOCUMENTS } from './documents/routes.ts';
import { EMERGENCY } from './emergency/routes.ts';
import { FHIR_HEALTH } from './fhir-health/routes.ts';
import { FHIR_CAPABILITY } from './fhir/routes.ts';
import { HEALTH } from './health/routes.ts';
import { MEASUREMENTS } from './measurements/routes.ts';
import { RECORDS } from './records/routes.ts';
import { REPORTING } from './reporting/routes.ts';
import { SEARCH } from './search/routes.ts';
import { VACCINATIONS } from './vaccinations/routes.ts';

export const CAPABILITIES = [
  RECORDS,
  AUTH,
  DOCUMENTS,
  ACCESS,
  CLAIMS,
  HEALTH,
  VACCINATIONS,
  MEASUREMENTS,
  EMERGENCY,
  FHIR_HEALTH,
  SEARCH,
  REPORTING,
  FHIR_CAPABILITY,
  DOCS,
] as const;

export type Capability = (typeof CAPABILITIES)[number]['name'];

/**
 * THE route manifest: every capability's routes, in the order above. A function's bundle loads
 * only its own part (functions/capabilities/<name>/routes.ts) and the schemas it names (cold
 * start); the docs function, the infrastructure and the local server read this whole list.
 */
export const ROUTES: readonly Route[] = CAPABILITIES.flatMap((c): readonly Route[] => c.routes);

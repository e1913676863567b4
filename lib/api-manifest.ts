/**
 * The route manifest (functions/capabilities/index.ts) in API Gateway's terms: request models from the
 * routes' zod bodies, required path and query parameters, per-route throttling. Pure functions,
 * so that the stack and its tests read the manifest the same way.
 */
import { toJSONSchema, type ZodMiniType } from 'zod/mini';
import { ROUTES } from '../functions/capabilities/index.ts';
import { fieldsOf, type Route } from '../functions/http/route.ts';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/**
 * API Gateway validates with a JSON Schema draft 4 validator whose regular expressions are
 * ECMAScript 5: no Unicode property escapes (`\p{Cc}` would read as the letters p, {, C, c, }).
 * Such patterns are left to the function's own zod validation, which always runs; `format` is
 * dropped too, since zod states every format it emits as a `pattern` as well. The gateway's check
 * is therefore never stricter than the contract, only earlier.
 */
const UNICODE_PROPERTY_ESCAPE = /\\[pP]\{/;

/**
 * Strings that may be longer than this (a document's base64 content, up to ~5.6 MB) get no
 * `pattern` at the gateway either: its validator would run the expression over megabytes, where a
 * backtracking engine may exhaust its stack on a repeated group (`(?:[A-Za-z0-9+/]{4})*`); the
 * function checks them. A string that declares `contentEncoding` (zod's base64) counts as long.
 */
export const MAX_GATEWAY_PATTERN_LENGTH = 64 * 1024;

const isLongString = (node: { [key: string]: Json }): boolean => 'contentEncoding' in node || (typeof node.maxLength === 'number' && node.maxLength > MAX_GATEWAY_PATTERN_LENGTH);

const forGateway = (node: Json): Json => {
  if (Array.isArray(node)) return node.map(forGateway);
  if (node === null || typeof node !== 'object') return node;
  const out: { [key: string]: Json } = {};
  for (const [key, value] of Object.entries(node)) {
    if (key === 'format' && typeof value === 'string') continue;
    if (key === 'pattern' && typeof value === 'string' && (UNICODE_PROPERTY_ESCAPE.test(value) || isLongString(node))) continue;
    out[key] = forGateway(value);
  }
  return out;
};

/** The request model of a route with a body: its zod schema as JSON Schema draft 4. */
export const requestModelSchema = (body: ZodMiniType): Record<string, Json> => {
  const schema = forGateway(toJSONSchema(body, { target: 'draft-4', io: 'input' }) as Json);
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) throw new Error('a request body schema must be an object');
  return schema;
};

const isRequired = (schema: ZodMiniType): boolean => !schema.safeParse(undefined).success;

/**
 * `method.request.path.x` / `method.request.querystring.x` → required? Path parameters always are;
 * a query parameter is when its schema refuses `undefined`.
 */
export const requestParameters = (route: Route): Record<string, boolean> => {
  const parameters: Record<string, boolean> = {};
  for (const name of Object.keys(fieldsOf(route.params))) parameters[`method.request.path.${name}`] = true;
  for (const [name, schema] of Object.entries(fieldsOf(route.query))) {
    parameters[`method.request.querystring.${name}`] = isRequired(schema as ZodMiniType);
  }
  return parameters;
};

export const isAnonymous = (route: Route): boolean => route.callers.includes('anonymous');

/**
 * The public description of the API (its contract, and its reference page with the page's script):
 * never behind an API key, so that a vendor can read it before asking for one.
 */
const KEYLESS_ROUTES = ['openapi', 'docs', 'docsScript'];

/** Does this route's method require an API key (`x-api-key`) once keys are enforced? */
export const requiresApiKey = (route: Route): boolean => !KEYLESS_ROUTES.includes(route.id);

/** `createRecord` → `CreateRecord`: construct ids and model names (alphanumeric only). */
export const pascalCase = (id: string): string => id.charAt(0).toUpperCase() + id.slice(1);

export interface Throttle {
  rateLimit: number;
  burstLimit: number;
}

/** Requests per second for the whole stage; a hospital or a CPAM behind one address stays well under it. */
export const STAGE_THROTTLE: Throttle = { rateLimit: 100, burstLimit: 200 };

/**
 * Tighter limits on the writes that create something nobody can take back in a minute: a DMP (and
 * its SMS), a creation code, a login code's SMS. Keyed by route id; an id the manifest no longer has
 * is an error.
 */
const ROUTE_THROTTLES: Record<string, Throttle> = {
  createRecord: { rateLimit: 10, burstLimit: 20 },
  createCreationCode: { rateLimit: 5, burstLimit: 10 },
  // Each login with the right password sends an SMS: the whole country's logins, with headroom,
  // and a ceiling on SMS spending should the per-account and per-address locks be bypassed.
  patientLogin: { rateLimit: 300, burstLimit: 600 },
  patientVerify: { rateLimit: 300, burstLimit: 600 },
};

/** The method throttle of one route: its own, or the stage's. */
export const routeThrottle = (id: string): Throttle => ROUTE_THROTTLES[id] ?? STAGE_THROTTLE;

export const routeThrottles = (): { route: Route; throttle: Throttle }[] =>
  Object.entries(ROUTE_THROTTLES).map(([id, throttle]) => {
    const route = ROUTES.find((r) => r.id === id);
    if (!route) throw new Error(`throttle for unknown route ${id}: update lib/api-manifest.ts`);
    return { route, throttle };
  });

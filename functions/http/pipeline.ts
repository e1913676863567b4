/**
 * The request pipeline of every capability: its Lambda entry (handler.ts) and the local runtime
 * both wrap the capability's use cases with makeHttpHandler, a middy handler that
 *   - finds the route from the method and API Gateway resource, among the capability's own routes;
 *   - authenticates the caller (a bearer token, or no token where the route admits anonymous
 *     callers; a paired device's credential where the route admits devices), checks the route
 *     admits that kind of caller, and that a provisional password was changed first;
 *   - reads the body (size limit, application/json, valid JSON) and validates body, path
 *     parameters and query with the route's zod schemas (unknown fields refused, a repeated query
 *     parameter too);
 *   - checks the Idempotency-Key header of idempotent routes, and hands the If-Match header of
 *     conditional routes to their use case;
 *   - calls the route's use case and answers its reply as JSON (locally and in tests, checked
 *     against the responses the route declares);
 *   - turns every failure into a problem document (application/problem+json): an HttpProblem as
 *     it is, a rule violation by its kind, an invalid token as 401, an unavailable AWS service or
 *     identity provider as 503 (retry), a request an AWS service refused as such (a validation
 *     error: retrying cannot help) as 500 without Retry-After, anything else as 500;
 *   - answers the FHIR routes (Route.fhir, paths under /fhir) in FHIR: application/fhir+json bodies
 *     accepted as well as application/json, success bodies and errors as application/fhir+json,
 *     every error an OperationOutcome (same status and detail as the problem document would have);
 *     and refuses (403) a request that the token's SMART scopes do not cover (domain/fhir/scopes.ts);
 *   - logs one line per request (request id, route, status, duration), and the error of a 5xx:
 *     never a body;
 *   - adds the security and CORS headers to every answer (response-headers.ts).
 */
import middy from '@middy/core';
import type { APIGatewayProxyEvent, APIGatewayProxyResult, Context } from 'aws-lambda';
import { safeParse, type $ZodError, type $ZodType } from 'zod/v4/core';
import { awsErrorKind } from '#adapters/aws-errors';
import { IdentityProviderUnavailable, InvalidToken, tokenScope } from '#adapters/tokens';
import { operationOutcome } from '#domain/fhir/outcome';
import { parseScopes, scopeCovers, type FhirScopes } from '#domain/fhir/scopes';
import type { Actor } from '#domain/actor';
import { InvalidCursor, RuleViolation } from '#domain/errors';
import { isDeviceCredential } from '#domain/measurements';
import { IDEMPOTENCY_KEY } from '#domain/identifiers';
import type { HttpDeps } from '#platform/deps';
import { HttpProblem, STATUS_OF, type FieldError } from '#platform/problem';
import { requestHeader } from './request-header.ts';
import { responseHeaders } from './response-headers.ts';
import type { CapabilityDef, Reply } from './define-capability.ts';
import { fhirAccess, routeKey, type Route } from './route.ts';

export type HttpHandler = (event: APIGatewayProxyEvent, context: Context) => Promise<APIGatewayProxyResult>;

const zodErrors = (error: $ZodError, where: string): FieldError[] => error.issues.map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));

const validate = (schema: $ZodType | undefined, value: unknown, where: string): unknown => {
  if (!schema) {
    const names = value && typeof value === 'object' ? Object.keys(value) : [];
    if (names.length > 0) {
      throw new HttpProblem(400, `This operation takes no ${where}.`, {
        errors: names.slice(0, 10).map((n) => ({ path: `${where}.${n.slice(0, 40)}`, message: 'Unrecognized key' })),
      });
    }
    return {};
  }
  const out = safeParse(schema, value);
  if (!out.success) throw new HttpProblem(400, `The ${where} does not match the contract.`, { errors: zodErrors(out.error, where) });
  return out.data;
};

const authenticate = async (route: Route, event: APIGatewayProxyEvent, deps: HttpDeps): Promise<Actor> => {
  const authorization = requestHeader(event, 'authorization');
  if (!authorization) {
    if (route.callers.includes('anonymous')) return { kind: 'anonymous' };
    throw new HttpProblem(401, 'A bearer token is required.', { headers: { 'WWW-Authenticate': 'Bearer' } });
  }
  const match = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(authorization);
  if (!match?.[1]) throw new HttpProblem(401, 'The Authorization header must be a bearer token.', { headers: { 'WWW-Authenticate': 'Bearer' } });
  const token = match[1];
  let actor: Actor;
  if (isDeviceCredential(token)) {
    // A paired device's credential (not a JWT) is looked up only where the route admits devices:
    // anywhere else a device may do nothing, whatever its credential's state (in AWS the API's
    // authorizer has refused an unknown or revoked one at the edge already).
    if (!route.callers.includes('device') || !deps.devices) throw new HttpProblem(403, 'This kind of caller may not use this operation.');
    actor = await deps.devices.verify(token);
  } else actor = await deps.tokens.verify(token);
  if (!route.callers.includes(actor.kind)) throw new HttpProblem(403, 'This kind of caller may not use this operation.');
  if ((actor.kind === 'patient' || actor.kind === 'representative') && actor.passwordChangeRequired && !route.beforePasswordChange) {
    throw new HttpProblem(403, 'The provisional password must be changed first (POST /v1/auth/patient/password), then log in again.', { code: 'password-change-required' });
  }
  return actor;
};

const readBody = (route: Route, event: APIGatewayProxyEvent, fhir: boolean): unknown => {
  const raw = event.body ?? '';
  if (!route.body) {
    if (raw.length > 0) throw new HttpProblem(400, 'This operation takes no body.');
    return undefined;
  }
  if (raw.length === 0 && route.bodyOptional) return {};
  const size = event.isBase64Encoded ? Math.floor((raw.length * 3) / 4) : Buffer.byteLength(raw, 'utf8');
  if (route.maxBodyBytes !== undefined && size > route.maxBodyBytes) {
    throw new HttpProblem(413, `The body may hold at most ${route.maxBodyBytes} bytes.`);
  }
  const contentType = requestHeader(event, 'content-type') ?? '';
  if (!(fhir ? /^application\/(fhir\+)?json\s*(;\s*(charset=utf-8|fhirVersion=4\.0)\s*)*$/i : /^application\/json\s*(;\s*charset=utf-8\s*)?$/i).test(contentType)) {
    throw new HttpProblem(415, fhir ? 'The body must be application/fhir+json or application/json (UTF-8).' : 'The body must be application/json (UTF-8).');
  }
  const text = event.isBase64Encoded ? Buffer.from(raw, 'base64').toString('utf8') : raw;
  try {
    return JSON.parse(text);
  } catch {
    throw new HttpProblem(400, 'The body is not valid JSON.');
  }
};

const queryOf = (event: APIGatewayProxyEvent): Record<string, string> => {
  const multi = event.multiValueQueryStringParameters ?? {};
  for (const [name, values] of Object.entries(multi)) {
    if ((values?.length ?? 0) > 1) throw new HttpProblem(400, `The query parameter ${name.slice(0, 40)} is repeated.`);
  }
  return Object.fromEntries(Object.entries(event.queryStringParameters ?? {}).filter((e): e is [string, string] => e[1] !== undefined));
};

/** A route of the FHIR interface: its path (or, when no route was found, the request's) is under /fhir. */
const isFhir = (route: Route | undefined, event: APIGatewayProxyEvent): boolean => /^\/fhir(\/|$)/.test(route?.path ?? event.resource ?? event.path ?? '');

/**
 * The FHIR base URL the request came in on, for the links of its answer: the API's host, the
 * stage's prefix when the request came through one (requestContext.path has it, the event's path
 * has not), then /fhir.
 */
const fhirBase = (event: APIGatewayProxyEvent): string => {
  const host = event.requestContext?.domainName ?? requestHeader(event, 'host') ?? 'localhost';
  const proto = requestHeader(event, 'x-forwarded-proto') ?? (event.requestContext?.domainName ? 'https' : 'http');
  const full = event.requestContext?.path ?? event.path;
  const prefix = full && event.path && full.endsWith(event.path) ? full.slice(0, full.length - event.path.length) : '';
  return `${proto}://${host}${prefix}/fhir`;
};

/**
 * What the token of a FHIR request allows (its SMART scopes), refused (403) when they do not cover
 * the route's resource type and access. A request without a token (the CapabilityStatement) or
 * with a paired device's credential carries no scopes: the route's callers decide alone.
 */
const fhirScopes = (route: Route, event: APIGatewayProxyEvent): FhirScopes => {
  const token = /^Bearer ([A-Za-z0-9_.-]+)$/.exec(requestHeader(event, 'authorization') ?? '')?.[1];
  const scopes = token && !isDeviceCredential(token) ? parseScopes(tokenScope(token)) : parseScopes(undefined);
  const access = route.fhir ? fhirAccess(route.fhir) : undefined;
  if (route.fhir && access && !scopeCovers(scopes, route.fhir.type, access)) {
    throw new HttpProblem(403, `The token's scopes do not cover ${access === 'read' ? 'reading' : 'writing'} ${route.fhir.type} resources.`, { code: 'insufficient-scope' });
  }
  return scopes;
};

const toProblem = (error: unknown): HttpProblem => {
  if (error instanceof HttpProblem) return error;
  if (error instanceof RuleViolation) return new HttpProblem(STATUS_OF[error.kind], error.message, { code: error.code });
  if (error instanceof InvalidCursor) return new HttpProblem(400, error.message, { errors: [{ path: 'query.cursor', message: 'not a cursor of this list' }] });
  if (error instanceof InvalidToken) return new HttpProblem(401, 'The bearer token is not valid.', { headers: { 'WWW-Authenticate': 'Bearer error="invalid_token"' } });
  if (error instanceof IdentityProviderUnavailable || awsErrorKind(error) === 'transient') {
    return new HttpProblem(503, 'A service the request depends on is unavailable. Retry later, with the same Idempotency-Key.', { headers: { 'Retry-After': '1' } });
  }
  // A request AWS refused as such (a validation error, access denied...): retrying cannot help.
  if (awsErrorKind(error) === 'permanent') return new HttpProblem(500, 'The request could not be completed.');
  return new HttpProblem(500, 'The request failed. Retry later, with the same Idempotency-Key.');
};

const FHIR_JSON = 'application/fhir+json';

/** A problem as a FHIR client reads it: the same status, detail, code and field errors, as an OperationOutcome. */
const outcomeOf = (problem: HttpProblem) =>
  operationOutcome(problem.status, problem.detail ?? problem.message, {
    code: problem.code,
    issues: problem.errors?.map((e) => ({ expression: e.path, diagnostics: e.message })),
  });

export const makeHttpHandler = <D>(capability: CapabilityDef<D>, deps: D & HttpDeps): HttpHandler => {
  const routes = new Map(capability.manifest.filter((r) => r.capability === capability.name).map((r) => [routeKey(r.method, r.path), r]));
  const log = deps.logger;

  const core = async (event: APIGatewayProxyEvent): Promise<APIGatewayProxyResult> => {
    const started = performance.now();
    const requestId = event.requestContext?.requestId ?? 'local';
    const route = routes.get(routeKey(event.httpMethod, event.resource));
    const fhir = isFhir(route, event);
    let status = 500;
    try {
      if (!route) throw new HttpProblem(404, 'No such operation.');
      const impl = capability.routes[route.id];
      if (!impl) throw new Error(`route ${route.id} has no implementation in ${capability.name}`);
      const actor = await authenticate(route, event, deps);
      const fhirCall = fhir ? { scopes: fhirScopes(route, event), baseUrl: fhirBase(event) } : undefined;
      const body = validate(route.body, readBody(route, event, fhir), 'body');
      const params = validate(route.params, event.pathParameters ?? {}, 'params');
      const query = validate(route.query, queryOf(event), 'query');
      const idempotencyKey = route.idempotent ? requestHeader(event, 'idempotency-key') : undefined;
      if (idempotencyKey !== undefined && !IDEMPOTENCY_KEY.test(idempotencyKey)) {
        throw new HttpProblem(400, 'Idempotency-Key has 8 to 64 characters among A-Z, a-z, 0-9, _ and -.');
      }
      const ifMatch = route.conditional ? requestHeader(event, 'if-match') : undefined;
      const sourceIp = event.requestContext?.identity?.sourceIp ?? 'unknown';
      const reply = await impl({ actor, body, params, query, idempotencyKey, ifMatch, requestId, sourceIp, fhir: fhirCall }, deps);
      status = reply.status;
      if (deps.config.checkResponses) checkResponse(route, reply);
      return {
        statusCode: reply.status,
        headers: { 'Content-Type': reply.raw?.contentType ?? (fhir ? FHIR_JSON : 'application/json'), 'Cache-Control': 'no-store', 'X-Request-Id': requestId, ...reply.headers },
        body: reply.raw ? reply.raw.text : reply.body === undefined ? '' : JSON.stringify(reply.body),
      };
    } catch (error) {
      const problem = toProblem(error);
      status = problem.status;
      if (status >= 500) {
        log.error('request failed', { requestId, route: route?.id, errorName: (error as Error)?.name, stack: (error as Error)?.stack });
      }
      return {
        statusCode: problem.status,
        headers: { 'Content-Type': fhir ? FHIR_JSON : 'application/problem+json', 'Cache-Control': 'no-store', 'X-Request-Id': requestId, ...problem.headers },
        body: JSON.stringify(fhir ? outcomeOf(problem) : problem.toDocument(requestId)),
      };
    } finally {
      log.info('request', { requestId, route: route?.id ?? 'unknown', status, durationMs: Math.round(performance.now() - started) });
      // 1 for a 5xx, 0 otherwise: its average is the capability's 5xx rate, its sample count the
      // requests (alarmed on and charted per capability, lib/operations.ts).
      deps.metrics?.count('ServerErrors', { Capability: capability.name }, status >= 500 ? 1 : 0);
    }
  };

  return middy<APIGatewayProxyEvent, APIGatewayProxyResult>().use(responseHeaders(deps.config.allowedOrigin)).handler(core) as unknown as HttpHandler;
};

/** Local runtime and tests: a response that does not match the contract is a bug, not a reply. */
const checkResponse = (route: Route, reply: Reply): void => {
  const declared = route.responses[reply.status];
  if (!declared) throw new Error(`route ${route.id} answered ${reply.status}, which the manifest does not declare`);
  if (declared.schema) {
    const out = safeParse(declared.schema, reply.body);
    if (!out.success) throw new Error(`route ${route.id} answered a body outside its schema: ${out.error.issues.map((i) => i.path.join('.')).join(', ')}`);
  }
};

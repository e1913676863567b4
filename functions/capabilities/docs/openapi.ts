/** The OpenAPI 3.1 document, generated from the route manifest and its zod schemas. */
import { toJSONSchema } from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import { IDEMPOTENCY_KEY } from '#domain/identifiers';
import type { Route } from '#http/route';
import { Problem } from '#http/schemas';
import { ROUTES } from '../index.ts';

type Json = Record<string, unknown>;

const schemaOf = (schema: $ZodType, io: 'input' | 'output'): Json => {
  const { $schema: _ignored, ...rest } = toJSONSchema(schema, { target: 'draft-2020-12', io, unrepresentable: 'any' }) as Json;
  return rest;
};

const parameters = (route: Route): Json[] => {
  const out: Json[] = [];
  for (const [where, obj] of [
    ['path', route.params],
    ['query', route.query],
  ] as const) {
    if (!obj) continue;
    const json = schemaOf(obj, 'input') as { properties?: Record<string, Json>; required?: string[] };
    for (const [name, schema] of Object.entries(json.properties ?? {})) {
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema });
    }
  }
  if (route.idempotent) {
    out.push({ name: 'Idempotency-Key', in: 'header', required: false, schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source } });
  }
  if (route.conditional) {
    out.push({ name: 'If-Match', in: 'header', required: true, description: 'The ETag of the version the change is made on (as a GET gave it)', schema: { type: 'string' } });
  }
  return out;
};

const problemResponse = (description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' } } },
});

const ERROR_TEXT: Record<number, string> = {
  400: 'Malformed or invalid input',
  401: 'Missing or invalid credentials',
  403: 'Authenticated but not allowed',
  404: 'Unknown resource, or one the caller may not know exists',
  409: 'State conflict',
  412: 'The version changed since it was read (If-Match)',
  413: 'Payload too large',
  415: 'Wrong content type',
  422: 'Well-formed but refused',
  428: 'If-Match is required',
  429: 'Rate limited (see Retry-After)',
  503: 'A dependency is unavailable: retry',
};

const operation = (route: Route): Json => {
  const protectedRoute = !route.callers.includes('anonymous');
  const responses: Json = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = r.schema
      ? { description: r.description, content: { 'application/json': { schema: schemaOf(r.schema, 'output') } } }
      : { description: r.description, content: { [r.contentType ?? 'application/json']: {} } };
  }
  const errors = new Set<number>([...(route.errors ?? []), 429, 503]);
  if (route.body || route.params || route.query) errors.add(400);
  if (route.body) for (const s of [413, 415]) errors.add(s);
  if (route.callers.some((c) => c !== 'anonymous')) for (const s of [401, 403]) errors.add(s);
  for (const s of [...errors].sort()) responses[String(s)] = problemResponse(ERROR_TEXT[s] ?? 'Error');
  return {
    operationId: route.id,
    summary: route.summary,
    ...(route.description ? { description: route.description } : {}),
    tags: [route.capability],
    'x-dmp-callers': route.callers,
    security: protectedRoute ? [{ bearer: [] }] : route.callers.length > 1 ? [{}, { bearer: [] }] : [],
    parameters: parameters(route),
    ...(route.body ? { requestBody: { required: true, content: { 'application/json': { schema: schemaOf(route.body, 'input') } } } } : {}),
    responses,
  };
};

export const openApiDocument = (): Json => {
  const paths: Record<string, Json> = {};
  for (const route of ROUTES) (paths[route.path] ??= {})[route.method.toLowerCase()] = operation(route);
  return {
    openapi: '3.1.0',
    info: {
      title: 'DMP API',
      version: '1.0.0',
      description: 'Dossier Médical Partagé — the HTTP API that the dmp.fr front end, health professionals’ software and the Assurance Maladie code against.',
    },
    servers: [{ url: '/' }],
    paths,
    components: {
      schemas: { Problem: schemaOf(Problem, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' } },
    },
  };
};

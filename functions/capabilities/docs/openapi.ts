/**
 * The OpenAPI 3.1 document, generated from the route manifest and its zod schemas: one tag per
 * capability, the callers each operation admits, its error answers as problem documents, and
 * examples of its bodies and parameters (examples.ts) that its own schemas accept.
 */
import { toJSONSchema } from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import { IDEMPOTENCY_KEY } from '#domain/identifiers';
import type { Caller, Route } from '#http/route';
import { Problem } from '#http/schemas';
import { HttpProblem } from '#platform/problem';
import { CAPABILITIES, ROUTES } from '../index.ts';
import { exampleFor, sampleOf } from './examples.ts';

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
      out.push({ name, in: where, required: where === 'path' || (json.required ?? []).includes(name), schema, example: sampleOf(schema, true, name) });
    }
  }
  if (route.idempotent) {
    out.push({
      name: 'Idempotency-Key',
      in: 'header',
      required: false,
      description: 'Any value the client chooses for this request: a retry with the same key answers as the first call did, without doing it again',
      schema: { type: 'string', pattern: IDEMPOTENCY_KEY.source },
      example: 'c2f1e7a0-3b9d-4c55-9d1e-7f6a2b8c4d10',
    });
  }
  if (route.conditional) {
    out.push({
      name: 'If-Match',
      in: 'header',
      required: true,
      description: 'The ETag of the version the change is made on (as a GET gave it)',
      schema: { type: 'string' },
      example: '"3"',
    });
  }
  return out;
};

/** The request id a problem document names (its `instance`), in the examples. */
const EXAMPLE_REQUEST_ID = '5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53';

/** An example of each error as the pipeline writes it (functions/platform/problem.ts). */
const problemExample = (status: number, detail: string): unknown =>
  new HttpProblem(status, detail, status === 400 ? { errors: [{ path: 'body.ins', message: 'not a valid INS' }] } : {}).toDocument(EXAMPLE_REQUEST_ID);

const problemResponse = (status: number, description: string): Json => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: '#/components/schemas/Problem' }, example: problemExample(status, `${description}.`) } },
});

/** What each capability is about: the tags of the reference. */
const TAG_TEXT: Readonly<Record<string, string>> = {
  records: 'Creating, finding, reading, closing and reactivating a DMP; the holder’s settings and the notifications sent to them.',
  auth: 'Patients’ and representatives’ logins (password, then a code sent by SMS), password changes and new credentials.',
  documents: 'Depositing, listing, reading, masking and deleting the documents of a record, under the access policy.',
  access: 'Who may access a record: the professionals the holder authorized or blocked, declared accesses (emergency, care), and the access log.',
  claims: 'Reimbursed care from the Assurance Maladie: batches in, the holder’s view of them, the care team and the medication review.',
  health: 'The health profile (allergies, conditions, treatments) and the holder’s wishes (advance directives, organ donation, trusted person).',
  vaccinations: 'Recorded vaccinations and the boosters due by the vaccination calendar.',
  measurements: 'Measurements from paired devices (weight, blood pressure, glucose…) and the pairing of those devices.',
  emergency: 'The emergency summary a regulator or emergency team may read, where the holder did not oppose it.',
  reporting: 'Counts for pharmacies and national statistics: no personal data.',
  docs: 'This API’s own description: the OpenAPI document and this reference.',
};

const CALLER_TEXT: Readonly<Record<Caller, string>> = {
  professional: 'health professionals (Pro Santé Connect)',
  agent: 'Assurance Maladie agents',
  insurer: 'the Assurance Maladie’s claims system',
  device: 'paired measuring devices',
  patient: 'the record’s holder (patient session)',
  representative: 'a legal representative (session)',
  anonymous: 'anyone, without a token',
};

const BEARER_TEXT = [
  'One bearer token per request, in `Authorization: Bearer …`. Which kinds of caller an operation admits is listed in its description and in `x-dmp-callers`:',
  '- **professional**: an access token of Pro Santé Connect (JWT, verified against its JWKS);',
  '- **agent**, **insurer**: tokens of the Assurance Maladie’s identity providers for its agents and its claims system (JWT);',
  '- **patient**, **representative**: the session token that POST /v1/auth/patient/verify returns after the password and the SMS code (JWT signed by this API);',
  '- **device**: the credential a measuring device received when it was paired (POST /v1/records/{dmpId}/devices), not a JWT.',
  'A missing or invalid token answers 401; a valid token of a kind the operation does not admit, or a caller the access policy refuses, 403 (or 404 where the record’s existence must not be disclosed).',
].join('\n');

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

/** A JSON body: its schema, and an example its zod schema accepts (when one could be built). */
const jsonContent = (schema: $ZodType, io: 'input' | 'output'): Json => {
  const json = schemaOf(schema, io);
  const example = exampleFor(schema, json);
  return { 'application/json': { schema: json, ...(example === undefined ? {} : { example }) } };
};

const callersText = (route: Route): string => `Callers: ${route.callers.map((c) => CALLER_TEXT[c]).join('; ')}.`;

const operation = (route: Route): Json => {
  const protectedRoute = !route.callers.includes('anonymous');
  const responses: Json = {};
  for (const [status, r] of Object.entries(route.responses)) {
    responses[status] = r.schema
      ? { description: r.description, content: jsonContent(r.schema, 'output') }
      : Number(status) === 204
        ? { description: r.description }
        : { description: r.description, content: { [r.contentType ?? 'application/json']: {} } };
  }
  const errors = new Set<number>([...(route.errors ?? []), 429, 503]);
  if (route.body || route.params || route.query) errors.add(400);
  if (route.body) for (const s of [413, 415]) errors.add(s);
  if (route.callers.some((c) => c !== 'anonymous')) for (const s of [401, 403]) errors.add(s);
  for (const s of [...errors].sort()) responses[String(s)] = problemResponse(s, ERROR_TEXT[s] ?? 'Error');
  return {
    operationId: route.id,
    summary: route.summary,
    description: route.description ? `${route.description}\n\n${callersText(route)}` : callersText(route),
    tags: [route.capability],
    'x-dmp-callers': route.callers,
    security: protectedRoute ? [{ bearer: [] }] : route.callers.length > 1 ? [{}, { bearer: [] }] : [],
    parameters: parameters(route),
    ...(route.body ? { requestBody: { required: !route.bodyOptional, content: jsonContent(route.body, 'input') } } : {}),
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
    servers: [{ url: '/', description: 'This deployment (the stage the document was read from)' }],
    tags: CAPABILITIES.map((c) => ({ name: c.name, description: TAG_TEXT[c.name] ?? c.function.description })),
    paths,
    components: {
      schemas: { Problem: schemaOf(Problem, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT', description: BEARER_TEXT } },
    },
  };
};

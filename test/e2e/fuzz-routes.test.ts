/**
 * Every route of the manifest, fuzzed over HTTP: requests generated from the route's own schemas
 * (their JSON Schema, as the OpenAPI document has them), valid, near-valid and hostile (a required
 * field dropped, an unknown one added, wrong types, huge strings, control characters, lone
 * surrogates, prototype keys, deep nesting; path parameters with traversal, encoded slashes,
 * overlong ids), from every kind of caller. Whatever is sent: never a 5xx; every 4xx is a problem
 * document (an OperationOutcome on /fhir); and a batch of requests that were all refused changes nothing in the table, but for
 * the item kinds listed in IGNORED (what a refused request may legitimately write).
 *
 * The seed is fixed (reproducible in CI) and logged; set FUZZ_SEED to try another.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import fc from 'fast-check';
import { toJSONSchema } from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/capabilities/index.ts';
import { patientId } from '../../functions/domain/fhir/ids.ts';
import type { Caller, Route } from '../../functions/http/route.ts';
import { adultIdentity, canary, minorBirthDate, randomMobile, randomRpps, recordBody } from '../support/fixtures.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

const SEED = Number(process.env.FUZZ_SEED ?? 20261201);
/** Requests per property run: the table is compared around each run whose requests were all refused. */
const BATCH = 32;
/** At most this many requests in flight. */
const IN_FLIGHT = 8;
/** Batches per route: 46 routes × 8 × 32 > 10,000 requests (FUZZ_RUNS=n for a longer run). */
const RUNS_PER_ROUTE = Number(process.env.FUZZ_RUNS ?? 8);

/**
 * Items a refused request may write, left out of the before/after comparison:
 * - `TRACE#` (under REC#): access traces; a refused access to a record is traced too (the patient
 *   sees who was turned away), append-only, ids only.
 * - `LOCK#` and `SRC#`: attempt counters on a login id and on a source address: counting refused
 *   attempts is what they are for (lockout, rate limiting).
 * - `CHAL#`: a login challenge counts the wrong codes tried against it (and ends after too many).
 */
const IGNORED = (pk: string, sk: string) => sk.startsWith('TRACE#') || pk.startsWith('LOCK#') || pk.startsWith('SRC#') || pk.startsWith('CHAL#');

type Json = Record<string, any>;
interface Req {
  method: string;
  path: string;
  token?: string;
  body?: unknown;
  raw?: string;
  headers: Record<string, string>;
}

// ---------------------------------------------------------------- JSON Schema → arbitrary

const jsonSchemaOf = (schema: $ZodType): Json => toJSONSchema(schema, { target: 'draft-2020-12', io: 'input', unrepresentable: 'any' }) as Json;

const resolve = (s: Json, root: Json): Json => {
  if (typeof s.$ref === 'string') {
    const name = s.$ref.replace(/^#\/\$defs\//, '');
    return s.$ref === '#' ? root : (root.$defs?.[name] ?? {});
  }
  return s;
};

const stringArb = (s: Json): fc.Arbitrary<string> => {
  const min = s.minLength ?? 0;
  const max = Math.min(s.maxLength ?? 40, 200);
  if (s.format === 'date') return fc.date({ min: new Date('1900-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString().slice(0, 10));
  if (s.format === 'date-time') return fc.date({ min: new Date('2000-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }).map((d) => d.toISOString());
  if (s.format === 'email') return fc.emailAddress();
  if (typeof s.pattern === 'string') {
    let re: RegExp | undefined;
    try {
      re = new RegExp(s.pattern);
    } catch {
      re = undefined;
    }
    // Out of bounds now and then: near-valid.
    if (re) return fc.stringMatching(re).map((v) => (v.length > 4 * max + 8 ? v.slice(0, max) : v));
  }
  return fc.string({ minLength: min, maxLength: Math.max(min, max) });
};

const numberArb = (s: Json): fc.Arbitrary<number> => {
  const min = s.minimum ?? (s.exclusiveMinimum !== undefined ? s.exclusiveMinimum + 1 : -1_000_000);
  const max = s.maximum ?? (s.exclusiveMaximum !== undefined ? s.exclusiveMaximum - 1 : 1_000_000);
  const lo = Math.max(Number.MIN_SAFE_INTEGER, Math.ceil(min));
  const hi = Math.min(Number.MAX_SAFE_INTEGER, Math.floor(max));
  if (s.type === 'integer') return lo <= hi ? fc.integer({ min: lo, max: hi }) : fc.constant(lo);
  return fc.double({ min, max, noNaN: true, noDefaultInfinity: true });
};

/** A value the schema accepts (mostly: patterns and formats are approximated). */
const fromSchema = (schema: Json, root: Json, depth = 0): fc.Arbitrary<unknown> => {
  const s = resolve(schema, root);
  if (depth > 6) return fc.constant(null);
  if ('const' in s) return fc.constant(s.const);
  if (Array.isArray(s.enum)) return fc.constantFrom(...(s.enum as unknown[]));
  const alternatives = (s.anyOf ?? s.oneOf) as Json[] | undefined;
  if (alternatives?.length) return fc.oneof(...alternatives.map((a) => fromSchema(a, root, depth + 1)));
  if (Array.isArray(s.allOf) && s.allOf.length) return fromSchema({ ...s, allOf: undefined, ...s.allOf[0] }, root, depth + 1);
  const type = Array.isArray(s.type) ? s.type : s.type ? [s.type] : s.properties ? ['object'] : [];
  if (type.length > 1) return fc.oneof(...type.map((t: string) => fromSchema({ ...s, type: t }, root, depth)));
  switch (type[0]) {
    case 'string':
      return stringArb(s);
    case 'integer':
    case 'number':
      return numberArb(s);
    case 'boolean':
      return fc.boolean();
    case 'null':
      return fc.constant(null);
    case 'array':
      return fc.array(s.items ? fromSchema(s.items, root, depth + 1) : fc.jsonValue({ maxDepth: 1 }), {
        minLength: s.minItems ?? 0,
        maxLength: Math.max(s.minItems ?? 0, Math.min(s.maxItems ?? 3, 4)),
      });
    case 'object': {
      const props: Record<string, fc.Arbitrary<unknown>> = {};
      for (const [k, v] of Object.entries((s.properties ?? {}) as Record<string, Json>)) props[k] = fromSchema(v, root, depth + 1);
      return fc.record(props, { requiredKeys: ((s.required ?? []) as string[]).filter((k) => k in props) });
    }
    default:
      return fc.jsonValue({ maxDepth: 2 });
  }
};

// ---------------------------------------------------------------- hostile values

const lone = fc.constantFrom('\ud800', '\udfff', 'a\udc00b', '\ud83d');
const control = fc.array(fc.integer({ min: 0, max: 0x1f }), { minLength: 1, maxLength: 8 }).map((cs) => String.fromCharCode(...cs));
const hostileString = fc.oneof(
  lone,
  control,
  fc.constantFrom('', ' ', '\u0000', '\u202e', '\ufeff', '<script>', "' OR 1=1 --", '\u0024{jndi:x}', '%s%n', '../../etc/passwd', 'REC#x', 'undefined', 'null', 'NaN'),
  fc.integer({ min: 1_000, max: 20_000 }).map((n) => 'x'.repeat(n)),
  fc.string({ unit: 'binary', maxLength: 60 }),
);
const wrongType = fc.oneof(fc.constantFrom(null, true, 0, -1, 1e308, -0, [], {}, [[]], { a: {} }), fc.jsonValue({ maxDepth: 2 }), hostileString);
const nested = (depth: number, leaf: unknown = 1): string => (depth % 2 ? '{"a":'.repeat(depth) + JSON.stringify(leaf) + '}'.repeat(depth) : '['.repeat(depth) + ']'.repeat(depth));

type Body = { body: unknown } | { raw: string };

/** A valid value turned into a near-valid or hostile one. */
const mutateBody = (valid: fc.Arbitrary<unknown>): fc.Arbitrary<Body> => {
  const asObject = valid.filter((v): v is Json => !!v && typeof v === 'object' && !Array.isArray(v));
  return fc.oneof(
    // a field dropped
    asObject.chain((v) => {
      const keys = Object.keys(v);
      return keys.length ? fc.constantFrom(...keys).map((k) => ({ body: Object.fromEntries(Object.entries(v).filter(([key]) => key !== k)) })) : fc.constant({ body: v });
    }),
    // an unknown field, or a prototype key, added (JSON.parse makes "__proto__" an own key)
    fc.tuple(asObject, fc.constantFrom('extra', 'isAdmin', '__proto__', 'constructor', 'prototype', ''), wrongType).map(([v, k, x]) => {
      const o = JSON.parse(JSON.stringify(v)) as Json;
      Object.defineProperty(o, k, { value: x, enumerable: true, writable: true, configurable: true });
      return { body: o };
    }),
    fc.tuple(asObject, fc.constantFrom('__proto__', 'constructor')).map(([v, k]) => ({
      raw: `{"${k}":{"polluted":true,"isAdmin":true},${JSON.stringify(v).slice(1)}`.replace(',}', '}'),
    })),
    // a field of the wrong type or hostile content, at the top or one level down
    asObject.chain((v) => {
      const keys = Object.keys(v);
      if (!keys.length) return wrongType.map((x) => ({ body: x }));
      return fc.tuple(fc.constantFrom(...keys), wrongType).map(([k, x]) => {
        const inner = v[k];
        if (inner && typeof inner === 'object' && !Array.isArray(inner) && Object.keys(inner).length) {
          const ik = Object.keys(inner)[0] as string;
          return { body: { ...v, [k]: { ...inner, [ik]: x } } };
        }
        return { body: { ...v, [k]: x } };
      });
    }),
    // not an object at all, deep nesting, broken JSON
    wrongType.map((x) => ({ body: x })),
    fc.constantFrom(10, 100, 5_000, 20_000).map((d) => ({ raw: nested(d) })),
    fc.constantFrom('{', '{"a":1,}', "{'a':1}", '\u0000', '{"a":1}{"b":2}', '[1,2', '{"a":"\\ud800"}', '{"a":1e999999}', '"just a string"').map((raw) => ({ raw })),
    asObject.map((v) => ({ raw: `${JSON.stringify(v).slice(0, -1)},"a":${nested(10_000)}}`.replace('{,', '{') })),
  );
};

/** Percent-encoded, a lone surrogate as the bytes of an encoded surrogate (invalid UTF-8). */
const enc = (s: string): string => {
  try {
    return encodeURIComponent(s);
  } catch {
    return `${encodeURIComponent(s.toWellFormed())}%ED%A0%80`;
  }
};

/** A path parameter: a real one, one its schema allows, or a hostile segment (sent raw, not re-encoded). */
const hostileSegment = fc.oneof(
  fc.constantFrom(
    '..',
    '%2e%2e',
    '..%2F..%2F',
    '%2F',
    'a%2Fb',
    '%252F',
    '%00',
    '%',
    '%E0%A4%A',
    '%C0%AE%C0%AE',
    '%EF%BF%BF',
    '%ED%A0%80',
    '%20',
    '~',
    '*',
    'null',
    '0',
    '-1',
    '{dmpId}',
    '%7BdmpId%7D',
    'REC%23x',
  ),
  fc.integer({ min: 100, max: 9_000 }).map((n) => 'A'.repeat(n)),
  fc.string({ maxLength: 40 }).map((s) => enc(s)),
  hostileString.map((s) => enc(s.slice(0, 300))),
);

// ---------------------------------------------------------------- the runtime, its callers and records

let api: TestApi;
const tokens: Partial<Record<Caller | 'garbage', string>> = {};
const known: Record<string, string[]> = {};

beforeAll(async () => {
  console.info(`fuzz-routes: seed ${SEED} (FUZZ_SEED=${SEED} to replay)`);
  api = await startTestApi();
  const doctorId = randomRpps();
  const doctor = await api.professional({ professionalId: doctorId });
  tokens.professional = doctor;
  tokens.agent = await api.agent();
  tokens.insurer = await api.insurer();
  const pharmacist = await api.professional({ profession: '21', structure: '750000001' });
  const patient = await newPatient(api, doctor);
  tokens.patient = (await activeSession(api, patient)).token;
  const mobile = randomMobile();
  const minor = await api.call('POST', '/v1/records', {
    token: doctor,
    body: recordBody({
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
    }),
  });
  expect(minor.status).toBe(201);
  const rep = minor.body.representatives[0];
  tokens.representative = (await activeSession(api, { dmpId: minor.body.dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile })).token;
  // A device paired with the patient's record: its credential writes measurements there, and is refused everywhere else.
  const paired = await api.call('POST', `/v1/records/${patient.dmpId}/devices`, { token: tokens.patient, body: { name: canary('Device') } });
  expect(paired.status).toBe(201);
  tokens.device = paired.body.credential;
  tokens.garbage = `${doctor.slice(0, -6)}AAAAAA`;
  // The pharmacist's token stands in for the professional caller now and then (another profession).
  tokens.anonymous = undefined;
  known.dmpId = [patient.dmpId, minor.body.dmpId];
  known.professionalId = [doctorId];
  known.finess = ['750000001'];
  pharmacistToken = pharmacist;
}, 60_000);
let pharmacistToken: string;
afterAll(() => api?.stop());

const callerToken = (route: Route): fc.Arbitrary<string | undefined> =>
  fc.oneof(
    { weight: 6, arbitrary: fc.constantFrom(...route.callers).map((c) => tokens[c]) },
    {
      weight: 2,
      arbitrary: fc.constantFrom<Caller | 'garbage'>('professional', 'agent', 'insurer', 'device', 'patient', 'representative', 'anonymous', 'garbage').map((c) => tokens[c]),
    },
    { weight: 1, arbitrary: fc.constant(0).map(() => pharmacistToken) },
  );

// ---------------------------------------------------------------- one route's requests

const queryString = (q: unknown): string => new URLSearchParams(Object.entries(q as Json).map(([k, v]): [string, string] => [k, String(v)])).toString();

const requestsFor = (route: Route): fc.Arbitrary<Req> => {
  const paramsJson = route.params ? jsonSchemaOf(route.params) : undefined;
  const queryJson = route.query ? jsonSchemaOf(route.query) : undefined;
  const bodyJson = route.body ? jsonSchemaOf(route.body) : undefined;
  const names = [...route.path.matchAll(/\{(\w+)\}/g)].map((m) => m[1] as string);

  const segment = (name: string): fc.Arbitrary<string> => {
    const fromItsSchema = paramsJson?.properties?.[name]
      ? fromSchema(paramsJson.properties[name], paramsJson).map((v) => enc(String(v)))
      : fc.string({ minLength: 1, maxLength: 20 });
    return fc.oneof(
      { weight: 5, arbitrary: known[name]?.length ? fc.constantFrom(...(known[name] as string[])) : fromItsSchema },
      { weight: 2, arbitrary: fromItsSchema },
      { weight: 2, arbitrary: hostileSegment },
    );
  };
  const path = fc.tuple(...names.map(segment)).map((values) => names.reduce((p, n, i) => p.replace(`{${n}}`, values[i] as string), route.path));

  const fromQuerySchema = queryJson ? fromSchema(queryJson, queryJson) : fc.constant({});
  // A FHIR search's `patient` is often a real record's Patient, so that what follows the record's
  // opening (a DocumentReference search, by words too) is fuzzed, not only the refusal of an unknown one.
  const validQuery = fromQuerySchema.chain((q) =>
    q && typeof q === 'object' && 'patient' in q && known.dmpId?.length
      ? fc
          .oneof(fc.constant((q as Json).patient), fc.constantFrom(...known.dmpId.map(patientId)), fc.constantFrom(...known.dmpId.map((d) => `Patient/${patientId(d)}`)))
          .map((patient) => ({ ...(q as Json), patient }))
      : fc.constant(q),
  );
  const query = fc.oneof(
    { weight: 4, arbitrary: validQuery.map((q) => queryString(q)) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(validQuery, fc.constantFrom('limit', 'cursor', 'q', '_content', 'status', 'month', 'from', 'to', 'x', '__proto__', 'constructor'), hostileString)
        .map(([q, k, v]) => `${queryString(q)}&${k}=${enc(v.slice(0, 3_000))}&${k}=1`),
    },
    { weight: 1, arbitrary: fc.constantFrom('%', '%zz', '&&&', '=', 'a=%ED%A0%80', 'limit[]=1', 'limit=1&limit=2') },
  );

  const validBody = bodyJson ? fromSchema(bodyJson, bodyJson) : fc.constant(undefined);
  const body: fc.Arbitrary<Body | undefined> = bodyJson
    ? fc.oneof({ weight: 3, arbitrary: validBody.map((b) => ({ body: b })) }, { weight: 5, arbitrary: mutateBody(validBody) })
    : fc.oneof({ weight: 4, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: wrongType.map((b) => ({ body: b })) });

  const headers = fc.record(
    {
      'Idempotency-Key': fc.oneof(
        fc.uuid(),
        fc.string({ maxLength: 300 }).filter((k) => /^[\x20-\x7e]*$/.test(k)),
      ),
      'content-type': fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', 'application/x-www-form-urlencoded', 'application/json, text/plain'),
    },
    { requiredKeys: [] },
  );

  return fc
    .record({
      path,
      query,
      body,
      token: callerToken(route),
      headers,
      method: fc.oneof({ weight: 12, arbitrary: fc.constant(route.method) }, { weight: 1, arbitrary: fc.constantFrom('GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS') }),
    })
    .map(({ path: p, query: q, body: b, token, headers: h, method }) => ({
      method,
      path: q ? `${p}?${q}` : p,
      ...(token ? { token } : {}),
      // fetch sends no body with a GET (nor does API Gateway pass one on).
      ...(b && method !== 'GET' ? b : {}),
      headers: route.idempotent ? h : Object.fromEntries(Object.entries(h).filter(([k]) => k !== 'Idempotency-Key')),
    }));
};

// ---------------------------------------------------------------- the table, before and after

let scanMs = 0;
const snapshot = async (): Promise<Map<string, string>> => {
  const t = Date.now();
  const out = new Map<string, string>();
  const items: Json[] = [];
  let start: Json | undefined;
  do {
    // Access traces left out by the emulator already: they are most of the table, and ignored.
    const page = await api.runtime.deps.db.send(
      new ScanCommand({
        TableName: api.runtime.config.tableName,
        FilterExpression: 'NOT begins_with(sk, :trace)',
        ExpressionAttributeValues: { ':trace': { S: 'TRACE#' } },
        ExclusiveStartKey: start,
      }),
    );
    items.push(...(page.Items ?? []));
    start = page.LastEvaluatedKey;
  } while (start);
  for (const item of items) {
    const pk = item.pk?.S ?? '';
    const sk = item.sk?.S ?? '';
    if (!IGNORED(pk, sk)) out.set(`${pk} | ${sk}`, JSON.stringify(item));
  }
  scanMs += Date.now() - t;
  return out;
};

const differences = (before: Map<string, string>, after: Map<string, string>): string[] => {
  const out: string[] = [];
  for (const [k, v] of after) if (before.get(k) !== v) out.push(before.has(k) ? `changed ${k}` : `added ${k}`);
  for (const k of before.keys()) if (!after.has(k)) out.push(`removed ${k}`);
  return out;
};

// ---------------------------------------------------------------- the properties

let sent = 0;
let compared = 0;

const send = async (route: Route, r: Req) => {
  const { method, path, ...opts } = r;
  let res: Awaited<ReturnType<TestApi['call']>>;
  try {
    let timer: NodeJS.Timeout | undefined;
    const hang = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error('no answer within 15 s')), 15_000);
    });
    res = await Promise.race([api.call(method, path, opts), hang]).finally(() => clearTimeout(timer));
  } catch (error) {
    // A body the client cannot even read (invalid JSON in a JSON answer) is a failure too.
    throw new Error(`${route.id}: ${method} ${path.slice(0, 200)}: ${(error as Error).message}`);
  }
  sent += 1;
  const where = `${route.id} (${route.method} ${route.path}), seed ${SEED}: ${method} ${path.slice(0, 200)} → ${res.status} ${JSON.stringify(res.body).slice(0, 300)}`;
  expect(res.status, where).toBeLessThan(500);
  // The FHIR interface's refusals are OperationOutcomes (functions/http/pipeline.ts), every other route's problem documents.
  // A path or method no route has never reaches a function: the router answers it (as API Gateway's
  // gateway responses do in AWS) with a problem document, FHIR path or not.
  const routed = !/^(No such operation|Method not allowed on this path|The path is not valid)\./.test(String((res.body as { detail?: string } | undefined)?.detail));
  if (res.status >= 400 && route.path.startsWith('/fhir/') && routed) {
    expect(res.headers.get('content-type'), where).toBe('application/fhir+json');
    expect((res.body as { resourceType?: string } | undefined)?.resourceType, where).toBe('OperationOutcome');
  } else if (res.status >= 400) expect(res.headers.get('content-type'), where).toBe('application/problem+json');
  return res.status;
};

describe('every route, fuzzed from its schemas', () => {
  for (const [index, route] of ROUTES.entries()) {
    it(`${route.method} ${route.path} (${route.id}): never a 5xx, refusals are problem documents and change nothing`, async () => {
      let before: Map<string, string> | undefined;
      const t0 = Date.now();
      const sent0 = sent;
      await fc.assert(
        fc.asyncProperty(fc.array(requestsFor(route), { minLength: BATCH, maxLength: BATCH }), async (batch) => {
          const start = before ?? (await snapshot());
          // Until this batch is known to have changed nothing, the next one starts from a fresh scan.
          before = undefined;
          const statuses: number[] = [];
          for (let i = 0; i < batch.length; i += IN_FLIGHT) statuses.push(...(await Promise.all(batch.slice(i, i + IN_FLIGHT).map((r) => send(route, r)))));
          if (statuses.every((s) => s >= 400)) {
            const after = await snapshot();
            expect(differences(start, after), `${route.id}, seed ${SEED}: refused requests changed the table`).toEqual([]);
            compared += 1;
            before = after;
          }
        }),
        { seed: SEED + index, numRuns: RUNS_PER_ROUTE, endOnFailure: false },
      );
      console.info(`fuzz-routes: ${route.id}: ${sent - sent0} requests in ${Date.now() - t0} ms (scans so far ${scanMs} ms)`);
    }, 120_000);
  }

  it('sent at least 10,000 requests, and compared the table around most batches', () => {
    console.info(`fuzz-routes: ${sent} requests, ${compared} all-refused batches compared before/after`);
    expect(sent).toBeGreaterThanOrEqual(10_000);
    expect(compared).toBeGreaterThan(ROUTES.length * RUNS_PER_ROUTE * 0.3);
  });
});

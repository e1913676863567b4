/**
 * Hostile and malformed requests on documents: every one gets a 4xx problem document
 * (application/problem+json) that echoes neither the submitted title nor the content, and none
 * changes anything — neither what the record lists nor a single raw item of its partition.
 * Unknown fields are refused; a document id is only ever found under its own record's id; random
 * bodies (fast-check) never produce a 5xx.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_CONTENT_BYTES } from '../../functions/domain/documents.ts';
import { canary } from '../support/fixtures.ts';
import { deposit, documentBody, listIds } from '../support/documents.ts';
import { newPatient, patientWithSession } from '../support/patients.ts';
import { startWarmTestApi, type Answer, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
/** Record A: the patient has a session (tokenA). Record B: another patient's, no session needed. */
let dmpA: string;
let dmpB: string;
let tokenA: string;
/** Documents the doctor (authorised on both records: it created them) deposited in A and in B. */
let docA: string;
let docB: string;

beforeAll(async () => {
  ({ api, doctor } = await startWarmTestApi());
  const a = await patientWithSession(api, doctor);
  dmpA = a.p.dmpId;
  tokenA = a.token;
  dmpB = (await newPatient(api, doctor)).dmpId;
  docA = await deposit(api, doctor, dmpA);
  docB = await deposit(api, doctor, dmpB);
  // The doctor's first access to each record (traced and notified once) happens here, not inside a case.
  await listIds(api, doctor, dmpA);
  await listIds(api, doctor, dmpB);
});
afterAll(() => api?.stop());

const docs = (dmpId: string) => `/v1/records/${dmpId}/documents`;

/**
 * Every raw item of the records' partitions, in key order (one scan): what "nothing changed"
 * compares. A professional's refusal leaves its refusal trace (outcome `refused`), the one write a
 * refused request makes: left out of the comparison.
 */
const partitions = async (dmpIds: string[]) => {
  const items = await api.scanAll();
  const bySk = (x: Record<string, any>, y: Record<string, any>) => (x.sk.S < y.sk.S ? -1 : x.sk.S > y.sk.S ? 1 : 0);
  const refusalTrace = (i: Record<string, any>) => i.sk?.S?.startsWith('TRACE#') && i.outcome?.S === 'refused';
  return dmpIds.map((d) => items.filter((i) => i.pk?.S === `REC#${d}` && !refusalTrace(i)).sort(bySk));
};

/**
 * Runs refused requests and checks that each record lists the same and that its partition holds
 * the very same raw items (same count, same keys, same attributes: labels, status, revision).
 */
const unchanged = async <T extends Answer | Answer[]>(act: () => Promise<T>, dmpIds: string[] = [dmpA], opts: { list?: boolean } = {}): Promise<T> => {
  const list = opts.list ?? true;
  const listed = list ? await Promise.all(dmpIds.map((d) => listIds(api, doctor, d, '?status=all'))) : [];
  const before = await partitions(dmpIds);
  const res = await act();
  const after = await partitions(dmpIds);
  expect(
    after.map((p) => p.length),
    'raw items in the partition',
  ).toEqual(before.map((p) => p.length));
  expect(after).toEqual(before);
  if (list) expect(await Promise.all(dmpIds.map((d) => listIds(api, doctor, d, '?status=all')))).toEqual(listed);
  return res;
};

/** A problem document of this status, echoing none of the secrets (titles, content). */
const expectProblem = (res: Answer, status: number, secrets: string[] = [], why = '') => {
  expect(res.status, `${why} ${JSON.stringify(res.body)}`).toBe(status);
  expect(res.headers.get('content-type'), why).toBe('application/problem+json');
  expect(res.body, why).toMatchObject({ type: expect.stringMatching(/^urn:dmp:problem:/), title: expect.any(String), status });
  const text = JSON.stringify(res.body);
  for (const secret of secrets) expect(text, why).not.toContain(secret);
};

/** A refused request: what it is, the status it must get, how to send it, what its answer must not echo. */
type Refusal = [why: string, status: number, send: () => Promise<Answer>, secrets?: string[]];

/** Several refused requests sent together: each gets its problem document, and together they change nothing. */
const refusedTogether = async (refusals: Refusal[], dmpIds: string[] = [dmpA], opts: { list?: boolean } = {}) => {
  const answers = await unchanged(() => Promise.all(refusals.map(([, , send]) => send())), dmpIds, opts);
  refusals.forEach(([why, status, , secrets], i) => {
    expectProblem(answers[i]!, status, secrets ?? [], why);
  });
};

/** A deposit body whose title and (text) content carry canaries, and the strings no answer may echo. */
const secretBody = (extra: Record<string, unknown> = {}) => {
  let plain = `Résultat confidentiel ${canary('Contenu')} — hémoglobine 13,2 g/dl`;
  // One byte over a multiple of 3: the base64 ends with "==", which the corruptions below rely on.
  while (Buffer.byteLength(plain, 'utf8') % 3 !== 1) plain += ' ';
  const body = documentBody({ contentType: 'text/plain', ...extra }, Buffer.from(plain, 'utf8'));
  return {
    body,
    secrets: [body.title, plain.split(' ')[2]!, Buffer.from(plain, 'utf8').toString('base64').slice(0, 24)].filter((s): s is string => typeof s === 'string' && s.length >= 8),
  };
};

const post = (body: unknown, opts: { token?: string; dmpId?: string; headers?: Record<string, string> } = {}) =>
  api.call('POST', docs(opts.dmpId ?? dmpA), { token: opts.token ?? doctor, body, headers: opts.headers ?? {} });

describe('deposits refused before anything is written', () => {
  it.each([
    ['an unknown type code', 422, { typeCode: 'XYZ-0000' }],
    ['a forbidden content type (text/html)', 400, { contentType: 'text/html' }],
    ['contradictory labels (invisible to the patient and masked)', 422, { visibility: { invisibleToPatient: true, maskedToProfessionals: true } }],
    ['an unknown top-level field', 400, { comment: 'x' }],
    ['an unknown field inside visibility', 400, { visibility: { invisibleToPatient: false, hiddenFromEveryone: true } }],
  ])('%s → %i', async (_why, status, extra) => {
    const { body, secrets } = secretBody(extra);
    const res = await unchanged(() => post(body));
    expectProblem(res, status, secrets);
  });

  /** Corruptions of a base64 text that ends with "==". */
  const corruptions: [string, (b64: string) => string][] = [
    ['a character outside the alphabet', (b64) => `${b64.slice(0, 4)}!${b64.slice(5)}`],
    ['padding in the middle', (b64) => `${b64.slice(0, 4)}=${b64.slice(5)}`],
    ['three padding characters', (b64) => `${b64.slice(0, -3)}===`],
    ['a length that is not a multiple of 4 (padding left out)', (b64) => b64.slice(0, -2)],
    ['a length that is not a multiple of 4 (one character more)', (b64) => `${b64}A`],
    ['base64url characters (- and _)', (b64) => `${b64.slice(0, 4)}-_${b64.slice(6)}`],
    ['MIME line breaks', (b64) => `${b64.slice(0, 8)}\r\n${b64.slice(8)}`],
    ['white space', (b64) => ` ${b64}`],
  ];

  it.each(corruptions.slice(0, 4))('bad base64: %s → 400', async (_why, corrupt) => {
    const { body, secrets } = secretBody();
    const bad = corrupt(body.content);
    expect(bad).not.toBe(body.content);
    const res = await unchanged(() => post({ ...body, content: bad }));
    expectProblem(res, 400, [...secrets, bad.slice(0, 24)]);
  });

  it('content of 4 MiB + 1 byte once decoded → 413', async () => {
    const body = documentBody({}, randomBytes(MAX_CONTENT_BYTES + 1));
    const res = await unchanged(() => post(body));
    expectProblem(res, 413, [body.title, body.content.slice(0, 64)]);
  });

  it('a body over the operation’s byte limit (valid JSON, padded) → 413', async () => {
    const body = documentBody();
    const raw = `${JSON.stringify(body)}${' '.repeat(5_700_000)}`;
    const res = await unchanged(() => api.call('POST', docs(dmpA), { token: doctor, raw, headers: { 'content-type': 'application/json' } }));
    expectProblem(res, 413, [body.title, body.content.slice(0, 64)]);
  });

  it('an agent may not deposit → 403', async () => {
    const agent = await api.agent();
    const { body, secrets } = secretBody();
    expectProblem(await unchanged(() => post(body, { token: agent })), 403, secrets);
  });

  it('more malformed fields, each → 400 or 422', async () => {
    const cases: [string, number, Record<string, unknown>][] = [
      ['a type code named like an Object property', 422, { typeCode: 'constructor' }],
      ['a type code named __proto__', 422, { typeCode: '__proto__' }],
      ['a type code that is not one by its form', 400, { typeCode: '11502 2' }],
      ['a reimbursement type (class 60, from the Assurance Maladie only)', 422, { typeCode: 'REMB' }],
      ['a forbidden content type (an executable)', 400, { contentType: 'application/x-msdownload' }],
      ['a content type with parameters', 400, { contentType: 'text/plain; charset=utf-8' }],
      ['visibility that is not an object', 400, { visibility: 'hidden' }],
      ['a label that is not a boolean', 400, { visibility: { invisibleToPatient: 'true' } }],
      ['a title too long', 400, { title: `${canary('Long')} ${'x'.repeat(300)}` }],
      ['a title with control characters', 400, { title: `${canary('Ctl')}\u0000\u0007` }],
      ['an empty title', 400, { title: '' }],
      ['a service date that is not a date', 400, { serviceDate: '20/11/2026' }],
      ['a uniqueId that is not an identifier', 400, { uniqueId: 'a b<c>' }],
      ['replaces that is not a document id', 400, { replaces: '../../etc/passwd' }],
      ['content that is not a string', 400, { content: 12345678 }],
      ['an empty content', 400, { content: '' }],
    ];
    const refusals: Refusal[] = cases.map(([why, status, extra]) => {
      const { body, secrets } = secretBody(extra);
      return [why, status, () => post(body), secrets];
    });
    for (const [why, corrupt] of corruptions.slice(4)) {
      const { body, secrets } = secretBody();
      refusals.push([`bad base64: ${why}`, 400, () => post({ ...body, content: corrupt(body.content) }), secrets]);
    }
    await refusedTogether(refusals);
  });

  it('bodies that are not a deposit object, or not JSON → 400 or 415', async () => {
    const raw =
      (text: string, type = 'application/json') =>
      () =>
        api.call('POST', docs(dmpA), { token: doctor, raw: text, headers: { 'content-type': type } });
    const { body, secrets } = secretBody();
    const refusals: Refusal[] = [
      ['not JSON', 400, raw('{"typeCode": "11502-2",')],
      ['JSON null', 400, raw('null')],
      ['a JSON array', 400, raw('[]')],
      ['a JSON string', 400, raw('"11502-2"')],
      ['deeply nested arrays', 400, raw(`${'['.repeat(200_000)}${']'.repeat(200_000)}`)],
      ['deeply nested objects', 400, raw(`${'{"visibility":'.repeat(50_000)}{}${'}'.repeat(50_000)}`)],
      ['sent as text/plain', 415, raw(JSON.stringify(body), 'text/plain'), secrets],
      ['sent as a form', 415, raw(JSON.stringify(body), 'application/x-www-form-urlencoded'), secrets],
      ['sent as JSON in Latin-1', 415, raw(JSON.stringify(body), 'application/json; charset=latin1'), secrets],
      ...['__proto__', 'constructor', 'toString', 'hasOwnProperty'].map(
        (name): Refusal => [
          `an unknown field named ${name}`,
          400,
          raw(JSON.stringify(body).replace(/^\{/, `{${JSON.stringify(name)}:{"typeCode":"REMB","polluted":true},`)),
          secrets,
        ],
      ),
    ];
    await refusedTogether(refusals);
    expect(({} as Record<string, unknown>).polluted).toBeUndefined();
  });

  it('a malformed Idempotency-Key, a malformed or unknown dmpId in the path → 400, 400, 404', async () => {
    const { body, secrets } = secretBody();
    await refusedTogether([
      ...['short', 'spaces are not allowed', 'x'.repeat(65)].map(
        (key): Refusal => [`Idempotency-Key ${key}`, 400, () => post(body, { headers: { 'Idempotency-Key': key } }), secrets],
      ),
      ...['a%20b', 'short', '..%2F..'].map((id): Refusal => [`dmpId ${id}`, 400, () => api.call('POST', `/v1/records/${id}/documents`, { token: doctor, body }), secrets]),
      ['an unknown dmpId', 404, () => api.call('POST', `/v1/records/${randomUUID().replace(/-/g, '')}/documents`, { token: doctor, body }), secrets],
    ]);
  });
});

describe('a document id belongs to its record only', () => {
  it('record A’s document under record B’s id: read, change and delete → 404, for a professional authorised on both', async () => {
    expect((await api.call('GET', `${docs(dmpA)}/${docA}`, { token: doctor })).status).toBe(200);
    const [read, patch, del] = await unchanged(
      () =>
        Promise.all([
          api.call('GET', `${docs(dmpB)}/${docA}`, { token: doctor }),
          api.call('PATCH', `${docs(dmpB)}/${docA}`, { token: doctor, body: { archived: true } }),
          api.call('DELETE', `${docs(dmpB)}/${docA}`, { token: doctor }),
        ]),
      [dmpA, dmpB],
    );
    expectProblem(read, 404);
    expectProblem(patch, 404);
    expectProblem(del, 404);
  });

  it('the patient of A asks for B’s document under A’s own id → 404', async () => {
    const answers = await unchanged(
      () =>
        Promise.all([
          api.call('GET', `${docs(dmpA)}/${docB}`, { token: tokenA }),
          api.call('PATCH', `${docs(dmpA)}/${docB}`, { token: tokenA, body: { maskedToProfessionals: true } }),
          api.call('DELETE', `${docs(dmpA)}/${docB}`, { token: tokenA }),
        ]),
      [dmpA, dmpB],
    );
    for (const res of answers) expectProblem(res, 404);
  });

  it('a new version that replaces another record’s document → 404', async () => {
    const { body, secrets } = secretBody({ replaces: docA });
    const res = await unchanged(() => post(body, { dmpId: dmpB }), [dmpA, dmpB]);
    expectProblem(res, 404, secrets);
  });

  it('a new version that replaces a document id that exists nowhere → 404', async () => {
    const { body, secrets } = secretBody({ replaces: `${docA.slice(0, 9)}${'0'.repeat(16)}` });
    expectProblem(await unchanged(() => post(body)), 404, secrets);
  });

  it('a patient token on another patient’s record: list, read, deposit, change, delete → 404', async () => {
    const { body, secrets } = secretBody({ typeCode: 'DOCPAT01' });
    const [list, read, posted, patched, deleted, log] = await unchanged(
      () =>
        Promise.all([
          api.call('GET', docs(dmpB), { token: tokenA }),
          api.call('GET', `${docs(dmpB)}/${docB}`, { token: tokenA }),
          post(body, { token: tokenA, dmpId: dmpB }),
          api.call('PATCH', `${docs(dmpB)}/${docB}`, { token: tokenA, body: { archived: true } }),
          api.call('DELETE', `${docs(dmpB)}/${docB}`, { token: tokenA }),
          api.call('GET', `/v1/records/${dmpB}/access-log`, { token: tokenA }),
        ]),
      [dmpA, dmpB],
    );
    for (const res of [list, read, patched, deleted, log]) expectProblem(res!, 404);
    expectProblem(posted!, 404, secrets);
  });

  const malformedIds: [string, string][] = [
    ['too short', 'abc'],
    ['upper case', 'ABCDEFGHJKMNPQRSTVWXYZ012'],
    ['letters outside the alphabet (i, l, o, u)', 'iiiiiiiiilllllllloooooooo'],
    ['an encoded slash', `${'a'.repeat(12)}%2F${'a'.repeat(12)}`],
    ['a broken percent-encoding', `${'a'.repeat(20)}%E0%A4%A`],
    ['a path traversal', '..%2F..%2Fcredentials'],
  ];
  const onEveryVerb = (why: string, id: string): Refusal[] => [
    [`GET ${why}`, 400, () => api.call('GET', `${docs(dmpA)}/${id}`, { token: doctor })],
    [`PATCH ${why}`, 400, () => api.call('PATCH', `${docs(dmpA)}/${id}`, { token: tokenA, body: { archived: true } })],
    [`DELETE ${why}`, 400, () => api.call('DELETE', `${docs(dmpA)}/${id}`, { token: doctor })],
  ];

  it('a malformed documentId in the path → 400 on GET, PATCH and DELETE', async () => {
    await refusedTogether(onEveryVerb(...malformedIds[0]!));
  });

  it('other malformed documentIds (case, alphabet, encoded slash, broken encoding, traversal) → 400 on every verb', async () => {
    await refusedTogether(malformedIds.slice(1).flatMap(([why, id]) => onEveryVerb(why, id)));
  });
});

describe('label changes refused', () => {
  const patch = (body: unknown, token = tokenA) => api.call('PATCH', `${docs(dmpA)}/${docA}`, { token, body });

  it.each([
    ['an empty object', {}],
    ['invisibleToPatient: true (only false is accepted)', { invisibleToPatient: true }],
    ['visibleToRepresentatives: false (only true is accepted)', { visibleToRepresentatives: false }],
  ])('%s → 400', async (_why, body) => {
    expectProblem(await unchanged(() => patch(body)), 400);
  });

  it('other malformed changes, an empty body, a body too large → 400, 415, 413', async () => {
    const raw =
      (text: string, headers: Record<string, string> = { 'content-type': 'application/json' }) =>
      () =>
        api.call('PATCH', `${docs(dmpA)}/${docA}`, { token: tokenA, raw: text, headers });
    const bodies: [string, unknown][] = [
      ['an unknown field', { maskedToProfessionals: true, pinned: true }],
      ['a deposit-style visibility object', { visibility: { maskedToProfessionals: true } }],
      ['a label that is not a boolean', { maskedToProfessionals: 'yes' }],
      ['a status field', { status: 'deleted' }],
      ['null', null],
      ['an array', [{ archived: true }]],
    ];
    await refusedTogether([
      ...bodies.map(([why, body]): Refusal => [why, 400, () => patch(body)]),
      ['an empty body', 400, raw('')],
      ['an empty body without a content type', 415, raw('', {})],
      ['a body over the 1 KiB limit', 413, raw(`{"archived":true${' '.repeat(2048)}}`)],
    ]);
  });

  it('a professional may not mask; the patient may not reveal to representatives → 403', async () => {
    const answers = await unchanged(() =>
      Promise.all([patch({ maskedToProfessionals: true }, doctor), patch({ visibleToRepresentatives: true }), patch({ invisibleToPatient: false })]),
    );
    for (const res of answers) expectProblem(res, 403);
  });

  it('a DELETE with a body → 400, the document stays', async () => {
    expectProblem(await unchanged(() => api.call('DELETE', `${docs(dmpA)}/${docA}`, { token: doctor, body: { reason: 'x' } })), 400);
    expect(await listIds(api, doctor, dmpA)).toContain(docA);
  });
});

describe('listing queries refused', () => {
  const list = (query: string) => () => api.call('GET', `${docs(dmpA)}${query}`, { token: doctor });

  it.each([
    ['status=deleted', '?status=deleted'],
    ['limit=0', '?limit=0'],
    ['an unknown query parameter', '?sort=title'],
    ['a cursor outside the alphabet', '?cursor=abc!def'],
    ['a cursor that is not one of this list', `?cursor=${Buffer.from('TRACE#2026-01-01T00:00:00.000Z#abc').toString('base64url')}`],
  ])('%s → 400', async (_why, query) => {
    expectProblem(await unchanged(list(query), [dmpA], { list: false }), 400);
  });

  it('other bad queries, on the documents and on the access log → 400', async () => {
    const queries: [string, string][] = [
      ['status=superseded', '?status=superseded'],
      ['an empty status', '?status='],
      ['limit=101', '?limit=101'],
      ['limit=-1', '?limit=-1'],
      ['limit=1e1', '?limit=1e1'],
      ['a repeated query parameter', '?status=all&status=current'],
      ['a since that is not a date', '?since=yesterday'],
      ['a type code that is not one by its form', '?typeCode=%3Cscript%3E'],
      ['an empty q', '?q='],
      ['a q with control characters', '?q=bilan%00'],
      ['a cursor of random bytes', `?cursor=${randomBytes(30).toString('base64url')}`],
      ['a cursor that names no document id', `?cursor=${Buffer.from('DOC#../../x').toString('base64url')}`],
    ];
    await refusedTogether(
      [
        ...queries.map(([why, query]): Refusal => [why, 400, list(query)]),
        ...['?cursor=AAAA', '?limit=0', '?sort=at'].map((q): Refusal => [`access-log ${q}`, 400, () => api.call('GET', `/v1/records/${dmpA}/access-log${q}`, { token: tokenA })]),
      ],
      [dmpA],
      { list: false },
    );
  });
});

describe('repeated deposits', () => {
  it('a uniqueId deposited twice → 409, the second writes nothing', async () => {
    const uniqueId = `1.2.250.1.213.${Date.now()}.${Math.floor(Math.random() * 1e6)}`;
    await deposit(api, doctor, dmpA, { uniqueId });
    const { body, secrets } = secretBody({ uniqueId });
    expectProblem(await unchanged(() => post(body)), 409, secrets);
    // Another record may hold the same uniqueId: it is keyed per record.
    await deposit(api, doctor, dmpB, { uniqueId });
  });

  it('the same Idempotency-Key with the same body replays the first answer; with another body → 422', async () => {
    const key = `hostile-${randomUUID().slice(0, 8)}`;
    const { body, secrets } = secretBody();
    const first = await post(body, { headers: { 'Idempotency-Key': key } });
    expect(first.status).toBe(201);
    expect(first.headers.get('idempotent-replayed')).toBeNull();
    const replay = await unchanged(() => post(body, { headers: { 'Idempotency-Key': key } }));
    expect(replay.status).toBe(201);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body).toEqual(first.body);
    const other = secretBody();
    const mismatch = await unchanged(() => post(other.body, { headers: { 'Idempotency-Key': key } }));
    expectProblem(mismatch, 422, [...secrets, ...other.secrets]);
    expect((await listIds(api, doctor, dmpA)).filter((id) => id === first.body.documentId)).toHaveLength(1);
  });

  it('a new version invisible to the patient of a version the patient masked → 422 (contradictory labels), nothing written', async () => {
    const v1 = await deposit(api, doctor, dmpA);
    expect((await api.call('PATCH', `${docs(dmpA)}/${v1}`, { token: tokenA, body: { maskedToProfessionals: true } })).status).toBe(200);
    const { body, secrets } = secretBody({ replaces: v1, visibility: { invisibleToPatient: true } });
    expectProblem(await unchanged(() => post(body)), 422, secrets);
  });

  it('a version replaced twice → 409 the second time, nothing written', async () => {
    const v1 = await deposit(api, doctor, dmpA);
    await deposit(api, doctor, dmpA, { replaces: v1 });
    const { body, secrets } = secretBody({ replaces: v1 });
    expectProblem(await unchanged(() => post(body)), 409, secrets);
  });
  it('a multi-chunk deposit (1 MiB) whose uniqueId is taken → 409, and leaves no staged chunk or upload intent behind', async () => {
    const uniqueId = `1.2.250.1.213.${Date.now()}.${Math.floor(Math.random() * 1e6)}`;
    await deposit(api, doctor, dmpA, { uniqueId });
    const body = documentBody({ uniqueId }, randomBytes(1024 * 1024));
    const res = await unchanged(() => post(body));
    expectProblem(res, 409, [body.title, body.content.slice(0, 64)]);
  });
});

describe('random bodies never produce a 5xx', () => {
  const anyValue = fc.oneof(fc.jsonValue({ maxDepth: 2 }), fc.string({ unit: 'binary', maxLength: 40 }), fc.constantFrom(null, true, false, 0, -1, 1e308, '', '__proto__'));
  /** A valid deposit for the doctor (lab report) or the patient (class 90), small text content. */
  const base = (asPatient: boolean): Record<string, unknown> => ({
    typeCode: asPatient ? 'DOCPAT01' : '11502-2',
    title: 'Bilan fuzz',
    serviceDate: '2026-11-20',
    contentType: 'text/plain',
    content: Buffer.from('contenu de test').toString('base64'),
  });
  const fields = {
    typeCode: fc.oneof(fc.constantFrom('11502-2', 'DOCPAT01', '57833-6', 'REMB', 'EXPPAT_3', 'nope', 'constructor', '__proto__'), anyValue),
    title: fc.oneof(fc.string({ unit: 'binary', minLength: 1, maxLength: 300 }), anyValue),
    serviceDate: fc.oneof(fc.constantFrom('2026-11-20', '2026-02-30', '2024-02-29', '0000-00-00', '9999-12-31'), anyValue),
    contentType: fc.oneof(fc.constantFrom('application/pdf', 'text/plain', 'text/xml', 'image/jpeg', 'image/tiff', 'application/fhir+json', 'text/html'), anyValue),
    content: fc.oneof(fc.base64String({ minLength: 4, maxLength: 200 }), fc.string({ maxLength: 60 }), anyValue),
    uniqueId: fc.oneof(fc.stringMatching(/^[A-Za-z0-9.^_:-]{1,20}$/), anyValue),
    replaces: fc.oneof(fc.constantFrom('docA', 'docB'), fc.stringMatching(/^[0-9a-hjkmnp-tv-z]{25}$/), anyValue),
    visibility: fc.oneof(
      fc.record({ maskedToProfessionals: fc.boolean(), invisibleToPatient: fc.boolean(), invisibleToRepresentatives: fc.boolean() }, { requiredKeys: [] }),
      anyValue,
    ),
    extra: anyValue,
  };
  const names = Object.keys(fields) as (keyof typeof fields)[];
  /** What to do to a valid body: replace one field, replace several, remove one, or send any JSON instead. */
  const mutation = fc.oneof(
    fc.constantFrom(...names).chain((k) =>
      fields[k].map((v) => (b: Record<string, unknown>): unknown => ({ ...b, [k]: v })),
    ),
    fc.record(fields, { requiredKeys: [] }).map((o) => (b: Record<string, unknown>): unknown => ({ ...b, ...o })),
    fc.constantFrom(...names).map(
      (k) =>
        (b: Record<string, unknown>): unknown =>
          Object.fromEntries(Object.entries(b).filter(([n]) => n !== k)),
    ),
    fc.jsonValue().map((v) => (): unknown => v),
  );
  const withIds = (body: unknown): unknown => {
    if (!body || typeof body !== 'object' || Array.isArray(body)) return body;
    const b = body as Record<string, unknown>;
    return { ...b, ...(b.replaces === 'docA' ? { replaces: docA } : b.replaces === 'docB' ? { replaces: docB } : {}) };
  };
  const statuses = new Map<number, number>();
  const check = (res: Answer) => {
    statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
    expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
    if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json');
  };

  it('POST .../documents with random and mutated bodies', async () => {
    await fc.assert(
      fc.asyncProperty(mutation, fc.boolean(), fc.option(fc.oneof(fc.stringMatching(/^[A-Za-z0-9_-]{8,20}$/), fc.string({ maxLength: 70 }))), async (mutate, asPatient, key) => {
        const body = withIds(mutate(base(asPatient)));
        const res = await api.call('POST', docs(dmpA), { token: asPatient ? tokenA : doctor, body, headers: key !== null ? { 'Idempotency-Key': key } : {} });
        check(res);
      }),
      { numRuns: 50 },
    );
    // The mutated bodies reach past validation too (the type, the record, the labels...), not only 400s.
    expect([...statuses.keys()].some((s) => s !== 400)).toBe(true);
    statuses.clear();
  });

  it('PATCH .../documents/{id} with random and mutated bodies', async () => {
    const target = await deposit(api, doctor, dmpA);
    const patchLike = fc.record(
      { maskedToProfessionals: anyValue, invisibleToPatient: anyValue, visibleToRepresentatives: anyValue, archived: anyValue, extra: anyValue },
      { requiredKeys: [] },
    );
    const booleanPatch = fc.record(
      { maskedToProfessionals: fc.boolean(), invisibleToPatient: fc.constant(false), visibleToRepresentatives: fc.constant(true), archived: fc.boolean() },
      { requiredKeys: [] },
    );
    await fc.assert(
      fc.asyncProperty(fc.oneof(patchLike, booleanPatch, fc.jsonValue()), fc.constantFrom('doctor', 'patient', 'other'), async (body, who) => {
        const token = who === 'doctor' ? doctor : who === 'patient' ? tokenA : await api.professional();
        check(await api.call('PATCH', `${docs(dmpA)}/${target}`, { token, body }));
      }),
      { numRuns: 50 },
    );
    expect([...statuses.keys()].some((s) => s !== 400)).toBe(true);
  });
});

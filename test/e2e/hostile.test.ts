/**
 * Malformed and hostile requests: each gets a 4xx problem document that echoes no personal data,
 * and none changes anything in the table. Forged tokens are refused by the same verification
 * that serves Pro Santé Connect.
 */
import { generateKeyPair, SignJWT } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LOCAL_AUDIENCE } from '../../bin/local-idp.ts';
import { adultIdentity, randomIns, randomRpps, recordBody } from '../support/fixtures.ts';
import { startWarmTestApi, type Answer, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
let itemsBefore: number;
const seen: Answer[] = [];

const NAME = 'CanaryHostileName';
const valid = () => recordBody({}, NAME);
const pscIssuer = () => api.runtime.idp.issuers.find((i) => i.kind === 'professional')!.issuer;

const post = async (payload: unknown, opts: { token?: string; headers?: Record<string, string>; raw?: string } = {}) => {
  const res = await api.call('POST', '/v1/records', {
    token: opts.token ?? doctor,
    ...(opts.raw !== undefined ? { raw: opts.raw } : { body: payload }),
    headers: opts.headers ?? {},
  });
  seen.push(res);
  return res;
};

beforeAll(async () => {
  ({ api, doctor } = await startWarmTestApi());
  itemsBefore = (await api.scanAll()).length;
});

afterAll(async () => {
  // Nothing any of these requests sent changed the table.
  expect((await api.scanAll()).length).toBe(itemsBefore);
  for (const res of seen) {
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(res.body).toMatchObject({ type: expect.stringMatching(/^urn:dmp:problem:/), title: expect.any(String), status: res.status });
    expect(JSON.stringify(res.body)).not.toContain(NAME);
  }
  await api.stop();
});

describe('invalid INS', () => {
  it.each([
    ['wrong key', '255081416802539'],
    ['14 characters', '25508141680253'],
    ['16 characters', '2550814168025388'],
    ['letters outside 2A/2B', '253072C07300443'],
    ['letters in the key', '25508141680253A'],
    ['surrounding white space', ' 255081416802538'],
    ['a number, not a string', 255081416802538],
  ])('%s → 400 naming the field, not the value', async (_why, ins) => {
    const res = await post({ ...valid(), ins });
    expect(res.status).toBe(400);
    expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('body.ins');
    expect(JSON.stringify(res.body)).not.toContain(String(ins).trim());
  });
});

describe('malformed bodies', () => {
  it.each([
    ['an unknown top-level field', { ...valid(), nickname: 'x' }, 'body'],
    ['an unknown nested field', { ...valid(), identity: { ...adultIdentity(NAME), nickname: 'x' } }, 'body.identity'],
    ['a missing identity', { ins: randomIns(), consent: { expressConsent: true } }, 'body.identity'],
    ['an impossible date', { ...valid(), identity: { ...adultIdentity(NAME), birthDate: '1975-02-30' } }, 'body.identity.birthDate'],
    ['a control character in a name', { ...valid(), identity: { ...adultIdentity(NAME), familyName: 'A\u0000B' } }, 'body.identity.familyName'],
    ['a phone number not in E.164', { ...valid(), contact: { mobile: '0612345678' } }, 'body.contact.mobile'],
    ['an unknown relationship', { ...valid(), representatives: [{ familyName: 'A', givenNames: 'B', relationship: 'FRIEND' }] }, 'body.representatives.0.relationship'],
    ['an array', [valid()], 'body'],
    ['null', null, 'body'],
  ])('%s → 400', async (_why, payload, path) => {
    const res = await post(payload);
    expect(res.status).toBe(400);
    expect(res.body.errors.some((e: { path: string }) => e.path.startsWith(path))).toBe(true);
  });

  it('non-JSON → 400', async () => {
    const res = await post(undefined, { raw: '{"ins": ', headers: { 'content-type': 'application/json' } });
    expect(res.status).toBe(400);
  });

  it('another content type → 415, and none at all → 415', async () => {
    expect((await post(undefined, { raw: JSON.stringify(valid()), headers: { 'content-type': 'text/plain' } })).status).toBe(415);
    expect((await post(undefined, { raw: JSON.stringify(valid()) })).status).toBe(415);
  });

  it('an oversized body → 413, before it is parsed', async () => {
    const big = { ...valid(), identity: { ...adultIdentity(NAME), familyName: 'x'.repeat(20_000) } };
    expect((await post(big)).status).toBe(413);
    expect((await post(undefined, { raw: 'x'.repeat(9 * 1024 * 1024), headers: { 'content-type': 'application/json' } })).status).toBe(413);
  });

  it('a malformed Idempotency-Key → 400', async () => {
    expect((await post(valid(), { headers: { 'Idempotency-Key': 'short' } })).status).toBe(400);
    expect((await post(valid(), { headers: { 'Idempotency-Key': 'has spaces in it' } })).status).toBe(400);
  });

  it('unknown or repeated query parameters → 400, whatever their names', async () => {
    const agent = await api.agent();
    for (const name of ['toString', '__proto__', 'constructor', 'hasOwnProperty']) {
      const res = await api.call('GET', `/v1/stats/creations?from=2026-01-01&to=2026-01-02&${name}=1`, { token: agent });
      seen.push(res);
      expect(res.status).toBe(400);
    }
    const unknown = await api.call('GET', '/v1/stats/creations?from=2026-01-01&to=2026-01-02&extra=1', { token: agent });
    const repeated = await api.call('GET', '/v1/stats/creations?from=2026-01-01&from=2026-01-02&to=2026-01-03', { token: agent });
    seen.push(unknown, repeated);
    expect(unknown.status).toBe(400);
    expect(repeated.status).toBe(400);
  });

  it('a query parameter or a body on an operation that takes none → 400', async () => {
    const query = await api.call('GET', '/v1/records/abcdefgh12?expand=all', { token: doctor });
    const queryOnDocs = await api.call('GET', '/openapi.json?x=1');
    seen.push(query, queryOnDocs);
    expect(query.status).toBe(400);
    expect(query.body.errors).toEqual([{ path: 'query.expand', message: 'Unrecognized key' }]);
    expect(queryOnDocs.status).toBe(400);
  });

  it('malformed path parameters → 400; unknown paths → 404; wrong methods → 405', async () => {
    const cases = [
      [await api.call('GET', '/v1/records/bad$id', { token: doctor }), 400],
      [await api.call('GET', '/v1/records/%E0%A4%A', { token: doctor }), 400],
      [await api.call('GET', '/v1/pharmacies/12345/creations?month=2026-11', { token: doctor }), 400],
      [await api.call('GET', '/v1/nothing-here', { token: doctor }), 404],
      [await api.call('DELETE', '/v1/records/search', { token: doctor }), 405],
    ] as const;
    for (const [res, status] of cases) {
      seen.push(res);
      expect(res.status).toBe(status);
    }
  });
});

describe('forged and unsuitable tokens', () => {
  const claims = () => ({ sub: randomRpps(), profession: '10' });

  it('no token on a protected route → 401 with WWW-Authenticate', async () => {
    const res = await api.call('POST', '/v1/records/search', { body: { ins: randomIns() } });
    seen.push(res);
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toMatch(/^Bearer/);
  });

  it('a signature by another key, even with the local key id → 401', async () => {
    const { privateKey } = await generateKeyPair('ES256');
    const kid = api.runtime.idp.jwks.keys[0]!.kid!;
    const forged = await new SignJWT(claims())
      .setProtectedHeader({ alg: 'ES256', kid })
      .setIssuer(pscIssuer())
      .setAudience(LOCAL_AUDIENCE)
      .setExpirationTime('10m')
      .sign(privateKey);
    expect((await post(valid(), { token: forged })).status).toBe(401);
  });

  it('an expired token → 401', async () => {
    const expired = await api.runtime.idp.sign(claims(), pscIssuer(), LOCAL_AUDIENCE, -120);
    expect((await post(valid(), { token: expired })).status).toBe(401);
  });

  it('alg "none" → 401', async () => {
    const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const unsigned = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims(), iss: pscIssuer(), aud: LOCAL_AUDIENCE, exp: Math.floor(Date.now() / 1000) + 600 })}.`;
    expect((await post(valid(), { token: unsigned })).status).toBe(401);
  });

  it('HS256 signed with the public key (algorithm confusion) → 401', async () => {
    const secret = new TextEncoder().encode(JSON.stringify(api.runtime.idp.jwks.keys[0]));
    const confused = await new SignJWT(claims()).setProtectedHeader({ alg: 'HS256' }).setIssuer(pscIssuer()).setAudience(LOCAL_AUDIENCE).setExpirationTime('10m').sign(secret);
    expect((await post(valid(), { token: confused })).status).toBe(401);
  });

  it('the right key but a wrong issuer or audience → 401', async () => {
    expect((await post(valid(), { token: await api.runtime.idp.sign(claims(), 'https://evil.example', LOCAL_AUDIENCE, 600) })).status).toBe(401);
    expect((await post(valid(), { token: await api.runtime.idp.sign(claims(), pscIssuer(), 'another-api', 600) })).status).toBe(401);
  });

  it('a professional token with an unknown profession or a malformed id → 401', async () => {
    expect((await post(valid(), { token: await api.runtime.idp.sign({ sub: randomRpps(), profession: '99' }, pscIssuer(), LOCAL_AUDIENCE, 600) })).status).toBe(401);
    expect((await post(valid(), { token: await api.runtime.idp.sign({ sub: '123', profession: '10' }, pscIssuer(), LOCAL_AUDIENCE, 600) })).status).toBe(401);
  });

  it('garbage, or another scheme → 401', async () => {
    expect((await post(valid(), { headers: { authorization: 'Bearer not.a.jwt' } })).status).toBe(401);
    expect((await post(valid(), { headers: { authorization: 'Basic dXNlcjpwYXNz' } })).status).toBe(401);
  });

  it('an agent where only professionals and patients may read → 403', async () => {
    const res = await api.call('GET', '/v1/records/abcdefgh12', { token: await api.agent() });
    seen.push(res);
    expect(res.status).toBe(403);
  });

  it('the local token stand-in refuses malformed requests → 400', async () => {
    const res = await api.call('POST', '/_local/tokens', { body: { kind: 'professional', professionalId: '1', profession: '10' } });
    expect(res.status).toBe(400);
    expect((await api.call('POST', '/_local/tokens', { body: { kind: 'patient' } })).status).toBe(400);
  });
});

/** No input a client can send produces a 5xx: random and mutated requests (fast-check). */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomIns, recordBody } from '../support/fixtures.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let tokens: string[];
beforeAll(async () => {
  api = await startTestApi();
  tokens = [await api.professional(), await api.agent(), await api.professional({ profession: '21', structure: '750000001' })];
});
afterAll(() => api.stop());

const validBody = () => recordBody();

/** A valid body with one field replaced by anything, or one field added or removed. */
const mutated = fc.oneof(
  fc
    .tuple(fc.constantFrom('ins', 'identity', 'contact', 'consent', 'emergencyAccess', 'representatives', 'creationCode', 'password'), fc.jsonValue())
    .map(([k, v]) => ({ ...validBody(), [k]: v })),
  fc.tuple(fc.constantFrom('familyName', 'givenNames', 'birthDate', 'sex'), fc.jsonValue()).map(([k, v]) => {
    const b = validBody();
    return { ...b, identity: { ...b.identity, [k]: v } };
  }),
  fc.constantFrom('ins', 'identity', 'consent').map((k) => {
    const b: Record<string, unknown> = validBody();
    delete b[k];
    return b;
  }),
  fc.jsonValue(),
);

describe('never a 5xx', () => {
  it('for mutated creation bodies, with or without tokens and idempotency keys', async () => {
    await fc.assert(
      fc.asyncProperty(mutated, fc.nat(3), fc.option(fc.string({ maxLength: 70 })), async (body, who, key) => {
        const headers: Record<string, string> = {};
        if (key !== null && /^[\x20-\x7e]*$/.test(key)) headers['Idempotency-Key'] = key;
        const res = await api.call('POST', '/v1/records', { body, ...(who < 3 ? { token: tokens[who] } : {}), headers });
        expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
        if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json');
      }),
      { numRuns: 150 },
    );
  });

  it('for arbitrary raw bodies and content types', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 300 }), fc.constantFrom('application/json', 'text/plain', 'application/json; charset=latin1', ''), async (raw, type) => {
        const res = await api.call('POST', '/v1/records/search', { raw, token: tokens[0], headers: type ? { 'content-type': type } : {} });
        expect(res.status).toBeGreaterThanOrEqual(400);
        expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });

  it('for arbitrary path segments and query strings', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ minLength: 1, maxLength: 80 }), fc.string({ maxLength: 80 }), async (segment, query) => {
        const path = `/v1/records/${encodeURIComponent(segment)}`;
        const a = await api.call('GET', path, { token: tokens[0] });
        const b = await api.call('GET', `/v1/stats/creations?${encodeURIComponent(query)}=${encodeURIComponent(segment)}`, { token: tokens[1] });
        const c = await api.call('GET', `/v1/pharmacies/${encodeURIComponent(segment)}/creations?month=${encodeURIComponent(query)}`, { token: tokens[2] });
        for (const res of [a, b, c]) expect(res.status).toBeLessThan(500);
      }),
      { numRuns: 100 },
    );
  });

  it('for arbitrary bearer tokens', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.string({ maxLength: 200 }).filter((s) => /^[\x21-\x7e]*$/.test(s)),
        async (token) => {
          const res = await api.call('POST', '/v1/records/search', { body: { ins: randomIns() }, headers: { authorization: `Bearer ${token}` } });
          expect(res.status).toBe(401);
        },
      ),
      { numRuns: 100 },
    );
  });
});

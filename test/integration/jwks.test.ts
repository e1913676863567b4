/**
 * Fetching an issuer's keys: against a real HTTP server on loopback, standing in for Pro Santé
 * Connect's JWKS endpoint (no emulator provides one).
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair, jwtVerify, SignJWT, type JWK } from 'jose';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEFAULT_POLICY, IdentityProviderUnavailable, RemoteKeySet } from '../../functions/adapters/jwks.ts';

let server: Server;
let base: string;
let hits = 0;
let answer: (res: import('node:http').ServerResponse) => void;

const keyPair = async (kid: string) => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  return { privateKey, jwk: { ...(await exportJWK(publicKey)), kid, alg: 'ES256' } as JWK, kid };
};
const sign = (k: Awaited<ReturnType<typeof keyPair>>) => new SignJWT({ sub: 'x' }).setProtectedHeader({ alg: 'ES256', kid: k.kid }).setExpirationTime('5m').sign(k.privateKey);
const serve = (keys: JWK[]) => (answer = (res) => res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys })));

beforeAll(async () => {
  server = createServer((_req, res) => {
    hits += 1;
    answer(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
afterAll(() => new Promise<void>((r) => server.close(() => r())));

const clock = () => ({
  t: Date.parse('2026-11-23T10:00:00Z'),
  now() {
    return new Date(this.t);
  },
});

describe('remote key set', () => {
  it('fetches once for many verifications, and once for concurrent first uses', async () => {
    const k = await keyPair('k1');
    serve([k.jwk]);
    hits = 0;
    const set = new RemoteKeySet(new URL(`${base}/jwks`), clock());
    const token = await sign(k);
    await Promise.all([...Array(10)].map(() => jwtVerify(token, set.getKey)));
    await jwtVerify(token, set.getKey);
    expect(hits).toBe(1);
  });

  it('fetches again when the cache is older than its maximum age', async () => {
    const k = await keyPair('k2');
    serve([k.jwk]);
    hits = 0;
    const c = clock();
    const set = new RemoteKeySet(new URL(`${base}/jwks`), c);
    const token = await sign(k);
    await jwtVerify(token, set.getKey);
    c.t += DEFAULT_POLICY.cacheMaxAgeMs - 1;
    await jwtVerify(token, set.getKey);
    expect(hits).toBe(1);
    c.t += 1;
    await jwtVerify(token, set.getKey);
    expect(hits).toBe(2);
  });

  it('picks up a rotated key, but asks again for unknown key ids at most once per cooldown', async () => {
    const old = await keyPair('old');
    const rotated = await keyPair('new');
    serve([old.jwk]);
    hits = 0;
    const c = clock();
    const set = new RemoteKeySet(new URL(`${base}/jwks`), c);
    await jwtVerify(await sign(old), set.getKey);
    serve([old.jwk, rotated.jwk]);
    const fresh = await sign(rotated);
    await expect(jwtVerify(fresh, set.getKey)).rejects.toThrow(); // within the cooldown: no refetch
    expect(hits).toBe(1);
    c.t += DEFAULT_POLICY.cooldownMs;
    await expect(jwtVerify(fresh, set.getKey)).resolves.toBeDefined();
    expect(hits).toBe(2);
    // A flood of unknown key ids costs one fetch per cooldown, not one per token.
    const stranger = await keyPair('stranger');
    c.t += DEFAULT_POLICY.cooldownMs;
    for (let i = 0; i < 20; i++) await expect(jwtVerify(await sign(stranger), set.getKey)).rejects.toThrow();
    expect(hits).toBe(3);
  });

  it.each([
    ['a server error', (res: import('node:http').ServerResponse) => res.writeHead(500).end('no')],
    ['an answer that is not JSON', (res: import('node:http').ServerResponse) => res.writeHead(200).end('<html>')],
    ['JSON that is not a key set', (res: import('node:http').ServerResponse) => res.writeHead(200).end('{"keys": 3}')],
    ['an oversized answer', (res: import('node:http').ServerResponse) => res.writeHead(200).end(JSON.stringify({ keys: [], pad: 'x'.repeat(100_000) }))],
  ])('reports the provider unavailable on %s', async (_case, reply) => {
    answer = reply;
    const k = await keyPair('k3');
    const set = new RemoteKeySet(new URL(`${base}/jwks`), clock());
    await expect(jwtVerify(await sign(k), set.getKey)).rejects.toBeInstanceOf(IdentityProviderUnavailable);
  });

  it('reports the provider unavailable when it does not answer in time, or cannot be reached', async () => {
    answer = () => undefined; // never answers
    const k = await keyPair('k4');
    const slow = new RemoteKeySet(new URL(`${base}/jwks`), clock(), { ...DEFAULT_POLICY, timeoutMs: 200 });
    await expect(jwtVerify(await sign(k), slow.getKey)).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    const closed = new RemoteKeySet(new URL('http://127.0.0.1:9/jwks'), clock());
    await expect(jwtVerify(await sign(k), closed.getKey)).rejects.toBeInstanceOf(IdentityProviderUnavailable);
  });
});

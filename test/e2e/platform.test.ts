/** What every client sees of the platform: the contract document, CORS, security headers, errors. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import contract from '../../docs/contract-operations.json' with { type: 'json' };
import { ROUTES } from '../../functions/capabilities/index.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
beforeAll(async () => {
  api = await startTestApi();
});
afterAll(() => api.stop());

describe('OpenAPI document', () => {
  it('describes every route of the manifest with its operation id, and nothing else', async () => {
    const res = await api.call('GET', '/openapi.json');
    expect(res.status).toBe(200);
    expect(res.body.openapi).toBe('3.1.0');
    const documented = Object.entries(res.body.paths as Record<string, Record<string, { operationId: string }>>).flatMap(([path, ops]) =>
      Object.entries(ops).map(([method, op]) => `${method.toUpperCase()} ${path} ${op.operationId}`),
    );
    expect(documented.sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path} ${r.id}`).sort());
  });

  it('serves every operation of the contract, under its contract path', () => {
    const served = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    expect(contract.operations.length).toBeGreaterThan(10);
    expect(contract.operations.filter((op) => !served.has(op))).toEqual([]);
  });

  it('serves the contract’s local-only endpoints outside the manifest', async () => {
    const served = new Set(ROUTES.map((r) => `${r.method} ${r.path}`));
    for (const op of contract.local) {
      const [method = '', path = ''] = op.split(' ');
      expect(served.has(op)).toBe(false);
      const res = await api.call(method, path.replace('{job}', 'outbox'), method === 'POST' ? { body: {} } : {});
      expect(res.status, op).not.toBe(404);
    }
  });

  it('gives request and response schemas that refuse unknown fields', async () => {
    const res = await api.call('GET', '/openapi.json');
    const create = res.body.paths['/v1/records'].post;
    const schema = create.requestBody.content['application/json'].schema;
    expect(schema.additionalProperties).toBe(false);
    expect(schema.required).toEqual(expect.arrayContaining(['ins', 'identity', 'consent']));
    expect(create.responses['201'].content['application/json'].schema.properties).toHaveProperty('dmpId');
    expect(create.responses['409'].content['application/problem+json']).toBeDefined();
    expect(create.parameters.some((p: { name: string }) => p.name === 'Idempotency-Key')).toBe(true);
    expect(res.body.paths['/v1/stats/creations'].get.security).toEqual([{ bearer: [] }]);
  });

  it('has a reference page that loads only what this API serves: its script, then the document', async () => {
    const page = await api.call('GET', '/docs');
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toContain('text/html');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const base = new URL('/docs', 'http://runtime.test');
    const sources = [...(page.body as string).matchAll(/<script\b[^>]*\bsrc="([^"]+)"/gi)].map((m) => new URL(m[1] ?? '', base));
    expect(sources.length).toBeGreaterThan(0);
    for (const src of sources) {
      expect(src.origin).toBe(base.origin);
      const script = await api.call('GET', src.pathname);
      expect(script.status, src.pathname).toBe(200);
      expect(script.headers.get('content-type')).toContain('text/javascript');
      // The document it mounts is this API's, fetched from the same origin.
      const mounted = /Scalar\.createApiReference\("#[a-z]+", (\{.*\})\);\s*$/.exec(script.body as string);
      const documentUrl = new URL(JSON.parse(mounted?.[1] ?? '{}').url, base);
      expect(documentUrl.origin).toBe(base.origin);
      const document = await api.call('GET', documentUrl.pathname);
      expect(document.status).toBe(200);
      expect(document.body.openapi).toBe('3.1.0');
    }
  });
});

describe('headers', () => {
  it('answers with security headers and a request id, on success and on error', async () => {
    for (const res of [await api.call('GET', '/openapi.json'), await api.call('GET', '/v1/stats/creations')]) {
      expect(res.headers.get('x-content-type-options')).toBe('nosniff');
      expect(res.headers.get('strict-transport-security')).toContain('max-age=');
      expect(res.headers.get('x-frame-options')).toBe('DENY');
      expect(res.headers.get('cache-control')).toBe('no-store');
      expect(res.headers.get('x-request-id')).toMatch(/^[0-9a-f-]{36}$/);
    }
  });

  it('allows the configured front-end origin only', async () => {
    const allowed = await api.call('GET', '/openapi.json', { headers: { origin: 'https://www.dmp.fr' } });
    expect(allowed.headers.get('access-control-allow-origin')).toBe('https://www.dmp.fr');
    const other = await api.call('GET', '/openapi.json', { headers: { origin: 'https://evil.example' } });
    expect(other.headers.get('access-control-allow-origin')).toBeNull();
    const preflight = await api.call('OPTIONS', '/v1/records', { headers: { origin: 'https://www.dmp.fr', 'access-control-request-method': 'POST' } });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Idempotency-Key');
    const refused = await api.call('OPTIONS', '/v1/records', { headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST' } });
    expect(refused.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe('local endpoints', () => {
  it('runs the outbox job on demand and refuses unknown jobs and malformed bodies', async () => {
    expect((await api.runJob('outbox')).status).toBe(200);
    expect((await api.runJob('nonsense')).status).toBe(404);
    expect((await api.runJob('constructor')).status).toBe(404);
    expect((await api.call('POST', '/_local/jobs/outbox', { body: { now: 'yesterday' } })).status).toBe(400);
    expect((await api.call('POST', '/_local/jobs/outbox', { body: { later: true } })).status).toBe(400);
  });

  it('publishes the JWKS the tokens are verified with', async () => {
    const res = await api.call('GET', '/_local/jwks.json');
    expect(res.body.keys[0]).toMatchObject({ kty: 'EC', crv: 'P-256', alg: 'ES256' });
    expect(res.body.keys[0]).not.toHaveProperty('d');
  });
});

/**
 * The reference page (GET /docs) and its script (GET /docs/scalar.js), through the docs function's
 * pipeline as Lambda calls it: the page loads nothing from another origin, has no inline script,
 * and has a policy of its own that leaves every other answer's as strict as before.
 */
import { Script } from 'node:vm';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { makeLogger } from '../../functions/adapters/logger.ts';
import { capability as docs } from '../../functions/capabilities/docs/use-cases.ts';
import { SCALAR_CONFIGURATION } from '../../functions/capabilities/docs/reference-page.ts';
import { makeHttpHandler } from '../../functions/http/pipeline.ts';
import { DOCS_PAGE_CSP, SECURITY_HEADERS } from '../../functions/http/response-headers.ts';
import { httpDeps } from '../../functions/platform/deps.ts';

const deps = httpDeps(
  { region: 'eu-west-3', tableName: '', dataKeyId: '', issuers: [], allowedOrigin: 'https://www.dmp.fr', smsSenderId: 'DMP', checkResponses: true },
  { logger: makeLogger({ logLevel: 'SILENT' }) },
);
const handler = makeHttpHandler(docs, deps);

const get = (path: string) =>
  handler(
    {
      resource: path,
      path,
      httpMethod: 'GET',
      headers: {},
      multiValueHeaders: {},
      queryStringParameters: null,
      multiValueQueryStringParameters: null,
      pathParameters: null,
      stageVariables: null,
      body: null,
      isBase64Encoded: false,
      requestContext: { requestId: 'req-1' },
    } as unknown as APIGatewayProxyEvent,
    {} as Context,
  );

/** The directives of a Content-Security-Policy, by name. */
const directives = (policy: string): Map<string, string[]> =>
  new Map(
    policy
      .split(';')
      .map((d) => d.trim().split(/\s+/))
      .filter((parts) => parts[0])
      .map(([name = '', ...values]) => [name, values]),
  );

/** Every URL the page names in an attribute (src, href). */
const urlsOf = (html: string): string[] => [...html.matchAll(/\b(?:src|href)\s*=\s*"([^"]*)"/gi)].map((m) => m[1] ?? '');

describe('GET /docs', () => {
  it('is an HTML page whose every script comes from this API, with no inline script', async () => {
    const res = await get('/docs');
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('text/html; charset=utf-8');
    const scripts = [...res.body.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)];
    expect(scripts.length).toBeGreaterThan(0);
    for (const [, attributes = '', inline = ''] of scripts) {
      expect(attributes).toMatch(/\bsrc="/);
      expect(inline.trim()).toBe('');
    }
    // No absolute URL at all: nothing on the page points to another host.
    expect(res.body).not.toMatch(/https?:\/\/|\/\/[a-z]/i);
    for (const url of urlsOf(res.body)) expect(new URL(url, 'https://api.dmp.fr/api/docs').origin).toBe('https://api.dmp.fr');
  });

  it('names its script and document relative to itself, so that it works under a stage path', async () => {
    const res = await get('/docs');
    const [src] = [...res.body.matchAll(/<script\b[^>]*\bsrc="([^"]+)"/gi)].map((m) => m[1]);
    expect(new URL(src ?? '', 'https://api.dmp.fr/api/docs').pathname).toBe('/api/docs/scalar.js');
    expect(new URL(SCALAR_CONFIGURATION.url, 'https://api.dmp.fr/api/docs').pathname).toBe('/api/openapi.json');
  });

  it('has a policy of its own: scripts, fetches, images and fonts of this origin only', async () => {
    const res = await get('/docs');
    expect(res.headers?.['Content-Security-Policy']).toBe(DOCS_PAGE_CSP);
    const policy = directives(DOCS_PAGE_CSP);
    expect(policy.get('default-src')).toEqual(["'none'"]);
    expect(policy.get('script-src')).toEqual(["'self'"]);
    expect(policy.get('connect-src')).toEqual(["'self'"]);
    expect(policy.get('font-src')).toEqual(["'self'"]);
    expect(policy.get('img-src')).toEqual(["'self'", 'data:']);
    expect(policy.get('frame-ancestors')).toEqual(["'none'"]);
    // The other security headers stay.
    expect(res.headers?.['X-Frame-Options']).toBe('DENY');
    expect(res.headers?.['X-Content-Type-Options']).toBe('nosniff');
  });

  it('leaves every other answer under the strict policy: no script, sandboxed', async () => {
    for (const res of [await get('/openapi.json'), await get('/docs/scalar.js'), await get('/nowhere')]) {
      expect(res.headers?.['Content-Security-Policy']).toBe(SECURITY_HEADERS['Content-Security-Policy']);
      const policy = directives(res.headers?.['Content-Security-Policy'] as string);
      expect(policy.get('default-src')).toEqual(["'none'"]);
      expect(policy.has('sandbox')).toBe(true);
      expect(policy.has('script-src')).toBe(false);
      expect(policy.has('style-src')).toBe(false);
    }
  });
});

describe('GET /docs/scalar.js', () => {
  it('serves JavaScript that compiles and mounts the reference on the document of this API', async () => {
    const res = await get('/docs/scalar.js');
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['Content-Type']).toBe('text/javascript; charset=utf-8');
    expect(res.headers?.['Cache-Control']).toMatch(/^public, max-age=\d+$/);
    expect(res.body.length).toBeGreaterThan(1_000_000);
    expect(() => new Script(res.body, { filename: 'scalar.js' })).not.toThrow();
    expect(res.body).toContain('@scalar/api-reference');
    expect(res.body.trimEnd().split('\n').at(-1)).toBe(`;Scalar.createApiReference("#reference", ${JSON.stringify(SCALAR_CONFIGURATION)});`);
  });

  it('asks the renderer for nothing from another origin: no default fonts, telemetry or AI agent', () => {
    expect(SCALAR_CONFIGURATION).toMatchObject({ url: 'openapi.json', withDefaultFonts: false, telemetry: false, agent: { disabled: true } });
    expect(SCALAR_CONFIGURATION).not.toHaveProperty('proxyUrl');
  });
});

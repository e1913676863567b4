/**
 * The middy pipeline as Lambda calls it: API Gateway proxy events in, proxy results out. The docs
 * capability needs no AWS service, so no emulator is involved here.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { DynamoDBServiceException, ProvisionedThroughputExceededException, TransactionCanceledException } from '@aws-sdk/client-dynamodb';
import { makeLogger } from '../../functions/adapters/logger.ts';
import { describe, expect, it } from 'vitest';
import { capability as docs } from '../../functions/capabilities/docs/use-cases.ts';
import { makeHttpHandler } from '../../functions/http/pipeline.ts';
import { httpDeps } from '../../functions/platform/deps.ts';

const deps = httpDeps(
  { region: 'eu-west-3', tableName: '', dataKeyId: '', issuers: [], allowedOrigin: 'https://www.dmp.fr', smsSenderId: 'DMP', checkResponses: true },
  { logger: makeLogger({ logLevel: 'SILENT' }) },
);
const handler = makeHttpHandler(docs, deps);

const event = (over: Partial<APIGatewayProxyEvent>): APIGatewayProxyEvent =>
  ({
    resource: '/openapi.json',
    path: '/openapi.json',
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
    ...over,
  }) as APIGatewayProxyEvent;

const call = (over: Partial<APIGatewayProxyEvent>) => handler(event(over), {} as Context);

describe('pipeline', () => {
  it('serves a route of its capability with the request id', async () => {
    const res = await call({});
    expect(res.statusCode).toBe(200);
    expect(res.headers?.['X-Request-Id']).toBe('req-1');
    expect(JSON.parse(res.body).openapi).toBe('3.1.0');
  });

  it('answers 404 for a route of another capability (API Gateway never sends one, but a misconfiguration might)', async () => {
    const res = await call({ resource: '/v1/records', httpMethod: 'POST' });
    expect(res.statusCode).toBe(404);
    expect(res.headers?.['Content-Type']).toBe('application/problem+json');
  });

  it('refuses a body on an operation that takes none', async () => {
    const res = await call({ body: '{"a":1}' });
    expect(res.statusCode).toBe(400);
    expect(JSON.parse(res.body).detail).toBe('This operation takes no body.');
  });

  it('adds CORS headers for the configured origin only, compared exactly', async () => {
    for (const headers of [{ Origin: 'https://www.dmp.fr' }, { origin: 'https://www.dmp.fr' }, { ORIGIN: 'https://www.dmp.fr' }]) {
      const res = await call({ headers });
      expect(res.headers?.['Access-Control-Allow-Origin']).toBe('https://www.dmp.fr');
      expect(res.headers?.['Access-Control-Expose-Headers']).toBe('X-Request-Id,Retry-After,ETag');
      expect(res.headers?.Vary).toBe('Origin');
    }
    const near = ['https://evil.example', 'https://www.dmp.fr.evil.example', 'https://www.dmp.fr/', 'http://www.dmp.fr', 'HTTPS://WWW.DMP.FR', 'null', ''];
    for (const origin of [...near, undefined]) {
      const res = await call({ headers: origin === undefined ? {} : { Origin: origin } });
      expect(res.headers?.['Access-Control-Allow-Origin']).toBeUndefined();
      expect(res.headers?.['Access-Control-Expose-Headers']).toBeUndefined();
      expect(res.headers?.Vary).toBe('Origin');
    }
  });

  it('puts the security headers on every answer, problem documents included', async () => {
    for (const res of [await call({}), await call({ body: '{"a":1}' }), await call({ resource: '/nowhere' })]) {
      expect(res.headers).toMatchObject({
        'Content-Security-Policy': expect.stringContaining("default-src 'none'"),
        'Strict-Transport-Security': expect.stringMatching(/^max-age=\d{8}; includeSubDomains$/),
        'X-Content-Type-Options': 'nosniff',
        'X-Frame-Options': 'DENY',
        'Referrer-Policy': 'no-referrer',
        'Cross-Origin-Resource-Policy': 'same-origin',
        'Cache-Control': 'no-store',
      });
      expect(res.headers?.['Content-Security-Policy']).toContain("frame-ancestors 'none'");
    }
  });
});

describe('errors of AWS services', () => {
  /** The docs capability, its one route failing with `error`. */
  const failingWith = (error: unknown) =>
    makeHttpHandler(
      {
        ...docs,
        routes: {
          ...docs.routes,
          openapi: async () => {
            throw error;
          },
        },
      },
      deps,
    )(event({}), {} as Context);

  const clientError = (name: string, message: string) => new DynamoDBServiceException({ name, $fault: 'client', $metadata: { httpStatusCode: 400 }, message });

  it.each([
    ['a ValidationException (a transaction of too many items)', clientError('ValidationException', 'Member must have length less than or equal to 100')],
    ['an AccessDeniedException', clientError('AccessDeniedException', 'not authorized')],
    ['a ResourceNotFoundException', clientError('ResourceNotFoundException', 'no table')],
    [
      'a transaction cancelled for a validation error',
      new TransactionCanceledException({ message: 'cancelled', $metadata: { httpStatusCode: 400 }, CancellationReasons: [{ Code: 'None' }, { Code: 'ValidationError' }] }),
    ],
  ])('%s: retrying cannot help, so 500 without Retry-After, never 503', async (_name, error) => {
    const res = await failingWith(error);
    expect(res.statusCode).toBe(500);
    expect(res.headers?.['Retry-After']).toBeUndefined();
    expect(res.headers?.['Content-Type']).toBe('application/problem+json');
    const problem = JSON.parse(res.body);
    expect(problem).toMatchObject({ status: 500, type: 'urn:dmp:problem:internal' });
    expect(problem.detail).not.toMatch(/retry/i);
    expect(res.body).not.toContain('Member must have');
  });

  it.each([
    ['a server fault', new DynamoDBServiceException({ name: 'InternalServerError', $fault: 'server', $metadata: { httpStatusCode: 500 }, message: 'boom' })],
    ['throttling', new ProvisionedThroughputExceededException({ message: 'slow down', $metadata: { httpStatusCode: 400 } })],
    ['a throttled KMS call', clientError('ThrottlingException', 'rate exceeded')],
    [
      'a transaction cancelled for a conflict',
      new TransactionCanceledException({ message: 'cancelled', $metadata: { httpStatusCode: 400 }, CancellationReasons: [{ Code: 'None' }, { Code: 'TransactionConflict' }] }),
    ],
    ['a network failure', Object.assign(new Error('socket hang up'), { code: 'ECONNRESET', $metadata: { attempts: 3 } })],
    ['a timeout', Object.assign(new Error('timed out'), { name: 'TimeoutError' })],
  ])('%s: 503 with Retry-After', async (_name, error) => {
    const res = await failingWith(error);
    expect(res.statusCode).toBe(503);
    expect(res.headers?.['Retry-After']).toBe('1');
  });
});

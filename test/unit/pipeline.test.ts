/**
 * The middy pipeline as Lambda calls it: API Gateway proxy events in, proxy results out. The docs
 * capability needs no AWS service, so no emulator is involved here.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { makeLogger } from '../../functions/platform/logger.ts';
import { describe, expect, it } from 'vitest';
import { docs } from '../../functions/http/capabilities/docs.ts';
import { makeHttpHandler } from '../../functions/http/pipeline.ts';
import { httpDeps } from '../../functions/platform/deps.ts';

const handler = makeHttpHandler(
  docs,
  httpDeps(
    { region: 'eu-west-3', tableName: '', dataKeyId: '', issuers: [], allowedOrigin: 'https://www.dmp.fr', smsSenderId: 'DMP', checkResponses: true },
    { logger: makeLogger({ logLevel: 'SILENT' }) },
  ),
);

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

  it('adds CORS headers for the configured origin only', async () => {
    expect((await call({ headers: { Origin: 'https://www.dmp.fr' } })).headers?.['Access-Control-Allow-Origin']).toBe('https://www.dmp.fr');
    expect((await call({ headers: { Origin: 'https://evil.example' } })).headers?.['Access-Control-Allow-Origin']).toBeUndefined();
  });
});

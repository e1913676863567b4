/**
 * The embedded metric format lines the functions write (functions/adapters/metrics.ts): a valid
 * EMF document (CloudWatch would otherwise drop it silently), carrying the declared dimensions and
 * a count, nothing else; a dimension value that could be an id, an INS, a name or free text is
 * refused. The request pipeline writes one line per request with its capability and whether it
 * was a 5xx (the per-capability 5xx rate alarm), and the KMS client counts throttled calls.
 */
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { describe, expect, it } from 'vitest';
import { kmsClient } from '../../functions/adapters/aws.ts';
import { makeLogger } from '../../functions/adapters/logger.ts';
import { emfLine, emfMetrics } from '../../functions/adapters/metrics.ts';
import { messageCreatedAt, outboxMessageRef } from '../../functions/adapters/outbox-dispatch.ts';
import { capability as docs } from '../../functions/capabilities/docs/use-cases.ts';
import { capability as records } from '../../functions/capabilities/records/use-cases.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { type Claim, type MessageRef, type OpenedMessage, type Outbox, OutboxDispatcher } from '../../functions/domain/jobs/outbox.ts';
import { DIMENSION_VALUE, METRIC_DIMENSIONS, METRICS_NAMESPACE, type MetricName } from '../../functions/domain/metrics.ts';
import { makeHttpHandler } from '../../functions/http/pipeline.ts';
import { httpDeps } from '../../functions/platform/deps.ts';
import { fakeDeps } from '../support/fakes.ts';
import { adultIdentity, randomIns, randomMobile } from '../support/fixtures.ts';
import { caller } from '../support/use-case-calls.ts';

type Json = Record<string, any>;

/** The EMF specification's rules for one document, as CloudWatch Logs applies them. */
const checkEmf = (line: string): Json => {
  const doc = JSON.parse(line) as Json;
  expect(Object.keys(doc._aws).sort()).toEqual(['CloudWatchMetrics', 'Timestamp']);
  expect(Number.isInteger(doc._aws.Timestamp)).toBe(true);
  expect(doc._aws.CloudWatchMetrics).toHaveLength(1);
  const [directive] = doc._aws.CloudWatchMetrics as Json[];
  expect(directive!.Namespace).toBe(METRICS_NAMESPACE);
  const dimensionSets = directive!.Dimensions as string[][];
  expect(dimensionSets).toHaveLength(1);
  const dimensions = dimensionSets[0]!;
  expect(dimensions.length).toBeLessThanOrEqual(30);
  const metricNames = (directive!.Metrics as Json[]).map((m) => m.Name as string);
  for (const m of directive!.Metrics as Json[]) expect(['Count', 'Seconds']).toContain(m.Unit);
  // Every root member is the directive, a declared dimension (a string) or a declared metric (a number): nothing else.
  expect(Object.keys(doc).sort()).toEqual(['_aws', ...dimensions, ...metricNames].sort());
  for (const d of dimensions) expect(doc[d]).toMatch(DIMENSION_VALUE);
  for (const m of metricNames) expect(typeof doc[m]).toBe('number');
  return doc;
};

/** A valid value for each dimension a metric declares. */
const sampleDimensions = (name: MetricName): Record<string, string> =>
  Object.fromEntries((METRIC_DIMENSIONS[name] as readonly string[]).map((d) => [d, { Capability: 'records', Channel: 'online', Kind: 'login-code' }[d] ?? 'x']));

describe('embedded metric format', () => {
  it('every metric of the contract makes a valid EMF document with its dimensions and its count only', () => {
    for (const name of Object.keys(METRIC_DIMENSIONS) as MetricName[]) {
      const doc = checkEmf(emfLine(name, sampleDimensions(name) as never, 3, 1_764_000_000_000));
      expect(doc[name]).toBe(3);
      expect(doc._aws.Timestamp).toBe(1_764_000_000_000);
      expect(doc._aws.CloudWatchMetrics[0].Dimensions).toEqual([[...METRIC_DIMENSIONS[name]]]);
    }
  });

  it.each([
    ['a dmpId', 'Channel', '01JD3K7Q8Z5Y2X1W0V9T8S7R6Q'],
    ['an INS', 'Channel', '255081416802538'],
    ['a name', 'Kind', 'Marie Durand'],
    ['a phone number', 'Kind', '+33612345678'],
    ['an e-mail address', 'Kind', 'marie@example.fr'],
    ['a long text', 'Kind', 'a'.repeat(41)],
    ['an empty value', 'Channel', ''],
  ])('refuses %s as a dimension value', (_what, dimension, value) => {
    const name: MetricName = dimension === 'Channel' ? 'RecordsCreated' : 'SmsSent';
    expect(() => emfLine(name, { [dimension]: value } as never, 1, 0)).toThrow(/not a word of the vocabulary/);
  });

  it('refuses a dimension the contract does not declare, or one missing, and a negative count', () => {
    expect(() => emfLine('Logins', { dmpId: 'abc' } as never, 1, 0)).toThrow(/counted by no dimension/);
    expect(() => emfLine('RecordsCreated', {} as never, 1, 0)).toThrow(/counted by Channel/);
    expect(() => emfLine('RecordsCreated', { Channel: 'online', Kind: 'x' } as never, 1, 0)).toThrow(/counted by Channel/);
    expect(() => emfLine('Logins', {}, -1, 0)).toThrow(/a count/);
  });

  it('writes one line per count to its sink, drops a refused one without failing the caller, and writes nothing outside Lambda by default', () => {
    const lines: string[] = [];
    const metrics = emfMetrics(
      (l) => lines.push(l),
      () => 42,
    );
    metrics.count('RecordsCreated', { Channel: 'pharmacy' });
    metrics.count('SmsSent', { Kind: 'Marie Durand' });
    metrics.count('ClaimLinesImported', {}, 250);
    expect(lines.map((l) => checkEmf(l))).toMatchObject([{ Channel: 'pharmacy', RecordsCreated: 1 }, { ClaimLinesImported: 250 }]);
    expect(process.env.AWS_LAMBDA_FUNCTION_NAME).toBeUndefined();
    const written: unknown[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.stdout.write = ((chunk: unknown) => written.push(chunk) > 0) as typeof process.stdout.write;
    try {
      emfMetrics().count('Logins', {});
    } finally {
      process.stdout.write = original;
    }
    expect(written).toEqual([]);
  });
});

describe('what the functions count', () => {
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

  it('the pipeline: one ServerErrors line per request, by capability, 1 for a 5xx and 0 otherwise', async () => {
    const lines: string[] = [];
    const deps = httpDeps(
      { region: 'eu-west-3', tableName: '', dataKeyId: '', issuers: [], allowedOrigin: 'https://www.dmp.fr', smsSenderId: 'DMP', checkResponses: true },
      { logger: makeLogger({ logLevel: 'SILENT' }), metrics: emfMetrics((l) => lines.push(l)) },
    );
    const ok = makeHttpHandler(docs, deps);
    const failing = makeHttpHandler(
      {
        ...docs,
        routes: {
          ...docs.routes,
          openapi: async () => {
            throw new Error('boom');
          },
        },
      },
      deps,
    );
    expect((await ok(event({}), {} as Context)).statusCode).toBe(200);
    expect((await ok(event({ body: '{"a":1}' }), {} as Context)).statusCode).toBe(400);
    expect((await failing(event({}), {} as Context)).statusCode).toBe(500);
    expect(lines.map((l) => checkEmf(l))).toEqual([
      expect.objectContaining({ Capability: 'docs', ServerErrors: 0 }),
      expect.objectContaining({ Capability: 'docs', ServerErrors: 0 }),
      expect.objectContaining({ Capability: 'docs', ServerErrors: 1 }),
    ]);
    // Ids of the request (its requestId, the path) are never part of a line.
    for (const l of lines) expect(l).not.toMatch(/req-1|openapi/);
  });

  it('the KMS client: a call refused for throttling once its retries are spent counts one KmsThrottled (test double: KMS over a failing handler, no emulator throttles)', async () => {
    const lines: string[] = [];
    const original = process.stdout.write.bind(process.stdout);
    process.env.AWS_LAMBDA_FUNCTION_NAME = 'test';
    process.stdout.write = ((chunk: unknown) => lines.push(String(chunk)) > 0) as typeof process.stdout.write;
    try {
      const kms = kmsClient({ region: 'eu-west-3', endpoint: 'http://127.0.0.1:9' });
      // The request never leaves: the last middleware answers as KMS does when throttling.
      kms.middlewareStack.add(
        () => async () => {
          throw Object.assign(new Error('Rate exceeded'), { name: 'ThrottlingException', $fault: 'client', $metadata: { httpStatusCode: 400 } });
        },
        { step: 'finalizeRequest', priority: 'low', name: 'answerThrottling' },
      );
      const { ListKeysCommand } = await import('@aws-sdk/client-kms');
      await expect(kms.send(new ListKeysCommand({}))).rejects.toThrow('Rate exceeded');
    } finally {
      process.stdout.write = original;
      delete process.env.AWS_LAMBDA_FUNCTION_NAME;
    }
    const emf = lines.filter((l) => l.includes('_aws')).map((l) => checkEmf(l.trim()));
    expect(emf).toEqual([expect.objectContaining({ KmsThrottled: 1 })]);
  });

  it('the outbox dispatcher: one SmsSent per SMS sent, by its template, none for a professional message or a failed send (test double: an in-memory outbox, as test/unit/outbox-dispatch.test.ts)', async () => {
    const lines: string[] = [];
    const messages: Record<string, OpenedMessage> = {
      a: { channel: 'sms', to: '+33611111111', text: 'DMP : votre dossier est créé', kind: 'record-created' },
      b: { channel: 'professional', to: '810000000001', text: 'accès en urgence', kind: 'emergency-access-professional' },
      c: { channel: 'sms', to: '+33622222222', text: 'fails', kind: 'emergency-access' },
    };
    const outbox: Outbox = {
      async *due() {
        yield* Object.keys(messages) as MessageRef[];
      },
      claim: async () => ({ dmpId: 'rec-1', attempts: 1 }) satisfies Claim,
      open: async (ref) => messages[ref],
      expand: async () => [],
      finish: async () => undefined,
      retryAt: async () => undefined,
      park: async () => undefined,
    };
    const sender = {
      send: async (_to: string, text: string) => {
        if (text === 'fails') throw new Error('refused');
        return 'id';
      },
    };
    const dispatcher = new OutboxDispatcher({ outbox, sms: sender, professionals: sender, logger: makeLogger({ logLevel: 'SILENT' }), metrics: emfMetrics((l) => lines.push(l)) });
    expect(await dispatcher.sweep(new Date())).toEqual({ sent: 2, failed: 1, parked: 0 });
    expect(lines.map((l) => checkEmf(l))).toEqual([expect.objectContaining({ Kind: 'record-created', SmsSent: 1 })]);
    for (const l of lines) expect(l).not.toMatch(/\+33|rec-1|dossier/);
  });

  it("the outbox job reads a message's age from its key (OUTBOX#<instant>#<id>)", () => {
    const ref = outboxMessageRef('REC#rec-1', 'OUTBOX#2026-12-01T10:00:00.000Z#01ABC');
    expect(ref && messageCreatedAt(ref)?.toISOString()).toBe('2026-12-01T10:00:00.000Z');
    const other = outboxMessageRef('REC#rec-1', 'OUTBOX#not-a-date');
    expect(other && messageCreatedAt(other)).toBeUndefined();
  });

  it('record creation: one RecordsCreated by channel per DMP created; a refusal or a replay counts nothing (in-memory fakes, as test/unit/records-use-cases.test.ts)', async () => {
    const lines: string[] = [];
    const f = fakeDeps();
    const call = caller(records, { ...f.deps, metrics: emfMetrics((l) => lines.push(l)) });
    const pharmacist: Actor = { kind: 'professional', id: '810000000021', profession: '21', structure: '750000001' };
    const agent: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };
    const body = () => ({ ins: randomIns(), identity: adultIdentity(), contact: { mobile: randomMobile() }, consent: { expressConsent: true } });
    const first = body();
    expect((await call('createRecord', pharmacist, { body: first })).status).toBe(201);
    expect((await call('createRecord', agent, { body: first })).status).toBe(409);
    const second = body();
    expect((await call('createRecord', agent, { body: second, idempotencyKey: 'key-000001' })).status).toBe(201);
    expect((await call('createRecord', agent, { body: second, idempotencyKey: 'key-000001' })).status).toBe(201);
    expect(lines.map((l) => checkEmf(l))).toEqual([
      expect.objectContaining({ Channel: 'pharmacy', RecordsCreated: 1 }),
      expect.objectContaining({ Channel: 'agent', RecordsCreated: 1 }),
    ]);
    for (const l of lines) expect(l).not.toContain(first.ins);
  });
});

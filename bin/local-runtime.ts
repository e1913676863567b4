/**
 * The local runtime behind `npm start`: the whole contract on http://localhost:3000, served by
 * calling the very handlers Lambda runs (built from the same route manifest), against the AWS
 * emulator. Adds the `/_local` endpoints of docs/API.md: a stand-in identity provider, the SMS the
 * emulator recorded, and the scheduled jobs on demand. Also used in-process by the e2e tests.
 */
import { randomUUID } from 'node:crypto';
import { createServer, type IncomingMessage, type RequestListener, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { APIGatewayProxyEvent, Context } from 'aws-lambda';
import { z } from 'zod';
import { DynamoOutbox } from '#adapters/outbox-dispatch';
import { DynamoRetentionStore } from '#adapters/retention';
import { ProfessionalMessenger, SmsSender } from '#adapters/sms';
import { DocumentStore } from '#capabilities/documents/store';
import { DynamoUploadsStore } from '#capabilities/documents/uploads-store';
import { DynamoVisibilityStore } from '#capabilities/documents/visibility-store';
import { dynamoClient, kmsClient, s3Client, snsClient } from '#adapters/aws';
import { DynamoImportCheckpoints } from '#adapters/import-checkpoints';
import { FileInboxObjects, S3InboxObjects } from '#adapters/inbox';
import type { SNSClient } from '@aws-sdk/client-sns';
import { ClaimsImport, type ClaimsBatches, type InboxObject, type InboxObjects } from '#domain/jobs/claims-import';
import { OutboxDispatcher } from '#domain/jobs/outbox';
import { RetentionJob } from '#domain/jobs/retention';
import { UploadsJob } from '#domain/jobs/uploads';
import { VisibilityJob } from '#domain/jobs/visibility';
import { VaccinationRemindersJob } from '#domain/jobs/vaccination-reminders';
import { systemClock, type Clock } from '#domain/ports';
import { CORS } from '#http/cors';
import { makeHttpHandler, type HttpHandler } from '#http/pipeline';
import type { CapabilityDef } from '#http/define-capability';
import { CAPABILITIES, ROUTES } from '#capabilities/index';
import type { Route } from '#http/route';
import type { Config } from '#platform/config';
import type { AwsClients } from '#platform/deps-data';
import { makeLogger } from '#adapters/logger';
import { authDeps, type AuthDeps } from '#capabilities/auth/deps';
import { withDocuments, type DocumentDeps } from '#capabilities/documents/deps';
import { withClaims } from '#capabilities/claims/deps';
import { withVaccinations } from '#capabilities/vaccinations/deps';
import { DynamoReminderStore } from '#capabilities/vaccinations/reminders-store';
import { HttpProblem } from '#platform/problem';
import { claimsBatches } from '../functions/jobs/claims-batches.ts';
import { purgeExpiredClaims } from './local-claims-purge.ts';
import { LocalChangeFeed } from './local-search-feed.ts';
import { SearchIndexJob } from '#domain/jobs/search-index';
import { SearchIndexTable } from '../functions/jobs/search-sources.ts';
import { awsErrorKind } from '../functions/adapters/aws-errors.ts';
import { ensureBucket, ensureDataKey, ensureSigningKey, ensureTable, ensureTopic } from './local-aws.ts';
import { createLocalIdp, TokenRequest, type LocalIdp } from './local-idp.ts';
import { startMoto, type Emulator } from './moto.ts';

export interface LocalOptions {
  port?: number;
  host?: string;
  /** An AWS endpoint to use; otherwise AWS_ENDPOINT_URL; otherwise a moto_server started here. */
  endpoint?: string;
  tableName?: string;
  clock?: Clock;
  /** Sweep the outbox every N ms (0: only through /_local/jobs/outbox). */
  dispatchIntervalMs?: number;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
  allowedOrigin?: string;
  /**
   * The claims ingestion core the claims import sends its batches to: by default the one Lambda
   * uses (functions/jobs/claims-batches.ts); tests of the import may give a stand-in.
   */
  claimsBatches?: ClaimsBatches;
  /**
   * For tests: awaited once the server listens and just before it starts serving, so that a test
   * can send requests while start-up is still in progress, or make start-up fail after listening.
   */
  beforeReady?: (url: string) => Promise<void>;
}

export interface LocalRuntime {
  url: string;
  endpoint: string;
  config: Config;
  deps: AuthDeps & DocumentDeps & AwsClients;
  idp: LocalIdp;
  dispatcher: OutboxDispatcher;
  /** The SNS client the dispatcher sends SMS with. */
  sns: SNSClient;
  /** The emulator's claims inbox bucket (POST /_local/jobs/claims-import with a `key`). */
  inboxBucket: string;
  /** The keyword index's change feed on the runtime's client (the bench detaches it to time a deposit without it). */
  changeFeed: LocalChangeFeed;
  stop(): Promise<void>;
}

const MAX_LOCAL_BODY = 8 * 1024 * 1024;

interface CompiledRoute {
  route: Route;
  pattern: RegExp;
  names: string[];
}

const compile = (route: Route): CompiledRoute => {
  const names: string[] = [];
  const source = route.path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_m, name: string) => {
    names.push(name);
    return '([^/]+)';
  });
  return { route, pattern: new RegExp(`^${source}$`), names };
};

const send = (res: ServerResponse, status: number, headers: Record<string, string | number | boolean>, body: string): void => {
  res.writeHead(status, Object.fromEntries(Object.entries(headers).map(([k, v]) => [k, String(v)])));
  res.end(body);
};

const sendProblem = (res: ServerResponse, problem: HttpProblem): void =>
  send(res, problem.status, { 'Content-Type': 'application/problem+json', 'Cache-Control': 'no-store', ...problem.headers }, JSON.stringify(problem.toDocument()));

const readBody = (req: IncomingMessage): Promise<string> =>
  new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size > MAX_LOCAL_BODY) {
        reject(new HttpProblem(413, `The body may hold at most ${MAX_LOCAL_BODY} bytes.`));
        req.pause();
        return;
      }
      chunks.push(chunk);
    });
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });

type RecordedSms = { message: string; message_id: string; phone_number: string };

/**
 * The SMS the emulator recorded: from bin/moto_server.py's own endpoint (just the SMS), or, on
 * another emulator (AWS_ENDPOINT_URL), from moto's whole state dump.
 */
const recordedSms = async (endpoint: string, to: string | undefined): Promise<RecordedSms[]> => {
  const own = await fetch(`${endpoint}/dmp-local/sms${to ? `?to=${encodeURIComponent(to)}` : ''}`);
  if (own.ok && (own.headers.get('content-type') ?? '').includes('json')) return ((await own.json()) as { items: RecordedSms[] }).items;
  await own.body?.cancel();
  const data = (await (await fetch(`${endpoint}/moto-api/data.json`)).json()) as { sns?: { SMS?: RecordedSms[] } };
  return (data.sns?.SMS ?? []).filter((m) => to === undefined || m.phone_number === to);
};

const JobBody = z.strictObject({ now: z.iso.datetime().optional() });
/** The claims import's object: a file of this machine, or an object of the emulator's inbox bucket. */
const ClaimsImportBody = z.union([z.strictObject({ path: z.string().min(1).max(4096) }), z.strictObject({ key: z.string().min(1).max(1024) })]);

const closeServer = async (server: Server): Promise<void> => {
  server.closeAllConnections();
  await new Promise<void>((resolve) => server.close(() => resolve()));
};

/** What start() has started so far, to be stopped if start-up fails part-way. */
type Undo = (() => Promise<void>)[];

export const startLocal = async (options: LocalOptions = {}): Promise<LocalRuntime> => {
  const undo: Undo = [];
  try {
    return await start(options, undo);
  } catch (error) {
    // Nothing is left listening or running: a failed start-up neither hangs clients nor the process.
    for (const step of undo.reverse()) await step().catch(() => undefined);
    throw error;
  }
};

const start = async (options: LocalOptions, undo: Undo): Promise<LocalRuntime> => {
  let emulator: Emulator | undefined;
  const endpoint = options.endpoint ?? process.env.AWS_ENDPOINT_URL ?? (emulator = await startMoto()).endpoint;
  undo.push(async () => emulator?.stop());
  const tableName = options.tableName ?? 'dmp-local';
  const clock = options.clock ?? systemClock;
  const logger = makeLogger({ serviceName: 'dmp-local', logLevel: options.logLevel ?? 'INFO' });

  // The server listens before the table, the keys and the handlers exist (the port is part of the
  // issuers' URLs): until they do, every request is answered 503 with Retry-After rather than left
  // unanswered. `serve` becomes the real dispatcher at the end of start-up.
  let serve: RequestListener = (_req, res) => sendProblem(res, new HttpProblem(503, 'The local runtime is starting.', { headers: { 'Retry-After': '1' } }));
  const server = createServer((req, res) => serve(req, res));
  undo.push(() => closeServer(server));
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 3000, options.host ?? '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://localhost:${port}`;
  const idp = await createLocalIdp(url, clock);

  const aws = { region: process.env.AWS_REGION ?? 'eu-west-3', endpoint };
  const db = dynamoClient(aws);
  const kms = kmsClient(aws);
  await ensureTable(db, tableName);
  const config: Config = {
    ...aws,
    tableName,
    dataKeyId: await ensureDataKey(kms, `alias/${tableName}-patient-data`),
    issuers: idp.issuers,
    sessions: { keyId: await ensureSigningKey(kms, `alias/${tableName}-sessions`), issuer: `${url}/v1/auth/patient`, audience: 'dmp-api-local' },
    allowedOrigin: options.allowedOrigin ?? process.env.ALLOWED_ORIGIN ?? 'http://localhost:5173',
    smsSenderId: 'DMP',
    checkResponses: true,
  };
  const sentAt = new Map<string, string>();
  const sns = snsClient(config);
  const sms = new SmsSender(sns, config.smsSenderId);
  const recordingSms = {
    send: async (to: string, message: string) => {
      const id = await sms.send(to, message);
      if (id) sentAt.set(id, clock.now().toISOString());
      return id;
    },
  } as SmsSender;
  const deps = withDocuments(authDeps(config, { logger, clock, db, kms, sms: recordingSms }));
  // Messages to professionals go to a real topic on the emulator; kept here too, for /_local/professional-messages.
  const professionalMessages: { to: string; message: string; sentAt: string }[] = [];
  const messenger = new ProfessionalMessenger(sns, await ensureTopic(sns, `${tableName}-professional-messaging`));
  const recordingMessenger = {
    send: async (to: string, message: string) => {
      const id = await messenger.send(to, message);
      professionalMessages.push({ to, message, sentAt: clock.now().toISOString() });
      return id;
    },
  } as ProfessionalMessenger;
  const dispatcher = new OutboxDispatcher({ outbox: new DynamoOutbox(deps.db, tableName, deps.keyRing), sms: recordingSms, professionals: recordingMessenger, logger });

  // Every capability of the list, by the convention of its folder: use-cases.ts exports it.
  const handlers = new Map<string, HttpHandler>(
    await Promise.all(
      CAPABILITIES.map(async ({ name }) => {
        const { capability } = (await import(`../functions/capabilities/${name}/use-cases.ts`)) as { capability: CapabilityDef<typeof deps> };
        return [name, makeHttpHandler(capability, capability.own ? capability.own(deps) : deps)] as const;
      }),
    ),
  );
  const compiled = [...ROUTES].map(compile).sort((a, b) => a.names.length - b.names.length);

  const retention = new RetentionJob(new DynamoRetentionStore(deps.db, tableName), logger);
  const visibility = new VisibilityJob(
    new DynamoVisibilityStore({ db: deps.db, tableName, records: deps.records, documents: new DocumentStore(deps.db, tableName), keyRing: deps.keyRing, random: deps.random }),
    logger,
  );
  const uploads = new UploadsJob(new DynamoUploadsStore(deps.db, tableName, new DocumentStore(deps.db, tableName)), logger);
  const { vaccinations, claims } = withVaccinations(deps);
  const vaccinationReminders = new VaccinationRemindersJob(
    new DynamoReminderStore({ db: deps.db, tableName, records: deps.records, vaccinations, claims, keyRing: deps.keyRing, random: deps.random }),
    logger,
  );
  // The claims import, on a local file or on the emulator's inbox bucket: the same use case as the
  // Lambda consuming the inbox's notifications, with its checkpoints in the same table.
  const s3 = s3Client(config);
  const inboxBucket = await ensureBucket(s3, `${tableName}-claims-inbox`, config.region);
  const bucketObjects = new S3InboxObjects(s3, inboxBucket);
  const fileObjects = new FileInboxObjects();
  const batches = options.claimsBatches ?? claimsBatches(withClaims(deps));
  const importClaims = async (body: z.infer<typeof ClaimsImportBody>) => {
    const [objects, object]: [InboxObjects, InboxObject | undefined] =
      'path' in body ? [fileObjects, await FileInboxObjects.current(body.path)] : [bucketObjects, await bucketObjects.current(body.key)];
    if (!object) throw new HttpProblem(404, 'path' in body ? 'No such file.' : `No such object in ${inboxBucket}.`);
    const job = new ClaimsImport({ batches, objects, checkpoints: new DynamoImportCheckpoints(deps.db, tableName), logger, now: () => clock.now() });
    return job.run(object);
  };

  // The keyword index job, fed by the writes this runtime's client makes (the emulator's table has
  // no stream): drained on every tick and by POST /_local/jobs/search-index, one run at a time.
  const changeFeed = new LocalChangeFeed();
  changeFeed.attach(deps.db);
  const searchIndex = new SearchIndexJob(new SearchIndexTable({ db: deps.db, tableName, keyRing: deps.keyRing, clock }), logger);
  let indexing: Promise<unknown> = Promise.resolve();
  const indexChanges = () => {
    const run = indexing.then(async () => {
      const { report, failed } = await searchIndex.run(changeFeed.drain());
      changeFeed.retry(failed);
      return report;
    });
    indexing = run.catch(() => undefined);
    return run;
  };

  const jobs = new Map<string, (now: Date) => Promise<unknown>>([
    ['search-index', () => indexChanges()],
    ['outbox', (now) => dispatcher.sweep(now)],
    ['retention', (now) => retention.sweep(now)],
    ['visibility', (now) => visibility.sweep(now)],
    ['uploads', (now) => uploads.sweep(now)],
    ['claims-purge', (now) => purgeExpiredClaims(deps.db, tableName, now)],
    ['vaccination-reminders', (now) => vaccinationReminders.sweep(now)],
  ]);

  const local = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> => {
    const json = (status: number, body: unknown) => send(res, status, { 'Content-Type': 'application/json', 'Cache-Control': 'no-store' }, JSON.stringify(body));
    const parseJson = async (): Promise<unknown> => {
      const text = await readBody(req);
      try {
        return text ? JSON.parse(text) : {};
      } catch {
        throw new HttpProblem(400, 'The body is not valid JSON.');
      }
    };
    if (req.method === 'GET' && path === '/_local/jwks.json') return json(200, idp.jwks);
    if (req.method === 'POST' && path === '/_local/tokens') {
      const parsed = TokenRequest.safeParse(await parseJson());
      if (!parsed.success)
        throw new HttpProblem(400, 'Not a token request.', { errors: parsed.error.issues.map((i) => ({ path: ['body', ...i.path.map(String)].join('.'), message: i.message })) });
      return json(200, { accessToken: await idp.issue(parsed.data) });
    }
    if (req.method === 'GET' && path === '/_local/sms') {
      const to = query.get('to') ?? undefined;
      const items = (await recordedSms(endpoint, to)).map((m) => {
        if (!sentAt.has(m.message_id)) sentAt.set(m.message_id, clock.now().toISOString());
        return { to: m.phone_number, message: m.message, sentAt: sentAt.get(m.message_id) as string };
      });
      return json(200, { items });
    }
    if (req.method === 'GET' && path === '/_local/professional-messages') {
      const to = query.get('to') ?? undefined;
      return json(200, { items: professionalMessages.filter((m) => to === undefined || m.to === to) });
    }
    const job = /^\/_local\/jobs\/([a-z-]+)$/.exec(path)?.[1];
    if (req.method === 'POST' && job === 'claims-import') {
      const body = ClaimsImportBody.safeParse(await parseJson());
      if (!body.success) throw new HttpProblem(400, 'The body is { "path": file } or { "key": object key in the inbox bucket }.');
      return json(200, { job, result: await importClaims(body.data) });
    }
    if (req.method === 'POST' && job) {
      const run = jobs.get(job);
      if (!run) throw new HttpProblem(404, `No job named ${job.slice(0, 40)}. Jobs: ${[...jobs.keys(), 'claims-import'].join(', ')}.`);
      const body = JobBody.safeParse(await parseJson());
      if (!body.success) throw new HttpProblem(400, 'The body is { "now"?: instant }.');
      const result = await run(body.data.now ? new Date(body.data.now) : clock.now());
      return json(200, { job, result });
    }
    throw new HttpProblem(404, 'No such local endpoint.');
  };

  const api = async (req: IncomingMessage, res: ServerResponse, path: string, query: URLSearchParams): Promise<void> => {
    if (req.method === 'OPTIONS') {
      const origin = req.headers.origin;
      const allowed = origin === config.allowedOrigin;
      return send(
        res,
        204,
        allowed
          ? {
              'Access-Control-Allow-Origin': origin,
              'Access-Control-Allow-Methods': CORS.allowMethods.join(','),
              'Access-Control-Allow-Headers': CORS.allowHeaders.join(','),
              'Access-Control-Max-Age': CORS.maxAgeSeconds,
              Vary: 'Origin',
            }
          : { Vary: 'Origin' },
        '',
      );
    }
    const matches = compiled.filter((c) => c.pattern.test(path));
    const hit = matches.find((c) => c.route.method === req.method);
    if (!hit) throw new HttpProblem(matches.length > 0 ? 405 : 404, matches.length > 0 ? 'Method not allowed on this path.' : 'No such operation.');
    const values = hit.pattern.exec(path)?.slice(1) ?? [];
    let pathParameters: Record<string, string>;
    try {
      pathParameters = Object.fromEntries(hit.names.map((n, i) => [n, decodeURIComponent(values[i] ?? '')]));
    } catch {
      throw new HttpProblem(400, 'The path is not valid.');
    }
    // Client-chosen names: a Map, never an object whose prototype answers to "toString".
    const multi = new Map<string, string[]>();
    for (const [k, v] of query) multi.set(k, [...(multi.get(k) ?? []), v]);
    const headers = Object.fromEntries(Object.entries(req.headers).map(([k, v]) => [k, Array.isArray(v) ? v.join(',') : (v ?? '')]));
    const body = await readBody(req);
    const requestId = randomUUID();
    const event = {
      resource: hit.route.path,
      path,
      httpMethod: req.method ?? 'GET',
      headers,
      multiValueHeaders: {},
      queryStringParameters: multi.size ? Object.fromEntries([...multi].map(([k, v]) => [k, v[v.length - 1] as string])) : null,
      multiValueQueryStringParameters: multi.size ? Object.fromEntries(multi) : null,
      pathParameters: hit.names.length ? pathParameters : null,
      stageVariables: null,
      body: body.length ? body : null,
      isBase64Encoded: false,
      requestContext: {
        requestId,
        httpMethod: req.method ?? 'GET',
        path,
        resourcePath: hit.route.path,
        stage: 'local',
        identity: { sourceIp: req.socket.remoteAddress ?? 'unknown' },
      },
    } as unknown as APIGatewayProxyEvent;
    const context = { awsRequestId: requestId, functionName: `dmp-${hit.route.capability}` } as Context;
    const handler = handlers.get(hit.route.capability);
    if (!handler) throw new Error(`no function serves ${hit.route.capability}`);
    const result = await handler(event, context);
    send(res, result.statusCode, { ...(result.headers ?? {}) }, result.body);
  };

  await options.beforeReady?.(url);
  serve = (req, res) => {
    const parsed = new URL(req.url ?? '/', 'http://localhost');
    const route = parsed.pathname.startsWith('/_local/') ? local : api;
    route(req, res, parsed.pathname, parsed.searchParams).catch((error: unknown) => {
      if (res.headersSent) return res.destroy();
      if (error instanceof HttpProblem && error.status === 413) {
        // The rest of the upload is not read: answer, then close this connection.
        res.setHeader('Connection', 'close');
        sendProblem(res, error);
        return res.once('finish', () => req.destroy());
      }
      if (error instanceof HttpProblem) return sendProblem(res, error);
      // A dependency that failed for a while (a job's call to the emulator): retry, as the API answers.
      if (awsErrorKind(error) === 'transient') return sendProblem(res, new HttpProblem(503, 'A dependency failed: retry.', { headers: { 'Retry-After': '1' } }));
      logger.error('local runtime error', { errorName: (error as Error)?.name, stack: (error as Error)?.stack });
      sendProblem(res, new HttpProblem(500, 'The local runtime failed.'));
    });
  };

  let sweeping = false;
  const interval =
    (options.dispatchIntervalMs ?? 1000) > 0
      ? setInterval(() => {
          if (sweeping) return;
          sweeping = true;
          if (changeFeed.size > 0) indexChanges().catch((error: unknown) => logger.warn('search index failed', { errorName: (error as Error).name }));
          dispatcher
            .sweep(clock.now())
            .catch((error: unknown) => logger.warn('outbox sweep failed', { errorName: (error as Error).name }))
            .finally(() => (sweeping = false));
        }, options.dispatchIntervalMs ?? 1000)
      : undefined;

  // The emulator does not expire items: the claim lines past their TTL are purged once a day (and on
  // demand through POST /_local/jobs/claims-purge).
  const purging = setInterval(() => {
    purgeExpiredClaims(deps.db, tableName, clock.now()).catch((error: unknown) => logger.warn('claims purge failed', { errorName: (error as Error).name }));
  }, 86_400_000);
  purging.unref();

  return {
    url,
    endpoint,
    config,
    deps,
    idp,
    dispatcher,
    sns,
    inboxBucket,
    changeFeed,
    stop: async () => {
      if (interval) clearInterval(interval);
      clearInterval(purging);
      await closeServer(server);
      await emulator?.stop();
    },
  };
};

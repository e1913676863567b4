/**
 * Starts the local runtime in-process for one test file, on the shared emulator and a table of its
 * own, and gives the tests a small HTTP client (real HTTP, through fetch).
 */
import { randomUUID } from 'node:crypto';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { inject } from 'vitest';
import { startLocal, type LocalOptions, type LocalRuntime } from '../../bin/local-runtime.ts';
import { recordBody } from './fixtures.ts';

export interface Answer<T = any> {
  status: number;
  headers: Headers;
  body: T;
}

export interface TestApi {
  runtime: LocalRuntime;
  call<T = any>(method: string, path: string, opts?: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> }): Promise<Answer<T>>;
  professional(opts?: { professionalId?: string; profession?: string; structure?: string; role?: string }): Promise<string>;
  agent(agentId?: string): Promise<string>;
  /** A client-credentials token of the Assurance Maladie's claim-history sync (`claims:write` unless another scope is given). */
  insurer(opts?: { clientId?: string; scope?: string }): Promise<string>;
  sms(to: string): Promise<{ to: string; message: string; sentAt: string }[]>;
  runJob(job: string, now?: string): Promise<Answer>;
  scanAll(): Promise<Record<string, any>[]>;
  /** How many records (META items) the table holds. */
  recordCount(): Promise<number>;
  stop(): Promise<void>;
}

export const startTestApi = async (options: LocalOptions = {}): Promise<TestApi> => {
  const runtime = await startLocal({
    endpoint: inject('awsEndpoint'),
    port: 0,
    tableName: `t-${randomUUID().slice(0, 12)}`,
    logLevel: 'SILENT',
    dispatchIntervalMs: 0,
    allowedOrigin: 'https://www.dmp.fr',
    ...options,
  });
  const call: TestApi['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token && !Object.keys(headers).some((h) => h.toLowerCase() === 'authorization')) headers.authorization = `Bearer ${opts.token}`;
    let payload: string | undefined = opts.raw;
    if (opts.body !== undefined) {
      payload = JSON.stringify(opts.body);
      headers['content-type'] ??= 'application/json';
    }
    const res = await fetch(`${runtime.url}${path}`, { method, headers, ...(payload !== undefined ? { body: payload } : {}) });
    const text = await res.text();
    let body: any = text;
    if ((res.headers.get('content-type') ?? '').includes('json') && text) body = JSON.parse(text);
    return { status: res.status, headers: res.headers, body };
  };
  const tokenFor = async (request: unknown): Promise<string> => {
    const res = await call('POST', '/_local/tokens', { body: request });
    if (res.status !== 200) throw new Error(`token request refused: ${JSON.stringify(res.body)}`);
    return res.body.accessToken as string;
  };
  const scanAll = async (): Promise<Record<string, any>[]> => {
    const items: Record<string, any>[] = [];
    let start: Record<string, any> | undefined;
    do {
      const out = await runtime.deps.db.send(new ScanCommand({ TableName: runtime.config.tableName, ExclusiveStartKey: start }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items;
  };
  return {
    runtime,
    call,
    professional: (o = {}) =>
      tokenFor({
        kind: 'professional',
        professionalId: o.professionalId ?? `8${String(Math.floor(Math.random() * 1e11)).padStart(11, '0')}`,
        profession: o.profession ?? '10',
        ...(o.structure ? { structure: o.structure } : {}),
        ...(o.role ? { role: o.role } : {}),
      }),
    agent: (agentId = `agent-${randomUUID().slice(0, 8)}`) => tokenFor({ kind: 'agent', agentId, organisation: 'CPAM 75' }),
    insurer: (o = {}) => tokenFor({ kind: 'insurer', clientId: o.clientId ?? 'cnam-claims-sync', ...(o.scope !== undefined ? { scope: o.scope } : {}) }),
    sms: async (to) => (await call('GET', `/_local/sms?to=${encodeURIComponent(to)}`)).body.items,
    runJob: (job, now) => call('POST', `/_local/jobs/${job}`, { body: now ? { now } : {} }),
    scanAll,
    recordCount: async () => (await scanAll()).filter((i) => i.sk?.S === 'META').length,
    stop: () => runtime.stop(),
  };
};

/**
 * A runtime with a doctor's token and one record already created, so that the keyed-hash secret
 * exists and is unwrapped: tests that count items or calls then see only what they cause.
 */
export const startWarmTestApi = async (): Promise<{ api: TestApi; doctor: string }> => {
  const api = await startTestApi();
  const doctor = await api.professional();
  const warmUp = await api.call('POST', '/v1/records', { token: doctor, body: recordBody() });
  if (warmUp.status !== 201) throw new Error(`warm-up creation refused: ${JSON.stringify(warmUp.body)}`);
  return { api, doctor };
};

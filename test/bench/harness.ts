/**
 * The in-process local runtime on a moto_server started here (outside vitest, so no `inject`), and
 * a small HTTP client over real HTTP (fetch to runtime.url).
 */
import { randomUUID } from 'node:crypto';
import { startLocal, type LocalRuntime } from '../../bin/local-runtime.ts';
import { startMoto, type Emulator } from '../../bin/moto.ts';
import { adultIdentity, randomIns, randomMobile, randomRpps } from '../support/fixtures.ts';

export interface Answer {
  status: number;
  body: any;
}

export interface Bench {
  runtime: LocalRuntime;
  emulator: Emulator;
  call(method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<Answer>;
  professionalToken(professionalId?: string): Promise<string>;
  stop(): Promise<void>;
}

export const startBench = async (): Promise<Bench> => {
  const emulator = await startMoto();
  let runtime: LocalRuntime;
  try {
    runtime = await startLocal({
      endpoint: emulator.endpoint,
      port: 0,
      tableName: `bench-${randomUUID().slice(0, 8)}`,
      logLevel: 'SILENT',
      dispatchIntervalMs: 0,
    });
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  const call: Bench['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${runtime.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  };
  return {
    runtime,
    emulator,
    call,
    professionalToken: async (professionalId = randomRpps()) => {
      const res = await call('POST', '/_local/tokens', { body: { kind: 'professional', professionalId, profession: '10' } });
      if (res.status !== 200) throw new Error(`token request refused (${res.status}): ${JSON.stringify(res.body)}`);
      return res.body.accessToken as string;
    },
    stop: async () => {
      try {
        await runtime.stop();
      } finally {
        await emulator.stop();
      }
    },
  };
};

/** A creation by a professional (not a pharmacist): an adult, with a mobile (one SMS in the outbox). */
export const creationBody = () => ({
  ins: randomIns(),
  identity: adultIdentity(),
  contact: { mobile: randomMobile() },
  consent: { expressConsent: true },
});

export const expectStatus = (what: string, res: Answer, status: number): Answer => {
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return res;
};

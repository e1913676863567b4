/**
 * The local runtime's start-up: the server listens before its table, keys and handlers exist; a
 * request in that window gets an answer (503, Retry-After) instead of hanging, and a start-up that
 * fails after listening leaves nothing listening.
 */
import { randomUUID } from 'node:crypto';
import { connect } from 'node:net';
import { describe, expect, inject, it } from 'vitest';
import { startLocal, type LocalOptions } from '../../bin/local-runtime.ts';

const options = (beforeReady: (url: string) => Promise<void>): LocalOptions => ({
  endpoint: inject('awsEndpoint'),
  port: 0,
  tableName: `t-${randomUUID().slice(0, 12)}`,
  logLevel: 'SILENT',
  dispatchIntervalMs: 0,
  beforeReady,
});

/** One request with a client timeout well under the test's: a hang shows as a TimeoutError. */
const call = async (url: string, init: RequestInit = {}) => {
  const res = await fetch(url, { ...init, signal: AbortSignal.timeout(5_000) });
  const text = await res.text();
  return { status: res.status, headers: res.headers, text };
};

describe('local runtime start-up', () => {
  it('answers 503 with Retry-After while starting, then serves the request normally', async () => {
    const during: Awaited<ReturnType<typeof call>>[] = [];
    const runtime = await startLocal(
      options(async (url) => {
        during.push(await call(`${url}/openapi.json`));
        // With a body the 503 does not read: the answer must not wait on it.
        during.push(await call(`${url}/v1/records`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ a: 'x'.repeat(100_000) }) }));
      }),
    );
    try {
      expect(during).toHaveLength(2);
      for (const res of during) {
        expect(res.status).toBe(503);
        expect(res.headers.get('retry-after')).toBe('1');
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(JSON.parse(res.text)).toMatchObject({ status: 503, type: 'urn:dmp:problem:unavailable' });
      }
      const after = await call(`${runtime.url}/openapi.json`);
      expect(after.status).toBe(200);
      expect(JSON.parse(after.text).openapi).toBe('3.1.0');
    } finally {
      await runtime.stop();
    }
  });

  it('rejects and closes its port when start-up fails after listening', async () => {
    let url = '';
    await expect(
      startLocal(
        options(async (u) => {
          url = u;
          throw new Error('start-up failed');
        }),
      ),
    ).rejects.toThrow('start-up failed');
    expect(url).not.toBe('');
    // A new TCP connection, not fetch's pooled one: is anything still listening on the port?
    const { port } = new URL(url);
    const outcome = await new Promise<string>((resolve) => {
      const socket = connect(Number(port), '127.0.0.1');
      socket.once('connect', () => {
        socket.destroy();
        resolve('connected');
      });
      socket.once('error', (error: NodeJS.ErrnoException) => resolve(error.code ?? error.message));
    });
    expect(outcome).toBe('ECONNREFUSED');
  });
});

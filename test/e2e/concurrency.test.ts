/** One DMP per INS and idempotent retries, under real concurrency against the emulator. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adultIdentity, recordBody } from '../support/fixtures.ts';
import { startWarmTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;

beforeAll(async () => {
  ({ api, doctor } = await startWarmTestApi());
});
afterAll(() => api.stop());

const body = () => recordBody();

describe('one DMP per INS', () => {
  it('eight simultaneous creations of one INS by different callers: exactly one succeeds, the others get 409', async () => {
    const input = body();
    const before = await api.recordCount();
    const callers = await Promise.all([...Array(4)].map(() => api.professional()).concat([...Array(4)].map(() => api.agent())));
    const answers = await Promise.all(callers.map((token) => api.call('POST', '/v1/records', { token, body: { ...input, identity: adultIdentity() } })));
    expect(answers.map((a) => a.status).sort()).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(await api.recordCount()).toBe(before + 1);
    const keys = (await api.scanAll()).filter((i) => i.sk.S === 'KEY').length;
    expect(keys).toBe(before + 1);
  });
});

describe('idempotency keys', () => {
  it('the same key and body returns the first response again, credentials included', async () => {
    const input = body();
    const headers = { 'Idempotency-Key': `same-${Date.now()}` };
    const first = await api.call('POST', '/v1/records', { token: doctor, body: input, headers });
    const again = await api.call('POST', '/v1/records', { token: doctor, body: input, headers });
    expect(first.status).toBe(201);
    expect(again.status).toBe(201);
    expect(again.body).toEqual(first.body);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
  });

  it('the same key with the same body in another key order is the same request', async () => {
    const input = body();
    const headers = { 'Idempotency-Key': `order-${Date.now()}` };
    const first = await api.call('POST', '/v1/records', { token: doctor, body: input, headers });
    const reordered = Object.fromEntries(Object.entries(input).reverse());
    const again = await api.call('POST', '/v1/records', { token: doctor, body: reordered, headers });
    expect(again.body.dmpId).toBe(first.body.dmpId);
  });

  it('the same key with another body → 422, and nothing created', async () => {
    const headers = { 'Idempotency-Key': `other-${Date.now()}` };
    await api.call('POST', '/v1/records', { token: doctor, body: body(), headers });
    const before = await api.recordCount();
    const other = await api.call('POST', '/v1/records', { token: doctor, body: body(), headers });
    expect(other.status).toBe(422);
    expect(other.body.type).toBe('urn:dmp:problem:idempotency-key-reused');
    expect(await api.recordCount()).toBe(before);
  });

  it('keys are scoped to their caller: another caller’s identical key is another request', async () => {
    const key = `scoped-${Date.now()}`;
    const mine = await api.call('POST', '/v1/records', { token: doctor, body: body(), headers: { 'Idempotency-Key': key } });
    const theirs = await api.call('POST', '/v1/records', { token: await api.professional(), body: body(), headers: { 'Idempotency-Key': key } });
    expect(theirs.status).toBe(201);
    expect(theirs.body.dmpId).not.toBe(mine.body.dmpId);
  });

  it('six concurrent retries with one key make one DMP and all get its response', async () => {
    const input = body();
    const headers = { 'Idempotency-Key': `race-${Date.now()}` };
    const before = await api.recordCount();
    const answers = await Promise.all([...Array(6)].map(() => api.call('POST', '/v1/records', { token: doctor, body: input, headers })));
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 201, 201, 201]);
    expect(new Set(answers.map((a) => a.body.dmpId)).size).toBe(1);
    expect(new Set(answers.map((a) => a.body.credentials.provisionalPassword)).size).toBe(1);
    expect(await api.recordCount()).toBe(before + 1);
  });
});

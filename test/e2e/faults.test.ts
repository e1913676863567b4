/**
 * KMS, DynamoDB and SNS failing in the middle of a request: the client gets a 5xx it can retry with
 * the same Idempotency-Key, and nothing half-done remains. Faults are injected into the real SDK
 * clients of the runtime (test/support/faults.ts); everything else is the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomFiness, recordBody } from '../support/fixtures.ts';
import { failNext } from '../support/faults.ts';
import { startTestApi, startWarmTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;

beforeAll(async () => {
  ({ api, doctor } = await startWarmTestApi());
});
afterAll(() => api.stop());

const body = () => recordBody();
const keyOf = () => `fault-${Math.random().toString(36).slice(2, 12)}`;

describe('a dependency fails mid-request', () => {
  it.each([
    ['KMS GenerateDataKey', () => api.runtime.deps.kms, 'GenerateDataKeyCommand'],
    ['DynamoDB TransactWriteItems', () => api.runtime.deps.db, 'TransactWriteItemsCommand'],
  ] as const)('%s: 503 with Retry-After, nothing written, the retry succeeds', async (_name, client, command) => {
    const input = body();
    const idempotencyKey = keyOf();
    const before = await api.scanAll();
    const restore = failNext(client(), command);
    const failed = await api.call('POST', '/v1/records', { token: doctor, body: input, headers: { 'Idempotency-Key': idempotencyKey } });
    restore();
    expect(failed.status).toBe(503);
    expect(failed.headers.get('retry-after')).toBe('1');
    expect(failed.headers.get('content-type')).toBe('application/problem+json');
    expect((await api.scanAll()).length).toBe(before.length);

    const retried = await api.call('POST', '/v1/records', { token: doctor, body: input, headers: { 'Idempotency-Key': idempotencyKey } });
    expect(retried.status).toBe(201);
    expect(await api.recordCount()).toBe(before.filter((i) => i.sk.S === 'META').length + 1);
  });

  it('the transaction commits but its answer is lost: the retry replays the first response, one DMP, one ledger entry', async () => {
    const finess = randomFiness();
    const pharmacist = await api.professional({ profession: '21', structure: finess });
    const input = body();
    const idempotencyKey = keyOf();
    const metas = await api.recordCount();
    const restore = failNext(api.runtime.deps.db, 'TransactWriteItemsCommand', 1, 'after');
    const lost = await api.call('POST', '/v1/records', { token: pharmacist, body: input, headers: { 'Idempotency-Key': idempotencyKey } });
    restore();
    expect(lost.status).toBe(503);

    const retried = await api.call('POST', '/v1/records', { token: pharmacist, body: input, headers: { 'Idempotency-Key': idempotencyKey } });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    expect(await api.recordCount()).toBe(metas + 1);
    const ledger = await api.call('GET', `/v1/pharmacies/${finess}/creations?month=${retried.body.createdAt.slice(0, 7)}`, { token: pharmacist });
    expect(ledger.body.count).toBe(1);
    expect(ledger.body.items[0].dmpId).toBe(retried.body.dmpId);
  });

  it('SNS fails: the notification stays pending and is sent by a later sweep, once', async () => {
    const input = body();
    await api.call('POST', '/v1/records', { token: doctor, body: input });
    const restore = failNext(api.runtime.sns, 'PublishCommand', 5);
    const first = await api.runJob('outbox');
    restore();
    expect(first.body.result.failed).toBeGreaterThanOrEqual(1);
    expect(await api.sms(input.contact.mobile)).toEqual([]);
    const pending = (await api.scanAll()).filter((i) => i.sk.S.startsWith('OUTBOX#') && i.status.S === 'pending');
    expect(pending.length).toBeGreaterThanOrEqual(1);

    // Not yet due: the back-off holds it.
    await api.runJob('outbox');
    expect(await api.sms(input.contact.mobile)).toEqual([]);
    const later = new Date(Date.now() + 10 * 60_000).toISOString();
    await api.runJob('outbox', later);
    expect(await api.sms(input.contact.mobile)).toHaveLength(1);
    await api.runJob('outbox', new Date(Date.now() + 60 * 60_000).toISOString());
    expect(await api.sms(input.contact.mobile)).toHaveLength(1);
  });

  it('a message that keeps failing is parked as failed after its last attempt, not lost', async () => {
    const input = body();
    await api.call('POST', '/v1/records', { token: doctor, body: input });
    const restore = failNext(api.runtime.sns, 'PublishCommand', 1000);
    let at = Date.now();
    for (let i = 0; i < 10; i++) {
      await api.runJob('outbox', new Date(at).toISOString());
      at += 7 * 3600_000;
    }
    restore();
    const mine = (await api.scanAll()).filter((i) => i.sk.S.startsWith('OUTBOX#') && i.status.S === 'failed');
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.every((i) => i.gsi1pk.S === 'OUTBOX#FAILED')).toBe(true);
  });
});

describe('no access without its trace', () => {
  it('a read whose trace cannot be written fails, and returns nothing of the record', async () => {
    const input = body();
    const created = await api.call('POST', '/v1/records', { token: doctor, body: input });
    // The creator's first read: its trace goes in one transaction with the first-access record and the patient's SMS.
    const restore = failNext(api.runtime.deps.db, 'TransactWriteItemsCommand');
    const read = await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: doctor });
    restore();
    expect(read.status).toBe(503);
    expect(JSON.stringify(read.body)).not.toContain(input.identity.familyName);
    expect((await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: doctor })).status).toBe(200);
    // Any later read: its trace alone.
    const restoreLater = failNext(api.runtime.deps.db, 'PutItemCommand');
    const later = await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: doctor });
    restoreLater();
    expect(later.status).toBe(503);
    expect(JSON.stringify(later.body)).not.toContain(input.identity.familyName);
  });
});

describe('the keyed-hash secret cannot be unwrapped at start', () => {
  it('answers 503, and works once KMS is back', async () => {
    const fresh = await startTestApi();
    try {
      const token = await fresh.professional();
      const restore = failNext(fresh.runtime.deps.kms, 'DecryptCommand', 1);
      const failed = await fresh.call('POST', '/v1/records', { token, body: body() });
      restore();
      expect(failed.status).toBe(503);
      expect((await fresh.call('POST', '/v1/records', { token, body: body() })).status).toBe(201);
    } finally {
      await fresh.stop();
    }
  });
});

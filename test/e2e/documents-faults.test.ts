/**
 * DynamoDB and SNS failing in the middle of a deposit, a read, a label change, a declaration of
 * access and the scheduled jobs: the client gets a 5xx it can retry, and what the action promised
 * holds — no half document (staged chunks are cleaned up by the uploads job), no access without
 * its trace, no emergency grant without its notification, no notification lost or sent twice.
 * Faults are injected into the runtime's real SDK clients (test/support/faults.ts).
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failAfter, failNext } from '../support/faults.ts';
import { accessLog, deposit, documentBody, listIds } from '../support/documents.ts';
import { newPatient } from '../support/patients.ts';
import { startWarmTestApi, type Answer, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
/** One patient's record for the cases that need no clean slate of their own. */
let dmpId: string;
let mobile: string;

const MIN = 60_000;
const DAY = 86_400_000;
const db = () => api.runtime.deps.db;
const docs = (d = dmpId) => `/v1/records/${d}/documents`;
const keyOf = () => `dfault-${randomUUID().slice(0, 12)}`;
const at = (ms: number) => new Date(Date.now() + ms).toISOString();

beforeAll(async () => {
  ({ api, doctor } = await startWarmTestApi());
  ({ dmpId, mobile } = await newPatient(api, doctor));
  // The doctor's first access to the record (its own transaction and notice) happens here.
  await listIds(api, doctor, dmpId);
});
afterAll(() => api?.stop());

/** The raw items of a record's partition, in key order. */
const partition = async (d = dmpId) => (await api.scanAll()).filter((i) => i.pk?.S === `REC#${d}`).sort((x, y) => (x.sk.S < y.sk.S ? -1 : x.sk.S > y.sk.S ? 1 : 0));
const sks = (items: Record<string, any>[], prefix: string) => items.map((i) => i.sk.S as string).filter((sk) => sk.startsWith(prefix));
const traces = (items: Record<string, any>[], action: string, documentId?: string) =>
  items.filter((i) => i.sk.S.startsWith('TRACE#') && i.action?.S === action && (documentId === undefined || i.documentId?.S === documentId));
const outbox = (items: Record<string, any>[], template: string) => items.filter((i) => i.sk.S.startsWith('OUTBOX#') && i.template?.S === template);
/** Chunks whose document was never committed (no DOC# item). */
const orphanChunks = (items: Record<string, any>[]) => {
  const committed = new Set(sks(items, 'DOC#').map((sk) => sk.slice('DOC#'.length)));
  return sks(items, 'CHUNK#').filter((sk) => !committed.has(sk.split('#')[1]!));
};

const expectUnavailable = (res: Answer, secrets: string[] = []) => {
  expect(res.status, JSON.stringify(res.body)).toBeGreaterThanOrEqual(500);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  const text = JSON.stringify(res.body);
  expect(text).not.toContain('"content"');
  for (const secret of secrets) expect(text).not.toContain(secret);
};

/** Runs a request with a fault armed, and always disarms it. */
const withFault = async <T>(client: Parameters<typeof failNext>[0], command: string, act: () => Promise<T>, times = 1, when: 'before' | 'after' = 'before'): Promise<T> => {
  const restore = failNext(client, command, times, when);
  try {
    return await act();
  } finally {
    restore();
  }
};

const smsTexts = async (to: string, marker: string) => (await api.sms(to)).filter((m) => m.message.includes(marker));

describe('a deposit interrupted', () => {
  it('the upload intent cannot be written: 503 and nothing at all is written', async () => {
    const before = await partition();
    const body = documentBody({}, randomBytes(1024 * 1024));
    const res = await withFault(db(), 'PutItemCommand', () => api.call('POST', docs(), { token: doctor, body }));
    expectUnavailable(res, [body.title]);
    expect(await partition()).toEqual(before);
  });

  it('the chunks cannot be written (BatchWriteItem): 5xx, nothing listed, and the uploads job removes the intent once abandoned', async () => {
    const body = documentBody({}, randomBytes(1024 * 1024));
    const res = await withFault(db(), 'BatchWriteItemCommand', () => api.call('POST', docs(), { token: doctor, body }));
    expectUnavailable(res, [body.title]);
    expect(await listIds(api, doctor, dmpId, '?status=all')).toEqual([]);
    let items = await partition();
    expect(sks(items, 'UPLOAD#')).toHaveLength(1);
    expect(sks(items, 'DOC#')).toEqual([]);
    expect(traces(items, 'document.deposit')).toEqual([]);

    // Not yet abandoned: a deposit may still be writing its chunks.
    await api.runJob('uploads');
    expect(sks(await partition(), 'UPLOAD#')).toHaveLength(1);
    const swept = await api.runJob('uploads', at(20 * MIN));
    expect(swept.status).toBe(200);
    expect(swept.body.result.abandoned).toBe(1);
    items = await partition();
    expect(sks(items, 'UPLOAD#')).toEqual([]);
    expect(sks(items, 'CHUNK#')).toEqual([]);
  });

  it('the commit fails after the chunks are staged: 5xx, nothing listed, no trace; the retry with the same key succeeds once; the job removes the orphans only', async () => {
    const content = randomBytes(1024 * 1024);
    const body = documentBody({}, content);
    const key = keyOf();
    const headers = { 'Idempotency-Key': key };
    const failed = await withFault(db(), 'TransactWriteItemsCommand', () => api.call('POST', docs(), { token: doctor, body, headers }));
    expectUnavailable(failed, [body.title]);
    expect(await listIds(api, doctor, dmpId, '?status=all')).toEqual([]);
    let items = await partition();
    expect(sks(items, 'DOC#')).toEqual([]);
    expect(traces(items, 'document.deposit')).toEqual([]);
    expect(sks(items, 'UPLOAD#')).toHaveLength(1);
    expect(orphanChunks(items)).toHaveLength(3);

    const retried = await api.call('POST', docs(), { token: doctor, body, headers });
    expect(retried.status, JSON.stringify(retried.body)).toBe(201);
    const again = await api.call('POST', docs(), { token: doctor, body, headers });
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body.documentId).toBe(retried.body.documentId);
    expect(await listIds(api, doctor, dmpId, '?status=all')).toEqual([retried.body.documentId]);
    expect(traces(await partition(), 'document.deposit')).toHaveLength(1);

    const swept = await api.runJob('uploads', at(20 * MIN));
    expect(swept.body.result).toMatchObject({ abandoned: 1, chunksDeleted: 3 });
    items = await partition();
    expect(sks(items, 'UPLOAD#')).toEqual([]);
    expect(orphanChunks(items)).toEqual([]);
    expect(sks(items, 'CHUNK#').every((sk) => sk.startsWith(`CHUNK#${retried.body.documentId}#`))).toBe(true);
    // The committed document survived the sweep, byte for byte.
    const read = await api.call('GET', `${docs()}/${retried.body.documentId}`, { token: doctor });
    expect(read.status).toBe(200);
    expect(Buffer.from(read.body.content, 'base64').equals(content)).toBe(true);
  });

  it('a multi-chunk deposit refused at its commit (uniqueId taken): 409, and whatever it staged is gone after the uploads job', async () => {
    const uniqueId = `1.2.250.1.${Date.now()}`;
    await deposit(api, doctor, dmpId, { uniqueId });
    const listed = await listIds(api, doctor, dmpId, '?status=all');
    const body = documentBody({ uniqueId }, randomBytes(1024 * 1024));
    const refused = await api.call('POST', docs(), { token: doctor, body });
    expect(refused.status).toBe(409);
    expect(await listIds(api, doctor, dmpId, '?status=all')).toEqual(listed);
    await api.runJob('uploads', at(20 * MIN));
    const items = await partition();
    expect(sks(items, 'UPLOAD#')).toEqual([]);
    expect(orphanChunks(items)).toEqual([]);
  });

  it('a single-chunk deposit whose commit fails writes nothing at all', async () => {
    const before = await partition();
    const body = documentBody({ uniqueId: `1.2.250.${Date.now()}` });
    const res = await withFault(db(), 'TransactWriteItemsCommand', () => api.call('POST', docs(), { token: doctor, body, headers: { 'Idempotency-Key': keyOf() } }));
    expectUnavailable(res, [body.title]);
    const after = await partition();
    expect(after.length).toBe(before.length);
    expect(after).toEqual(before);
    // Its uniqueId was not claimed: the same deposit goes through now.
    expect((await api.call('POST', docs(), { token: doctor, body })).status).toBe(201);
  });

  it('the commit went through but its answer was lost: the retry with the same key replays it, one document', async () => {
    const body = documentBody();
    const headers = { 'Idempotency-Key': keyOf() };
    const listed = await listIds(api, doctor, dmpId);
    const lost = await withFault(db(), 'TransactWriteItemsCommand', () => api.call('POST', docs(), { token: doctor, body, headers }), 1, 'after');
    expectUnavailable(lost, [body.title]);
    const retried = await api.call('POST', docs(), { token: doctor, body, headers });
    expect(retried.status).toBe(201);
    expect(retried.headers.get('idempotent-replayed')).toBe('true');
    const now = await listIds(api, doctor, dmpId);
    expect(now).toEqual([retried.body.documentId, ...listed]);
  });
});

describe('no read without its trace', () => {
  it('a read whose trace cannot be written (an access after the first) fails without content; the next read works and is traced', async () => {
    const content = randomBytes(4096);
    const documentId = await deposit(api, doctor, dmpId, {}, content);
    const title = (await api.call('GET', `${docs()}?limit=1`, { token: doctor })).body.items[0].title as string;
    const failed = await withFault(db(), 'PutItemCommand', () => api.call('GET', `${docs()}/${documentId}`, { token: doctor }));
    expectUnavailable(failed, [content.toString('base64').slice(0, 40), title]);
    expect((await accessLog(api, doctor, dmpId)).filter((t) => t.action === 'document.read' && t.documentId === documentId)).toEqual([]);
    expect(traces(await partition(), 'document.read', documentId)).toEqual([]);

    const read = await api.call('GET', `${docs()}/${documentId}`, { token: doctor });
    expect(read.status).toBe(200);
    expect(Buffer.from(read.body.content, 'base64').equals(content)).toBe(true);
    expect((await accessLog(api, doctor, dmpId)).filter((t) => t.action === 'document.read' && t.documentId === documentId)).toHaveLength(1);
  });

  it('a listing whose trace cannot be written fails without titles', async () => {
    const title = (await api.call('GET', `${docs()}?limit=1`, { token: doctor })).body.items[0].title as string;
    const failed = await withFault(db(), 'PutItemCommand', () => api.call('GET', docs(), { token: doctor }));
    expectUnavailable(failed, [title]);
  });

  it('a professional’s first read whose transaction fails: no content, no trace, no first access recorded, no notice; the next read is the first', async () => {
    const documentId = await deposit(api, doctor, dmpId);
    const proId = `8${String(Math.floor(Math.random() * 1e11)).padStart(11, '0')}`;
    const pro = await api.professional({ professionalId: proId });
    expect((await api.call('POST', `/v1/records/${dmpId}/access`, { token: pro, body: { mode: 'normal', patientConsent: true } })).status).toBe(200);
    const before = await partition();
    const failed = await withFault(db(), 'TransactWriteItemsCommand', () => api.call('GET', `${docs()}/${documentId}`, { token: pro }));
    expectUnavailable(failed);
    let items = await partition();
    expect(traces(items, 'document.read', documentId)).toEqual([]);
    expect(sks(items, `PRO#${proId}#SEEN`)).toEqual([]);
    expect(outbox(items, 'first-access').length).toBe(outbox(before, 'first-access').length);

    expect((await api.call('GET', `${docs()}/${documentId}`, { token: pro })).status).toBe(200);
    items = await partition();
    expect(traces(items, 'document.read', documentId).filter((t) => t.actorId?.S === proId)).toHaveLength(1);
    expect(sks(items, `PRO#${proId}#SEEN`)).toHaveLength(1);
    expect(outbox(items, 'first-access').length).toBe(outbox(before, 'first-access').length + 1);
  });

  it('a read whose content cannot be fetched (BatchGetItem) fails without content; the next read works', async () => {
    const content = randomBytes(4096);
    const documentId = await deposit(api, doctor, dmpId, {}, content);
    // The record and the standing are the request's first BatchGetItem; the chunks its second.
    const restore = failAfter(db(), 'BatchGetItemCommand', 1);
    let failed: Awaited<ReturnType<typeof api.call>>;
    try {
      failed = await api.call('GET', `${docs()}/${documentId}`, { token: doctor });
    } finally {
      restore();
    }
    expectUnavailable(failed, [content.toString('base64').slice(0, 40)]);
    const read = await api.call('GET', `${docs()}/${documentId}`, { token: doctor });
    expect(read.status).toBe(200);
    expect(Buffer.from(read.body.content, 'base64').equals(content)).toBe(true);
  });
});

describe('changes written with their trace, or not at all', () => {
  it('a label change or an archive whose transaction fails: nothing changes, no trace', async () => {
    const documentId = await deposit(api, doctor, dmpId);
    const before = await partition();
    const failed = await withFault(db(), 'TransactWriteItemsCommand', () => api.call('PATCH', `${docs()}/${documentId}`, { token: doctor, body: { archived: true } }));
    expectUnavailable(failed);
    expect(await partition()).toEqual(before);
    expect(await listIds(api, doctor, dmpId)).toContain(documentId);
    const archived = await api.call('PATCH', `${docs()}/${documentId}`, { token: doctor, body: { archived: true } });
    expect(archived.status).toBe(200);
    expect(traces(await partition(), 'document.update', documentId)).toHaveLength(1);
  });

  it('a deletion whose transaction fails: the document stays, no trace', async () => {
    const documentId = await deposit(api, doctor, dmpId);
    const before = await partition();
    const failed = await withFault(db(), 'TransactWriteItemsCommand', () => api.call('DELETE', `${docs()}/${documentId}`, { token: doctor }));
    expectUnavailable(failed);
    expect(await partition()).toEqual(before);
    expect(await listIds(api, doctor, dmpId)).toContain(documentId);
  });

  it('consent recorded at the consultation whose transaction fails: no authorization, no trace', async () => {
    const documentId = await deposit(api, doctor, dmpId);
    const proId = `8${String(Math.floor(Math.random() * 1e11)).padStart(11, '0')}`;
    const pro = await api.professional({ professionalId: proId });
    const before = await partition();
    const failed = await withFault(db(), 'TransactWriteItemsCommand', () =>
      api.call('POST', `/v1/records/${dmpId}/access`, { token: pro, body: { mode: 'normal', patientConsent: true } }),
    );
    expectUnavailable(failed);
    expect(await partition()).toEqual(before);
    expect((await api.call('GET', `${docs()}/${documentId}`, { token: pro })).status).toBe(403);
  });

  it('a break-glass declaration whose transaction fails: no emergency grant (reads refused), no trace, no notification pending', async () => {
    const documentId = await deposit(api, doctor, dmpId);
    const proId = `8${String(Math.floor(Math.random() * 1e11)).padStart(11, '0')}`;
    const urgentist = await api.professional({ professionalId: proId });
    expect((await api.call('GET', `${docs()}/${documentId}`, { token: urgentist })).status).toBe(403);
    const before = await partition();
    const failed = await withFault(db(), 'TransactWriteItemsCommand', () =>
      api.call('POST', `/v1/records/${dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'Patient inconscient aux urgences' } }),
    );
    expectUnavailable(failed);
    const items = await partition();
    expect(items).toEqual(before);
    expect(sks(items, `PRO#${proId}#EMERGENCY`)).toEqual([]);
    expect(outbox(items, 'emergency-access')).toEqual(outbox(before, 'emergency-access'));
    expect((await api.call('GET', `${docs()}/${documentId}`, { token: urgentist })).status).toBe(403);

    // Declared again, it is granted, traced and notified, once.
    const granted = await api.call('POST', `/v1/records/${dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'Patient inconscient aux urgences' } });
    expect(granted.status).toBe(200);
    expect((await api.call('GET', `${docs()}/${documentId}`, { token: urgentist })).status).toBe(200);
    const after = await partition();
    expect(traces(after, 'access.emergency').filter((t) => t.actorId?.S === proId)).toHaveLength(1);
    expect(outbox(after, 'emergency-access').length).toBe(outbox(before, 'emergency-access').length + 1);
  });
});

describe('notifications are not lost', () => {
  it('the first-access notice waits in the outbox; an SMS publish failure leaves it pending, a later run delivers it once', async () => {
    const p = await newPatient(api, doctor);
    await api.runJob('outbox'); // the record-created SMS, and anything else pending: out of the way
    const documentId = await deposit(api, doctor, p.dmpId);
    const proId = `8${String(Math.floor(Math.random() * 1e11)).padStart(11, '0')}`;
    const pro = await api.professional({ professionalId: proId });
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: pro, body: { mode: 'normal', patientConsent: true } })).status).toBe(200);
    expect((await api.call('GET', `${docs(p.dmpId)}/${documentId}`, { token: pro })).status).toBe(200);

    const pending = () => partition(p.dmpId).then((items) => outbox(items, 'first-access').filter((i) => i.status?.S === 'pending'));
    expect(await pending()).toHaveLength(1);
    expect(await smsTexts(p.mobile, 'premiere fois')).toEqual([]);

    const run = await withFault(api.runtime.sns, 'PublishCommand', () => api.runJob('outbox'));
    expect(run.body.result.failed).toBe(1);
    expect(await smsTexts(p.mobile, 'premiere fois')).toEqual([]);
    expect(await pending()).toHaveLength(1);

    await api.runJob('outbox', at(10 * MIN));
    expect(await smsTexts(p.mobile, 'premiere fois')).toHaveLength(1);
    expect(await pending()).toEqual([]);
    await api.runJob('outbox', at(60 * MIN));
    expect(await smsTexts(p.mobile, 'premiere fois')).toHaveLength(1);
  });

  it('the visibility job whose transaction fails for a document retries it on the next run, with one notice only', async () => {
    const documentId = await deposit(api, doctor, dmpId, { visibility: { invisibleToPatient: true } });
    await api.runJob('outbox');
    const notices = () => smsTexts(mobile, 'nouveau document');
    const before = (await notices()).length;

    const failed = await withFault(db(), 'TransactWriteItemsCommand', () => api.runJob('visibility', at(15 * DAY)));
    expect(failed.status).toBe(200);
    expect(failed.body.result).toMatchObject({ noticed: 0 });
    expect(failed.body.result.skipped).toBeGreaterThanOrEqual(1);
    await api.runJob('outbox', at(15 * DAY));
    expect((await notices()).length).toBe(before);
    expect(outbox(await partition(), 'document-pending')).toEqual([]);

    const retried = await api.runJob('visibility', at(15 * DAY));
    expect(retried.body.result.noticed).toBe(1);
    await api.runJob('visibility', at(15 * DAY));
    await api.runJob('outbox', at(15 * DAY));
    expect((await notices()).length).toBe(before + 1);
    expect(outbox(await partition(), 'document-pending')).toHaveLength(1);

    // The reveal, a month after the deposit: once, traced by the system.
    const revealed = await api.runJob('visibility', at(32 * DAY));
    expect(revealed.body.result.revealed).toBe(1);
    expect((await api.runJob('visibility', at(33 * DAY))).body.result.revealed).toBe(0);
    await api.runJob('outbox', at(33 * DAY));
    expect((await notices()).length).toBe(before + 1);
    expect(traces(await partition(), 'document.reveal', documentId)).toHaveLength(1);
  });
});

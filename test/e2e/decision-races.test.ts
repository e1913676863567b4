/**
 * A closure or a block that lands between a document action's decision and its commit wins: the
 * action is refused as it would have been had it come after, and leaves nothing. The interleaving
 * is made deterministic by a hook in the runtime's own DynamoDB client (as test/support/faults.ts
 * injects faults): just before the action's transaction goes out, the closure or the block is
 * performed through the API.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deposit, documentBody } from '../support/documents.ts';
import { randomRpps } from '../support/fixtures.ts';
import { patientWithSession } from '../support/patients.ts';
import { startWarmTestApi, type Answer, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let creator: string;

beforeAll(async () => void ({ api, doctor: creator } = await startWarmTestApi()));
afterAll(() => api?.stop());

let counter = 0;

/**
 * Runs `request`; the first TransactWriteItems that writes (or changes) a DOC# item of the record
 * waits until `meanwhile` has run. The hook is one-shot and always removed.
 */
const interleaved = async (dmpId: string, meanwhile: () => Promise<unknown>, request: () => Promise<Answer>): Promise<Answer> => {
  const client = api.runtime.deps.db as unknown as { middlewareStack: { add(m: unknown, o: unknown): void; remove(name: string): boolean } };
  const name = `decision-race-${++counter}`;
  let armed = true;
  let landed = false;
  client.middlewareStack.add(
    (next: any, context: any) => async (args: any) => {
      const touchesDocument = (args.input?.TransactItems ?? []).some((t: any) => {
        const key = t.Put?.Item ?? t.Update?.Key;
        return key?.pk?.S === `REC#${dmpId}` && String(key?.sk?.S).startsWith('DOC#');
      });
      if (armed && context.commandName === 'TransactWriteItemsCommand' && touchesDocument) {
        armed = false;
        await meanwhile();
        landed = true;
      }
      return next(args);
    },
    { step: 'initialize', name },
  );
  try {
    const res = await request();
    expect(landed, 'the closure or block landed before the commit').toBe(true);
    return res;
  } finally {
    client.middlewareStack.remove(name);
  }
};

const partition = async (dmpId: string) => (await api.scanAll()).filter((i) => i.pk?.S === `REC#${dmpId}`);
/** What a deposit writes: metadata, chunks, upload intent, uniqueId claim. */
const documentItems = async (dmpId: string) =>
  (await partition(dmpId))
    .map((i) => i.sk.S as string)
    .filter((sk) => ['DOC#', 'CHUNK#', 'UPLOAD#', 'DOCUID#'].some((p) => sk.startsWith(p)))
    .sort();
/** The traces of an action done (a professional's refusal leaves a trace of outcome `refused`, not of the action). */
const documentTraces = async (dmpId: string, action: string) =>
  (await partition(dmpId)).filter((i) => i.sk.S.startsWith('TRACE#') && i.action?.S === action && i.outcome?.S !== 'refused');

const expectProblem = (res: Answer, status: number, code: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toContain('application/problem+json');
  expect(res.body.type).toBe(`urn:dmp:problem:${code}`);
};

const close = (dmpId: string, token: string) => async () => expect((await api.call('POST', `/v1/records/${dmpId}/closure`, { token })).status).toBe(200);
const block = (dmpId: string, token: string, professionalId: string) => async () =>
  expect((await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: { status: 'blocked' } })).status).toBe(200);

/** A patient's record, and a doctor (not its creator) already authorized on it. */
const recordWithDoctor = async () => {
  const { p, token } = await patientWithSession(api, creator);
  const professionalId = randomRpps();
  const doctor = await api.professional({ professionalId });
  const authorized = await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${professionalId}`, { token, body: { status: 'authorized' } });
  expect(authorized.status, JSON.stringify(authorized.body)).toBe(200);
  return { dmpId: p.dmpId, token, doctor, professionalId };
};

describe('a deposit decided before a closure or a block lands', () => {
  it('a closure first: the professional gets 404, and nothing of the deposit remains', async () => {
    const { dmpId, token, doctor } = await recordWithDoctor();
    const before = await documentItems(dmpId);
    const res = await interleaved(dmpId, close(dmpId, token), () =>
      api.call('POST', `/v1/records/${dmpId}/documents`, { token: doctor, body: documentBody({ uniqueId: 'race-1' }) }),
    );
    expectProblem(res, 404, 'not-found');
    expect(await documentItems(dmpId)).toEqual(before);
    expect(await documentTraces(dmpId, 'document.deposit')).toEqual([]);
  });

  it('a closure first, on a deposit of several chunks: 404, and its staged chunks are discarded', async () => {
    const { dmpId, token, doctor } = await recordWithDoctor();
    const before = await documentItems(dmpId);
    const body = documentBody({}, randomBytes(1024 * 1024));
    const res = await interleaved(dmpId, close(dmpId, token), () => api.call('POST', `/v1/records/${dmpId}/documents`, { token: doctor, body }));
    expectProblem(res, 404, 'not-found');
    expect(await documentItems(dmpId)).toEqual(before);
  });

  it('a block first: the professional gets 403 blocked, and nothing of the deposit remains (several chunks too)', async () => {
    const { dmpId, token, doctor, professionalId } = await recordWithDoctor();
    const before = await documentItems(dmpId);
    const body = documentBody({}, randomBytes(1024 * 1024));
    const res = await interleaved(dmpId, block(dmpId, token, professionalId), () => api.call('POST', `/v1/records/${dmpId}/documents`, { token: doctor, body }));
    expectProblem(res, 403, 'blocked');
    expect(await documentItems(dmpId)).toEqual(before);
    expect(await documentTraces(dmpId, 'document.deposit')).toEqual([]);
  });

  it('a block first, on a new version: 403 blocked, and the version it replaced is untouched', async () => {
    const { dmpId, token, doctor, professionalId } = await recordWithDoctor();
    const first = await deposit(api, doctor, dmpId);
    const before = await partition(dmpId);
    const res = await interleaved(dmpId, block(dmpId, token, professionalId), () =>
      api.call('POST', `/v1/records/${dmpId}/documents`, { token: doctor, body: documentBody({ replaces: first }) }),
    );
    expectProblem(res, 403, 'blocked');
    const after = await partition(dmpId);
    const doc = (items: Record<string, any>[]) => items.filter((i) => i.sk.S.startsWith('DOC#') || i.sk.S.startsWith('CHUNK#'));
    expect(doc(after)).toEqual(doc(before));
  });

  // A closure ends every session of the record: the patient's deposit, decided again once the
  // closure landed, finds its session ended (401), and leaves nothing.
  it('a closure first: the patient’s session has ended (401 session-ended), and nothing of the deposit remains', async () => {
    const { dmpId, token } = await recordWithDoctor();
    const before = await documentItems(dmpId);
    const res = await interleaved(dmpId, close(dmpId, token), () => api.call('POST', `/v1/records/${dmpId}/documents`, { token, body: documentBody({ typeCode: 'DOCPAT01' }) }));
    expectProblem(res, 401, 'session-ended');
    expect(await documentItems(dmpId)).toEqual(before);
  });

  it('a change of the record’s settings meanwhile does not refuse it', async () => {
    const { dmpId, token, doctor } = await recordWithDoctor();
    const settings = async () => {
      const res = await api.call('PATCH', `/v1/records/${dmpId}/settings`, { token, body: { emergencyAccess: { breakGlass: false } } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    const res = await interleaved(dmpId, settings, () => api.call('POST', `/v1/records/${dmpId}/documents`, { token: doctor, body: documentBody() }));
    expect(res.status, JSON.stringify(res.body)).toBe(201);
  });
});

describe('a label change or a deletion decided before a closure or a block lands', () => {
  it('a block first: the author’s label change is refused 403 blocked and changes nothing', async () => {
    const { dmpId, token, doctor, professionalId } = await recordWithDoctor();
    const documentId = await deposit(api, doctor, dmpId, { visibility: { invisibleToPatient: true } });
    const res = await interleaved(dmpId, block(dmpId, token, professionalId), () =>
      api.call('PATCH', `/v1/records/${dmpId}/documents/${documentId}`, { token: doctor, body: { invisibleToPatient: false } }),
    );
    expectProblem(res, 403, 'blocked');
    const item = (await partition(dmpId)).find((i) => i.sk.S === `DOC#${documentId}`);
    expect(item?.invisibleToPatient?.BOOL).toBe(true);
    expect(await documentTraces(dmpId, 'document.update')).toEqual([]);
  });

  it('a closure first: the author’s deletion is refused 404 and deletes nothing', async () => {
    const { dmpId, token, doctor } = await recordWithDoctor();
    const documentId = await deposit(api, doctor, dmpId);
    const res = await interleaved(dmpId, close(dmpId, token), () => api.call('DELETE', `/v1/records/${dmpId}/documents/${documentId}`, { token: doctor }));
    expectProblem(res, 404, 'not-found');
    const item = (await partition(dmpId)).find((i) => i.sk.S === `DOC#${documentId}`);
    expect(item?.status?.S).toBe('current');
  });

  it('a closure first: the patient’s mask is refused, its session ended (401 session-ended), and changes nothing', async () => {
    const { dmpId, token, doctor } = await recordWithDoctor();
    const documentId = await deposit(api, doctor, dmpId);
    const res = await interleaved(dmpId, close(dmpId, token), () =>
      api.call('PATCH', `/v1/records/${dmpId}/documents/${documentId}`, { token, body: { maskedToProfessionals: true } }),
    );
    expectProblem(res, 401, 'session-ended');
    const item = (await partition(dmpId)).find((i) => i.sk.S === `DOC#${documentId}`);
    expect(item?.maskedToProfessionals?.BOOL).toBe(false);
  });
});

/**
 * DynamoDB and KMS failing in the middle of a batch of the insurer's sync: the batch answers 503,
 * and the same batch sent again stores every line exactly once, leaves one trace per patient, and
 * answers what an uninterrupted run answers. Faults are injected into the real SDK clients of the
 * runtime (test/support/faults.ts, the only test double: no emulator fails on demand); everything
 * else is the emulator. Also: KMS calls per patient and batch (one at most, none when cached).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchId, claimDay, claimItems, labLine, legacyClaimItems, medicationLine, pushBatch } from '../support/claims.ts';
import { failAfter, recordCalls } from '../support/faults.ts';
import { newPatient } from '../support/patients.ts';
import { startWarmTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
let insurer: string;
beforeAll(async () => {
  ({ api, doctor } = await startWarmTestApi());
  insurer = await api.insurer();
});
afterAll(() => api?.stop());

const LINES = 30;
/**
 * Three patients of 30 lines each: BatchGetItem reads the INS index, the records, the 90 lines'
 * items, then the records' status again; BatchWriteItem puts the 90 lines, one item each (4 calls
 * of at most 25).
 */
const newBatch = async () => {
  const patients = [];
  for (let i = 0; i < 3; i++) {
    const p = await newPatient(api, doctor);
    // A key the runtime has not cached: the batch unwraps it (KMS Decrypt), as after a cold start.
    api.runtime.deps.keyRing.forget(p.dmpId);
    patients.push({ p, lines: Array.from({ length: LINES }, (_, j) => (j % 2 ? medicationLine() : labLine())) });
  }
  return { patients, body: { batchId: batchId(), patients: patients.map(({ p, lines }) => ({ ins: p.ins, lines })) } };
};

const updateTraces = async (dmpId: string) =>
  (await api.scanAll()).filter((i) => i.pk?.S === `REC#${dmpId}` && String(i.sk?.S).startsWith('TRACE#') && i.action?.S === 'claims.update');

const CLEAN = { patients: { stored: 3, unknown: 0, closed: 0 }, lines: { accepted: 3 * LINES, corrected: 0, duplicate: 0, rejected: 0 }, rejected: [] };

describe('a dependency fails in the middle of a batch', () => {
  it.each([
    ['DynamoDB BatchWriteItem of lines, the first before it writes', () => api.runtime.deps.db, 'BatchWriteItemCommand', 0, 'before'],
    ['DynamoDB BatchWriteItem of lines, before it writes', () => api.runtime.deps.db, 'BatchWriteItemCommand', 2, 'before'],
    ['DynamoDB BatchWriteItem of lines, its answer lost', () => api.runtime.deps.db, 'BatchWriteItemCommand', 3, 'after'],
    ['DynamoDB BatchGetItem of the records', () => api.runtime.deps.db, 'BatchGetItemCommand', 1, 'before'],
    ['DynamoDB BatchGetItem of the lines’ items', () => api.runtime.deps.db, 'BatchGetItemCommand', 2, 'before'],
    ['DynamoDB BatchGetItem of the records’ status after the writes', () => api.runtime.deps.db, 'BatchGetItemCommand', 3, 'before'],
    ['DynamoDB PutItem of a trace, its answer lost', () => api.runtime.deps.db, 'PutItemCommand', 2, 'after'],
    ['DynamoDB UpdateItem of the outcome', () => api.runtime.deps.db, 'UpdateItemCommand', 0, 'before'],
    ['KMS Decrypt', () => api.runtime.deps.kms, 'DecryptCommand', 1, 'before'],
  ] as const)('%s: 503, then the same batch stores every line exactly once, one trace per patient', async (_name, client, command, skip, when) => {
    const { patients, body } = await newBatch();
    const restore = failAfter(client(), command, skip, 1, when);
    const failed = await pushBatch(api, insurer, body);
    restore();
    expect(failed.status).toBe(503);
    expect(failed.headers.get('content-type')).toBe('application/problem+json');

    const retried = await pushBatch(api, insurer, body);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body).toEqual(CLEAN);
    for (const { p } of patients) {
      const items = await claimItems(api, p.dmpId);
      expect(items).toHaveLength(LINES);
      expect(new Set(items.map((i) => i.sk.S)).size).toBe(LINES);
      // Each on the history's index at its day of care; nothing of the earlier layout.
      for (const i of items) expect(claimDay(i)).toMatch(/^[0-9]{4}-[0-9]{2}-[0-9]{2}$/);
      expect(await legacyClaimItems(api, p.dmpId)).toEqual([]);
      expect(await updateTraces(p.dmpId)).toHaveLength(1);
    }
    // And once more: the batch is done, its answer replayed, nothing written again.
    const before = (await api.scanAll()).length;
    expect((await pushBatch(api, insurer, body)).body).toEqual(CLEAN);
    expect((await api.scanAll()).length).toBe(before);
  });

  it('calls KMS at most once per patient and batch, never per line, and not at all when the key is cached', async () => {
    const { body } = await newBatch();
    const recorder = recordCalls(api.runtime.deps.kms);
    expect((await pushBatch(api, insurer, body)).status).toBe(200);
    recorder.stop();
    expect(recorder.calls.filter((c) => c.command === 'DecryptCommand')).toHaveLength(3);

    // The same patients again, their keys cached now: no KMS call at all.
    const again = { batchId: batchId(), patients: body.patients.map((p) => ({ ins: p.ins, lines: [labLine(), medicationLine()] })) };
    const cached = recordCalls(api.runtime.deps.kms);
    expect((await pushBatch(api, insurer, again)).body.lines.accepted).toBe(6);
    cached.stop();
    expect(cached.calls).toHaveLength(0);
  });

  it('keeps nothing of the care in clear in a claim item (or its index keys): no INS, code, label, sourceId or name', async () => {
    const { patients } = await newBatch();
    const line = medicationLine({ performer: { finess: '750000001', name: 'CanaryPharmacieDesLilas' } });
    const p = patients[0]!.p;
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line] }] })).status).toBe(200);
    const items = await claimItems(api, p.dmpId);
    // The line's one item, its index keys among its attributes.
    expect(items).toHaveLength(1);
    expect(items[0]?.gsi2sk?.S).toMatch(/^CLAIM#[0-9]{4}-[0-9]{2}-[0-9]{2}#[A-Za-z0-9_-]{32}$/);
    const raw = JSON.stringify(items);
    for (const secret of [p.ins, line.code, line.display, 'CanaryPharmacieDesLilas', line.sourceId, line.prescriber.id, 'N02BE01', 'medication']) {
      expect(raw).not.toContain(secret);
    }
  });
});

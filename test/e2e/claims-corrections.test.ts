/**
 * One line per insurer's `sourceId`, over HTTP: a line sent again with another date (a correction)
 * replaces the stored one, whatever the faults around it; and a record closed while a batch writes
 * keeps none of that batch's lines. Faults and the closure "in the middle" are injected into the
 * real SDK clients of the runtime (test/support/faults.ts, the only test double: no emulator fails
 * or pauses on demand); everything else is the emulator.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchId, claimDay, claimItems, daysAgo, labLine, legacyClaimItems, medicationLine, pushBatch } from '../support/claims.ts';
import { actBefore, failNext } from '../support/faults.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startWarmTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
let insurer: string;
beforeAll(async () => {
  ({ api, doctor } = await startWarmTestApi());
  insurer = await api.insurer();
});
afterAll(() => api?.stop());

/** Items of the earlier layout (a line's item by date, and a marker): none is written any more. */
const legacy = (dmpId: string) => legacyClaimItems(api, dmpId);
/** The days of a record's lines in the table (one item per sourceId), sorted. */
const days = async (dmpId: string) => (await claimItems(api, dmpId)).map(claimDay).sort();
const counts = (accepted: number, corrected: number, duplicate: number) => ({ accepted, corrected, duplicate, rejected: 0 });

describe('a line sent again with another date', () => {
  it('replaces the stored line: one line, at the new date, read once by every read of the history', async () => {
    const p = await newPatient(api, doctor);
    const line = medicationLine({ date: daysAgo(20) });
    const first = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line, labLine()] }] });
    expect(first.body.lines).toEqual(counts(2, 0, 0));

    const corrected = { ...line, date: daysAgo(12), display: `${line.display} corrigé` };
    const second = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [corrected] }] });
    expect(second.status, JSON.stringify(second.body)).toBe(200);
    expect(second.body.lines).toEqual(counts(1, 1, 0));
    expect(await days(p.dmpId)).toEqual([daysAgo(30), daysAgo(12)].sort());
    // The same item as before, overwritten in place: at its new date on the index, marked a correction.
    const [item, ...more] = (await claimItems(api, p.dmpId)).filter((i) => claimDay(i) === daysAgo(12));
    expect(more).toEqual([]);
    expect(item?.correction?.BOOL).toBe(true);
    expect(item?.gsi2pk?.S).toBe(`CLAIMS#${p.dmpId}`);
    expect(await legacy(p.dmpId)).toEqual([]);

    // Sent again as corrected: a duplicate, nothing written.
    const before = await api.scanAll();
    const third = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [corrected] }] });
    expect(third.body.lines).toEqual(counts(0, 0, 1));
    const after = await api.scanAll();
    // Only the batch's own record (and no trace: nothing was stored) is new.
    expect(after.filter((i) => !before.some((b) => b.pk?.S === i.pk?.S && b.sk?.S === i.sk?.S)).map((i) => String(i.pk?.S).split('#')[0])).toEqual(['CLAIMBATCH']);

    // Every read sees the line once, at its new date (one item per sourceId: the index lists it once).
    const { token } = await activeSession(api, p);
    const list = await api.call('GET', `/v1/records/${p.dmpId}/claims`, { token });
    expect(list.status).toBe(200);
    expect(list.body.items.map((i: { date: string; display: string }) => [i.date, i.display])).toEqual([
      [daysAgo(12), corrected.display],
      [daysAgo(30), 'hémogramme'],
    ]);
    const review = await api.call('GET', `/v1/records/${p.dmpId}/medication-review`, { token });
    expect(review.status).toBe(200);
    expect(review.body.medicines).toHaveLength(1);
    expect(review.body.medicines[0]).toMatchObject({ firstDispensed: daysAgo(12), lastDispensed: daysAgo(12), lineIds: [list.body.items[0].lineId] });
    const team = await api.call('GET', `/v1/records/${p.dmpId}/care-team`, { token });
    expect(team.status).toBe(200);
    expect(team.body.items.find((m: { id: string }) => m.id === line.prescriber.id)).toMatchObject({ count: 1, firstDate: daysAgo(12), lastDate: daysAgo(12) });

    // Back to its first date: corrected again, still one line.
    const back = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line] }] });
    expect(back.body.lines).toEqual(counts(1, 1, 0));
    expect(await days(p.dmpId)).toEqual([daysAgo(30), daysAgo(20)].sort());
    expect(await legacy(p.dmpId)).toEqual([]);
  });

  it('in one batch: stored once, as sent last; the earlier send counts duplicate', async () => {
    const p = await newPatient(api, doctor);
    const line = labLine({ date: daysAgo(40) });
    const res = await pushBatch(api, insurer, {
      batchId: batchId(),
      patients: [
        { ins: p.ins, lines: [line] },
        { ins: p.ins, lines: [{ ...line, date: daysAgo(35) }] },
      ],
    });
    expect(res.body.lines).toEqual(counts(1, 0, 1));
    expect(await days(p.dmpId)).toEqual([daysAgo(35)]);
    expect(await legacy(p.dmpId)).toEqual([]);
  });

  it.each([
    ['fails before it commits', 'before'],
    ['commits, its answer lost', 'after'],
  ] as const)('under a fault: the correction’s transaction %s (503), then the same batch answers as without it, one line at the new date', async (_name, when) => {
    const p = await newPatient(api, doctor);
    const line = labLine({ date: daysAgo(50) });
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line] }] })).body.lines).toEqual(counts(1, 0, 0));
    const body = { batchId: batchId(), patients: [{ ins: p.ins, lines: [{ ...line, date: daysAgo(45) }, labLine()] }] };
    const restore = failNext(api.runtime.deps.db, 'TransactWriteItemsCommand', 1, when);
    const failed = await pushBatch(api, insurer, body);
    restore();
    expect(failed.status).toBe(503);
    const retried = await pushBatch(api, insurer, body);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.lines).toEqual(counts(2, 1, 0));
    expect(await days(p.dmpId)).toEqual([daysAgo(45), daysAgo(30)].sort());
    expect(await legacy(p.dmpId)).toEqual([]);
    expect((await pushBatch(api, insurer, body)).body).toEqual(retried.body);
  });
});

describe('a record closed while a batch writes its lines', () => {
  /** Closes the record through the API (the holder's own closure), as another request would. */
  const closer = async (p: Awaited<ReturnType<typeof newPatient>>) => {
    const { token } = await activeSession(api, p);
    return async () => {
      const res = await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token, body: {} });
      expect(res.status).toBe(200);
    };
  };

  it('keeps none of the batch’s lines for it and counts it closed; the other patients’ lines are stored', async () => {
    const [closing, open] = [await newPatient(api, doctor), await newPatient(api, doctor)];
    const close = await closer(closing);
    const body = {
      batchId: batchId(),
      patients: [
        { ins: closing.ins, lines: [labLine(), medicationLine(), labLine()] },
        { ins: open.ins, lines: [labLine(), medicationLine()] },
      ],
    };
    // BatchGetItem: the INS index, the records, the lines' items; the fourth reads the records' status
    // again once the lines are written: the closure lands just before it.
    const restore = actBefore(api.runtime.deps.db, 'BatchGetItemCommand', 3, close);
    const res = await pushBatch(api, insurer, body);
    restore();
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.patients).toEqual({ stored: 1, unknown: 0, closed: 1 });
    expect(res.body.lines).toEqual(counts(2, 0, 0));
    expect(await claimItems(api, closing.dmpId)).toHaveLength(0);
    expect(await legacy(closing.dmpId)).toEqual([]);
    expect(await claimItems(api, open.dmpId)).toHaveLength(2);
    expect(await legacy(open.dmpId)).toEqual([]);
    expect((await pushBatch(api, insurer, body)).body).toEqual(res.body);
  });

  it('and when the run fails right after the closure: the same batch sent again removes what the failed run wrote', async () => {
    const closing = await newPatient(api, doctor);
    const close = await closer(closing);
    const body = { batchId: batchId(), patients: [{ ins: closing.ins, lines: [labLine(), medicationLine()] }] };
    const restore = actBefore(api.runtime.deps.db, 'BatchGetItemCommand', 3, close, 'fail');
    const failed = await pushBatch(api, insurer, body);
    restore();
    expect(failed.status).toBe(503);
    // The failed run wrote the lines before it could see the closure.
    expect(await claimItems(api, closing.dmpId)).toHaveLength(2);

    const retried = await pushBatch(api, insurer, body);
    expect(retried.status, JSON.stringify(retried.body)).toBe(200);
    expect(retried.body.patients).toEqual({ stored: 0, unknown: 0, closed: 1 });
    expect(retried.body.lines).toEqual(counts(0, 0, 0));
    expect(await claimItems(api, closing.dmpId)).toHaveLength(0);
    expect(await legacy(closing.dmpId)).toEqual([]);
  });

  it('refuses a correction once the record is closed, and removes the batch’s new lines of it', async () => {
    const closing = await newPatient(api, doctor);
    const line = labLine({ date: daysAgo(60) });
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: closing.ins, lines: [line] }] })).body.lines).toEqual(counts(1, 0, 0));
    const close = await closer(closing);
    // The correction's transaction is the first of the batch: the closure lands just before it.
    const restore = actBefore(api.runtime.deps.db, 'TransactWriteItemsCommand', 0, close);
    const res = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: closing.ins, lines: [{ ...line, date: daysAgo(55) }, labLine()] }] });
    restore();
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.patients).toEqual({ stored: 0, unknown: 0, closed: 1 });
    expect(res.body.lines).toEqual(counts(0, 0, 0));
    // The line stored before the closure stays where it was; the batch's new line is gone.
    expect(await days(closing.dmpId)).toEqual([daysAgo(60)]);
    expect(await legacy(closing.dmpId)).toEqual([]);
  });
});

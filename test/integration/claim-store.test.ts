/**
 * The claim store against the emulator's DynamoDB, through the real SDK: one item per line, keyed
 * by a keyed hash of its sourceId alone (the same line, at any date, lands on the same item), sealed
 * whole under the record's data key and bound to its item; the date on the history's index (GSI2);
 * a correction in one transaction that checks the record; the newest-first pages between two days
 * (expired lines, and lines no longer where the index lists them, left out); the purge of expired
 * lines; and the batch record written once. Faults are injected into the real SDK client
 * (test/support/faults.ts: no emulator fails on demand).
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { ClaimStore, type LineWrite } from '../../functions/capabilities/claims/store.ts';
import { DataKeyCache, SealedValueError } from '../../functions/adapters/envelope.ts';
import type { DataKey } from '../../functions/domain/ports.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { addMonths, type ClaimLine } from '../../functions/domain/claims/lines.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { emulator, partitionItems } from '../support/aws.ts';
import { failAfter } from '../support/faults.ts';

let env: Awaited<ReturnType<typeof emulator>>;
let store: ClaimStore;
let keyRing: KeyRing;
beforeAll(async () => {
  env = await emulator();
  store = new ClaimStore(env.db, env.tableName);
  keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
});

let n = 0;
const NOW = new Date('2026-11-15T00:00:00Z');
const recordKey = async (): Promise<DataKey> => (await keyRing.generate(`cs-${++n}-${Date.now()}`)).key;
/** A record's META with a status (what the ingestion core and a correction check), and its KEY. */
const putRecord = async (key: DataKey, status: string) => {
  await env.db.send(new PutItemCommand({ TableName: env.tableName, Item: { pk: { S: `REC#${key.dmpId}` }, sk: { S: 'META' }, status: { S: status } } }));
  await env.db.send(
    new PutItemCommand({
      TableName: env.tableName,
      Item: { pk: { S: `REC#${key.dmpId}` }, sk: { S: 'KEY' }, wrapped: { B: new Uint8Array([1, 2, 3]) }, masterKeyId: { S: 'mk' }, version: { N: '1' } },
    }),
  );
};
const line = (date: string, extra: Partial<ClaimLine> = {}): ClaimLine => ({
  sourceId: `s-${++n}`,
  category: 'lab',
  date,
  codeSystem: 'NABM',
  code: '1104',
  display: 'CanaryHemogramme',
  ...extra,
});
const writes = (key: DataKey, lines: ClaimLine[]): LineWrite[] => lines.map((l) => ({ ...store.lineKeys(key, l), key, line: l }));
const put = async (key: DataKey, lines: ClaimLine[], batch = 'b1') => store.putLines(writes(key, lines), batch);
const linesOf = (key: DataKey) => partitionItems(env.db, env.tableName, key.dmpId, 'CLAIMSRC#');

describe('the claim store', () => {
  it('seals each line whole: keys, index keys, dates and ttl only in clear; a line moved to another item does not open', async () => {
    const key = await recordKey();
    const l = line('2026-10-01', { prescriber: { id: '810001234567', profession: '10' } });
    await put(key, [l]);
    const [item] = await linesOf(key);
    expect(Object.keys(item ?? {}).sort()).toEqual(['batch', 'gsi2pk', 'gsi2sk', 'line', 'pk', 'sk', 'ttl']);
    expect(JSON.stringify(item)).not.toContain('Canary');
    expect(JSON.stringify(item)).not.toContain('1104');
    expect(JSON.stringify(item)).not.toContain(l.sourceId);
    expect(Number(item?.ttl?.N)).toBe(Date.parse(`${addMonths('2026-10-01', 24)}T00:00:00Z`) / 1000);
    const sealed = item?.line?.B as Uint8Array;
    const position = item?.gsi2sk?.S as string;
    expect(store.open(key, { sk: position, sealed }).line).toEqual(l);
    expect(() => store.open(key, { sk: store.lineKeys(key, line('2026-10-02')).position, sealed })).toThrow(SealedValueError);
  });

  it('keys a line by a keyed hash of its sourceId alone, its date on the index: the same line twice, or at another date, is one item', async () => {
    const key = await recordKey();
    const l = line('2026-10-01');
    await put(key, [l]);
    await put(key, [l], 'b2');
    const k = store.lineKeys(key, l);
    // The same sourceId at another date: the same item, another position.
    const moved = store.lineKeys(key, { ...l, date: '2026-10-05' });
    expect(moved).toEqual({ sk: k.sk, position: k.position.replace('2026-10-01', '2026-10-05') });
    await put(key, [{ ...l, date: '2026-10-05' }], 'b3');
    const items = await linesOf(key);
    expect(items.map((i) => [i.sk?.S, i.gsi2pk?.S, i.gsi2sk?.S, i.batch?.S])).toEqual([[k.sk, `CLAIMS#${key.dmpId}`, moved.position, 'b3']]);
    const other = store.lineKeys(key, line('2026-10-01'));
    const found = await store.lines(
      [
        { dmpId: key.dmpId, sk: k.sk },
        { dmpId: key.dmpId, sk: other.sk },
      ],
      NOW,
    );
    expect([...found.entries()]).toEqual([[`${key.dmpId} ${k.sk}`, { position: moved.position, batch: 'b3', correction: false }]]);
    // Past its ttl a line is as good as gone.
    expect((await store.lines([{ dmpId: key.dmpId, sk: k.sk }], new Date('2028-10-06T00:00:00Z'))).size).toBe(0);
  });

  it('writes a line once under a failed call: the batch written again stores each line once', async () => {
    const key = await recordKey();
    const lines = Array.from({ length: 60 }, () => line('2026-09-01'));
    // Three calls (25 + 25 + 10): the second fails.
    const restore = failAfter(env.db, 'BatchWriteItemCommand', 1, 1);
    await expect(put(key, lines)).rejects.toThrow(/injected/);
    restore();
    expect((await linesOf(key)).length).toBeLessThan(60);
    await put(key, lines);
    await put(key, lines);
    expect(await linesOf(key)).toHaveLength(60);
  });

  it('corrects a line in one transaction, over its item; refused on a moved line or a closed record', async () => {
    const key = await recordKey();
    await putRecord(key, 'active');
    const l = line('2026-08-01');
    await put(key, [l], 'first');
    const [found] = (await store.lines([{ dmpId: key.dmpId, sk: store.lineKeys(key, l).sk }], NOW)).values();
    const moved: ClaimLine = { ...l, date: '2026-08-03', display: 'corrected' };
    const [w] = writes(key, [moved]);
    if (!w || !found) throw new Error('no write or no line');
    expect(await store.replaceLine(w, found, 'second')).toBe('replaced');
    const items = await linesOf(key);
    expect(items.map((i) => [i.sk?.S, i.gsi2sk?.S, i.batch?.S, i.correction?.BOOL])).toEqual([[w.sk, w.position, 'second', true]]);
    expect(store.open(key, { sk: w.position, sealed: items[0]?.line?.B as Uint8Array }).line.display).toBe('corrected');

    // The line read is no longer the stored one: nothing written.
    const [again] = writes(key, [{ ...l, date: '2026-08-05' }]);
    if (!again) throw new Error('no write');
    expect(await store.replaceLine(again, found, 'third')).toBe('moved');
    expect((await linesOf(key)).map((i) => i.gsi2sk?.S)).toEqual([w.position]);
    // The record closed: nothing written either, the line stored before stays as it was.
    await putRecord(key, 'closed');
    const current = (await store.lines([{ dmpId: key.dmpId, sk: w.sk }], NOW)).get(`${key.dmpId} ${w.sk}`);
    expect(await store.replaceLine(again, current, 'fourth')).toBe('closed');
    expect((await linesOf(key)).map((i) => [i.gsi2sk?.S, i.batch?.S])).toEqual([[w.position, 'second']]);
    const closed = await recordKey();
    await putRecord(closed, 'closed');
    const [fresh] = writes(closed, [line('2026-08-01')]);
    if (!fresh) throw new Error('no write');
    expect(await store.replaceLine(fresh, undefined, 'fifth')).toBe('closed');
    expect(await linesOf(closed)).toHaveLength(0);
  });

  it('reads the records’ status and wrapped key at once, and removes lines', async () => {
    const [a, b] = [await recordKey(), await recordKey()];
    await putRecord(a, 'active');
    await putRecord(b, 'closed');
    const states = await store.recordStates([a.dmpId, b.dmpId, 'nobody'], true);
    expect(states.get(a.dmpId)).toEqual({ status: 'active', closedAt: undefined, wrappedKey: { ciphertext: new Uint8Array([1, 2, 3]), masterKeyId: 'mk', version: 1 } });
    expect(states.get(b.dmpId)?.status).toBe('closed');
    expect(states.has('nobody')).toBe(false);

    const lines = [line('2026-07-01'), line('2026-07-02')];
    await put(a, lines, 'gone');
    const refs = writes(a, lines).map((w) => ({ dmpId: a.dmpId, sk: w.sk }));
    expect([...(await store.lines(refs, NOW)).values()].map((f) => f.batch)).toEqual(['gone', 'gone']);
    await store.removeLines(refs);
    expect(await linesOf(a)).toHaveLength(0);
  });

  it('reads newest first between two days, leaves out expired lines, and purges them', async () => {
    const key = await recordKey();
    const lines = ['2026-01-10', '2026-03-10', '2026-05-10', '2026-07-10'].map((d) => line(d));
    await put(key, lines);
    const now = new Date('2026-08-01T00:00:00Z');
    const all = await store.page(key.dmpId, { now });
    expect(all.items.map((i) => store.open(key, i).line.date)).toEqual(['2026-07-10', '2026-05-10', '2026-03-10', '2026-01-10']);
    const range = await store.page(key.dmpId, { from: '2026-03-10', to: '2026-05-10', now });
    expect(range.items.map((i) => store.open(key, i).line.date)).toEqual(['2026-05-10', '2026-03-10']);
    const afterCursor = await store.page(key.dmpId, { cursor: store.cursorAt(all.items[1]?.sk as string), now });
    expect(afterCursor.items.map((i) => store.open(key, i).line.date)).toEqual(['2026-03-10', '2026-01-10']);
    // Pages of three index entries (the cursor's own line is among them, and left out): `more` until the last.
    const first = await store.page(key.dmpId, { now, evaluate: 2 });
    expect(first.more).toBe(true);
    const second = await store.page(key.dmpId, { now, evaluate: 3, cursor: store.cursorAt(first.items[1]?.sk as string) });
    expect(second.items.map((i) => store.open(key, i).line.date)).toEqual(['2026-03-10', '2026-01-10']);

    // Two years and a bit later, the two oldest lines are past their time.
    const later = new Date('2028-04-01T00:00:00Z');
    expect((await store.page(key.dmpId, { now: later })).items.map((i) => store.open(key, i).line.date)).toEqual(['2026-07-10', '2026-05-10']);
    expect(await store.purgeExpired(key.dmpId, later)).toBe(2);
    expect(await linesOf(key)).toHaveLength(2);
  });

  it('lists a line only where its item is: an index entry left behind by a correction is skipped, never shown twice', async () => {
    const key = await recordKey();
    const l = line('2026-06-10');
    await put(key, [l]);
    const k = store.lineKeys(key, l);
    // What an eventually consistent index may list for a moment after a correction: the line at
    // its old position too. The emulator updates its index at once, so the stale entry is an item
    // of its own that the index lists at the line's old position (a test double of that moment).
    const stale = { ...k, position: k.position.replace('2026-06-10', '2026-06-01') };
    await env.db.send(
      new PutItemCommand({
        TableName: env.tableName,
        Item: { pk: { S: `REC#${key.dmpId}` }, sk: { S: 'CLAIMSRC#stale-entry' }, gsi2pk: { S: `CLAIMS#${key.dmpId}` }, gsi2sk: { S: stale.position }, ttl: { N: '4102444800' } },
      }),
    );
    const page = await store.page(key.dmpId, { now: NOW });
    expect(page.items.map((i) => i.sk)).toEqual([k.position]);
  });

  it('starts a batch once: a second start finds the first record, its instant and hash', async () => {
    const id = `batch-${++n}`;
    const first = await store.startBatch(id, 'h1', new Date('2026-11-01T10:00:00Z'));
    const second = await store.startBatch(id, 'h2', new Date('2026-11-02T10:00:00Z'));
    expect(second).toEqual(first);
    await store.finishBatch(id, 'h1', { done: true });
    expect((await store.batch(id))?.outcome).toEqual({ done: true });
    await expect(store.finishBatch(id, 'h2', { done: false })).rejects.toThrow();
  });
});

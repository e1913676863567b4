/**
 * The claim store against the emulator's DynamoDB, through the real SDK: a line sealed whole under
 * the record's data key and bound to its item, deterministic keys (the same line lands on the same
 * item), the sourceId's marker written only after its line, a correction in one transaction that
 * checks the record, the newest-first pages between two days (markers and expired lines left out),
 * the purge of expired lines and markers, and the batch record written once. Faults are injected
 * into the real SDK client (test/support/faults.ts: no emulator fails on demand).
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
const markersOf = (key: DataKey) => partitionItems(env.db, env.tableName, key.dmpId, 'CLAIMSRC#');
const linesOf = (key: DataKey) => partitionItems(env.db, env.tableName, key.dmpId, 'CLAIM#');

describe('the claim store', () => {
  it('seals each line whole: keys, dates and ttl only in clear; a line moved to another item does not open', async () => {
    const key = await recordKey();
    const l = line('2026-10-01', { prescriber: { id: '810001234567', profession: '10' } });
    await put(key, [l]);
    const [item] = await linesOf(key);
    expect(Object.keys(item ?? {}).sort()).toEqual(['batch', 'line', 'pk', 'sk', 'ttl']);
    expect(JSON.stringify(item)).not.toContain('Canary');
    expect(JSON.stringify(item)).not.toContain('1104');
    expect(Number(item?.ttl?.N)).toBe(Date.parse(`${addMonths('2026-10-01', 24)}T00:00:00Z`) / 1000);
    const sealed = item?.line?.B as Uint8Array;
    expect(store.open(key, { sk: item?.sk?.S as string, sealed }).line).toEqual(l);
    expect(() => store.open(key, { sk: store.lineKeys(key, line('2026-10-02')).sk, sealed })).toThrow(SealedValueError);
  });

  it('keys a line by its date and a keyed hash of its sourceId, and its marker by the hash alone: the same line twice is one item and one marker', async () => {
    const key = await recordKey();
    const l = line('2026-10-01');
    await put(key, [l]);
    await put(key, [l], 'b2');
    const items = await linesOf(key);
    expect(items).toHaveLength(1);
    expect(items[0]?.sk?.S).not.toContain(l.sourceId);
    const markers = await markersOf(key);
    expect(markers).toHaveLength(1);
    // The marker holds the line's keys, its batch and its ttl in clear, nothing else.
    expect(Object.keys(markers[0] ?? {}).sort()).toEqual(['batch', 'lineSk', 'pk', 'sk', 'ttl']);
    expect(markers[0]?.ttl).toEqual(items[0]?.ttl);
    expect(markers[0]?.sk?.S).not.toContain(l.sourceId);
    const k = store.lineKeys(key, l);
    // The same sourceId at another date: another line key, the same marker.
    expect(store.lineKeys(key, { ...l, date: '2026-10-05' })).toEqual({ sk: k.sk.replace('2026-10-01', '2026-10-05'), marker: k.marker });
    const other = store.lineKeys(key, line('2026-10-01'));
    const found = await store.markers(
      [
        { dmpId: key.dmpId, marker: k.marker },
        { dmpId: key.dmpId, marker: other.marker },
      ],
      NOW,
    );
    expect([...found.entries()]).toEqual([[`${key.dmpId} ${k.marker}`, { sk: k.sk, batch: 'b2', correction: false }]]);
    // Past its ttl a marker is as good as gone (its line has expired too).
    expect((await store.markers([{ dmpId: key.dmpId, marker: k.marker }], new Date('2028-10-02T00:00:00Z'))).size).toBe(0);
  });

  it('writes every line before any marker: a crash between leaves lines without markers, never a marker without its line', async () => {
    const key = await recordKey();
    const lines = Array.from({ length: 30 }, () => line('2026-09-01'));
    // Two calls of lines (25 + 5), then the two calls of the markers: those fail.
    const restore = failAfter(env.db, 'BatchWriteItemCommand', 2, 2);
    await expect(put(key, lines)).rejects.toThrow(/injected/);
    restore();
    expect(await linesOf(key)).toHaveLength(30);
    expect(await markersOf(key)).toHaveLength(0);
    // A line's call failing: no marker at all, whichever calls of lines went through.
    const other = Array.from({ length: 30 }, () => line('2026-09-02'));
    const again = failAfter(env.db, 'BatchWriteItemCommand', 1, 1);
    await expect(put(key, other)).rejects.toThrow(/injected/);
    again();
    expect((await linesOf(key)).length).toBeLessThan(60);
    expect(await markersOf(key)).toHaveLength(0);
    await put(key, other);
    await put(key, lines);
    expect(await linesOf(key)).toHaveLength(60);
    expect(await markersOf(key)).toHaveLength(60);
  });

  it('corrects a line in one transaction: the new line and its marker, the old line gone; refused on a moved marker or a closed record', async () => {
    const key = await recordKey();
    await putRecord(key, 'active');
    const l = line('2026-08-01');
    await put(key, [l], 'first');
    const [found] = (await store.markers([{ dmpId: key.dmpId, marker: store.lineKeys(key, l).marker }], NOW)).values();
    const moved: ClaimLine = { ...l, date: '2026-08-03', display: 'corrected' };
    const [w] = writes(key, [moved]);
    if (!w || !found) throw new Error('no write or no marker');
    expect(await store.replaceLine(w, found, 'second')).toBe('replaced');
    const items = await linesOf(key);
    expect(items.map((i) => i.sk?.S)).toEqual([w.sk]);
    expect(store.open(key, { sk: w.sk, sealed: items[0]?.line?.B as Uint8Array }).line.display).toBe('corrected');
    const markers = await markersOf(key);
    expect(markers.map((m) => [m.lineSk?.S, m.batch?.S, m.correction?.BOOL])).toEqual([[w.sk, 'second', true]]);

    // The marker read is no longer the stored one: nothing written.
    const [again] = writes(key, [{ ...l, date: '2026-08-05' }]);
    if (!again) throw new Error('no write');
    expect(await store.replaceLine(again, found, 'third')).toBe('moved');
    expect((await linesOf(key)).map((i) => i.sk?.S)).toEqual([w.sk]);
    // The record closed: nothing written either.
    const closed = await recordKey();
    await putRecord(closed, 'closed');
    const [fresh] = writes(closed, [line('2026-08-01')]);
    if (!fresh) throw new Error('no write');
    expect(await store.replaceLine(fresh, undefined, 'fourth')).toBe('closed');
    expect(await linesOf(closed)).toHaveLength(0);
    expect(await markersOf(closed)).toHaveLength(0);
  });

  it('reads the records’ status and wrapped key at once, and removes lines with their markers', async () => {
    const [a, b] = [await recordKey(), await recordKey()];
    await putRecord(a, 'active');
    await putRecord(b, 'closed');
    const states = await store.recordStates([a.dmpId, b.dmpId, 'nobody'], true);
    expect(states.get(a.dmpId)).toEqual({ status: 'active', closedAt: undefined, wrappedKey: { ciphertext: new Uint8Array([1, 2, 3]), masterKeyId: 'mk', version: 1 } });
    expect(states.get(b.dmpId)?.status).toBe('closed');
    expect(states.has('nobody')).toBe(false);

    const lines = [line('2026-07-01'), line('2026-07-02')];
    await put(a, lines, 'gone');
    expect(await store.writtenBy(writes(a, lines).map((w) => ({ dmpId: a.dmpId, sk: w.sk })))).toEqual(new Map(writes(a, lines).map((w) => [`${a.dmpId} ${w.sk}`, 'gone'])));
    await store.removeLines(writes(a, lines).map((w) => ({ dmpId: a.dmpId, sk: w.sk, marker: w.marker })));
    expect(await linesOf(a)).toHaveLength(0);
    expect(await markersOf(a)).toHaveLength(0);
  });

  it('reads newest first between two days, leaves out expired lines, and purges them', async () => {
    const key = await recordKey();
    const lines = ['2026-01-10', '2026-03-10', '2026-05-10', '2026-07-10'].map((d) => line(d));
    await put(key, lines);
    const now = new Date('2026-08-01T00:00:00Z');
    const all = await store.page(key.dmpId, { now });
    // Newest first, and no marker among them (they sort after every line, out of the Query's range).
    expect(all.items.map((i) => store.open(key, i).line.date)).toEqual(['2026-07-10', '2026-05-10', '2026-03-10', '2026-01-10']);
    const range = await store.page(key.dmpId, { from: '2026-03-10', to: '2026-05-10', now });
    expect(range.items.map((i) => store.open(key, i).line.date)).toEqual(['2026-05-10', '2026-03-10']);
    const afterCursor = await store.page(key.dmpId, { cursor: store.cursorAt(all.items[1]?.sk as string), now });
    expect(afterCursor.items.map((i) => store.open(key, i).line.date)).toEqual(['2026-03-10', '2026-01-10']);

    // Two years and a bit later, the two oldest lines are past their time.
    const later = new Date('2028-04-01T00:00:00Z');
    expect((await store.page(key.dmpId, { now: later })).items.map((i) => store.open(key, i).line.date)).toEqual(['2026-07-10', '2026-05-10']);
    // The two lines and their two markers.
    expect(await store.purgeExpired(key.dmpId, later)).toBe(4);
    expect(await linesOf(key)).toHaveLength(2);
    expect(await markersOf(key)).toHaveLength(2);
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

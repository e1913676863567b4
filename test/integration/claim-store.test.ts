/**
 * The claim store against the emulator's DynamoDB, through the real SDK: a line sealed whole under
 * the record's data key and bound to its item, deterministic keys (the same line lands on the same
 * item), the newest-first pages between two days with expired lines left out, the purge of
 * expired lines, and the batch record written once.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { ClaimStore } from '../../functions/capabilities/claims/store.ts';
import { DataKeyCache, SealedValueError } from '../../functions/adapters/envelope.ts';
import type { DataKey } from '../../functions/domain/ports.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { addMonths, type ClaimLine } from '../../functions/domain/claims/lines.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { emulator, partitionItems } from '../support/aws.ts';

let env: Awaited<ReturnType<typeof emulator>>;
let store: ClaimStore;
let keyRing: KeyRing;
beforeAll(async () => {
  env = await emulator();
  store = new ClaimStore(env.db, env.tableName);
  keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
});

let n = 0;
const recordKey = async (): Promise<DataKey> => (await keyRing.generate(`cs-${++n}-${Date.now()}`)).key;
const line = (date: string, extra: Partial<ClaimLine> = {}): ClaimLine => ({
  sourceId: `s-${++n}`,
  category: 'lab',
  date,
  codeSystem: 'NABM',
  code: '1104',
  display: 'CanaryHemogramme',
  ...extra,
});
const put = async (key: DataKey, lines: ClaimLine[], batch = 'b1') =>
  store.putLines(
    key,
    lines.map((l) => ({ sk: store.lineSk(key, l), line: l })),
    batch,
  );

describe('the claim store', () => {
  it('seals each line whole: keys, dates and ttl only in clear; a line moved to another item does not open', async () => {
    const key = await recordKey();
    const l = line('2026-10-01', { prescriber: { id: '810001234567', profession: '10' } });
    await put(key, [l]);
    const [item] = await partitionItems(env.db, env.tableName, key.dmpId, 'CLAIM#');
    expect(Object.keys(item ?? {}).sort()).toEqual(['batch', 'line', 'pk', 'sk', 'ttl']);
    expect(JSON.stringify(item)).not.toContain('Canary');
    expect(JSON.stringify(item)).not.toContain('1104');
    expect(Number(item?.ttl?.N)).toBe(Date.parse(`${addMonths('2026-10-01', 24)}T00:00:00Z`) / 1000);
    const sealed = item?.line?.B as Uint8Array;
    expect(store.open(key, { sk: item?.sk?.S as string, sealed }).line).toEqual(l);
    expect(() => store.open(key, { sk: store.lineSk(key, line('2026-10-02')), sealed })).toThrow(SealedValueError);
  });

  it('keys a line by its date and a keyed hash of its sourceId: the same line twice is one item', async () => {
    const key = await recordKey();
    const l = line('2026-10-01');
    await put(key, [l]);
    await put(key, [l], 'b2');
    const items = await partitionItems(env.db, env.tableName, key.dmpId, 'CLAIM#');
    expect(items).toHaveLength(1);
    expect(items[0]?.sk?.S).not.toContain(l.sourceId);
    expect(await store.existing(key.dmpId, [store.lineSk(key, l), store.lineSk(key, line('2026-10-01'))])).toEqual(new Map([[store.lineSk(key, l), 'b2']]));
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

    // Two years and a bit later, the two oldest lines are past their time.
    const later = new Date('2028-04-01T00:00:00Z');
    expect((await store.page(key.dmpId, { now: later })).items.map((i) => store.open(key, i).line.date)).toEqual(['2026-07-10', '2026-05-10']);
    expect(await store.purgeExpired(key.dmpId, later)).toBe(2);
    expect(await partitionItems(env.db, env.tableName, key.dmpId, 'CLAIM#')).toHaveLength(2);
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

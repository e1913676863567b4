/**
 * A record's measurements, in the record's partition (the ten-year purge deletes them with it):
 *
 *   REC#<dmpId>   OBS#<c>#<at>#<h>   one measurement, sealed whole with the record's data key
 *
 *   <c>  a keyed hash of the LOINC code (HMAC-SHA256, 16 base64url characters), under a key derived
 *        from the record's own data key (HKDF): the code is never in clear, the same code hashes
 *        differently in every record (eleven codes would be found again from an unkeyed hash at
 *        once), and the hash dies with the record's key;
 *   <at> the instant measured, UTC to the millisecond (YYYY-MM-DDTHH:mm:ss.sssZ), so that a code's
 *        series is one Query on its prefix, newest first, between two instants;
 *   <h>  a keyed hash (same derivation, another purpose) of the device (or `manual` for a holder's
 *        own entry), the code and the instant: the same measurement sent again lands on the same
 *        item, so a re-sent measurement is stored once.
 * Only the keys are in clear; the measurement (code, unit, value or components, its source, author
 * and device) is the sealed `measurement` attribute, bound to its item.
 *
 * Not `MEAS#`: the record's own Query (RecordStore.load) reads the sort keys from `KEY` to `META`,
 * and `MEAS#…` sorts between them; `OBS#` (an observation) sorts after `META` and before `OUTBOX#`.
 *
 * All codes at once: one Query per code of data/measurements.json (eleven, side by side), merged
 * by instant. The alternatives cost more where it matters: the instant first in the key (one
 * Query for all codes) would make a code's series a filter over every other code's items (a step
 * counter's thousands for a weekly weight), and a second item per measurement would double every
 * write. The series of one code is what a reader charts; the list of all codes reads at most
 * limit + 2 items per code.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { BatchGetItemCommand, BatchWriteItemCommand, QueryCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import { B, S, bin, str, type Item } from '#adapters/attributes';
import { decodeCursor, encodeCursor } from '#adapters/cursor';
import { openJson, sealJson } from '#adapters/envelope';
import { keys } from '#adapters/table';
import type { Measurement, RecordedMeasurement } from '#domain/measurements';
import type { DataKey } from '#domain/ports';

const PREFIX = 'OBS#';
const HASH_LENGTH = 16;
/** A cursor: the position `<at>#<c>#<h>` of the last measurement a page gave. */
const CURSOR = /^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{3}Z#[A-Za-z0-9_-]{16}#[A-Za-z0-9_-]{16}$/;
const MAX_BATCH_WRITE = 25;
const MAX_BATCH_GET = 100;
const MAX_ATTEMPTS = 10;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Unprocessed items of a batch call are sent again, with a growing pause (DynamoDB's advice). */
const backoff = (attempt: number) => sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2));

type Purpose = 'code' | 'id';
const derived = new WeakMap<DataKey, Partial<Record<Purpose, Buffer>>>();
/** A key of the record's own, for one purpose (HKDF of its data key): computed once per unwrapped key. */
const keyFor = (key: DataKey, purpose: Purpose): Buffer => {
  const known = derived.get(key) ?? {};
  let k = known[purpose];
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', key.material, Buffer.alloc(0), `dmp/measurement-${purpose}/${key.dmpId}`, 32));
    derived.set(key, { ...known, [purpose]: k });
  }
  return k;
};
const keyedHash = (key: DataKey, purpose: Purpose, value: string): string =>
  createHmac('sha256', keyFor(key, purpose)).update(value, 'utf8').digest('base64url').slice(0, HASH_LENGTH);

/** A measurement item as read: its sort key and its sealed measurement. */
interface SealedItem {
  sk: string;
  sealed: Uint8Array;
}

/** `OBS#<c>#<at>#<h>` → `<at>#<c>#<h>`: the order of a listing of every code (newest first, then by code and id). */
const positionOf = (sk: string): string => {
  const [, c = '', at = '', h = ''] = sk.split('#');
  return `${at}#${c}#${h}`;
};

export class MeasurementStore {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** The sort key of a measurement: deterministic from the record's key, its device (or `manual`), code and instant. */
  sk(key: DataKey, m: Pick<Measurement, 'code' | 'effectiveAt' | 'deviceId'>): string {
    const id = keyedHash(key, 'id', `${m.deviceId ?? 'manual'}\n${m.code}\n${m.effectiveAt}`);
    return `${PREFIX}${keyedHash(key, 'code', m.code)}#${m.effectiveAt}#${id}`;
  }

  /** Which of these sort keys are stored already (BatchGetItem, 100 keys a call, unprocessed keys asked again). */
  async existing(dmpId: string, sks: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    const pk = keys.record(dmpId).pk;
    for (let i = 0; i < sks.length; i += MAX_BATCH_GET) {
      let pending: Item[] = sks.slice(i, i + MAX_BATCH_GET).map((sk) => ({ pk: S(pk), sk: S(sk) }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error('measurement keys could not be read');
        if (attempt > 0) await backoff(attempt);
        const out = await this.db.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'sk' } } }));
        for (const item of out.Responses?.[this.table] ?? []) found.add(str(item, 'sk') ?? '');
        pending = (out.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
      }
    }
    return found;
  }

  /**
   * Puts measurements, 25 a BatchWriteItem, the calls side by side, unprocessed items sent again.
   * No condition (BatchWriteItem takes none), and none needed: each key is deterministic, so a put
   * repeated by a retry lands on the same item, never on a second one.
   */
  async put(key: DataKey, entries: readonly { sk: string; measurement: RecordedMeasurement }[]): Promise<void> {
    const pk = keys.record(key.dmpId).pk;
    const requests: WriteRequest[] = entries.map(({ sk, measurement }) => ({
      PutRequest: { Item: { pk: S(pk), sk: S(sk), measurement: B(sealJson(key, sk, 'measurement', measurement)) } },
    }));
    const chunks: WriteRequest[][] = [];
    for (let i = 0; i < requests.length; i += MAX_BATCH_WRITE) chunks.push(requests.slice(i, i + MAX_BATCH_WRITE));
    await Promise.all(chunks.map((chunk) => this.batchWrite(chunk)));
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    let pending = requests;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= MAX_ATTEMPTS) throw new Error('measurements could not be written');
      if (attempt > 0) await backoff(attempt);
      const out = await this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
      pending = out.UnprocessedItems?.[this.table] ?? [];
    }
  }

  /**
   * One page of the record's measurements of these codes, newest first, measured from `from` to
   * `to` (instants, both included), after an opaque cursor: one Query per code, at most limit + 2
   * items each (the cursor's own item may come back), merged by position. `nextCursor` only when
   * a measurement follows the page.
   */
  async page(
    key: DataKey,
    opts: { codes: readonly string[]; from?: string | undefined; to?: string | undefined; cursor?: string | undefined; limit: number },
  ): Promise<{ items: { measurementId: string; measurement: RecordedMeasurement }[]; nextCursor: string | null }> {
    const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, CURSOR);
    const [afterAt = '', afterCode = '', afterId = ''] = after?.split('#') ?? [];
    const pk = keys.record(key.dmpId).pk;
    const from = opts.from ?? '0000';
    const to = opts.to ?? '9999';
    const pages = await Promise.all(
      opts.codes.map(async (code): Promise<SealedItem[]> => {
        const c = keyedHash(key, 'code', code);
        const low = `${PREFIX}${c}#${from}`;
        let high = `${PREFIX}${c}#${to}#~`;
        if (after !== undefined) {
          // What follows the cursor in this code's series: at the cursor's instant, the codes that
          // sort after it in a listing (a smaller hash) and, in its own code, the smaller ids.
          const bound = c === afterCode ? `${PREFIX}${c}#${afterAt}#${afterId}` : c < afterCode ? `${PREFIX}${c}#${afterAt}#~` : `${PREFIX}${c}#${afterAt}`;
          if (bound < high) high = bound;
        }
        // A range the wrong way round holds nothing (and DynamoDB would refuse the Query).
        if (high < low) return [];
        const out = await this.db.send(
          new QueryCommand({
            TableName: this.table,
            KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
            ExpressionAttributeValues: { ':pk': S(pk), ':low': S(low), ':high': S(high) },
            ScanIndexForward: false,
            Limit: opts.limit + 2,
            ConsistentRead: true,
          }),
        );
        return (out.Items ?? []).map((i) => ({ sk: str(i, 'sk') ?? '', sealed: bin(i, 'measurement') ?? new Uint8Array() }));
      }),
    );
    const merged = pages
      .flat()
      .map((item) => ({ item, position: positionOf(item.sk) }))
      .filter((m) => m.position !== after)
      .sort((a, b) => (a.position < b.position ? 1 : a.position > b.position ? -1 : 0));
    const page = merged.slice(0, opts.limit);
    const last = page.at(-1);
    return {
      items: page.map(({ item }) => ({
        measurementId: item.sk.slice(item.sk.lastIndexOf('#') + 1),
        measurement: openJson<RecordedMeasurement>(key, item.sk, 'measurement', item.sealed),
      })),
      nextCursor: merged.length > opts.limit && last ? encodeCursor(last.position) : null,
    };
  }
}

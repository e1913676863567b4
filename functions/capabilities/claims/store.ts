/**
 * The reimbursed-care history in the record's partition, ONE item per line, keyed by the insurer's
 * line id:
 *
 *   REC#<dmpId>         CLAIMSRC#<h>       a line, sealed whole with the record's data key; on the
 *                                          history's index (GSI2) at gsi2pk CLAIMS#<dmpId>,
 *                                          gsi2sk CLAIM#<date>#<h>
 *   REC#<dmpId>         CLAIMS#SETTINGS    the patient's mask of the history from professionals
 *   CLAIMBATCH#<id>     BATCH              a batch of the insurer's sync: its body's keyed hash,
 *                                          when it started, and once done its answer (counts only)
 *
 * `<h>` is a keyed hash of the insurer's `sourceId` under a key derived from the record's own data
 * key (HKDF): the same line always lands on the same item, whatever the retry and whatever its
 * date, and the hash means nothing outside the record (it dies with it). A line sent again is a
 * put on the same item, so a sourceId is stored once by construction (even by two batches at once
 * with different dates), and a correction (another date) overwrites it in place; the ingestion
 * core (ingest.ts) reads the items first to tell new lines, duplicates and corrections apart.
 *
 * Newest first is the index's order: a sparse GSI (claim lines only) whose sort key carries the
 * date, so the history is one Query of the index, newest first, then one BatchGetItem of the lines
 * it lists (the index projects `ttl` and nothing sealed: a copy of each sealed line in the index
 * would double the history's storage). The index is eventually consistent: a line written a
 * moment ago may be missing from a read for that moment, never shown twice or stale (a line is
 * shown only when its item, read strongly consistent, is still at the position the index gave).
 *
 * In clear on a line's item: its keys and index keys (the dmpId, the date of care, the hash),
 * `ttl` = date of care + the history's months (the table's one TTL attribute: DynamoDB deletes it
 * in AWS; every read filters on it, the emulator expiring nothing), the batch that wrote it, and
 * whether a correction wrote it. Everything else (category, codes, labels, prescriber, performer,
 * confidentiality) is in the sealed `line` attribute, bound to the item's key.
 *
 * Before this layout a line was two items (CLAIM#<date>#<h> sealed, and a marker CLAIMSRC#<h>
 * naming it): see docs/claims-capacity.md for why it changed and what became of such items.
 */
import { createHmac, createSecretKey, hkdfSync, type KeyObject } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  TransactionCanceledException,
  UpdateItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { expiresAt, type ClaimLine } from '#domain/claims/lines';
import { ConditionsRefused } from '#domain/errors';
import { B, BOOL, N, S, bin, bool, epochSeconds, num, str, type Item } from '#adapters/attributes';
import { decodeCursor, encodeCursor } from '#adapters/cursor';
import { openJson, sealJson } from '#adapters/envelope';
import type { DataKey, WrappedKey } from '#domain/ports';
import { wrappedKeyOf } from '#adapters/record-store';
import { GSI2 } from '#adapters/storage-contract';
import { keyItem, keys } from '#adapters/table';
import { tracePut } from '#adapters/trace-store';
import type { Trace } from '#domain/trace';
import { transact, type LabelledWrite } from '#adapters/transactions';
import { readItem } from '#adapters/batch-get';
import { inPool } from '#adapters/pool';

const LINE_PREFIX = 'CLAIMSRC#';
const POSITION_PREFIX = 'CLAIM#';
const INDEX_PREFIX = 'CLAIMS#';
const SETTINGS_SK = 'CLAIMS#SETTINGS';
/** A line's position in the history: CLAIM#<date>#<keyed hash of its sourceId, 32 base64url characters>. */
const CLAIM_SK = /^CLAIM#[0-9]{4}-[0-9]{2}-[0-9]{2}#[A-Za-z0-9_-]{32}$/;
const MAX_BATCH_WRITE = 25;
const MAX_BATCH_GET = 100;
/**
 * Batch calls of one step sent at once (reads of lines or records, writes of lines): DynamoDB
 * serves them in parallel; a few at once also keep this process busy while the table answers.
 */
export const CLAIM_CALLS_AT_ONCE = 8;
/** A batch's record is kept this long: the same batch sent again within it answers the same. */
const BATCH_RECORD_SECONDS = 90 * 24 * 3600;
/** Lines one read Query of the index evaluates at most (its entries are keys: far under DynamoDB's 1 MB page). */
export const CLAIMS_EVALUATION = 200;

const batchKey = (batchId: string) => ({ pk: `CLAIMBATCH#${batchId}`, sk: 'BATCH' });
const settingsKey = (dmpId: string) => ({ pk: keys.record(dmpId).pk, sk: SETTINGS_SK });

/** The record's key for sourceId hashes, as a KeyObject: made once per data key, not once per line. */
const sourceKeys = new WeakMap<DataKey, KeyObject>();
const sourceKeyOf = (key: DataKey): KeyObject => {
  let k = sourceKeys.get(key);
  if (!k) {
    k = createSecretKey(Buffer.from(hkdfSync('sha256', key.material, Buffer.alloc(0), `dmp/claim-source/${key.dmpId}`, 32)));
    sourceKeys.set(key, k);
  }
  return k;
};

/** A line as read back: its opaque id (the hash in its key) and the line. */
export interface StoredClaim {
  lineId: string;
  line: ClaimLine;
}

/** The keys of a line: its item's sort key (the keyed hash alone) and its position in the history (date and hash). */
export interface LineKeys {
  sk: string;
  position: string;
}

/** What a stored line's item says in clear: where it is in the history, and who put it there. */
export interface StoredLine {
  /** Its position (CLAIM#<date>#<h>): its date. */
  position: string;
  /** The batch that wrote it. */
  batch: string;
  /** It was written by a correction: it replaced the line of another date. */
  correction: boolean;
}

/** A line's item to read: the record and the item's sort key. */
export interface LineRef {
  dmpId: string;
  sk: string;
}

/** A line to write, with its record's key. */
export interface LineWrite extends LineKeys {
  key: DataKey;
  line: ClaimLine;
}

/** What the ingestion core needs of a record: whether it takes lines, and its wrapped data key. */
export interface RecordState {
  status: string;
  closedAt?: string | undefined;
  wrappedKey?: WrappedKey | undefined;
}

/** A correction's outcome: done; refused because the record is no longer active; or the line is no longer the one read. */
export type Replacement = 'replaced' | 'closed' | 'moved';

/** The map key of an item read for a record: its dmpId and sort key. */
export const lineRefId = (dmpId: string, sk: string): string => `${dmpId} ${sk}`;

/** The record of a batch: started (lines may be partly stored), or done with its answer. */
export interface BatchRecord {
  requestHash: string;
  startedAt: Date;
  outcome?: unknown;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Unprocessed items of a batch call are sent again, with a growing pause (DynamoDB's advice). */
const backoff = (attempt: number) => sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2));
const MAX_ATTEMPTS = 10;

const chunks = <T>(items: readonly T[], size: number): T[][] => {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
};

/** The item's sort key of a line at this position: the hash after its last '#'. */
const skOf = (position: string): string => `${LINE_PREFIX}${position.slice(position.lastIndexOf('#') + 1)}`;

/** The sort key of a line's item from its id (the lineId a page or the keyword index gives). */
export const claimLineSk = (lineId: string): string => `${LINE_PREFIX}${lineId}`;

export class ClaimStore {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** The keys of a line: deterministic from the record's key and the insurer's sourceId (the position adds its date). */
  lineKeys(key: DataKey, line: Pick<ClaimLine, 'date' | 'sourceId'>): LineKeys {
    const h = createHmac('sha256', sourceKeyOf(key)).update(line.sourceId, 'utf8').digest('base64url').slice(0, 32);
    return { sk: `${LINE_PREFIX}${h}`, position: `${POSITION_PREFIX}${line.date}#${h}` };
  }

  /**
   * The lines found among these items (BatchGetItem, 100 keys a call, several calls at once,
   * unprocessed keys asked again; their clear attributes only), by lineRefId. A line whose time
   * has passed is left out: DynamoDB's TTL deletes it, and a put over it stores it anew.
   */
  async lines(refs: readonly LineRef[], now: Date): Promise<Map<string, StoredLine>> {
    const found = new Map<string, StoredLine>();
    const nowSeconds = epochSeconds(now);
    await this.batchGet(
      refs.map((r) => ({ pk: S(keys.record(r.dmpId).pk), sk: S(r.sk) })),
      { ProjectionExpression: 'pk, sk, gsi2sk, #batch, correction, #ttl', ExpressionAttributeNames: { '#batch': 'batch', '#ttl': 'ttl' } },
      'claim lines',
      (item) => {
        if ((num(item, 'ttl') ?? 0) <= nowSeconds) return;
        const dmpId = (str(item, 'pk') ?? '').slice('REC#'.length);
        found.set(lineRefId(dmpId, str(item, 'sk') ?? ''), { position: str(item, 'gsi2sk') ?? '', batch: str(item, 'batch') ?? '', correction: bool(item, 'correction') ?? false });
      },
    );
    return found;
  }

  /**
   * The state of each record found (its META; its KEY too with `withKey`), read with BatchGetItem
   * for all of them at once: the status the ingestion core checks before and after it writes, and
   * the wrapped data key it unwraps. A record without its META (or its KEY) is left out.
   */
  async recordStates(dmpIds: readonly string[], withKey: boolean): Promise<Map<string, RecordState>> {
    const metas = new Map<string, Item>();
    const dataKeys = new Map<string, Item>();
    const wanted = dmpIds.flatMap((id) => [keyItem(keys.record(id)), ...(withKey ? [keyItem(keys.dataKey(id))] : [])]);
    await this.batchGet(
      wanted,
      {
        ProjectionExpression: 'pk, sk, #status, #closedAt, #wrapped, #masterKeyId, #version',
        ExpressionAttributeNames: { '#status': 'status', '#closedAt': 'closedAt', '#wrapped': 'wrapped', '#masterKeyId': 'masterKeyId', '#version': 'version' },
      },
      'records',
      (item) => {
        const dmpId = (str(item, 'pk') ?? '').slice('REC#'.length);
        (str(item, 'sk') === keys.record(dmpId).sk ? metas : dataKeys).set(dmpId, item);
      },
    );
    const states = new Map<string, RecordState>();
    for (const [dmpId, meta] of metas) {
      const dataKey = dataKeys.get(dmpId);
      if (withKey && !dataKey) continue;
      states.set(dmpId, { status: str(meta, 'status') ?? '', closedAt: str(meta, 'closedAt'), wrappedKey: dataKey ? wrappedKeyOf(dataKey) : undefined });
    }
    return states;
  }

  /** The DMP of each INS (by its keyed hash) that has one: the INS index read with BatchGetItem, 100 keys a call. */
  async dmpIdsByInsHash(insHashes: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    await this.batchGet(
      insHashes.map((h) => keyItem(keys.insIndex(h))),
      { ProjectionExpression: 'pk, dmpId' },
      'the INS index',
      (item) => {
        const dmpId = str(item, 'dmpId');
        if (dmpId) found.set((str(item, 'pk') ?? '').slice('INS#'.length), dmpId);
      },
    );
    return found;
  }

  /**
   * Puts lines with BatchWriteItem, 25 items a call, several calls at once, unprocessed items sent
   * again: one item per line. The puts carry no condition (BatchWriteItem takes none): each is keyed
   * by its sourceId alone (lineKeys), so a put repeated by a retry, or sent by another batch at the
   * same moment, lands on the same item.
   */
  async putLines(lines: readonly LineWrite[], batchId: string): Promise<void> {
    await this.batchWrite(lines, (l) => ({ PutRequest: { Item: this.lineItem(l, batchId, false) } }));
  }

  /** Deletes lines' items (BatchWriteItem). */
  async removeLines(lines: readonly LineRef[]): Promise<void> {
    await this.batchWrite(lines, (l) => ({ DeleteRequest: { Key: { pk: S(keys.record(l.dmpId).pk), sk: S(l.sk) } } }));
  }

  /**
   * A correction: the sourceId's line moves to another date, overwriting its item in place. One
   * transaction of two items: the line is put on condition that its item is still at the position
   * read (or still absent, when none was read), and the record must still be active (its META's
   * status). The condition on the record is why a correction is not a plain put: a closure landing
   * in the middle of a batch leaves the line stored before it as it was. Corrections are the rare
   * case: a transaction's doubled write units are paid on them only.
   */
  async replaceLine(l: LineWrite, found: StoredLine | undefined, batchId: string): Promise<Replacement> {
    const writes: LabelledWrite[] = [
      {
        label: 'record',
        item: {
          ConditionCheck: {
            TableName: this.table,
            Key: keyItem(keys.record(l.key.dmpId)),
            ConditionExpression: '#status = :active',
            ExpressionAttributeNames: { '#status': 'status' },
            ExpressionAttributeValues: { ':active': S('active') },
          },
        },
      },
      {
        label: 'line',
        item: {
          Put: {
            TableName: this.table,
            Item: this.lineItem(l, batchId, found !== undefined),
            ...(found
              ? { ConditionExpression: 'gsi2sk = :found', ExpressionAttributeValues: { ':found': S(found.position) } }
              : { ConditionExpression: 'attribute_not_exists(sk)' }),
          },
        },
      },
    ];
    try {
      await transact(this.db, writes);
      return 'replaced';
    } catch (error) {
      if (error instanceof ConditionsRefused) return error.labels.has('record') ? 'closed' : 'moved';
      // Another transaction on the same items at that moment: read the line again and decide again.
      if (error instanceof TransactionCanceledException) return 'moved';
      throw error;
    }
  }

  private lineItem(l: LineWrite, batchId: string, correction: boolean): Item {
    return {
      pk: S(keys.record(l.key.dmpId).pk),
      sk: S(l.sk),
      gsi2pk: S(`${INDEX_PREFIX}${l.key.dmpId}`),
      gsi2sk: S(l.position),
      line: B(sealJson(l.key, l.sk, 'line', l.line)),
      ttl: N(epochSeconds(expiresAt(l.line.date))),
      batch: S(batchId),
      ...(correction ? { correction: BOOL(true) } : {}),
    };
  }

  /** BatchGetItem of these keys, 100 a call, several calls at once, unprocessed keys asked again. */
  private async batchGet(
    wanted: Item[],
    projection: { ProjectionExpression: string; ExpressionAttributeNames?: Record<string, string> },
    what: string,
    found: (item: Item) => void,
  ) {
    await inPool(chunks(wanted, MAX_BATCH_GET), CLAIM_CALLS_AT_ONCE, async (chunk) => {
      let pending = chunk;
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error(`${what} could not be read`);
        if (attempt > 0) await backoff(attempt);
        const out = await this.db.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ...projection } } }));
        for (const item of out.Responses?.[this.table] ?? []) found(item);
        pending = (out.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
      }
    });
  }

  /**
   * BatchWriteItem of one request per item, 25 a call, several calls at once, unprocessed items
   * sent again. Each call's requests are made when it is sent (lines are sealed then), not all first.
   */
  private async batchWrite<T>(items: readonly T[], request: (item: T) => WriteRequest): Promise<void> {
    await inPool(chunks(items, MAX_BATCH_WRITE), CLAIM_CALLS_AT_ONCE, async (chunk) => {
      let pending = chunk.map(request);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error('claim items could not be written');
        if (attempt > 0) await backoff(attempt);
        const out = await this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
        pending = out.UnprocessedItems?.[this.table] ?? [];
      }
    });
  }

  /**
   * One page of a record's lines, newest first, between two days (inclusive), after an opaque
   * cursor; expired lines are left out (DynamoDB's TTL deletes them within days in AWS, never on
   * the emulator). A Query of the history's index (keys and `ttl`), then one BatchGetItem of the
   * lines it lists, strongly consistent: a line whose item is no longer at the position the index
   * gave (a correction moved it since, and the index has not caught up yet) is left out here, as
   * it is listed at its new date. Each item's `sk` is the line's position (CLAIM#<date>#<h>): what
   * `open` and `cursorAt` take. `more`: the Query stopped before the end.
   */
  async page(
    dmpId: string,
    opts: { from?: string | undefined; to?: string | undefined; cursor?: string | undefined; now: Date; evaluate?: number },
  ): Promise<{ items: { sk: string; sealed: Uint8Array }[]; more: boolean }> {
    const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, CLAIM_SK);
    // Positions of a day range: CLAIM#<from> up to CLAIM#<to>#~ ('~' sorts after every hash character).
    const low = `${POSITION_PREFIX}${opts.from ?? '0000-00-00'}`;
    const upper = `${POSITION_PREFIX}${opts.to ?? '9999-99-99'}#~`;
    const high = after !== undefined && after < upper ? after : upper;
    // A cursor of another range (or a range the wrong way round): nothing between, and no Query DynamoDB would refuse.
    if (high < low) return { items: [], more: false };
    const nowSeconds = epochSeconds(opts.now);
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        IndexName: GSI2,
        KeyConditionExpression: 'gsi2pk = :pk AND gsi2sk BETWEEN :low AND :high',
        FilterExpression: '#ttl > :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':pk': S(`${INDEX_PREFIX}${dmpId}`), ':low': S(low), ':high': S(high), ':now': N(nowSeconds) },
        ProjectionExpression: 'gsi2sk',
        ScanIndexForward: false,
        Limit: opts.evaluate ?? CLAIMS_EVALUATION,
      }),
    );
    const positions = (out.Items ?? []).map((i) => str(i, 'gsi2sk') ?? '').filter((position) => position !== after);
    const lines = new Map<string, Item>();
    await this.batchGet(
      // Once each: a moment after a correction, the index may list one line at its old and new positions.
      [...new Set(positions.map(skOf))].map((sk) => ({ pk: S(keys.record(dmpId).pk), sk: S(sk) })),
      { ProjectionExpression: 'sk, gsi2sk, line, #ttl', ExpressionAttributeNames: { '#ttl': 'ttl' } },
      'claim lines',
      (item) => lines.set(str(item, 'sk') ?? '', item),
    );
    const items: { sk: string; sealed: Uint8Array }[] = [];
    for (const position of positions) {
      const item = lines.get(skOf(position));
      const sealed = item ? bin(item, 'line') : undefined;
      if (!item || !sealed || str(item, 'gsi2sk') !== position || (num(item, 'ttl') ?? 0) <= nowSeconds) continue;
      items.push({ sk: position, sealed });
    }
    return { items, more: out.LastEvaluatedKey !== undefined };
  }

  /** The cursor of a listing that went through this line (its position, as `page` gives it). */
  cursorAt(sk: string): string {
    return encodeCursor(sk);
  }

  /** A line of a page opened with the record's key (its seal is bound to the line's item). */
  open(key: DataKey, item: { sk: string; sealed: Uint8Array }): StoredClaim {
    return { lineId: item.sk.slice(item.sk.lastIndexOf('#') + 1), line: openJson<ClaimLine>(key, skOf(item.sk), 'line', item.sealed) };
  }

  /**
   * Deletes a record's lines whose time has passed (DynamoDB's TTL does it in AWS; the local
   * runtime's daily job does it for the whole table, bin/local-claims-purge.ts). How many items
   * were deleted.
   */
  async purgeExpired(dmpId: string, now: Date): Promise<number> {
    const pk = keys.record(dmpId).pk;
    let deleted = 0;
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          // 'CLAIM' covers the lines (CLAIMSRC#), and the items of the earlier layout (CLAIM#); the settings item has no ttl.
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :claim)',
          FilterExpression: '#ttl <= :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':pk': S(pk), ':claim': S('CLAIM'), ':now': N(epochSeconds(now)) },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      );
      const expired = out.Items ?? [];
      await this.batchWrite(expired, (i) => ({ DeleteRequest: { Key: { pk: S(pk), sk: S(str(i, 'sk') ?? '') } } }));
      deleted += expired.length;
      start = out.LastEvaluatedKey;
    } while (start);
    return deleted;
  }

  /** Whether the patient masked the history from professionals (the attending physician excepted). */
  async masked(dmpId: string): Promise<boolean> {
    // By its key, read with the record's own items when asked beside them (readItem).
    const item = await readItem(this.db, this.table, keyItem(settingsKey(dmpId)));
    return item ? (bool(item, 'maskedToProfessionals') ?? false) : false;
  }

  /** The mask, as one write of the change's transaction. */
  maskWrite(dmpId: string, masked: boolean, now: Date): LabelledWrite {
    return {
      label: 'claims-settings',
      item: { Put: { TableName: this.table, Item: { ...keyItem(settingsKey(dmpId)), maskedToProfessionals: BOOL(masked), updatedAt: S(now.toISOString()) } } },
    };
  }

  /**
   * A trace written at most once: its key (instant and id) is the caller's, the same on every run,
   * and the put is conditional. Whether this call wrote it.
   */
  async traceOnce(dmpId: string, trace: Trace, at: Date, id: string): Promise<boolean> {
    const put = tracePut(this.table, dmpId, trace, at, id).Put;
    if (!put) throw new Error('a trace is a put');
    try {
      await this.db.send(new PutItemCommand(put));
      return true;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return false;
      throw error;
    }
  }

  async batch(batchId: string): Promise<BatchRecord | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem(batchKey(batchId)), ConsistentRead: true }));
    const item = out.Item;
    if (!item) return undefined;
    const outcome = bin(item, 'outcome');
    return {
      requestHash: str(item, 'requestHash') ?? '',
      startedAt: new Date(str(item, 'startedAt') ?? 0),
      ...(outcome !== undefined ? { outcome: JSON.parse(gunzipSync(outcome).toString('utf8')) as unknown } : {}),
    };
  }

  /**
   * The batch's record: the one found, or a new one started now (a conditional put: of two runs
   * of the same batch, both go on from the same record and the same start instant).
   */
  async startBatch(batchId: string, requestHash: string, now: Date): Promise<BatchRecord> {
    const found = await this.batch(batchId);
    if (found) return found;
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.table,
          Item: {
            ...keyItem(batchKey(batchId)),
            requestHash: S(requestHash),
            startedAt: S(now.toISOString()),
            ttl: N(epochSeconds(now) + BATCH_RECORD_SECONDS),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return { requestHash, startedAt: now };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const winner = await this.batch(batchId);
      if (!winner) throw error;
      return winner;
    }
  }

  /**
   * The batch's answer, written last: counts, indexes, field paths and reasons only (no INS, code
   * or label), so it is kept in clear; gzipped, as its list of rejected lines repeats the same
   * reasons and must fit in an item (400 KB). Only on the record of the same body.
   */
  async finishBatch(batchId: string, requestHash: string, outcome: unknown): Promise<void> {
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: keyItem(batchKey(batchId)),
        UpdateExpression: 'SET outcome = :outcome',
        ConditionExpression: 'requestHash = :hash',
        ExpressionAttributeValues: { ':outcome': B(gzipSync(JSON.stringify(outcome))), ':hash': S(requestHash) },
      }),
    );
  }
}

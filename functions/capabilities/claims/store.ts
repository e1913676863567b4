/**
 * The reimbursed-care history in the record's partition, one item per line:
 *
 *   REC#<dmpId>         CLAIM#<date>#<h>   a line, sealed whole with the record's data key
 *   REC#<dmpId>         CLAIMS#SETTINGS    the patient's mask of the history from professionals
 *   CLAIMBATCH#<id>     BATCH              a batch of the insurer's sync: its body's keyed hash,
 *                                          when it started, and once done its answer (counts only)
 *
 * `<h>` is a keyed hash of the insurer's `sourceId` under a key derived from the record's own data
 * key (HKDF): the same line always lands on the same item, whatever the retry, and the hash means
 * nothing outside the record (it dies with it). In clear on a line's item: its keys (the date of
 * care, needed to read the history newest first in one Query), `ttl` = date of care + the history's
 * months (the table's one TTL attribute: DynamoDB deletes it in AWS; every read filters on it, the
 * emulator expiring nothing), and the batch that wrote it. Everything else (category, codes,
 * labels, prescriber, performer, confidentiality) is in the sealed `line` attribute.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { gunzipSync, gzipSync } from 'node:zlib';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  ConditionalCheckFailedException,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  UpdateItemCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import { expiresAt, type ClaimLine } from '#domain/claims/lines';
import { B, BOOL, N, S, bin, bool, epochSeconds, str, type Item } from '#adapters/attributes';
import { decodeCursor, encodeCursor } from '#adapters/cursor';
import { openJson, sealJson } from '#adapters/envelope';
import type { DataKey } from '#domain/ports';
import { keyItem, keys } from '#adapters/table';
import { tracePut } from '#adapters/trace-store';
import type { Trace } from '#domain/trace';
import type { LabelledWrite } from '#adapters/transactions';

const CLAIM_PREFIX = 'CLAIM#';
const SETTINGS_SK = 'CLAIMS#SETTINGS';
/** A line's sort key: CLAIM#<date>#<keyed hash of its sourceId, 32 base64url characters>. */
const CLAIM_SK = /^CLAIM#[0-9]{4}-[0-9]{2}-[0-9]{2}#[A-Za-z0-9_-]{32}$/;
const MAX_BATCH_WRITE = 25;
const MAX_BATCH_GET = 100;
/** A batch's record is kept this long: the same batch sent again within it answers the same. */
const BATCH_RECORD_SECONDS = 90 * 24 * 3600;
/** Line items one read Query evaluates at most (sealed lines are small: well under DynamoDB's 1 MB page). */
export const CLAIMS_EVALUATION = 200;

const batchKey = (batchId: string) => ({ pk: `CLAIMBATCH#${batchId}`, sk: 'BATCH' });
const settingsKey = (dmpId: string) => ({ pk: keys.record(dmpId).pk, sk: SETTINGS_SK });

const sourceKeys = new WeakMap<DataKey, Buffer>();
const sourceKeyOf = (key: DataKey): Buffer => {
  let k = sourceKeys.get(key);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', key.material, Buffer.alloc(0), `dmp/claim-source/${key.dmpId}`, 32));
    sourceKeys.set(key, k);
  }
  return k;
};

/** A line as read back: its opaque id (the hash in its key) and the line. */
export interface StoredClaim {
  lineId: string;
  line: ClaimLine;
}

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

export class ClaimStore {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** The sort key of a line: deterministic from the record's key, the date and the insurer's sourceId. */
  lineSk(key: DataKey, line: Pick<ClaimLine, 'date' | 'sourceId'>): string {
    const h = createHmac('sha256', sourceKeyOf(key)).update(line.sourceId, 'utf8').digest('base64url').slice(0, 32);
    return `${CLAIM_PREFIX}${line.date}#${h}`;
  }

  /**
   * Which of these line keys exist already, and the batch that wrote each (BatchGetItem, 100 keys
   * a call, unprocessed keys asked again).
   */
  async existing(dmpId: string, sks: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    const pk = keys.record(dmpId).pk;
    for (let i = 0; i < sks.length; i += MAX_BATCH_GET) {
      let pending: Item[] = sks.slice(i, i + MAX_BATCH_GET).map((sk) => ({ pk: S(pk), sk: S(sk) }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error('claim keys could not be read');
        if (attempt > 0) await backoff(attempt);
        const out = await this.db.send(
          new BatchGetItemCommand({
            RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'sk, #batch', ExpressionAttributeNames: { '#batch': 'batch' } } },
          }),
        );
        for (const item of out.Responses?.[this.table] ?? []) found.set(str(item, 'sk') ?? '', str(item, 'batch') ?? '');
        pending = (out.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
      }
    }
    return found;
  }

  /** The DMP of each INS (by its keyed hash) that has one: the INS index read with BatchGetItem, 100 keys a call. */
  async dmpIdsByInsHash(insHashes: readonly string[]): Promise<Map<string, string>> {
    const found = new Map<string, string>();
    for (let i = 0; i < insHashes.length; i += MAX_BATCH_GET) {
      let pending: Item[] = insHashes.slice(i, i + MAX_BATCH_GET).map((h) => keyItem(keys.insIndex(h)));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error('the INS index could not be read');
        if (attempt > 0) await backoff(attempt);
        const out = await this.db.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'pk, dmpId' } } }));
        for (const item of out.Responses?.[this.table] ?? []) {
          const dmpId = str(item, 'dmpId');
          if (dmpId) found.set((str(item, 'pk') ?? '').slice('INS#'.length), dmpId);
        }
        pending = (out.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
      }
    }
    return found;
  }

  /**
   * Puts lines, 25 a BatchWriteItem, unprocessed items sent again. The puts carry no condition
   * (BatchWriteItem takes none): each is keyed deterministically (lineSk), so a put repeated by a
   * retry or a concurrent run lands on the same item with the same line, never on a second one.
   */
  async putLines(key: DataKey, lines: readonly { sk: string; line: ClaimLine }[], batchId: string): Promise<void> {
    const pk = keys.record(key.dmpId).pk;
    const requests: WriteRequest[] = lines.map(({ sk, line }) => ({
      PutRequest: {
        Item: {
          pk: S(pk),
          sk: S(sk),
          line: B(sealJson(key, sk, 'line', line)),
          ttl: N(epochSeconds(expiresAt(line.date))),
          batch: S(batchId),
        },
      },
    }));
    await this.batchWrite(requests);
  }

  private async batchWrite(requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += MAX_BATCH_WRITE) {
      let pending = requests.slice(i, i + MAX_BATCH_WRITE);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt >= MAX_ATTEMPTS) throw new Error('claim lines could not be written');
        if (attempt > 0) await backoff(attempt);
        const out = await this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
        pending = out.UnprocessedItems?.[this.table] ?? [];
      }
    }
  }

  /**
   * One page of a record's lines, newest first, between two days (inclusive), after an opaque
   * cursor; expired lines are left out (DynamoDB's TTL deletes them within days in AWS, never on
   * the emulator). `more`: the Query stopped before the end.
   */
  async page(
    dmpId: string,
    opts: { from?: string | undefined; to?: string | undefined; cursor?: string | undefined; now: Date; evaluate?: number },
  ): Promise<{ items: { sk: string; sealed: Uint8Array }[]; more: boolean }> {
    const after = opts.cursor === undefined ? undefined : decodeCursor(opts.cursor, CLAIM_SK);
    // Sort keys of a day range: CLAIM#<from> up to CLAIM#<to>#~ ('~' sorts after every hash character).
    const low = `${CLAIM_PREFIX}${opts.from ?? '0000-00-00'}`;
    const upper = `${CLAIM_PREFIX}${opts.to ?? '9999-99-99'}#~`;
    const high = after !== undefined && after < upper ? after : upper;
    // A cursor of another range (or a range the wrong way round): nothing between, and no Query DynamoDB would refuse.
    if (high < low) return { items: [], more: false };
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND sk BETWEEN :low AND :high',
        FilterExpression: '#ttl > :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':pk': S(keys.record(dmpId).pk), ':low': S(low), ':high': S(high), ':now': N(epochSeconds(opts.now)) },
        ScanIndexForward: false,
        Limit: opts.evaluate ?? CLAIMS_EVALUATION,
        ConsistentRead: true,
      }),
    );
    const items = (out.Items ?? []).filter((i) => str(i, 'sk') !== after).map((i) => ({ sk: str(i, 'sk') ?? '', sealed: bin(i, 'line') ?? new Uint8Array() }));
    return { items, more: out.LastEvaluatedKey !== undefined };
  }

  /** The cursor of a listing that went through this line. */
  cursorAt(sk: string): string {
    return encodeCursor(sk);
  }

  open(key: DataKey, item: { sk: string; sealed: Uint8Array }): StoredClaim {
    return { lineId: item.sk.slice(item.sk.lastIndexOf('#') + 1), line: openJson<ClaimLine>(key, item.sk, 'line', item.sealed) };
  }

  /**
   * Deletes a record's lines whose time has passed (DynamoDB's TTL does it in AWS; the local
   * runtime's daily job calls this). How many were deleted.
   */
  async purgeExpired(dmpId: string, now: Date): Promise<number> {
    const pk = keys.record(dmpId).pk;
    let deleted = 0;
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :claim)',
          FilterExpression: '#ttl <= :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':pk': S(pk), ':claim': S(CLAIM_PREFIX), ':now': N(epochSeconds(now)) },
          ProjectionExpression: 'pk, sk',
          ExclusiveStartKey: start,
        }),
      );
      const expired = out.Items ?? [];
      await this.batchWrite(expired.map((i) => ({ DeleteRequest: { Key: { pk: S(pk), sk: S(str(i, 'sk') ?? '') } } })));
      deleted += expired.length;
      start = out.LastEvaluatedKey;
    } while (start);
    return deleted;
  }

  /** Whether the patient masked the history from professionals (the attending physician excepted). */
  async masked(dmpId: string): Promise<boolean> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem(settingsKey(dmpId)), ConsistentRead: true }));
    return out.Item ? (bool(out.Item, 'maskedToProfessionals') ?? false) : false;
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

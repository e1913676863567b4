/**
 * The vaccination record in the record's partition (so that the ten-year purge, which deletes the
 * partition, removes it with the record):
 *
 *   REC#<dmpId>  VACC#E#<id>   a recorded vaccination, sealed whole (`entry`) with the record's data key
 *   REC#<dmpId>  VACC#Q        the record's place in the reminder queue: GSI1 VACCREMIND#<shard>, sorted
 *                              by the instant its next reminder falls due (`<instant>#<dmpId>`)
 *   REC#<dmpId>  VACC#R#<h>    a reminder sent, one per due item: <h> a keyed hash of the item's id
 *                              (`dtp-65`, `booster-<id>`…) under a key derived from the record's own
 *
 * In clear: the keys and the queue's instant. Everything of a vaccination (its date, vaccine, lot,
 * dose, vaccinator, booster date, author) is in the sealed attribute, bound to its item; the item's
 * key carries only a random id, so the list is read whole (one Query: a record holds a lifetime of
 * vaccinations, a few kilobytes) and ordered once opened.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import { QueryCommand, type AttributeValue, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { B, S, bin, str, type Item } from '#adapters/attributes';
import { decodeCursor, encodeCursor } from '#adapters/cursor';
import { openJson, sealJson } from '#adapters/envelope';
import { keys, REMINDER_QUEUE_SK as QUEUE_SK, REMINDER_SHARDS, reminderPartition, reminderQueueItem } from '#adapters/table';
import type { LabelledWrite } from '#adapters/transactions';
import type { DataKey } from '#domain/ports';
import type { RecordedVaccination, VaccinationEntry } from '#domain/vaccinations/entries';

const PREFIX = 'VACC#';
const ENTRY_PREFIX = 'VACC#E#';
const REMINDED_PREFIX = 'VACC#R#';

export { REMINDER_SHARDS, reminderPartition };

/** A list position: the date, the source's rank (recorded 0, claims 1) and the entry's id (entries.ts newestFirst). */
const POSITION = /^([0-9]{4}-[0-9]{2}-[0-9]{2})#([01])#([A-Za-z0-9_-]{1,64})$/;

/** Everything the reminders read of a record's vaccination items: one Query. */
export interface VaccinationPartition {
  entries: RecordedVaccination[];
  /** The queue entry's sort key on GSI1, while it is queued. */
  queued?: string | undefined;
  /** The keyed hashes of the due items reminded already. */
  reminded: ReadonlySet<string>;
}

const derivedKeys = new WeakMap<DataKey, Buffer>();
/** A key of the record's own (HKDF of its data key): the reminders' hashes mean nothing outside the record, and die with it. */
const reminderKey = (key: DataKey): Buffer => {
  let k = derivedKeys.get(key);
  if (!k) {
    k = Buffer.from(hkdfSync('sha256', key.material, Buffer.alloc(0), `dmp/vaccination-reminders/${key.dmpId}`, 32));
    derivedKeys.set(key, k);
  }
  return k;
};
const keyedHash = (key: DataKey, purpose: string, value: string): Buffer => createHmac('sha256', reminderKey(key)).update(`${purpose}\n${value}`, 'utf8').digest();

export class VaccinationStore {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** A recorded vaccination, as one write of its action's transaction (a new item: never overwrites). */
  entryWrite(key: DataKey, entry: RecordedVaccination): LabelledWrite {
    const sk = `${ENTRY_PREFIX}${entry.id}`;
    return {
      label: 'vaccination',
      item: {
        Put: {
          TableName: this.table,
          Item: { pk: S(keys.record(key.dmpId).pk), sk: S(sk), entry: B(sealJson(key, sk, 'entry', entry)) },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    };
  }

  /**
   * The record's queue entry, due at `now`: the reminders' next run works its dates out afresh (a
   * new vaccination may bring a booster date, or satisfy what was due). Put whole, so a record is
   * queued once whatever the number of vaccinations.
   */
  enqueueWrite(dmpId: string, now: Date): LabelledWrite {
    return {
      label: 'reminder-queue',
      item: { Put: { TableName: this.table, Item: reminderQueueItem(dmpId, now.toISOString()) } },
    };
  }

  /** The GSI1 attributes of a queue entry due at an instant (ISO 8601). */
  queuedAt(dmpId: string, instant: string): { gsi1pk: AttributeValue; gsi1sk: AttributeValue } {
    const { gsi1pk, gsi1sk } = reminderQueueItem(dmpId, instant);
    if (!gsi1pk || !gsi1sk) throw new Error('a queue entry without its index keys');
    return { gsi1pk, gsi1sk };
  }

  /** The queue entry's key. */
  queueKey(dmpId: string): Item {
    return { pk: S(keys.record(dmpId).pk), sk: S(QUEUE_SK) };
  }

  /** A reminder's marker item: its key for a due item. */
  reminderKey(key: DataKey, itemId: string): Item {
    return { pk: S(keys.record(key.dmpId).pk), sk: S(`${REMINDED_PREFIX}${keyedHash(key, 'reminded', itemId).toString('base64url').slice(0, 32)}`) };
  }

  /** Whether a due item was reminded, among the markers read (VaccinationPartition.reminded). */
  isReminded(key: DataKey, reminded: ReadonlySet<string>, itemId: string): boolean {
    return reminded.has(this.reminderKey(key, itemId).sk?.S ?? '');
  }

  /** The spread of a due item's reminder (0 to `days` − 1): drawn from the record's key, the same on every run. */
  spread(key: DataKey, itemId: string, days: number): number {
    return (keyedHash(key, 'spread', itemId)[0] ?? 0) % days;
  }

  /** The record's recorded vaccinations, opened (one Query, every page). */
  async entries(key: DataKey): Promise<RecordedVaccination[]> {
    return (await this.read(key, ENTRY_PREFIX)).entries;
  }

  /** The recorded vaccinations, the queue entry and the reminders' markers of a record: one Query. */
  async partition(key: DataKey): Promise<VaccinationPartition> {
    return this.read(key, PREFIX);
  }

  private async read(key: DataKey, prefix: string): Promise<VaccinationPartition> {
    const entries: RecordedVaccination[] = [];
    const reminded = new Set<string>();
    let queued: string | undefined;
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :prefix)',
          ExpressionAttributeValues: { ':pk': S(keys.record(key.dmpId).pk), ':prefix': S(prefix) },
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) {
        const sk = str(item, 'sk') ?? '';
        const sealed = bin(item, 'entry');
        if (sk.startsWith(ENTRY_PREFIX) && sealed) entries.push(openJson<RecordedVaccination>(key, sk, 'entry', sealed));
        else if (sk.startsWith(REMINDED_PREFIX)) reminded.add(sk);
        else if (sk === QUEUE_SK) queued = str(item, 'gsi1sk');
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return { entries, queued, reminded };
  }

  /** The cursor of a listing that stopped after this entry. */
  cursorAt(entry: Pick<VaccinationEntry, 'date' | 'source' | 'id'>): string {
    return encodeCursor(`${entry.date}#${entry.source === 'claims' ? 1 : 0}#${entry.id}`);
  }

  /** The position a cursor stands for (InvalidCursor: not one of this list's). */
  position(cursor: string): Pick<VaccinationEntry, 'date' | 'source' | 'id'> {
    const [, date, rank, id] = POSITION.exec(decodeCursor(cursor, POSITION)) as RegExpExecArray;
    return { date: date as string, source: rank === '1' ? 'claims' : 'professional', id: id as string };
  }
}

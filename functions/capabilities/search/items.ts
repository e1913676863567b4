/**
 * The items a search's candidates stand for, read as they are now (an index is written after the
 * item and may lag a change of labels, a deletion or an expiry): one BatchGetItem of the page's
 * candidates, by the keys their own stores give them, in the record's partition:
 *
 *   document     DOC#<documentId>                 the documents' metadata item (documents/store.ts)
 *   claim        CLAIMSRC#<lineId>                a line of the history (claims/store.ts: the lineId is
 *                                                 the keyed hash of its sourceId its key ends with)
 *   vaccination  VACC#E#<id>                      a recorded vaccination (vaccinations/store.ts)
 *   profile      HEALTH#PROFILE                   the health profile, sealed whole (health/store.ts)
 *
 * A measured code has no item of its own: its latest value is one Query of the measurements store
 * (reader.ts). Only keys go out; every item comes back sealed and is opened by its own store.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { str, type Item } from '#adapters/attributes';
import { keyItem, keys } from '#adapters/table';
import { claimLineSk } from '../claims/store.ts';

const MAX_BATCH_GET = 100;
const MAX_ATTEMPTS = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
/** Unprocessed keys are asked again, with a growing pause (DynamoDB's advice). */
const backoff = (attempt: number) => sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2));

/** The sort key of a candidate's item, or undefined for a kind that has none (a measured code). */
export const itemSk = (dmpId: string, kind: string, id: string): string | undefined => {
  switch (kind) {
    case 'document':
      return keys.document(dmpId, id).sk;
    case 'claim':
      return claimLineSk(id);
    case 'vaccination':
      return `VACC#E#${id}`;
    case 'profile':
      return 'HEALTH#PROFILE';
    default:
      return undefined;
  }
};

export class SearchItems {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** The items of the record found under these sort keys (consistent reads), by sort key; absent ones are not in the map. */
  async get(dmpId: string, sks: readonly string[]): Promise<Map<string, Item>> {
    const found = new Map<string, Item>();
    const wanted = [...new Set(sks)];
    const calls: Promise<void>[] = [];
    for (let i = 0; i < wanted.length; i += MAX_BATCH_GET) {
      const chunk = wanted.slice(i, i + MAX_BATCH_GET).map((sk) => keyItem({ pk: keys.record(dmpId).pk, sk }));
      calls.push(
        (async () => {
          let pending: Item[] = chunk;
          for (let attempt = 0; pending.length > 0; attempt++) {
            if (attempt >= MAX_ATTEMPTS) throw new Error('search candidates could not be read');
            if (attempt > 0) await backoff(attempt);
            const out = await this.db.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
            for (const item of out.Responses?.[this.table] ?? []) found.set(str(item, 'sk') ?? '', item);
            pending = (out.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
          }
        })(),
      );
    }
    await Promise.all(calls);
    return found;
  }
}

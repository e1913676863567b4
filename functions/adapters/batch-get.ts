/**
 * Items read by their keys in BatchGetItem calls: up to 100 keys a call, calls side by side,
 * unprocessed keys asked again with a growing pause (DynamoDB's advice); and single items whose
 * reads, asked at the same time, are sent together (readItem). Used wherever the keys
 * are known in advance — a record and its data key, a professional's standing, a word's lists,
 * a page of candidates — rather than a Query of a range: the same round trip on DynamoDB, and
 * reads whose cost does not depend on what else the partition holds.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import DataLoader from 'dataloader';
import type { Item } from './attributes.ts';

/** BatchGetItem's limit of keys per call. */
export const MAX_BATCH_GET = 100;
const MAX_ATTEMPTS = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2));

export interface BatchGetOptions {
  /** Strongly consistent reads (a decision that must see the latest write). */
  consistent: boolean;
  /** Only these attributes of each item (all when absent): the reader's own, and fewer bytes on the wire. */
  attributes?: readonly string[];
}

/** A ProjectionExpression of these attribute names, each through a name placeholder (some are reserved words). */
const projectionOf = (attributes: readonly string[] | undefined) =>
  attributes === undefined
    ? {}
    : {
        ProjectionExpression: attributes.map((_, i) => `#p${i}`).join(', '),
        ExpressionAttributeNames: Object.fromEntries(attributes.map((a, i) => [`#p${i}`, a])),
      };

/** The items found under these keys (absent ones are not returned), in no particular order. */
export const batchGet = async (db: DynamoDBClient, table: string, keys: readonly Item[], options: BatchGetOptions): Promise<Item[]> => {
  const found: Item[] = [];
  const projection = projectionOf(options.attributes);
  const calls: Promise<void>[] = [];
  for (let i = 0; i < keys.length; i += MAX_BATCH_GET) {
    const chunk = keys.slice(i, i + MAX_BATCH_GET);
    calls.push(
      (async () => {
        let pending: Item[] = chunk;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt >= MAX_ATTEMPTS) throw new Error('items left unprocessed by BatchGetItem');
          if (attempt > 0) await backoff(attempt);
          const out = await db.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: options.consistent, ...projection } } }));
          found.push(...(out.Responses?.[table] ?? []));
          pending = (out.UnprocessedKeys?.[table]?.Keys as Item[] | undefined) ?? [];
        }
      })(),
    );
  }
  await Promise.all(calls);
  return found;
};

const idOf = (key: Item): string => `${key.pk?.S ?? ''}\u0000${key.sk?.S ?? ''}`;
const loaders = new WeakMap<DynamoDBClient, Map<string, DataLoader<Item, Item | undefined, string>>>();

/**
 * One item by its key, read consistently; the reads of a table asked in the same turn of the event
 * loop go out together in one BatchGetItem (DataLoader's batching, its cache off: every read is
 * a read of the table). A request asks for the record, its data key, the caller's standing and the
 * history's mask side by side: one call, not four. Shared by every store on the same client and table.
 */
export const readItem = (db: DynamoDBClient, table: string, key: Item): Promise<Item | undefined> => {
  let byTable = loaders.get(db);
  if (!byTable) {
    byTable = new Map();
    loaders.set(db, byTable);
  }
  let loader = byTable.get(table);
  if (!loader) {
    loader = new DataLoader<Item, Item | undefined, string>(
      async (keys) => {
        // BatchGetItem refuses a key twice in one call.
        const unique = [...new Map(keys.map((k) => [idOf(k), k])).values()];
        const found = new Map((await batchGet(db, table, unique, { consistent: true })).map((item) => [idOf(item), item]));
        return keys.map((k) => found.get(idOf(k)));
      },
      { cache: false, maxBatchSize: MAX_BATCH_GET, cacheKeyFn: idOf },
    );
    byTable.set(table, loader);
  }
  return loader.load(key);
};

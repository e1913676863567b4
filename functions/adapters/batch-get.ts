/**
 * Items read by their keys in BatchGetItem calls: up to 100 keys a call, calls side by side,
 * unprocessed keys asked again with a growing pause (DynamoDB's advice). Used wherever the keys
 * are known in advance — a record and its data key, a professional's standing, a word's lists,
 * a page of candidates — rather than a Query of a range: the same round trip on DynamoDB, and
 * reads whose cost does not depend on what else the partition holds.
 */
import { BatchGetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Item } from './attributes.ts';

/** BatchGetItem's limit of keys per call. */
export const MAX_BATCH_GET = 100;
const MAX_ATTEMPTS = 10;
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const backoff = (attempt: number) => sleep(Math.min(1000, 20 * 2 ** attempt) * (0.5 + Math.random() / 2));

export interface BatchGetOptions {
  /** Strongly consistent reads (a decision that must see the latest write). */
  consistent: boolean;
}

/** The items found under these keys (absent ones are not returned), in no particular order. */
export const batchGet = async (db: DynamoDBClient, table: string, keys: readonly Item[], options: BatchGetOptions): Promise<Item[]> => {
  const found: Item[] = [];
  const calls: Promise<void>[] = [];
  for (let i = 0; i < keys.length; i += MAX_BATCH_GET) {
    const chunk = keys.slice(i, i + MAX_BATCH_GET);
    calls.push(
      (async () => {
        let pending: Item[] = chunk;
        for (let attempt = 0; pending.length > 0; attempt++) {
          if (attempt >= MAX_ATTEMPTS) throw new Error('items left unprocessed by BatchGetItem');
          if (attempt > 0) await backoff(attempt);
          const out = await db.send(new BatchGetItemCommand({ RequestItems: { [table]: { Keys: pending, ConsistentRead: options.consistent } } }));
          found.push(...(out.Responses?.[table] ?? []));
          pending = (out.UnprocessedKeys?.[table]?.Keys as Item[] | undefined) ?? [];
        }
      })(),
    );
  }
  await Promise.all(calls);
  return found;
};

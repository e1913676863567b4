/**
 * The table's sparse queues on GSI1: a partition per shard (`OUTBOX#PENDING#3`, `RETAIN#5`,
 * `VISIBILITY#0`, `UPLOADS#7`), sorted by the instant an entry is due (`<instant>#...`). The jobs
 * find their work with a Query per shard, never a Scan.
 */
import { GSI1 } from './storage-contract.ts';
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S, required, str, type Item } from './attributes.ts';

export interface DueQueue {
  partition: (shard: number) => string;
  shards: number;
}

/**
 * The keys of the entries due at `now`, shard after shard: with `limitPerShard`, at most that many
 * per shard (the rest waits for the next run); without, all of them.
 */
export async function* dueEntries(db: DynamoDBClient, tableName: string, queue: DueQueue, now: Date, limitPerShard?: number): AsyncGenerator<{ pk: string; sk: string }> {
  for (let shard = 0; shard < queue.shards; shard++) {
    let start: Item | undefined;
    do {
      const out = await db.send(
        new QueryCommand({
          TableName: tableName,
          IndexName: GSI1,
          KeyConditionExpression: 'gsi1pk = :p AND gsi1sk <= :now',
          ExpressionAttributeValues: { ':p': S(queue.partition(shard)), ':now': S(`${now.toISOString()}#~`) },
          ...(limitPerShard ? { Limit: limitPerShard } : {}),
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const item of out.Items ?? []) yield { pk: required(str(item, 'pk'), 'pk'), sk: required(str(item, 'sk'), 'sk') };
      start = limitPerShard ? undefined : out.LastEvaluatedKey;
    } while (start);
  }
}

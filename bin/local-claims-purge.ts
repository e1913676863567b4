/**
 * The daily purge of expired claim lines, for the local runtime only. In AWS, DynamoDB's TTL
 * deletes a line once its `ttl` (care date + 24 months) has passed and every read filters on it
 * meanwhile; the emulator never expires items, so locally this job deletes them: one Scan of claim
 * items (CLAIMSRC#…, and CLAIM#… of the earlier two-item layout) whose `ttl` has passed (keys
 * only), then BatchWriteItem deletes, unprocessed ones retried.
 */
import { BatchWriteItemCommand, ScanCommand, type AttributeValue, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';

const BATCH = 25;

export const purgeExpiredClaims = async (db: DynamoDBClient, tableName: string, now: Date): Promise<{ deleted: number }> => {
  let deleted = 0;
  let start: Record<string, AttributeValue> | undefined;
  do {
    const out = await db.send(
      new ScanCommand({
        TableName: tableName,
        FilterExpression: '(begins_with(sk, :claim) OR begins_with(sk, :marker)) AND #ttl <= :now',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':claim': { S: 'CLAIM#' }, ':marker': { S: 'CLAIMSRC#' }, ':now': { N: String(Math.floor(now.getTime() / 1000)) } },
        ProjectionExpression: 'pk, sk',
        ExclusiveStartKey: start,
      }),
    );
    const keys = out.Items ?? [];
    for (let i = 0; i < keys.length; i += BATCH) {
      let pending: WriteRequest[] = keys.slice(i, i + BATCH).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 8) throw new Error('expired claim items could not be deleted');
        const res = await db.send(new BatchWriteItemCommand({ RequestItems: { [tableName]: pending } }));
        pending = res.UnprocessedItems?.[tableName] ?? [];
      }
    }
    deleted += keys.length;
    start = out.LastEvaluatedKey;
  } while (start);
  return { deleted };
};

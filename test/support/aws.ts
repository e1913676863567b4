/** Real AWS SDK clients on the shared emulator, and a fresh table for one test file. */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Item } from '../../functions/adapters/attributes.ts';
import { dynamoClient, kmsClient } from '../../functions/adapters/aws.ts';
import { keys } from '../../functions/adapters/table.ts';
import { ensureDataKey, ensureTable } from '../../bin/local-aws.ts';

export const emulator = async () => {
  const endpoint = inject('awsEndpoint');
  const settings = { region: 'eu-west-3', endpoint };
  const db = dynamoClient(settings);
  const kms = kmsClient(settings);
  const tableName = `it-${randomUUID().slice(0, 12)}`;
  await ensureTable(db, tableName);
  const dataKeyId = await ensureDataKey(kms, `alias/${tableName}`);
  return { endpoint, db, kms, tableName, dataKeyId };
};

/** Every item of a record's partition, under a sort key prefix if given (chunks fill a 1 MB page quickly). */
export const partitionItems = async (db: DynamoDBClient, tableName: string, dmpId: string, prefix?: string): Promise<Item[]> => {
  const items: Item[] = [];
  let start: Item | undefined;
  do {
    const out = await db.send(
      new QueryCommand({
        TableName: tableName,
        KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :p)' : 'pk = :pk',
        ExpressionAttributeValues: { ':pk': { S: keys.record(dmpId).pk }, ...(prefix ? { ':p': { S: prefix } } : {}) },
        ConsistentRead: true,
        ...(start ? { ExclusiveStartKey: start } : {}),
      }),
    );
    items.push(...(out.Items ?? []));
    start = out.LastEvaluatedKey;
  } while (start);
  return items;
};

/** A transaction of more parts than DynamoDB takes is refused before anything is sent. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { describe, expect, it } from 'vitest';
import { MAX_TRANSACTION_ITEMS, TransactionTooLarge, transact, type LabelledWrite } from '../../functions/adapters/transactions.ts';

const write = (i: number): LabelledWrite => ({ label: `part-${i}`, item: { Put: { TableName: 't', Item: { pk: { S: `P#${i}` }, sk: { S: 'S' } } } } });

describe('transact', () => {
  it(`refuses more than ${MAX_TRANSACTION_ITEMS} writes without calling DynamoDB; sends ${MAX_TRANSACTION_ITEMS}`, async () => {
    const sent: unknown[] = [];
    const db = { send: async (command: unknown) => void sent.push(command) } as unknown as DynamoDBClient;
    const writes = Array.from({ length: MAX_TRANSACTION_ITEMS + 1 }, (_, i) => write(i));
    await expect(transact(db, writes)).rejects.toBeInstanceOf(TransactionTooLarge);
    expect(sent).toEqual([]);
    await transact(db, writes.slice(0, MAX_TRANSACTION_ITEMS));
    expect(sent).toHaveLength(1);
  });
});

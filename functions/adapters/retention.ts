/**
 * The records' storage as the retention job (functions/domain/jobs/retention.ts) sees it: the
 * RETAIN# queue on GSI1 (a Query per shard, never a Scan), the record's META, the transaction that
 * shreds its data key, and the deletions, each idempotent.
 */
import { ConditionsRefused } from '#domain/errors';
import { BatchWriteItemCommand, DeleteItemCommand, GetItemCommand, QueryCommand, type DynamoDBClient, type WriteRequest } from '@aws-sdk/client-dynamodb';
import type { RecordLifecycle, RetentionStore } from '#domain/jobs/retention';
import { N, S, str, type Item } from './attributes.ts';
import { dueEntries } from './due-queue.ts';
import { dmpIdOfPk, keyItem as k, keys, RETENTION_SHARDS, retentionPartition } from './table.ts';
import { transact } from './transactions.ts';

const BATCH = 25;

export class DynamoRetentionStore implements RetentionStore {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  async *due(now: Date): AsyncGenerator<string> {
    for await (const { pk } of dueEntries(this.db, this.table, { partition: retentionPartition, shards: RETENTION_SHARDS }, now)) yield dmpIdOfPk(pk);
  }

  async lifecycle(dmpId: string): Promise<RecordLifecycle | undefined> {
    const meta = (await this.db.send(new GetItemCommand({ TableName: this.table, Key: k(keys.record(dmpId)), ConsistentRead: true }))).Item;
    if (!meta) return undefined;
    return { status: str(meta, 'status') ?? '', retainUntil: str(meta, 'retainUntil'), insHash: str(meta, 'insHash') };
  }

  /** The data key goes, atomically with the check that the record is still due. */
  async shred(dmpId: string, now: Date): Promise<boolean> {
    try {
      await transact(this.db, [
        {
          label: 'record',
          item: {
            Update: {
              TableName: this.table,
              Key: k(keys.record(dmpId)),
              UpdateExpression: 'SET #status = :destroying, destroyingSince = :now, revision = revision + :one',
              ConditionExpression: '#status = :closed AND retainUntil <= :now',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':destroying': S('destroying'), ':closed': S('closed'), ':now': S(now.toISOString()), ':one': N(1) },
            },
          },
        },
        { label: 'key', item: { Delete: { TableName: this.table, Key: k(keys.dataKey(dmpId)) } } },
      ]);
      return true;
    } catch (error) {
      if (error instanceof ConditionsRefused) return false;
      throw error;
    }
  }

  async releaseIns(insHash: string, dmpId: string): Promise<void> {
    await this.db
      .send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: k(keys.insIndex(insHash)),
          // Only this record's entry.
          ConditionExpression: 'attribute_not_exists(pk) OR dmpId = :id',
          ExpressionAttributeValues: { ':id': S(dmpId) },
        }),
      )
      .catch((error: unknown) => {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      });
  }

  async deleteContents(dmpId: string): Promise<void> {
    const keep = new Set([keys.record(dmpId).sk, keys.retention(dmpId).sk]);
    const sks = (await this.partition(dmpId, '')).filter((sk) => !keep.has(sk));
    await this.batchDelete(sks.map((sk) => ({ pk: S(keys.record(dmpId).pk), sk: S(sk) })));
  }

  async deleteRecord(dmpId: string): Promise<void> {
    await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: k(keys.record(dmpId)) }));
  }

  async dequeue(dmpId: string): Promise<void> {
    await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: k(keys.retention(dmpId)) }));
  }

  async deleteLogins(dmpId: string): Promise<void> {
    const refs = await this.partition(dmpId, 'LOGINREF#');
    const logins = refs.map((sk) => k(keys.login(sk.slice('LOGINREF#'.length))));
    await this.batchDelete(logins);
  }

  private async partition(dmpId: string, prefix: string): Promise<string[]> {
    const sks: string[] = [];
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: prefix ? 'pk = :pk AND begins_with(sk, :prefix)' : 'pk = :pk',
          ExpressionAttributeValues: { ':pk': S(keys.record(dmpId).pk), ...(prefix ? { ':prefix': S(prefix) } : {}) },
          ProjectionExpression: 'sk',
          ConsistentRead: true,
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      for (const i of out.Items ?? []) if (i.sk?.S) sks.push(i.sk.S);
      start = out.LastEvaluatedKey;
    } while (start);
    return sks;
  }

  /** BatchWriteItem in groups of 25, retrying what DynamoDB leaves unprocessed. */
  private async batchDelete(keysToDelete: Item[]): Promise<void> {
    for (let i = 0; i < keysToDelete.length; i += BATCH) {
      let requests: WriteRequest[] = keysToDelete.slice(i, i + BATCH).map((Key) => ({ DeleteRequest: { Key } }));
      for (let attempt = 0; requests.length > 0; attempt++) {
        if (attempt > 0) await new Promise((r) => setTimeout(r, Math.min(50 * 2 ** attempt, 2000)));
        if (attempt > 8) throw Object.assign(new Error('deletes left unprocessed'), { $fault: 'server' });
        const out = await this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: requests } }));
        requests = out.UnprocessedItems?.[this.table] ?? [];
      }
    }
  }
}

/**
 * Destruction of records ten years after closure. For each closed record whose `retainUntil` has
 * passed (found through the RETAIN# index, never a Scan):
 *   1. one transaction checks the record is still closed and due, marks it `destroying` and deletes
 *      its wrapped data key: from that instant every sealed value is unreadable (crypto-shredding),
 *      and reactivation is impossible (it requires the key);
 *   2. the logins, the INS index entry (so a new DMP can be created), then every item of the record
 *      are deleted; the record's META goes last but one, its RETAIN entry last.
 * Safe to run twice and to interrupt: each step is idempotent, and the RETAIN entry (the job's
 * queue) stays until the end, so an interrupted destruction resumes on the next run. Records
 * reactivated meanwhile have no RETAIN entry and fail the step-1 condition. Nothing outside the
 * record's partition is touched except its logins and INS entry (the pharmacy ledger, which holds
 * no personal data, is accounting and stays).
 */
import {
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  QueryCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { Logger } from '#adapters/logger';
import { isDueForDestruction } from '#domain/lifecycle';
import { N, S, str, type Item } from './attributes.ts';
import { dueEntries } from './due-queue.ts';
import { dmpIdOfPk, keyItem as k, keys, RETENTION_SHARDS, retentionPartition } from './table.ts';
import { ConditionsRefused, transact } from './transactions.ts';

export interface RetentionReport {
  destroyed: number;
  /** Due entries left alone: reactivated or closed again meanwhile. */
  kept: number;
}

const BATCH = 25;

export class RetentionJob {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  private readonly logger: Logger;
  constructor(db: DynamoDBClient, tableName: string, logger: Logger) {
    this.db = db;
    this.table = tableName;
    this.logger = logger;
  }

  async sweep(now: Date): Promise<RetentionReport> {
    const report: RetentionReport = { destroyed: 0, kept: 0 };
    for await (const { pk } of dueEntries(this.db, this.table, { partition: retentionPartition, shards: RETENTION_SHARDS }, now)) {
      if (await this.destroy(dmpIdOfPk(pk), now)) report.destroyed += 1;
      else report.kept += 1;
    }
    return report;
  }

  /** Destroys one record if it is (still) due; true when it is gone. */
  async destroy(dmpId: string, now: Date): Promise<boolean> {
    const meta = (await this.db.send(new GetItemCommand({ TableName: this.table, Key: k(keys.record(dmpId)), ConsistentRead: true }))).Item;
    const status = meta ? str(meta, 'status') : undefined;
    if (meta && status !== 'destroying') {
      if (!isDueForDestruction({ status: status ?? '', retainUntil: str(meta, 'retainUntil') }, now)) return false;
      try {
        await this.shred(dmpId, now);
      } catch (error) {
        if (error instanceof ConditionsRefused) return false; // reactivated a moment ago
        throw error;
      }
    }
    await this.deleteLogins(dmpId);
    const insHash = meta ? str(meta, 'insHash') : undefined;
    if (insHash) {
      await this.db.send(
        new DeleteItemCommand({
          TableName: this.table,
          Key: k(keys.insIndex(insHash)),
          // Only this record's entry.
          ConditionExpression: 'attribute_not_exists(pk) OR dmpId = :id',
          ExpressionAttributeValues: { ':id': S(dmpId) },
        }),
      ).catch((error: unknown) => {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      });
    }
    await this.deletePartition(dmpId, new Set(['META', 'RETAIN']));
    await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: k(keys.record(dmpId)) }));
    await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: k(keys.retention(dmpId)) }));
    this.logger.info('record destroyed', { dmpId });
    return true;
  }

  /** Step 1: the data key goes, atomically with the check that the record is still due. */
  private shred(dmpId: string, now: Date): Promise<void> {
    return transact(this.db, [
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
  }

  private async deleteLogins(dmpId: string): Promise<void> {
    const refs = await this.partition(dmpId, 'LOGINREF#');
    const logins = refs.map((sk) => k(keys.login(sk.slice('LOGINREF#'.length))));
    await this.batchDelete(logins);
  }

  private async deletePartition(dmpId: string, keep: ReadonlySet<string>): Promise<void> {
    const sks = (await this.partition(dmpId, '')).filter((sk) => !keep.has(sk));
    await this.batchDelete(sks.map((sk) => ({ pk: S(keys.record(dmpId).pk), sk: S(sk) })));
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

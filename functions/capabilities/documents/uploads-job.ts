/**
 * The uploads job: a deposit of several chunks writes an intent (UPLOAD#<docId>) before its chunks
 * and deletes it in its commit. An intent still there after UPLOAD_ABANDON_MS belongs to a deposit
 * that never committed: the job marks it abandoned (from then on that deposit cannot commit),
 * deletes its chunks, then the intent. Each step is idempotent, so an interrupted run is finished
 * by the next one. Nothing of the abandoned document was ever visible: its metadata never existed.
 */
import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '#adapters/logger';
import { S, num } from '#adapters/attributes';
import type { DocumentStore } from './store.ts';
import { dueEntries } from '#adapters/due-queue';
import { DOCUMENT_SHARDS, dmpIdOfPk, uploadsPartition } from '#adapters/table';

export interface UploadsReport {
  abandoned: number;
  chunksDeleted: number;
}

export class UploadsJob {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  private readonly documents: DocumentStore;
  private readonly logger: Logger;
  constructor(db: DynamoDBClient, tableName: string, documents: DocumentStore, logger: Logger) {
    this.db = db;
    this.table = tableName;
    this.documents = documents;
    this.logger = logger;
  }

  async sweep(now: Date, limitPerShard = 100): Promise<UploadsReport> {
    const report: UploadsReport = { abandoned: 0, chunksDeleted: 0 };
    for await (const { pk, sk } of dueEntries(this.db, this.table, { partition: uploadsPartition, shards: DOCUMENT_SHARDS }, now, limitPerShard)) {
      try {
        const deleted = await this.cleanUp(pk, sk);
        if (deleted === undefined) continue; // committed meanwhile: not abandoned
        report.chunksDeleted += deleted;
        report.abandoned += 1;
      } catch (error) {
        this.logger.warn('abandoned upload not cleaned up', { errorName: (error as Error).name });
      }
    }
    return report;
  }

  /** The chunks deleted, or undefined when the deposit committed (or was cleaned up) meanwhile. */
  private async cleanUp(pk: string, sk: string): Promise<number | undefined> {
    let chunks: number;
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: { pk: S(pk), sk: S(sk) },
          UpdateExpression: 'SET #state = :abandoned',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#state': 'state' },
          ExpressionAttributeValues: { ':abandoned': S('abandoned') },
          ReturnValues: 'ALL_NEW',
        }),
      );
      chunks = num(out.Attributes ?? {}, 'chunks') ?? 0;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
    await this.documents.discardStaged(dmpIdOfPk(pk), sk.slice('UPLOAD#'.length), chunks);
    return chunks;
  }
}

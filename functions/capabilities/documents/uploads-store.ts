/**
 * The documents' storage as the uploads job (functions/domain/jobs/uploads.ts) sees it: the upload
 * intents (UPLOAD#<docId>) sit in a sparse, sharded index (UPLOADS#<shard>) by the instant they
 * count as abandoned, found with a Query; an intent is marked abandoned with a conditional update
 * (which a commit in progress then fails), and its chunks and itself are deleted by the documents
 * store.
 */
import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { UploadRef, UploadsStore } from '#domain/jobs/uploads';
import { S, num } from '#adapters/attributes';
import type { DocumentStore } from './store.ts';
import { dueEntries } from '#adapters/due-queue';
import { DOCUMENT_SHARDS, dmpIdOfPk, keys, uploadsPartition } from '#adapters/table';

export class DynamoUploadsStore implements UploadsStore {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  private readonly documents: DocumentStore;
  constructor(db: DynamoDBClient, tableName: string, documents: DocumentStore) {
    this.db = db;
    this.table = tableName;
    this.documents = documents;
  }

  /** Shard by shard, at most `batch` per shard. */
  async *due(now: Date, batch: number): AsyncGenerator<UploadRef> {
    for await (const { pk, sk } of dueEntries(this.db, this.table, { partition: uploadsPartition, shards: DOCUMENT_SHARDS }, now, batch)) {
      yield { dmpId: dmpIdOfPk(pk), documentId: sk.slice('UPLOAD#'.length) };
    }
  }

  async abandon({ dmpId, documentId }: UploadRef): Promise<number | undefined> {
    const { pk, sk } = keys.upload(dmpId, documentId);
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
      return num(out.Attributes ?? {}, 'chunks') ?? 0;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  deleteChunks({ dmpId, documentId }: UploadRef, chunks: number): Promise<void> {
    return this.documents.deleteChunks(dmpId, documentId, chunks);
  }

  deleteIntent({ dmpId, documentId }: UploadRef): Promise<void> {
    return this.documents.deleteUploadIntent(dmpId, documentId);
  }
}

/**
 * The claims import's progress in the table (the ImportCheckpoints port of
 * functions/domain/jobs/claims-import.ts), one item per object version:
 *
 *   IMPORT#<sha256(key, version)>  IMPORT   batch, byte, line, totals (counts), complete, ttl
 *
 * The key is a hash: an object's name never appears in the table. The item holds counts and
 * offsets only, and expires (DynamoDB TTL) a while after the import's last step. A save never moves
 * progress back: it is conditional on the stored byte being behind (or, at the same byte, on the
 * import not being marked complete yet), so two deliveries of the same object racing each other
 * leave the furthest progress.
 */
import { createHash } from 'node:crypto';
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { flatTotals, type ImportCheckpoint, type ImportCheckpoints, type InboxObject } from '#domain/jobs/claims-import';
import { BOOL, epochSeconds, type Item, N, num, S } from './attributes.ts';

/** How long a checkpoint is kept after its last save: well past any redelivery of the object's event. */
const KEEP_MS = 35 * 86_400_000;

export const checkpointKey = (object: InboxObject) => {
  const id = createHash('sha256')
    .update(JSON.stringify([object.key, object.version]))
    .digest('hex');
  return { pk: `IMPORT#${id}`, sk: 'IMPORT' };
};

const count = (item: Item | undefined, name: string): number => (item ? (num(item, name) ?? 0) : 0);

export class DynamoImportCheckpoints implements ImportCheckpoints {
  private readonly db: DynamoDBClient;
  private readonly tableName: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.tableName = tableName;
  }

  async load(object: InboxObject): Promise<ImportCheckpoint | undefined> {
    const k = checkpointKey(object);
    const out = await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: S(k.pk), sk: S(k.sk) }, ConsistentRead: true }));
    const item = out.Item;
    if (!item) return undefined;
    const totals = item.totals?.M;
    return {
      batch: count(item, 'batch'),
      byte: count(item, 'byte'),
      line: count(item, 'line'),
      complete: item.complete?.BOOL === true,
      totals: {
        batches: count(totals, 'batches'),
        records: count(totals, 'records'),
        malformed: count(totals, 'malformed'),
        patients: { stored: count(totals, 'patientsStored'), unknown: count(totals, 'patientsUnknown'), closed: count(totals, 'patientsClosed') },
        lines: {
          accepted: count(totals, 'linesAccepted'),
          // Absent from a checkpoint saved before corrections were counted: 0.
          corrected: count(totals, 'linesCorrected'),
          duplicate: count(totals, 'linesDuplicate'),
          rejected: count(totals, 'linesRejected'),
        },
      },
    };
  }

  async save(object: InboxObject, checkpoint: ImportCheckpoint, now: Date): Promise<void> {
    const k = checkpointKey(object);
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: {
            pk: S(k.pk),
            sk: S(k.sk),
            batch: N(checkpoint.batch),
            byte: N(checkpoint.byte),
            line: N(checkpoint.line),
            complete: BOOL(checkpoint.complete),
            totals: { M: Object.fromEntries(Object.entries(flatTotals(checkpoint.totals)).map(([name, value]) => [name, N(value)])) },
            updatedAt: S(now.toISOString()),
            ttl: N(epochSeconds(new Date(now.getTime() + KEEP_MS))),
          },
          ConditionExpression: 'attribute_not_exists(pk) OR #byte < :byte OR (#byte = :byte AND #complete = :false)',
          ExpressionAttributeNames: { '#byte': 'byte', '#complete': 'complete' },
          ExpressionAttributeValues: { ':byte': N(checkpoint.byte), ':false': BOOL(false) },
        }),
      );
    } catch (error) {
      // Already as far or further (another delivery of the same object): that progress stays.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

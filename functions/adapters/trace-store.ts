/**
 * Traces, append-only, kept in the record's partition (destroyed with it, never before): written in
 * the same transaction as the write they describe, and before any data is returned for a read, so
 * that no access happens without its trace.
 */
import { PutItemCommand, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { Trace } from '#domain/trace';
import { S } from './attributes.ts';
import { keys } from './table.ts';

export const tracePut = (tableName: string, dmpId: string, trace: Trace, at: Date, id: string): TransactWriteItem => {
  const k = keys.trace(dmpId, at.toISOString(), id);
  return {
    Put: {
      TableName: tableName,
      ConditionExpression: 'attribute_not_exists(pk)',
      Item: {
        pk: S(k.pk),
        sk: S(k.sk),
        at: S(at.toISOString()),
        actorKind: S(trace.actor.kind),
        ...(trace.actor.id ? { actorId: S(trace.actor.id) } : {}),
        ...(trace.actor.profession ? { actorProfession: S(trace.actor.profession) } : {}),
        action: S(trace.action),
        mode: S(trace.mode),
        ...(trace.documentId ? { documentId: S(trace.documentId) } : {}),
      },
    },
  };
};

/** A read's trace, on its own: the read fails if this fails. */
export const writeTrace = async (db: DynamoDBClient, tableName: string, dmpId: string, trace: Trace, at: Date, id: string): Promise<void> => {
  const put = tracePut(tableName, dmpId, trace, at, id).Put!;
  await db.send(new PutItemCommand(put));
};

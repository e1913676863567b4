/**
 * Traces, append-only, kept in the record's partition (destroyed with it, never before): written in
 * the same transaction as the write they describe, and before any data is returned for a read, so
 * that no access happens without its trace.
 */
import { createHash } from 'node:crypto';
import { BatchGetItemCommand, PutItemCommand, QueryCommand, type AttributeValue, type DynamoDBClient, type TransactWriteItem } from '@aws-sdk/client-dynamodb';
import type { DocumentLabels } from '#domain/access-policy';
import type { Trace, TraceView } from '#domain/trace';
import { S } from './attributes.ts';
import { decodeCursor, encodeCursor } from './cursor.ts';
import { keys } from './table.ts';
import type { Page, Traces } from '#domain/stores';
import type { LabelledWrite } from './transactions.ts';

export const tracePut = (tableName: string, dmpId: string, trace: Trace, at: Date, id: string, sortedAt: Date = at): TransactWriteItem => {
  const k = keys.trace(dmpId, sortedAt.toISOString(), id);
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
        ...(trace.subjectId ? { subjectId: S(trace.subjectId) } : {}),
        ...(trace.hiddenFrom ? { hiddenFrom: S(trace.hiddenFrom) } : {}),
        outcome: S(trace.outcome ?? 'allowed'),
        ...(trace.requestId ? { requestId: S(trace.requestId) } : {}),
        ...(trace.code ? { code: S(trace.code) } : {}),
      },
    },
  };
};

/** A read's trace, on its own: the read fails if this fails. */
export const writeTrace = async (db: DynamoDBClient, tableName: string, dmpId: string, trace: Trace, at: Date, id: string): Promise<void> => {
  const put = tracePut(tableName, dmpId, trace, at, id).Put!;
  await db.send(new PutItemCommand(put));
};

/** How long one refusal trace stands for all the refusals of the same professional, record and action. */
export const REFUSAL_WINDOW_MS = 60_000;

const SLOT_ALPHABET = 'abcdefghijklmnopqrstuvwxyz234567';

/**
 * A refusal's trace, at most one per actor, record, action and minute: its key is the minute's and
 * a digest of the actor and action, and the Put is conditional on it (one PutItem, no counter); the
 * refusals that follow within the minute are not traced again. It sorts at the start of its minute
 * and carries the time of the first refusal. Whether it was written (false: the minute's was already).
 */
export const writeRefusalTrace = async (db: DynamoDBClient, tableName: string, dmpId: string, trace: Trace & { actor: { id: string } }, at: Date): Promise<boolean> => {
  const minute = new Date(Math.floor(at.getTime() / REFUSAL_WINDOW_MS) * REFUSAL_WINDOW_MS);
  const digest = createHash('sha256').update(`${trace.actor.kind}\n${trace.actor.id}\n${trace.action}`).digest();
  const id = Array.from(digest.subarray(0, 12), (b) => SLOT_ALPHABET[b % 32]).join('');
  try {
    await db.send(new PutItemCommand(tracePut(tableName, dmpId, { ...trace, outcome: 'refused' }, at, id, minute).Put!));
    return true;
  } catch (error) {
    if ((error as Error)?.name === 'ConditionalCheckFailedException') return false;
    throw error;
  }
};

const TRACE_SK = /^TRACE#[0-9T:.Z-]{24}#[a-z2-7]{12}$/;

/**
 * One page of a record's traces, newest first; `only` keeps one actor's own actions (a filter on
 * the page: a page may then hold fewer than `limit` traces, and the cursor goes on from where the
 * Query stopped).
 */
export const tracePage = async (
  db: DynamoDBClient,
  tableName: string,
  dmpId: string,
  limit: number,
  cursor: string | undefined,
  only?: { kind: string; id: string },
): Promise<{ items: TraceView[]; nextCursor: string | null }> => {
  const afterSk = cursor === undefined ? undefined : decodeCursor(cursor, TRACE_SK);
  const pk = keys.record(dmpId).pk;
  const out = await db.send(
    new QueryCommand({
      TableName: tableName,
      KeyConditionExpression: afterSk ? 'pk = :pk AND sk BETWEEN :from AND :before' : 'pk = :pk AND begins_with(sk, :trace)',
      ExpressionAttributeValues: {
        ':pk': S(pk),
        ...(afterSk ? { ':from': S('TRACE#'), ':before': S(afterSk) } : { ':trace': S('TRACE#') }),
        ...(only ? { ':kind': S(only.kind), ':id': S(only.id) } : {}),
      },
      ...(only ? { FilterExpression: 'actorKind = :kind AND actorId = :id' } : {}),
      ScanIndexForward: false,
      Limit: limit + (afterSk ? 1 : 0),
    }),
  );
  const items = (out.Items ?? [])
    .filter((i) => i.sk?.S !== afterSk)
    .slice(0, limit)
    .map(
      (i): TraceView => ({
        at: i.at?.S ?? '',
        actor: {
          kind: (i.actorKind?.S ?? 'anonymous') as TraceView['actor']['kind'],
          ...(i.actorId?.S ? { id: i.actorId.S } : {}),
          ...(i.actorProfession?.S ? { profession: i.actorProfession.S } : {}),
        },
        action: i.action?.S ?? '',
        mode: (i.mode?.S ?? 'normal') as Trace['mode'],
        ...(i.documentId?.S ? { documentId: i.documentId.S } : {}),
        ...(i.subjectId?.S ? { subjectId: i.subjectId.S } : {}),
        ...(i.hiddenFrom?.S ? { hiddenFrom: i.hiddenFrom.S as Trace['hiddenFrom'] } : {}),
        // Traces written before refusals were traced record accesses that happened.
        outcome: i.outcome?.S === 'refused' ? 'refused' : 'allowed',
        ...(i.requestId?.S ? { requestId: i.requestId.S } : {}),
        ...(i.code?.S ? { code: i.code.S } : {}),
      }),
    );
  const nextSk = out.LastEvaluatedKey?.sk?.S;
  return { items, nextCursor: nextSk ? encodeCursor(nextSk) : null };
};

/**
 * The current labels of the documents some traces name (each version's item carries its
 * document's), in one BatchGetItem: an access log needs them only for the traces of documents that
 * were hidden from its reader. A document absent from the answer no longer exists.
 */
export const tracedDocumentLabels = async (db: DynamoDBClient, tableName: string, dmpId: string, documentIds: readonly string[]): Promise<Map<string, DocumentLabels>> => {
  const found = new Map<string, DocumentLabels>();
  let pending: Record<string, AttributeValue>[] = [...new Set(documentIds)].map((id) => {
    const k = keys.document(dmpId, id);
    return { pk: S(k.pk), sk: S(k.sk) };
  });
  for (let attempt = 0; pending.length > 0; attempt++) {
    if (attempt > 8) throw new Error('document labels could not be read');
    if (attempt > 0) await new Promise((resolve) => setTimeout(resolve, 20 * 2 ** attempt));
    const out = await db.send(
      new BatchGetItemCommand({
        RequestItems: {
          [tableName]: {
            Keys: pending,
            ConsistentRead: true,
            ProjectionExpression: 'documentId, maskedToProfessionals, invisibleToPatient, invisibleToRepresentatives',
          },
        },
      }),
    );
    for (const i of out.Responses?.[tableName] ?? []) {
      const id = i.documentId?.S;
      if (!id) continue;
      found.set(id, {
        maskedToProfessionals: i.maskedToProfessionals?.BOOL ?? false,
        invisibleToPatient: i.invisibleToPatient?.BOOL ?? false,
        invisibleToRepresentatives: i.invisibleToRepresentatives?.BOOL ?? false,
      });
    }
    pending = out.UnprocessedKeys?.[tableName]?.Keys ?? [];
  }
  return found;
};

/** The Traces port over the table: each record's traces in its own partition. */
export class DynamoTraces implements Traces {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  write(dmpId: string, trace: Trace, at: Date, id: string): LabelledWrite {
    return { label: 'trace', item: tracePut(this.table, dmpId, trace, at, id) };
  }

  append(dmpId: string, trace: Trace, at: Date, id: string): Promise<void> {
    return writeTrace(this.db, this.table, dmpId, trace, at, id);
  }

  refusal(dmpId: string, trace: Trace & { actor: { id: string } }, at: Date): Promise<boolean> {
    return writeRefusalTrace(this.db, this.table, dmpId, trace, at);
  }

  page(dmpId: string, limit: number, cursor: string | undefined, only?: { kind: string; id: string }): Promise<Page<TraceView>> {
    return tracePage(this.db, this.table, dmpId, limit, cursor, only);
  }

  documentLabels(dmpId: string, documentIds: readonly string[]): Promise<Map<string, DocumentLabels>> {
    return tracedDocumentLabels(this.db, this.table, dmpId, documentIds);
  }
}

/**
 * The deposits of a record's documents, as the care team reads them: from the documents' metadata
 * items (REC#<dmpId> DOC#<documentId>, table.ts), only the clear attributes the access policy
 * decides a document on (class and type codes, status, labels, author kind and id) and the instant
 * of the deposit. Never the title or the content (sealed), nor anything else of the document: the
 * care team says who deposited when, not what. The documents capability owns these items; this
 * reads them, it writes nothing.
 */
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DocumentFacts } from '#domain/access-policy';
import { S, bool, str, type Item } from './attributes.ts';
import { keys } from './table.ts';

/** A version of a document deposited in the window, with what the policy needs to decide whether the reader sees it. */
export interface Deposit extends DocumentFacts {
  /** Instant of the deposit (ISO 8601, UTC). */
  depositedAt: string;
}

const AUTHOR_KINDS = new Set<string>(['professional', 'patient', 'representative']);
const STATUSES = new Set<string>(['current', 'archived', 'superseded', 'deleted']);

/** A metadata item as a deposit; an item missing an attribute the policy needs is left out (never guessed). */
const depositOf = (item: Item): Deposit | undefined => {
  const authorKind = str(item, 'authorKind');
  const authorId = str(item, 'authorId');
  const status = str(item, 'status');
  const classCode = str(item, 'classCode');
  const typeCode = str(item, 'typeCode');
  const depositedAt = str(item, 'depositedAt');
  if (!authorKind || !AUTHOR_KINDS.has(authorKind) || !authorId || !status || !STATUSES.has(status) || !classCode || !typeCode || !depositedAt) return undefined;
  return {
    classCode,
    typeCode,
    status: status as Deposit['status'],
    author: { kind: authorKind as Deposit['author']['kind'], id: authorId },
    // A missing label hides: the document is taken as masked and invisible until its item says otherwise.
    labels: {
      maskedToProfessionals: bool(item, 'maskedToProfessionals') ?? true,
      invisibleToPatient: bool(item, 'invisibleToPatient') ?? true,
      invisibleToRepresentatives: bool(item, 'invisibleToRepresentatives') ?? true,
    },
    depositedAt,
  };
};

export class DocumentDeposits {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** The record's document versions deposited at or after `since` (an instant or a day, ISO 8601), every page of them. */
  async since(dmpId: string, since: string): Promise<Deposit[]> {
    const deposits: Deposit[] = [];
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :doc)',
          FilterExpression: 'depositedAt >= :since',
          ProjectionExpression: 'classCode, typeCode, #status, authorKind, authorId, depositedAt, maskedToProfessionals, invisibleToPatient, invisibleToRepresentatives',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pk': S(keys.record(dmpId).pk), ':doc': S('DOC#'), ':since': S(since) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const deposit = depositOf(item);
        if (deposit) deposits.push(deposit);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return deposits;
  }
}

/**
 * The deposits of a record's documents, as the care team reads them: from the documents' metadata
 * items (REC#<dmpId> DOC#<documentId>, table.ts), what the access policy decides a document on —
 * its facts of care (class and type codes, author), sealed, opened with the record's key
 * (document-facts.ts), and its clear status and labels — and the instant of the deposit. Never the
 * title or the content: the care team says who deposited when, not what. The documents capability
 * owns these items; this reads them, it writes nothing.
 */
import { QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { DocumentFacts } from '#domain/access-policy';
import type { DataKey } from '#domain/ports';
import { S, bin, bool, str, type Item } from './attributes.ts';
import { openFacts } from './document-facts.ts';
import { keys } from './table.ts';

/** A version of a document deposited in the window, with what the policy needs to decide whether the reader sees it. */
export interface Deposit extends DocumentFacts {
  /** Instant of the deposit (ISO 8601, UTC). */
  depositedAt: string;
}

const STATUSES = new Set<string>(['current', 'archived', 'superseded', 'deleted']);

/** A metadata item as a deposit; an item missing an attribute the policy needs is left out (never guessed). */
const depositOf = (key: DataKey, item: Item): Deposit | undefined => {
  const sk = str(item, 'sk');
  const sealed = bin(item, 'facts');
  const status = str(item, 'status');
  const depositedAt = str(item, 'depositedAt');
  if (!sk || !sealed || !status || !STATUSES.has(status) || !depositedAt) return undefined;
  const facts = openFacts(key, sk, sealed);
  return {
    classCode: facts.classCode,
    typeCode: facts.typeCode,
    status: status as Deposit['status'],
    author: { kind: facts.author.kind, id: facts.author.id },
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

  /** The record's document versions deposited at or after `since` (an instant or a day, ISO 8601), every page of them, opened with the record's key. */
  async since(key: DataKey, since: string): Promise<Deposit[]> {
    const dmpId = key.dmpId;
    const deposits: Deposit[] = [];
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :doc)',
          FilterExpression: 'depositedAt >= :since',
          ProjectionExpression: 'sk, facts, #status, depositedAt, maskedToProfessionals, invisibleToPatient, invisibleToRepresentatives',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ':pk': S(keys.record(dmpId).pk), ':doc': S('DOC#'), ':since': S(since) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        const deposit = depositOf(key, item);
        if (deposit) deposits.push(deposit);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return deposits;
  }
}

/**
 * The outbox: a notification is written in the same transaction as the state change that causes
 * it, with its recipient sealed under the record's key, and a dispatcher sends it later. Pending
 * messages sit in a sparse index (GSI1) sharded by record, ordered by the time of their next
 * attempt, so the dispatcher finds them with a Query, never a Scan.
 */
import { createHash } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { seal, type DataKey } from './envelope.ts';
import { B, N, S } from './attributes.ts';
import { keys, OUTBOX_SHARDS } from './table.ts';

export type Template = 'record-created';

export interface OutboxMessage {
  /** E.164 number: sealed before it is stored. */
  to: string;
  template: Template;
}

export const outboxShard = (dmpId: string): number => (createHash('sha256').update(dmpId).digest()[0] ?? 0) % OUTBOX_SHARDS;
export const pendingPartition = (shard: number): string => `OUTBOX#PENDING#${shard}`;

/** The SMS texts: no names, no health content, no secrets. */
export const TEXTS: Record<Template, string> = {
  'record-created': 'Votre DMP (Dossier Medical Partage) a ete cree. Connectez-vous sur dmp.fr avec les identifiants qui vous ont ete remis.',
};

export const outboxPut = (tableName: string, key: DataKey, message: OutboxMessage, at: Date, id: string): TransactWriteItem => {
  const createdAt = at.toISOString();
  const { pk, sk } = keys.outbox(key.dmpId, createdAt, id);
  return {
    Put: {
      TableName: tableName,
      Item: {
        pk: S(pk),
        sk: S(sk),
        kind: S('notification'),
        channel: S('sms'),
        template: S(message.template),
        recipient: B(seal(key, sk, 'recipient', Buffer.from(message.to, 'utf8'))),
        status: S('pending'),
        attempts: N(0),
        createdAt: S(createdAt),
        gsi1pk: S(pendingPartition(outboxShard(key.dmpId))),
        gsi1sk: S(`${createdAt}#${pk}#${sk}`),
      },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
};

/**
 * The outbox: a notification is written in the same transaction as the state change that causes
 * it, with its recipient sealed under the record's key, and a dispatcher sends it later. Pending
 * messages sit in a sparse index (GSI1) sharded by record, ordered by the time of their next
 * attempt, so the dispatcher finds them with a Query, never a Scan. A message to each of many
 * recipients (the attending physicians, however many) is written as one fan-out item, which the
 * dispatcher expands into one message per recipient: the transaction that causes it stays small.
 */
import { createHash } from 'node:crypto';
import type { TransactWriteItem } from '@aws-sdk/client-dynamodb';
import { seal } from './envelope.ts';
import type { DataKey } from '#domain/ports';
import { B, N, S, type Item } from './attributes.ts';
import { keys, OUTBOX_SHARDS, shardOf } from './table.ts';
import type { Notifications } from '#domain/stores';
import type { LabelledWrite } from './transactions.ts';
import type { FanOutMessage, NotificationChannel, OutboxMessage, Template } from '#domain/notifications';

export const outboxShard = (dmpId: string): number => shardOf(dmpId, OUTBOX_SHARDS);
export const pendingPartition = (shard: number): string => `OUTBOX#PENDING#${shard}`;

/** A notification item: where it sits in the record's partition, what it is; `more` per kind. */
const notificationPut = (
  tableName: string,
  dmpId: string,
  template: Template,
  at: Date,
  id: string,
  more: (sk: string) => Item,
  channel: NotificationChannel = 'sms',
): TransactWriteItem => {
  const createdAt = at.toISOString();
  const { pk, sk } = keys.outbox(dmpId, createdAt, id);
  return {
    Put: {
      TableName: tableName,
      Item: { pk: S(pk), sk: S(sk), kind: S('notification'), channel: S(channel), template: S(template), createdAt: S(createdAt), ...more(sk) },
      ConditionExpression: 'attribute_not_exists(pk)',
    },
  };
};

/** What makes an item wait in the pending index, due at `at`. */
const pending = (dmpId: string, at: Date, sk: string): Item => ({
  status: S('pending'),
  attempts: N(0),
  gsi1pk: S(pendingPartition(outboxShard(dmpId))),
  gsi1sk: S(`${at.toISOString()}#${keys.record(dmpId).pk}#${sk}`),
});

const sealedParams = (key: DataKey, sk: string, params: Record<string, string> | undefined): Item =>
  params ? { params: B(seal(key, sk, 'params', Buffer.from(JSON.stringify(params), 'utf8'))) } : {};

export const outboxPut = (tableName: string, key: DataKey, message: OutboxMessage, at: Date, id: string): TransactWriteItem =>
  notificationPut(
    tableName,
    key.dmpId,
    message.template,
    at,
    id,
    (sk) => ({
      recipient: B(seal(key, sk, 'recipient', Buffer.from(message.to, 'utf8'))),
      ...sealedParams(key, sk, message.params),
      ...pending(key.dmpId, at, sk),
    }),
    message.channel,
  );

/** One item for a message to each member of an audience, expanded by the dispatcher (see fanOutMessageId). */
export const fanOutPut = (tableName: string, key: DataKey, fanOut: FanOutMessage, at: Date, id: string): TransactWriteItem =>
  notificationPut(
    tableName,
    key.dmpId,
    fanOut.template,
    at,
    id,
    (sk) => ({
      kind: S('fan-out'),
      audience: S(fanOut.audience),
      ...(fanOut.except ? { except: B(seal(key, sk, 'except', Buffer.from(fanOut.except, 'utf8'))) } : {}),
      ...sealedParams(key, sk, fanOut.params),
      ...pending(key.dmpId, at, sk),
    }),
    'professional',
  );

/**
 * The id of a fan-out's message to one recipient: the same every time the fan-out is expanded, so
 * writing it again is refused by its condition and nobody is told twice. Shaped like an event id
 * (12 base32 characters), so the message sits in the outbox as any other.
 */
export const fanOutMessageId = (fanOutSk: string, recipient: string): string => {
  const digest = createHash('sha256').update(`${fanOutSk}\n${recipient}`).digest();
  return Array.from(digest.subarray(0, 12), (b) => 'abcdefghijklmnopqrstuvwxyz234567'[b & 31]).join('');
};

/**
 * A message sent directly (a login code, whose sending must succeed before the login does), logged
 * beside the outbox so the patient's list of notifications shows it. Nothing to send: no recipient,
 * no parameters, not in the pending index.
 */
export const sentLogPut = (tableName: string, dmpId: string, template: Template, at: Date, id: string): TransactWriteItem =>
  notificationPut(tableName, dmpId, template, at, id, () => ({ status: S('sent'), attempts: N(1), sentAt: S(at.toISOString()) }));

/** The Notifications port over the table's outbox. */
export class OutboxNotifications implements Notifications {
  private readonly table: string;
  constructor(tableName: string) {
    this.table = tableName;
  }

  message(key: DataKey, message: OutboxMessage, at: Date, id: string): LabelledWrite {
    return { label: 'notification', item: outboxPut(this.table, key, message, at, id) };
  }

  fanOut(key: DataKey, message: FanOutMessage, at: Date, id: string): LabelledWrite {
    return { label: 'notification', item: fanOutPut(this.table, key, message, at, id) };
  }

  sentLog(dmpId: string, template: Template, at: Date, id: string): LabelledWrite {
    return { label: 'sent-log', item: sentLogPut(this.table, dmpId, template, at, id) };
  }
}

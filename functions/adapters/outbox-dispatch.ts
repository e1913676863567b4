/**
 * The outbox as the dispatcher (functions/domain/jobs/outbox.ts) sees it: the pending messages on
 * GSI1 (OUTBOX#PENDING#<shard>, by next attempt), claimed with a conditional update that moves
 * the message's next attempt to the end of its lease, opened with the record's data key, then
 * marked sent (or dropped), rescheduled, or parked under OUTBOX#FAILED.
 */
import { ConditionalCheckFailedException, GetItemCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Claim, MessageRef, OpenedMessage, Outbox } from '#domain/jobs/outbox';
import { N, S, num, str, bin, required, type Item } from './attributes.ts';
import { open } from './envelope.ts';
import type { KeyRing } from './keyring.ts';
import { pendingPartition, renderText, type Template } from './outbox-store.ts';
import { dueEntries } from './due-queue.ts';
import { dmpIdOfPk, keys, OUTBOX_SHARDS } from './table.ts';

/** A message's reference is its item's key. */
const refOf = (pk: string, sk: string): MessageRef => JSON.stringify([pk, sk]) as MessageRef;
const keyOf = (ref: MessageRef): { pk: string; sk: string } => {
  const [pk, sk] = JSON.parse(ref) as [string, string];
  return { pk, sk };
};

/** The message a stream record names, if it names an outbox item. */
export const outboxMessageRef = (pk: string | undefined, sk: string | undefined): MessageRef | undefined => (pk && sk?.startsWith('OUTBOX#') ? refOf(pk, sk) : undefined);

/** A claim, with the item as the claim left it (its sealed recipient and parameters). */
export interface DynamoClaim extends Claim {
  item: Item;
}

export class DynamoOutbox implements Outbox<DynamoClaim> {
  private readonly db: DynamoDBClient;
  private readonly tableName: string;
  private readonly keyRing: KeyRing;
  constructor(db: DynamoDBClient, tableName: string, keyRing: KeyRing) {
    this.db = db;
    this.tableName = tableName;
    this.keyRing = keyRing;
  }

  /** Shard by shard, at most `batch` per shard. */
  async *due(now: Date, batch: number): AsyncGenerator<MessageRef> {
    for await (const { pk, sk } of dueEntries(this.db, this.tableName, { partition: pendingPartition, shards: OUTBOX_SHARDS }, now, batch)) yield refOf(pk, sk);
  }

  /** The item's next attempt becomes the end of the lease: the due-queue no longer lists it until then. */
  async claim(ref: MessageRef, now: Date, leaseUntil: Date): Promise<DynamoClaim | undefined> {
    const { pk, sk } = keyOf(ref);
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.tableName,
          Key: { pk: S(pk), sk: S(sk) },
          UpdateExpression: 'SET gsi1sk = :lease, attempts = attempts + :one, lastAttemptAt = :now',
          ConditionExpression: '#status = :pending AND gsi1sk <= :due',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':lease': S(`${leaseUntil.toISOString()}#${pk}#${sk}`),
            ':one': N(1),
            ':now': S(now.toISOString()),
            ':pending': S('pending'),
            ':due': S(`${now.toISOString()}#~`),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      const item = out.Attributes;
      return item && { dmpId: dmpIdOfPk(pk), attempts: num(item, 'attempts') ?? 1, item };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  async open(ref: MessageRef, claim: DynamoClaim): Promise<OpenedMessage | undefined> {
    const { pk, sk } = keyOf(ref);
    const { dmpId, item } = claim;
    const dataKeyItem = await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: { pk: S(pk), sk: S(keys.dataKey(dmpId).sk) } }));
    if (!dataKeyItem.Item) return undefined;
    const key = await this.keyRing.unwrap(dmpId, {
      ciphertext: required(bin(dataKeyItem.Item, 'wrapped'), 'wrapped'),
      masterKeyId: required(str(dataKeyItem.Item, 'masterKeyId'), 'masterKeyId'),
      version: required(num(dataKeyItem.Item, 'version'), 'version'),
    });
    const to = open(key, sk, 'recipient', required(bin(item, 'recipient'), 'recipient')).toString('utf8');
    const template = required(str(item, 'template'), 'template') as Template;
    const sealedParams = bin(item, 'params');
    const params = sealedParams ? (JSON.parse(open(key, sk, 'params', sealedParams).toString('utf8')) as Record<string, string>) : {};
    return { channel: str(item, 'channel') === 'professional' ? 'professional' : 'sms', to, text: renderText(template, params) };
  }

  async finish(ref: MessageRef, status: 'sent' | 'dropped', now: Date): Promise<void> {
    const { pk, sk } = keyOf(ref);
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: S(pk), sk: S(sk) },
        // A one-time code has no use once sent: its sealed copy goes.
        UpdateExpression: 'SET #status = :status, sentAt = :now REMOVE gsi1pk, gsi1sk, params',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': S(status), ':now': S(now.toISOString()) },
      }),
    );
  }

  async retryAt(ref: MessageRef, next: Date): Promise<void> {
    const { pk, sk } = keyOf(ref);
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: S(pk), sk: S(sk) },
        UpdateExpression: 'SET gsi1sk = :next',
        ExpressionAttributeValues: { ':next': S(`${next.toISOString()}#${pk}#${sk}`) },
      }),
    );
  }

  async park(ref: MessageRef, now: Date): Promise<void> {
    const { pk, sk } = keyOf(ref);
    await this.db.send(
      new UpdateItemCommand({
        TableName: this.tableName,
        Key: { pk: S(pk), sk: S(sk) },
        UpdateExpression: 'SET #status = :failed, gsi1pk = :failedIndex, gsi1sk = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': S('failed'), ':failedIndex': S('OUTBOX#FAILED'), ':at': S(`${now.toISOString()}#${pk}#${sk}`) },
      }),
    );
  }
}

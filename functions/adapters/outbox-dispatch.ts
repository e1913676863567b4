/**
 * The outbox as the dispatcher (functions/domain/jobs/outbox.ts) sees it: the pending messages on
 * GSI1 (OUTBOX#PENDING#<shard>, by next attempt), claimed with a conditional update that moves
 * the message's next attempt to the end of its lease, opened with the record's data key, then
 * marked sent (or dropped), rescheduled, or parked under OUTBOX#FAILED. A fan-out item is expanded
 * into one message per attending physician, written with conditional puts keyed by the physician,
 * then marked expanded.
 */
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { isAttendingPhysician, type Relation } from '#domain/access-policy';
import type { Claim, MessageRef, OpenedMessage, Outbox } from '#domain/jobs/outbox';
import { N, S, num, str, bin, bool, required, type Item } from './attributes.ts';
import { open } from './envelope.ts';
import type { DataKey } from '#domain/ports';
import type { KeyRing } from '#domain/ports';
import { fanOutMessageId, outboxPut, pendingPartition } from './outbox-store.ts';
import { renderText } from '#domain/notifications';
import type { Template } from '#domain/notifications';
import { dueEntries } from './due-queue.ts';
import { dmpIdOfPk, isAuthorizationSk, keyItem, keys, OUTBOX_SHARDS } from './table.ts';

/** Conditional puts of a fan-out's messages sent side by side. */
const PUTS_AT_ONCE = 25;

/** A message's reference is its item's key. */
const refOf = (pk: string, sk: string): MessageRef => JSON.stringify([pk, sk]) as MessageRef;
const keyOf = (ref: MessageRef): { pk: string; sk: string } => {
  const [pk, sk] = JSON.parse(ref) as [string, string];
  return { pk, sk };
};

/** The message a stream record names, if it names an outbox item. */
export const outboxMessageRef = (pk: string | undefined, sk: string | undefined): MessageRef | undefined => (pk && sk?.startsWith('OUTBOX#') ? refOf(pk, sk) : undefined);

/**
 * When a message was written, from its key (OUTBOX#<instant>#<id>): the outbox job reports the
 * age of the oldest one a sweep finds due. Undefined for a key of another shape.
 */
export const messageCreatedAt = (ref: MessageRef): Date | undefined => {
  const instant = Date.parse(keyOf(ref).sk.split('#')[1] ?? '');
  return Number.isNaN(instant) ? undefined : new Date(instant);
};

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
      return item && { dmpId: dmpIdOfPk(pk), attempts: num(item, 'attempts') ?? 1, fanOut: str(item, 'kind') === 'fan-out', item };
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** The record's data key, unwrapped; undefined when the record was destroyed. */
  private async dataKey(dmpId: string): Promise<DataKey | undefined> {
    const dataKeyItem = await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: keyItem(keys.dataKey(dmpId)) }));
    if (!dataKeyItem.Item) return undefined;
    return this.keyRing.unwrap(dmpId, {
      ciphertext: required(bin(dataKeyItem.Item, 'wrapped'), 'wrapped'),
      masterKeyId: required(str(dataKeyItem.Item, 'masterKeyId'), 'masterKeyId'),
      version: required(num(dataKeyItem.Item, 'version'), 'version'),
    });
  }

  async open(ref: MessageRef, claim: DynamoClaim): Promise<OpenedMessage | undefined> {
    const { sk } = keyOf(ref);
    const { dmpId, item } = claim;
    const key = await this.dataKey(dmpId);
    if (!key) return undefined;
    const to = open(key, sk, 'recipient', required(bin(item, 'recipient'), 'recipient')).toString('utf8');
    const template = required(str(item, 'template'), 'template') as Template;
    const sealedParams = bin(item, 'params');
    const params = sealedParams ? (JSON.parse(open(key, sk, 'params', sealedParams).toString('utf8')) as Record<string, string>) : {};
    return { channel: str(item, 'channel') === 'professional' ? 'professional' : 'sms', to, text: renderText(template, params), kind: template };
  }

  /**
   * One message per attending physician of the record whose authorization was valid when the
   * fan-out was written (but the one it excepts), written in the fan-out's place in the outbox,
   * page of authorizations after page, each put conditional on its absence: an expansion run again
   * finds its messages there, sent or not, and leaves them be.
   */
  async expand(ref: MessageRef, claim: DynamoClaim): Promise<MessageRef[] | undefined> {
    const { pk, sk } = keyOf(ref);
    const { dmpId, item } = claim;
    const audience = str(item, 'audience');
    if (audience !== 'attending-physicians') throw new Error('fan-out of an unknown audience');
    const key = await this.dataKey(dmpId);
    if (!key) return undefined;
    const template = required(str(item, 'template'), 'template') as Template;
    const at = new Date(required(str(item, 'createdAt'), 'createdAt'));
    const sealedParams = bin(item, 'params');
    const params = sealedParams ? (JSON.parse(open(key, sk, 'params', sealedParams).toString('utf8')) as Record<string, string>) : undefined;
    const sealedExcept = bin(item, 'except');
    const except = sealedExcept ? open(key, sk, 'except', sealedExcept).toString('utf8') : undefined;

    const refs: MessageRef[] = [];
    for await (const physicians of this.attendingPhysicians(dmpId, at)) {
      const recipients = physicians.filter((id) => id !== except);
      for (let i = 0; i < recipients.length; i += PUTS_AT_ONCE) {
        const written = await Promise.all(
          recipients.slice(i, i + PUTS_AT_ONCE).map(async (to) => {
            const id = fanOutMessageId(sk, to);
            const { Put } = outboxPut(this.tableName, key, { to, channel: 'professional', template, ...(params ? { params } : {}) }, at, id);
            try {
              await this.db.send(new PutItemCommand(required(Put, 'put')));
            } catch (error) {
              // Written by an earlier expansion: left as it is (pending, sent or parked).
              if (!(error instanceof ConditionalCheckFailedException)) throw error;
            }
            return refOf(pk, keys.outbox(dmpId, at.toISOString(), id).sk);
          }),
        );
        refs.push(...written);
      }
    }
    return refs;
  }

  /** The record's attending physicians with a valid authorization at `at`, one page of its authorizations at a time. */
  private async *attendingPhysicians(dmpId: string, at: Date): AsyncGenerator<string[]> {
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :pro)',
          ExpressionAttributeValues: { ':pk': S(keys.record(dmpId).pk), ':pro': S('PRO#') },
          ProjectionExpression: 'sk, professionalId, #status, attendingPhysician, expiresAt',
          ExpressionAttributeNames: { '#status': 'status' },
          ...(start ? { ExclusiveStartKey: start } : {}),
        }),
      );
      yield (out.Items ?? [])
        .filter((i) => isAuthorizationSk(str(i, 'sk') ?? ''))
        .filter((i) => {
          const relation: Relation = { status: str(i, 'status') as Relation['status'], attendingPhysician: bool(i, 'attendingPhysician') ?? false, expiresAt: str(i, 'expiresAt') };
          return isAttendingPhysician(relation, at);
        })
        .map((i) => required(str(i, 'professionalId'), 'professionalId'));
      start = out.LastEvaluatedKey;
    } while (start);
  }

  async finish(ref: MessageRef, status: 'sent' | 'expanded' | 'dropped', now: Date): Promise<void> {
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

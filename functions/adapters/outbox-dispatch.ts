/**
 * Sends what the outbox holds. A message is first claimed with a conditional update (so two
 * dispatchers never send it together), then sent, then marked sent and dropped from the pending
 * index. A failed send is retried later with exponential back-off; after MAX_ATTEMPTS it is parked
 * as failed (still listed under OUTBOX#FAILED for operators). At least once: a crash between the
 * send and the mark can send a message twice, never zero times.
 */
import {
  ConditionalCheckFailedException,
  GetItemCommand,
  UpdateItemCommand,
  type DynamoDBClient,
} from '@aws-sdk/client-dynamodb';
import type { Logger } from '#adapters/logger';
import { N, S, num, str, bin, required, type Item } from './attributes.ts';
import { open } from './envelope.ts';
import type { KeyRing } from './keyring.ts';
import { pendingPartition, renderText, type Template } from './outbox-store.ts';
import { dueEntries } from './due-queue.ts';
import { dmpIdOfPk, keys, OUTBOX_SHARDS } from './table.ts';
import type { ProfessionalMessenger, SmsSender } from './sms.ts';

export const MAX_ATTEMPTS = 8;
const LEASE_MS = 60_000;
const backoffMs = (attempts: number) => Math.min(30_000 * 2 ** attempts, 6 * 3600_000);

export interface DispatchDeps {
  db: DynamoDBClient;
  tableName: string;
  keyRing: KeyRing;
  sms: SmsSender;
  /** Messages to professionals (attending physicians), through the professional messaging topic. */
  professionals?: ProfessionalMessenger | undefined;
  logger: Logger;
}

export interface DispatchReport {
  sent: number;
  failed: number;
  parked: number;
}

export class OutboxDispatcher {
  private readonly d: DispatchDeps;
  constructor(deps: DispatchDeps) {
    this.d = deps;
  }

  /** Every message whose next attempt is due at `now`, shard by shard. */
  async sweep(now: Date, limitPerShard = 100): Promise<DispatchReport> {
    const report: DispatchReport = { sent: 0, failed: 0, parked: 0 };
    for await (const { pk, sk } of dueEntries(this.d.db, this.d.tableName, { partition: pendingPartition, shards: OUTBOX_SHARDS }, now, limitPerShard)) {
      await this.dispatch(pk, sk, now, report);
    }
    return report;
  }

  /** One message, by its key (stream records name it). */
  async dispatch(pk: string, sk: string, now: Date, report: DispatchReport = { sent: 0, failed: 0, parked: 0 }): Promise<DispatchReport> {
    const claimed = await this.claim(pk, sk, now);
    if (!claimed) return report;
    const attempts = num(claimed, 'attempts') ?? 1;
    const dmpId = dmpIdOfPk(pk);
    try {
      const keyItem = await this.d.db.send(new GetItemCommand({ TableName: this.d.tableName, Key: { pk: S(pk), sk: S(keys.dataKey(dmpId).sk) } }));
      if (!keyItem.Item) {
        // The record was destroyed (crypto-shredded): nothing can or should be sent.
        await this.finish(pk, sk, 'dropped', now);
        return report;
      }
      const key = await this.d.keyRing.unwrap(dmpId, {
        ciphertext: required(bin(keyItem.Item, 'wrapped'), 'wrapped'),
        masterKeyId: required(str(keyItem.Item, 'masterKeyId'), 'masterKeyId'),
        version: required(num(keyItem.Item, 'version'), 'version'),
      });
      const to = open(key, sk, 'recipient', required(bin(claimed, 'recipient'), 'recipient')).toString('utf8');
      const template = required(str(claimed, 'template'), 'template') as Template;
      const sealedParams = bin(claimed, 'params');
      const params = sealedParams ? (JSON.parse(open(key, sk, 'params', sealedParams).toString('utf8')) as Record<string, string>) : {};
      if (str(claimed, 'channel') === 'professional') {
        if (!this.d.professionals) throw new Error('no professional messaging configured');
        await this.d.professionals.send(to, renderText(template, params));
      } else {
        await this.d.sms.send(to, renderText(template, params));
      }
      await this.finish(pk, sk, 'sent', now);
      report.sent += 1;
    } catch (error) {
      this.d.logger.warn('notification not sent', { dmpId, attempts, errorName: (error as Error).name });
      if (attempts >= MAX_ATTEMPTS) {
        await this.park(pk, sk, now);
        report.parked += 1;
      } else {
        await this.reschedule(pk, sk, new Date(now.getTime() + backoffMs(attempts)));
        report.failed += 1;
      }
    }
    return report;
  }

  /** Take the message for LEASE_MS if it is pending and due; undefined if another has it. */
  private async claim(pk: string, sk: string, now: Date): Promise<Item | undefined> {
    const leaseUntil = new Date(now.getTime() + LEASE_MS).toISOString();
    try {
      const out = await this.d.db.send(
        new UpdateItemCommand({
          TableName: this.d.tableName,
          Key: { pk: S(pk), sk: S(sk) },
          UpdateExpression: 'SET gsi1sk = :lease, attempts = attempts + :one, lastAttemptAt = :now',
          ConditionExpression: '#status = :pending AND gsi1sk <= :due',
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: {
            ':lease': S(`${leaseUntil}#${pk}#${sk}`),
            ':one': N(1),
            ':now': S(now.toISOString()),
            ':pending': S('pending'),
            ':due': S(`${now.toISOString()}#~`),
          },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  private async finish(pk: string, sk: string, status: 'sent' | 'dropped', now: Date): Promise<void> {
    await this.d.db.send(
      new UpdateItemCommand({
        TableName: this.d.tableName,
        Key: { pk: S(pk), sk: S(sk) },
        // A one-time code has no use once sent: its sealed copy goes.
        UpdateExpression: 'SET #status = :status, sentAt = :now REMOVE gsi1pk, gsi1sk, params',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':status': S(status), ':now': S(now.toISOString()) },
      }),
    );
  }

  private async reschedule(pk: string, sk: string, next: Date): Promise<void> {
    await this.d.db.send(
      new UpdateItemCommand({
        TableName: this.d.tableName,
        Key: { pk: S(pk), sk: S(sk) },
        UpdateExpression: 'SET gsi1sk = :next',
        ExpressionAttributeValues: { ':next': S(`${next.toISOString()}#${pk}#${sk}`) },
      }),
    );
  }

  private async park(pk: string, sk: string, now: Date): Promise<void> {
    await this.d.db.send(
      new UpdateItemCommand({
        TableName: this.d.tableName,
        Key: { pk: S(pk), sk: S(sk) },
        UpdateExpression: 'SET #status = :failed, gsi1pk = :failedIndex, gsi1sk = :at',
        ExpressionAttributeNames: { '#status': 'status' },
        ExpressionAttributeValues: { ':failed': S('failed'), ':failedIndex': S('OUTBOX#FAILED'), ':at': S(`${now.toISOString()}#${pk}#${sk}`) },
      }),
    );
  }
}

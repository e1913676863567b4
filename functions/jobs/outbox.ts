/**
 * Lambda entry of the outbox dispatcher. Two triggers: the table's stream (new outbox items, sent
 * within a second) and a schedule (every minute: retries and anything the stream missed).
 */
import type { DynamoDBStreamEvent, DynamoDBBatchResponse } from 'aws-lambda';
import { dynamoClient, kmsClient, snsClient } from '#adapters/aws';
import { DataKeyCache } from '#adapters/envelope';
import type {} from '#domain/ports';
import { KeyRing } from '#adapters/keyring';
import { makeLogger } from '#adapters/logger';
import { emfMetrics } from '#adapters/metrics';
import { DynamoOutbox, messageCreatedAt, outboxMessageRef } from '#adapters/outbox-dispatch';
import { ProfessionalMessenger, SmsSender } from '#adapters/sms';
import { type MessageRef, OutboxDispatcher } from '#domain/jobs/outbox';
import { systemClock } from '#domain/ports';
import { configFromEnv } from '#platform/config';

/**
 * The outbox, noting the oldest message each sweep finds due: a message is due at once when
 * written, so one still found due long after was missed by the stream or keeps failing.
 */
class WatchedOutbox extends DynamoOutbox {
  private oldestDue: Date | undefined;
  override async *due(now: Date, batch: number): AsyncGenerator<MessageRef> {
    this.oldestDue = undefined;
    for await (const ref of super.due(now, batch)) {
      const at = messageCreatedAt(ref);
      if (at && (this.oldestDue === undefined || at < this.oldestDue)) this.oldestDue = at;
      yield ref;
    }
  }
  /** Seconds since the oldest message the last sweep found due was written; 0 when none was. */
  oldestDueAgeSeconds(now: Date): number {
    return this.oldestDue ? Math.max(0, Math.round((now.getTime() - this.oldestDue.getTime()) / 1000)) : 0;
  }
}

const config = configFromEnv();
const logger = makeLogger();
const metrics = emfMetrics();
const sns = snsClient(config);
const outbox = new WatchedOutbox(dynamoClient(config), config.tableName, new KeyRing(kmsClient(config), config.dataKeyId, new DataKeyCache(systemClock)));
const dispatcher = new OutboxDispatcher({
  outbox,
  sms: new SmsSender(sns, config.smsSenderId),
  professionals: config.proTopicArn ? new ProfessionalMessenger(sns, config.proTopicArn) : undefined,
  logger,
  metrics,
});

export const handler = async (event: DynamoDBStreamEvent | { source?: string }): Promise<DynamoDBBatchResponse | undefined> => {
  const now = systemClock.now();
  if ('Records' in event && Array.isArray(event.Records)) {
    const failures: { itemIdentifier: string }[] = [];
    for (const record of event.Records) {
      const ref = outboxMessageRef(record.dynamodb?.Keys?.pk?.S, record.dynamodb?.Keys?.sk?.S);
      if (!ref) continue;
      try {
        await dispatcher.dispatch(ref, now);
      } catch (error) {
        logger.error('dispatch failed', { errorName: (error as Error).name });
        failures.push({ itemIdentifier: record.dynamodb?.SequenceNumber ?? '' });
      }
    }
    return { batchItemFailures: failures };
  }
  const report = await dispatcher.sweep(now);
  logger.info('outbox sweep', { ...report });
  // Every sweep reports, 0 when nothing was due.
  metrics.count('OutboxOldestDueAgeSeconds', {}, outbox.oldestDueAgeSeconds(now));
};

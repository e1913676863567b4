/**
 * Lambda entry of the outbox dispatcher. Two triggers: the table's stream (new outbox items, sent
 * within a second) and a schedule (every minute: retries and anything the stream missed).
 */
import type { DynamoDBStreamEvent, DynamoDBBatchResponse } from 'aws-lambda';
import { dynamoClient, kmsClient, snsClient } from '#adapters/aws';
import { DataKeyCache } from '#adapters/envelope';
import type {} from '#domain/ports';
import { KeyRing } from '#adapters/keyring';
import { DynamoOutbox, outboxMessageRef } from '#adapters/outbox-dispatch';
import { ProfessionalMessenger, SmsSender } from '#adapters/sms';
import { OutboxDispatcher } from '#domain/jobs/outbox';
import { systemClock } from '#domain/ports';
import { configFromEnv } from '#platform/config';
import { makeLogger } from '#adapters/logger';

const config = configFromEnv();
const logger = makeLogger();
const sns = snsClient(config);
const dispatcher = new OutboxDispatcher({
  outbox: new DynamoOutbox(dynamoClient(config), config.tableName, new KeyRing(kmsClient(config), config.dataKeyId, new DataKeyCache(systemClock))),
  sms: new SmsSender(sns, config.smsSenderId),
  professionals: config.proTopicArn ? new ProfessionalMessenger(sns, config.proTopicArn) : undefined,
  logger,
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
};

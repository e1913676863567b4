/**
 * Lambda entry of the claims import: consumes the import queue, where the inbox bucket notifies
 * each NDJSON object created (one object per message: batch size 1), and imports each object named
 * with the claims ingestion core (functions/domain/jobs/claims-import.ts).
 *
 * A message whose import fails is reported as a batch item failure: SQS delivers it again after
 * its visibility timeout, the import resumes from its checkpoint, and after a few failed deliveries
 * the message goes to the dead-letter queue (the object stays in the inbox until its lifecycle
 * expiry, for an operator to drop again). An import that reaches the end of its time budget stops
 * after a committed batch and sends the same notification to the queue again, so that the next
 * invocation goes on from the checkpoint without waiting for a visibility timeout.
 */
import { SendMessageCommand } from '@aws-sdk/client-sqs';
import type { Context, SQSBatchResponse, SQSEvent } from 'aws-lambda';
import { s3Client, sqsClient } from '#adapters/aws';
import { DynamoImportCheckpoints } from '#adapters/import-checkpoints';
import { objectsOfS3Event, S3InboxObjects } from '#adapters/inbox';
import { makeLogger } from '#adapters/logger';
import { emfMetrics } from '#adapters/metrics';
import { ClaimsImport } from '#domain/jobs/claims-import';
import { systemClock } from '#domain/ports';
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { withClaims } from '#capabilities/claims/deps';
import { claimsBatches } from './claims-batches.ts';

/** The time kept back at the end of an invocation: more than one batch takes, with its checkpoint. */
const TIME_MARGIN_MS = 60_000;

const need = (name: string): string => {
  const value = process.env[name];
  if (!value) throw new Error(`missing configuration: ${name}`);
  return value;
};

const config = configFromEnv();
const logger = makeLogger();
const metrics = emfMetrics();
const bucket = need('INBOX_BUCKET');
const queueUrl = need('IMPORT_QUEUE_URL');
const deps = withClaims(cryptoDeps(config, { logger }));
const sqs = sqsClient(config);
const job = new ClaimsImport({
  batches: claimsBatches(deps),
  objects: new S3InboxObjects(s3Client(config), bucket),
  checkpoints: new DynamoImportCheckpoints(deps.db, config.tableName),
  logger,
  now: () => systemClock.now(),
});

export const handler = async (event: SQSEvent, context: Context): Promise<SQSBatchResponse> => {
  const failures: { itemIdentifier: string }[] = [];
  for (const message of event.Records) {
    try {
      let paused = false;
      for (const object of objectsOfS3Event(message.body, bucket)) {
        const report = await job.run(object, { stop: () => context.getRemainingTimeInMillis() < TIME_MARGIN_MS });
        logger.info('claims import', { status: report.status, batches: report.totals.batches, records: report.totals.records, rejections: report.rejections.length });
        // Totals are the object's, across resumed runs: counted once, when the object is done.
        if (report.status === 'complete') metrics.count('ClaimLinesImported', {}, report.totals.lines.accepted + report.totals.lines.corrected);
        if (report.status === 'paused') {
          paused = true;
          break;
        }
      }
      // The objects of this notification already imported are found complete and skipped.
      if (paused) await sqs.send(new SendMessageCommand({ QueueUrl: queueUrl, MessageBody: message.body }));
    } catch (error) {
      logger.error('claims import failed', { messageId: message.messageId, errorName: (error as Error).name });
      failures.push({ itemIdentifier: message.messageId });
    }
  }
  return { batchItemFailures: failures };
};

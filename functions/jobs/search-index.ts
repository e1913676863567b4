/**
 * Lambda entry of the keyword index job, on the table's change stream: filtered (lib/jobs.ts) to
 * the items the index follows, it reads each changed item's current state and brings the index of
 * its source in line (functions/domain/jobs/search-index.ts). A change that fails is reported by
 * its sequence number: Lambda retries from there, then gives the batch's position to the job's
 * on-failure queue. A document whose text cannot be read does not fail: its manifest records it.
 */
import type { DynamoDBBatchResponse, DynamoDBStreamEvent } from 'aws-lambda';
import { dynamoClient, kmsClient } from '#adapters/aws';
import { DataKeyCache } from '#adapters/envelope';
import { KeyRing } from '#adapters/keyring';
import { makeLogger } from '#adapters/logger';
import { dmpIdOfPk } from '#adapters/table';
import { type Change, SearchIndexJob } from '#domain/jobs/search-index';
import { systemClock } from '#domain/ports';
import { configFromEnv } from '#platform/config';
import { isIndexedItem, SearchIndexTable } from './search-sources.ts';

const config = configFromEnv();
const logger = makeLogger();
const job = new SearchIndexJob(
  new SearchIndexTable({
    db: dynamoClient(config),
    tableName: config.tableName,
    keyRing: new KeyRing(kmsClient(config), config.dataKeyId, new DataKeyCache(systemClock)),
    clock: systemClock,
  }),
  logger,
);

export const handler = async (event: DynamoDBStreamEvent): Promise<DynamoDBBatchResponse> => {
  const changes: (Change & { sequence: string })[] = [];
  for (const record of event.Records) {
    const pk = record.dynamodb?.Keys?.pk?.S;
    const sk = record.dynamodb?.Keys?.sk?.S;
    if (!pk?.startsWith('REC#') || !sk || !isIndexedItem(sk)) continue;
    changes.push({ dmpId: dmpIdOfPk(pk), sk, sequence: record.dynamodb?.SequenceNumber ?? '' });
  }
  const { report, failed } = await job.run(changes);
  logger.info('search index batch', { ...report });
  // Lambda retries from the first failure reported (everything after it again): the job is idempotent.
  const first = changes.find((c) => failed.some((f) => f.dmpId === c.dmpId && f.sk === c.sk));
  return { batchItemFailures: first ? [{ itemIdentifier: first.sequence }] : [] };
};

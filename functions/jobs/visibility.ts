/** Lambda entry of the visibility job: hourly, tells patients of pending documents and reveals them after a month. */
import { randomBytes } from 'node:crypto';
import { dynamoClient, kmsClient } from '#adapters/aws';
import { DocumentStore } from '#capabilities/documents/store';
import { DataKeyCache } from '#adapters/envelope';
import type {} from '#domain/ports';
import { KeyRing } from '#adapters/keyring';
import { RecordStore } from '#adapters/record-store';
import { DynamoVisibilityStore } from '#capabilities/documents/visibility-store';
import { VisibilityJob } from '#domain/jobs/visibility';
import { systemClock } from '#domain/ports';
import { configFromEnv } from '#platform/config';
import { makeLogger } from '#adapters/logger';

const config = configFromEnv();
const logger = makeLogger();
const db = dynamoClient(config);
const store = new DynamoVisibilityStore({
  db,
  tableName: config.tableName,
  records: new RecordStore(db, config.tableName),
  documents: new DocumentStore(db, config.tableName),
  keyRing: new KeyRing(kmsClient(config), config.dataKeyId, new DataKeyCache(systemClock)),
  random: { bytes: (n) => randomBytes(n) },
});
const job = new VisibilityJob(store, logger);

export const handler = async (): Promise<void> => {
  const report = await job.sweep(systemClock.now());
  logger.info('visibility sweep', { ...report });
};

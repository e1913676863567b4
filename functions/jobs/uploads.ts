/** Lambda entry of the uploads job: hourly, removes the chunks of deposits that never committed. */
import { dynamoClient } from '#adapters/aws';
import { DocumentStore } from '#capabilities/documents/store';
import { DynamoUploadsStore } from '#capabilities/documents/uploads-store';
import { UploadsJob } from '#domain/jobs/uploads';
import { systemClock } from '#domain/ports';
import { configFromEnv } from '#platform/config';
import { makeLogger } from '#adapters/logger';

const config = configFromEnv();
const logger = makeLogger();
const db = dynamoClient(config);
const job = new UploadsJob(new DynamoUploadsStore(db, config.tableName, new DocumentStore(db, config.tableName)), logger);

export const handler = async (): Promise<void> => {
  const report = await job.sweep(systemClock.now());
  logger.info('uploads sweep', { ...report });
};

/** Lambda entry of the retention job: every day, destroys the records whose ten years are over. */
import { dynamoClient } from '#adapters/aws';
import { DynamoRetentionStore } from '#adapters/retention';
import { RetentionJob } from '#domain/jobs/retention';
import { systemClock } from '#domain/ports';
import { configFromEnv } from '#platform/config';
import { makeLogger } from '#adapters/logger';

const config = configFromEnv();
const logger = makeLogger();
const job = new RetentionJob(new DynamoRetentionStore(dynamoClient(config), config.tableName), logger);

export const handler = async (): Promise<void> => {
  const report = await job.sweep(systemClock.now());
  logger.info('retention sweep', { ...report });
};

/**
 * Lambda entry of the vaccination reminders: every day, sends the SMS reminders of the vaccinations
 * due soon (one per due item, once), through the outbox. What it cannot finish before its time
 * runs out stays on the queue for the next day's run.
 */
import { randomBytes } from 'node:crypto';
import type { Context } from 'aws-lambda';
import { dynamoClient, kmsClient } from '#adapters/aws';
import { DataKeyCache } from '#adapters/envelope';
import { KeyRing } from '#adapters/keyring';
import { makeLogger } from '#adapters/logger';
import { RecordStore } from '#adapters/record-store';
import { ClaimStore } from '#capabilities/claims/store';
import { DynamoReminderStore } from '#capabilities/vaccinations/reminders-store';
import { VaccinationStore } from '#capabilities/vaccinations/store';
import { VaccinationRemindersJob } from '#domain/jobs/vaccination-reminders';
import { systemClock } from '#domain/ports';
import { configFromEnv } from '#platform/config';

const config = configFromEnv();
const logger = makeLogger();
const db = dynamoClient(config);
const job = new VaccinationRemindersJob(
  new DynamoReminderStore({
    db,
    tableName: config.tableName,
    records: new RecordStore(db, config.tableName),
    vaccinations: new VaccinationStore(db, config.tableName),
    claims: new ClaimStore(db, config.tableName),
    keyRing: new KeyRing(kmsClient(config), config.dataKeyId, new DataKeyCache(systemClock)),
    random: { bytes: (n) => randomBytes(n) },
  }),
  logger,
);

/** A minute is kept for the record under way and the report. */
const MARGIN_MS = 60_000;

export const handler = async (_event: unknown, context: Context): Promise<void> => {
  const report = await job.sweep(systemClock.now(), () => context.getRemainingTimeInMillis() < MARGIN_MS);
  logger.info('vaccination reminders sweep', { ...report });
};

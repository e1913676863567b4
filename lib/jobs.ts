/**
 * Background jobs (functions/jobs): functions driven by the table's stream and by schedules.
 *
 * The outbox dispatcher sends the notifications that state changes wrote in their own transaction:
 * at once from the stream (new OUTBOX# items), and every minute from a schedule (retries with
 * back-off, and anything the stream did not deliver). Claims with a lease in the table keep the two
 * triggers from sending a message twice.
 *
 * The retention job runs daily and destroys the records closed more than ten years ago: the wrapped
 * data key first (after which nothing can open the record's data), then the items.
 *
 * The visibility job runs hourly: a document hidden from the patient is announced to them after two
 * weeks (an SMS through the outbox) and revealed after one month. The uploads job runs hourly too
 * and removes the chunks of deposits that were never committed.
 *
 * The vaccination reminders run daily: an SMS through the outbox for each vaccination due soon,
 * once, to the records on the reminders' queue.
 *
 * The keyword index job follows the stream too, filtered to the items it indexes (documents,
 * claims lines, the health profile, vaccinations, measurements): it extracts their words off the
 * request's path and writes the record's blind postings (functions/jobs/search-index.ts).
 *
 * The claims import (lib/claims-import.ts) reads the insurer's NDJSON objects from the inbox
 * bucket, notified through an SQS queue.
 */
import { Duration } from 'aws-cdk-lib';
import * as events from 'aws-cdk-lib/aws-events';
import * as targets from 'aws-cdk-lib/aws-events-targets';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import { DynamoEventSource, SqsDlq } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import type { MetricName } from '../functions/domain/metrics.ts';
import { RECORD_PARTITION_PREFIX, SEARCH_INDEXED_PREFIXES } from '../functions/adapters/storage-contract.ts';
import { ClaimsImport } from './claims-import.ts';
import type { Data } from './data.ts';
import { DmpFunction, type LogSettings } from './dmp-function.ts';
import type { Messaging } from './messaging.ts';
import type { Settings } from './settings.ts';

export interface JobsProps {
  settings: Settings;
  data: Data;
  messaging: Messaging;
}

export class Jobs extends Construct {
  readonly outbox: DmpFunction;
  readonly retention: DmpFunction;
  /** Hourly: the two-week notice and the one-month reveal of documents hidden from the patient. */
  readonly visibility: DmpFunction;
  /** Hourly: removes the chunks of deposits that never committed. */
  readonly uploads: DmpFunction;
  /** Daily: the SMS reminders of vaccinations due soon. */
  readonly vaccinationReminders: DmpFunction;
  /** Stream batches the dispatcher gave up on (positions in the stream, not their content). */
  readonly outboxFailures: sqs.Queue;
  /** The keyword index, from the stream: documents' text extracted and every indexed item's words posted. */
  readonly searchIndex: DmpFunction;
  /** Stream batches the index job gave up on (positions in the stream, not their content). */
  readonly searchIndexFailures: sqs.Queue;
  /** The nightly claims import: the inbox bucket, its queue and the function consuming it. */
  readonly claimsImport: ClaimsImport;
  /**
   * The scheduled jobs and their schedule's interval: an alarm per job fires when no run started
   * within twice that (lib/operations.ts), counted by the function's invocations or, for a job
   * invoked otherwise too, by a figure each scheduled run writes (its heartbeat).
   */
  readonly schedules: { job: string; fn: DmpFunction; every: Duration; heartbeat?: MetricName }[] = [];

  constructor(scope: Construct, id: string, props: JobsProps) {
    super(scope, id);
    const { settings, data, messaging } = props;
    const logSettings: LogSettings = { encryptionKey: data.logsKey, retention: settings.logRetention };

    this.outbox = new DmpFunction(this, 'Outbox', {
      entry: 'functions/jobs/outbox.ts',
      description: 'DMP outbox dispatcher: sends pending notifications (SMS, professional messaging)',
      memorySize: 512,
      // Below the dispatcher's 60 s claim lease, so a claim never outlives its invocation.
      timeout: Duration.seconds(50),
      environment: {
        TABLE_NAME: data.table.tableName,
        DATA_KEY_ID: data.dataKey.keyArn,
        SMS_SENDER_ID: settings.smsSenderId,
        PRO_TOPIC_ARN: messaging.professionalMessaging.topicArn,
      },
      logs: logSettings,
    });
    // Claim, mark and reschedule are updates; the wrapped data key is a GetItem; the sweep
    // queries the pending-notifications index. Opening a recipient needs the record's data key.
    // Expanding a fan-out queries the record's authorizations (its attending physicians) and puts
    // one message per physician, each conditional on its absence (nothing is overwritten).
    // SMS go to patients' phones, attending physicians' notifications to the professional topic.
    data.grantItems(this.outbox, ['GetItem', 'UpdateItem', 'PutItem', 'Query']);
    data.grantIndexQuery(this.outbox);
    data.grantDataKey(this.outbox, ['Decrypt'], ['record']);
    messaging.grantSmsAndProfessionalMessaging(this.outbox);

    // Lambda's on-failure record for a stream batch holds its shard and sequence numbers only.
    this.outboxFailures = new sqs.Queue(this, 'OutboxFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.outbox.addEventSource(
      new DynamoEventSource(data.table, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 25,
        bisectBatchOnError: true,
        retryAttempts: 5,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.outboxFailures),
        // Only new pending notifications wake the dispatcher; every other write to the table is
        // ignored before it costs an invocation, including OUTBOX# items written already sent (the
        // log of an SMS sent directly, such as a login code).
        filters: [
          lambda.FilterCriteria.filter({
            eventName: lambda.FilterRule.isEqual('INSERT'),
            dynamodb: {
              Keys: { sk: { S: lambda.FilterRule.beginsWith('OUTBOX#') } },
              NewImage: { status: { S: lambda.FilterRule.isEqual('pending') } },
            },
          }),
        ],
      }),
    );

    // The stream invokes the dispatcher too: its sweeps are told by the figure each one writes.
    this.schedules.push({ job: 'Outbox', fn: this.outbox, every: Duration.minutes(1), heartbeat: 'OutboxOldestDueAgeSeconds' });
    new events.Rule(this, 'OutboxSweep', {
      description: 'Every minute: send the notifications whose next attempt is due',
      schedule: events.Schedule.rate(Duration.minutes(1)),
      // A missed sweep is replaced by the next one a minute later: no retry, no dead letters.
      targets: [new targets.LambdaFunction(this.outbox, { retryAttempts: 0 })],
    });

    this.retention = new DmpFunction(this, 'Retention', {
      entry: 'functions/jobs/retention.ts',
      description: 'DMP retention: destroys records ten years after closure (wrapped data key first)',
      memorySize: 512,
      // Lambda's limit is 15 minutes; what is left over waits for the next day's run.
      timeout: Duration.minutes(14),
      environment: { TABLE_NAME: data.table.tableName },
      // No reserved concurrency (a new account cannot reserve any): two runs side by side are safe,
      // each destruction step being conditional and idempotent (functions/domain/jobs/retention.ts).
      logs: logSettings,
    });
    // Finds due records on GSI1 and reads them; marks, deletes (one by one or in batches) under
    // conditions. No data-key permission: it never opens data, it deletes the wrapped key.
    data.grantItems(this.retention, ['GetItem', 'Query', 'UpdateItem', 'DeleteItem', 'BatchWriteItem', 'ConditionCheckItem']);
    data.grantIndexQuery(this.retention);
    this.schedules.push({ job: 'Retention', fn: this.retention, every: Duration.days(1) });
    new events.Rule(this, 'RetentionSchedule', {
      description: 'Daily at 02:30 UTC: destroy the records whose ten years of retention are over',
      schedule: events.Schedule.cron({ minute: '30', hour: '2' }),
      targets: [new targets.LambdaFunction(this.retention)],
    });

    this.visibility = new DmpFunction(this, 'Visibility', {
      entry: 'functions/jobs/visibility.ts',
      description: 'DMP visibility: tells the patient of a pending document after two weeks, reveals it after one month',
      memorySize: 512,
      timeout: Duration.minutes(5),
      environment: { TABLE_NAME: data.table.tableName, DATA_KEY_ID: data.dataKey.keyArn },
      logs: logSettings,
    });
    // Finds the documents whose next step is due on GSI1, reads them, moves them on under
    // conditions, and writes the patient's notice into the outbox in the same transaction: sealing
    // the SMS recipient takes the record's data key (Decrypt of the wrapped key, never a new one);
    // the record and its key are one BatchGetItem.
    data.grantItems(this.visibility, ['GetItem', 'BatchGetItem', 'Query', 'UpdateItem', 'PutItem', 'ConditionCheckItem']);
    data.grantIndexQuery(this.visibility);
    data.grantDataKey(this.visibility, ['Decrypt'], ['record']);
    this.schedules.push({ job: 'Visibility', fn: this.visibility, every: Duration.hours(1) });
    new events.Rule(this, 'VisibilitySchedule', {
      description: 'Every hour: tell patients of documents hidden for two weeks, reveal those hidden for a month',
      schedule: events.Schedule.rate(Duration.hours(1)),
      // A missed run is caught up by the next one an hour later (the index holds what is due).
      targets: [new targets.LambdaFunction(this.visibility, { retryAttempts: 0 })],
    });

    this.uploads = new DmpFunction(this, 'Uploads', {
      entry: 'functions/jobs/uploads.ts',
      description: 'DMP uploads: removes the chunks of document deposits that never committed',
      memorySize: 512,
      timeout: Duration.minutes(5),
      environment: { TABLE_NAME: data.table.tableName },
      logs: logSettings,
    });
    // Finds abandoned deposits on GSI1, queries their chunks and deletes them (in batches), then
    // the deposit's marker, with conditional updates and deletes. No data-key permission: it never
    // opens what it deletes.
    data.grantItems(this.uploads, ['Query', 'UpdateItem', 'DeleteItem', 'BatchWriteItem']);
    data.grantIndexQuery(this.uploads);
    this.schedules.push({ job: 'Uploads', fn: this.uploads, every: Duration.hours(1) });
    new events.Rule(this, 'UploadsSchedule', {
      description: 'Every hour: remove the chunks of deposits abandoned before their commit',
      schedule: events.Schedule.rate(Duration.hours(1)),
      // A missed run is caught up by the next one an hour later (the index holds what is due).
      targets: [new targets.LambdaFunction(this.uploads, { retryAttempts: 0 })],
    });

    this.vaccinationReminders = new DmpFunction(this, 'VaccinationReminders', {
      entry: 'functions/jobs/vaccination-reminders.ts',
      description: 'DMP vaccination reminders: an SMS for each vaccination due soon, once, unless the patient turned them off',
      memorySize: 512,
      // What a run leaves when its time runs out stays due on the queue for the next day.
      timeout: Duration.minutes(14),
      environment: { TABLE_NAME: data.table.tableName, DATA_KEY_ID: data.dataKey.keyArn },
      logs: logSettings,
    });
    // Finds the due records on GSI1; reads each record and its vaccinations (Queries) and the
    // history's lines (a Query of GSI2, then a BatchGetItem); a reminder is a transaction that puts its marker and the SMS in the outbox on a
    // ConditionCheck of the record; the queue entry moves on with a conditional update. Opening
    // the record and sealing the SMS recipient take the record's data key (Decrypt, never a new one).
    data.grantItems(this.vaccinationReminders, ['Query', 'BatchGetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem']);
    data.grantIndexQuery(this.vaccinationReminders);
    data.grantClaimsIndexQuery(this.vaccinationReminders);
    data.grantDataKey(this.vaccinationReminders, ['Decrypt'], ['record']);
    this.schedules.push({ job: 'VaccinationReminders', fn: this.vaccinationReminders, every: Duration.days(1) });
    new events.Rule(this, 'VaccinationRemindersSchedule', {
      description: 'Daily at 08:00 UTC: send the reminders of vaccinations due soon',
      schedule: events.Schedule.cron({ minute: '0', hour: '8' }),
      // A missed day is caught up by the next run: the queue keeps what is due, markers what was sent.
      targets: [new targets.LambdaFunction(this.vaccinationReminders, { retryAttempts: 2 })],
    });

    this.searchIndex = new DmpFunction(this, 'SearchIndex', {
      entry: 'functions/jobs/search-index.ts',
      description: "DMP keyword index: extracts the words of changed documents and entries, writes the record's blind word lists",
      // CPU-bound (text extraction, HMAC, AES-GCM); the extraction worker has its own heap limit.
      memorySize: 1024,
      // A batch of 10 changes, each document's extraction stopped at 10 s.
      timeout: Duration.minutes(3),
      environment: { TABLE_NAME: data.table.tableName, DATA_KEY_ID: data.dataKey.keyArn },
      logs: logSettings,
    });
    // Reads the changed item (GetItem; a measurement's series: Query), a document's chunks and the
    // words' lists (BatchGetItem), writes and deletes lists on condition of their version and
    // manifests (PutItem, DeleteItem). Opening the items and deriving the index key take the
    // record's data key (Decrypt of the wrapped key, never a new one). No index, no SNS, no S3.
    data.grantItems(this.searchIndex, ['GetItem', 'BatchGetItem', 'Query', 'PutItem', 'DeleteItem']);
    data.grantDataKey(this.searchIndex, ['Decrypt'], ['record']);
    this.searchIndexFailures = new sqs.Queue(this, 'SearchIndexFailures', {
      encryption: sqs.QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.searchIndex.addEventSource(
      new DynamoEventSource(data.table, {
        startingPosition: lambda.StartingPosition.LATEST,
        batchSize: 10,
        bisectBatchOnError: true,
        retryAttempts: 5,
        reportBatchItemFailures: true,
        onFailure: new SqsDlq(this.searchIndexFailures),
        // Only the items the index follows wake it, whatever the change (insert, update, removal:
        // a superseded or deleted document, an expired claims line leaves the index).
        filters: SEARCH_INDEXED_PREFIXES.map((prefix) =>
          lambda.FilterCriteria.filter({
            dynamodb: { Keys: { pk: { S: lambda.FilterRule.beginsWith(RECORD_PARTITION_PREFIX) }, sk: { S: lambda.FilterRule.beginsWith(prefix) } } },
          }),
        ),
      }),
    );

    this.claimsImport = new ClaimsImport(this, 'ClaimsImport', { data, logs: logSettings, writer: settings.claimsInboxWriter });
  }
}

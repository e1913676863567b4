/**
 * The vaccination record's storage as the reminders job (functions/domain/jobs/vaccination-reminders.ts)
 * sees it: the queue (GSI1 VACCREMIND#<shard>, a Query per shard, never a Scan), a record read whole
 * for its reminders (the record, its vaccinations, queue entry and markers in one Query, the history's
 * vaccination lines), a reminder as one transaction (its marker, the SMS in the outbox, the record
 * still active with reminders on), and the queue entry moved on under the condition that it did not
 * move meanwhile.
 */
import { ConditionalCheckFailedException, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { BOOL, S } from '#adapters/attributes';
import { dueEntries } from '#adapters/due-queue';
import { outboxPut } from '#adapters/outbox-store';
import { holderMobiles, openRecord } from '#adapters/record-sealing';
import { dmpIdOfPk, keyItem, keys } from '#adapters/table';
import { transact } from '#adapters/transactions';
import { ConditionsRefused } from '#domain/errors';
import { newEventId } from '#domain/identifiers';
import type { ReminderStore, ReminderSubject } from '#domain/jobs/vaccination-reminders';
import type { DataKey, KeyRing, Random } from '#domain/ports';
import type { Records } from '#domain/stores';
import { REMINDER_SPREAD_DAYS, type DueItem } from '#domain/vaccinations/due';
import { mergeVaccinations } from '#domain/vaccinations/entries';
import { vaccinationDeliveries, type VaccinationReaderDeps } from './reader.ts';
import { REMINDER_SHARDS, reminderPartition, type VaccinationStore } from './store.ts';

/** A record as read for its reminders: the key its writes seal with, its holders' mobiles, its queue entry. */
export interface LoadedSubject extends ReminderSubject {
  key: DataKey;
  mobiles: string[];
  queued?: string | undefined;
}

export interface ReminderStoreDeps {
  db: DynamoDBClient;
  tableName: string;
  records: Pick<Records, 'load'>;
  vaccinations: VaccinationStore;
  /** The claims capability's store: the history's vaccination lines satisfy what is due too. */
  claims: VaccinationReaderDeps['claims'];
  keyRing: KeyRing;
  random: Random;
}

export class DynamoReminderStore implements ReminderStore<LoadedSubject> {
  private readonly d: ReminderStoreDeps;
  constructor(deps: ReminderStoreDeps) {
    this.d = deps;
  }

  async *due(now: Date): AsyncGenerator<string> {
    for await (const { pk } of dueEntries(this.d.db, this.d.tableName, { partition: reminderPartition, shards: REMINDER_SHARDS }, now)) yield dmpIdOfPk(pk);
  }

  /**
   * Every dose counts, the lines a minor keeps from the representatives included: what is due is
   * the patient's, and the SMS names no vaccine.
   */
  async load(dmpId: string, now: Date): Promise<LoadedSubject | undefined> {
    const record = await this.d.records.load(dmpId);
    if (!record) return undefined;
    const key = await this.d.keyRing.unwrap(dmpId, record.wrappedKey);
    const [own, deliveries] = await Promise.all([this.d.vaccinations.partition(key), vaccinationDeliveries(this.d.claims, key, now)]);
    const entries = mergeVaccinations(own.entries, deliveries);
    const mobiles = holderMobiles(key, record, now);
    return {
      dmpId,
      key,
      mobiles,
      queued: own.queued,
      sendable: record.status === 'active' && record.vaccinationReminders !== false && mobiles.length > 0,
      birthDate: openRecord(key, record).identity.birthDate,
      doses: entries.map((e) => ({ id: e.id, date: e.date, vaccine: e.vaccine, ...(e.source !== 'claims' && e.nextBoosterDate ? { nextBoosterDate: e.nextBoosterDate } : {}) })),
      reminded: (itemId) => this.d.vaccinations.isReminded(key, own.reminded, itemId),
      spread: (itemId) => this.d.vaccinations.spread(key, itemId, REMINDER_SPREAD_DAYS),
    };
  }

  async remind(subject: LoadedSubject, item: DueItem, now: Date): Promise<boolean> {
    const { key, dmpId } = subject;
    try {
      await transact(this.d.db, [
        {
          label: 'reminded',
          item: {
            Put: {
              TableName: this.d.tableName,
              Item: { ...this.d.vaccinations.reminderKey(key, item.id), at: S(now.toISOString()) },
              ConditionExpression: 'attribute_not_exists(pk)',
            },
          },
        },
        ...subject.mobiles.map((to) => ({
          label: 'notification',
          item: outboxPut(
            this.d.tableName,
            key,
            { to, template: 'vaccination-due' },
            now,
            newEventId((n) => this.d.random.bytes(n)),
          ),
        })),
        {
          label: 'record',
          item: {
            ConditionCheck: {
              TableName: this.d.tableName,
              Key: keyItem(keys.record(dmpId)),
              ConditionExpression: '#status = :active AND (attribute_not_exists(vaccinationReminders) OR vaccinationReminders = :on)',
              ExpressionAttributeNames: { '#status': 'status' },
              ExpressionAttributeValues: { ':active': S('active'), ':on': BOOL(true) },
            },
          },
        },
      ]);
      return true;
    } catch (error) {
      // Sent by another run, or the record was closed or its reminders turned off meanwhile.
      if (error instanceof ConditionsRefused) return false;
      throw error;
    }
  }

  async reschedule(subject: LoadedSubject, day: string | undefined): Promise<void> {
    if (subject.queued === undefined) return;
    const next = day === undefined ? undefined : this.d.vaccinations.queuedAt(subject.dmpId, `${day}T00:00:00.000Z`);
    try {
      await this.d.db.send(
        new UpdateItemCommand({
          TableName: this.d.tableName,
          Key: this.d.vaccinations.queueKey(subject.dmpId),
          // Leaving the queue is leaving the index: its attributes go, the item stays (the next vaccination puts it back).
          UpdateExpression: next ? 'SET gsi1pk = :p, gsi1sk = :s' : 'REMOVE gsi1pk, gsi1sk',
          ConditionExpression: 'gsi1sk = :seen',
          ExpressionAttributeValues: { ':seen': S(subject.queued), ...(next ? { ':p': next.gsi1pk, ':s': next.gsi1sk } : {}) },
        }),
      );
    } catch (error) {
      // Moved meanwhile (a vaccination recorded during the run): its new place stands.
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }
}

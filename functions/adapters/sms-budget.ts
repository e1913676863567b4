/**
 * The SMS an action causes, counted in the record's partition (destroyed with it), as parts of
 * the action's own transaction: one conditional counter per window, which refuses the whole
 * action once the window's cap is reached. Concurrent actions are counted one by one, and an
 * action refused for any other reason counts nothing.
 */
import { ConditionsRefused } from '#domain/errors';
import { type SmsBudgetKind, type SmsWindow, windowOf } from '#domain/sms-budget';
import { N, S, epochSeconds } from './attributes.ts';
import { keyItem, keys } from './table.ts';
import { EMERGENCY_NOTICE, type SmsBudgets } from '#domain/stores';
import type { LabelledWrite } from './transactions.ts';

const label = (kind: SmsBudgetKind, window: SmsWindow): string => `sms-budget:${kind}:${window.name}`;

/** One more SMS of this kind for the record, in each of its windows; refused (labelled) when one is full. */
export const smsBudgetWrites = (tableName: string, dmpId: string, kind: SmsBudgetKind, windows: readonly SmsWindow[], now: Date): LabelledWrite[] =>
  windows.map((window) => {
    const { start, end } = windowOf(window, now);
    return {
      label: label(kind, window),
      item: {
        Update: {
          TableName: tableName,
          Key: keyItem(keys.smsBudget(dmpId, kind, window.name, start.toISOString())),
          UpdateExpression: 'SET #ttl = :ttl ADD #count :one',
          ConditionExpression: 'attribute_not_exists(#count) OR #count < :max',
          ExpressionAttributeNames: { '#count': 'count', '#ttl': 'ttl' },
          // Kept a day past its window, then left to expire.
          ExpressionAttributeValues: { ':one': N(1), ':max': N(window.max), ':ttl': N(epochSeconds(end) + 86_400) },
        },
      },
    };
  });

/** Whether a refused transaction was refused by one of these counters: until when (the latest full window's end). */
export const smsBudgetExhausted = (error: unknown, kind: SmsBudgetKind, windows: readonly SmsWindow[], now: Date): Date | undefined => {
  if (!(error instanceof ConditionsRefused)) return undefined;
  const full = windows.filter((w) => error.labels.has(label(kind, w)));
  if (full.length === 0) return undefined;
  return new Date(Math.max(...full.map((w) => windowOf(w, now).end.getTime())));
};

/**
 * That the professional's emergency access was told to the patient now: refused when another
 * notice of this professional landed after `cutoff` (a concurrent declaration told the patient).
 */
export const emergencyNoticeWrite = (tableName: string, dmpId: string, professionalId: string, now: Date, cutoff: Date, ttl: Date): LabelledWrite => ({
  label: EMERGENCY_NOTICE,
  item: {
    Put: {
      TableName: tableName,
      Item: { ...keyItem(keys.emergencyNotice(dmpId, professionalId)), at: S(now.toISOString()), ttl: N(epochSeconds(ttl)) },
      ConditionExpression: 'attribute_not_exists(pk) OR #at <= :cutoff',
      ExpressionAttributeNames: { '#at': 'at' },
      ExpressionAttributeValues: { ':cutoff': S(cutoff.toISOString()) },
    },
  },
});

/** The SmsBudgets port over the table: counters in the record's partition. */
export class DynamoSmsBudgets implements SmsBudgets {
  private readonly table: string;
  constructor(tableName: string) {
    this.table = tableName;
  }

  spendWrites(dmpId: string, kind: SmsBudgetKind, windows: readonly SmsWindow[], now: Date): LabelledWrite[] {
    return smsBudgetWrites(this.table, dmpId, kind, windows, now);
  }

  exhausted(error: unknown, kind: SmsBudgetKind, windows: readonly SmsWindow[], now: Date): Date | undefined {
    return smsBudgetExhausted(error, kind, windows, now);
  }

  emergencyNoticeWrite(dmpId: string, professionalId: string, now: Date, cutoff: Date, ttl: Date): LabelledWrite {
    return emergencyNoticeWrite(this.table, dmpId, professionalId, now, cutoff, ttl);
  }
}

/**
 * The vaccination reminders' use case against an in-memory store (a test double of the job's port:
 * the queue, the markers and the outbox as maps): a reminder per due item, once, at its date and not
 * before; none for a record that cannot be sent to, nor later for what fell due meanwhile; the queue
 * moved to the next reminder's day or left; a failing record left for the next run. Against
 * DynamoDB, through the local runtime: test/e2e/vaccinations-reminders.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { makeLogger } from '../../functions/adapters/logger.ts';
import { VaccinationRemindersJob, type ReminderStore, type ReminderSubject } from '../../functions/domain/jobs/vaccination-reminders.ts';
import type { Dose, DueItem } from '../../functions/domain/vaccinations/due.ts';

const logger = makeLogger({ logLevel: 'SILENT' });
const HEP_B = { name: 'Engerix B', codeSystem: 'ATC_VALENCE', code: 'J07BC01' } as const;
const DTP = { name: 'Revaxis', codeSystem: 'ATC_VALENCE', code: 'J07CA01' } as const;
const at = (day: string) => new Date(`${day}T08:00:00Z`);

interface Held {
  birthDate: string;
  doses: Dose[];
  sendable: boolean;
  /** The queue entry's day (undefined: not queued). */
  queued?: string | undefined;
  reminded: Set<string>;
}

class MemoryReminderStore implements ReminderStore {
  readonly records = new Map<string, Held>();
  readonly sms: { dmpId: string; item: string; at: string }[] = [];
  readonly failing = new Set<string>();

  add(dmpId: string, held: Partial<Held> & Pick<Held, 'doses'>): void {
    this.records.set(dmpId, { birthDate: '1975-03-14', sendable: true, queued: '2026-01-01', reminded: new Set(), ...held });
  }

  async *due(now: Date): AsyncGenerator<string> {
    const day = now.toISOString().slice(0, 10);
    for (const [dmpId, r] of this.records) if (r.queued !== undefined && r.queued <= day) yield dmpId;
  }

  async load(dmpId: string): Promise<ReminderSubject | undefined> {
    if (this.failing.has(dmpId)) throw Object.assign(new Error('unavailable'), { name: 'ServiceUnavailable' });
    const r = this.records.get(dmpId);
    if (!r) return undefined;
    return { dmpId, sendable: r.sendable, birthDate: r.birthDate, doses: r.doses, reminded: (id) => r.reminded.has(id), spread: () => 3 };
  }

  async remind(subject: ReminderSubject, item: DueItem, now: Date): Promise<boolean> {
    const r = this.records.get(subject.dmpId)!;
    if (r.reminded.has(item.id)) return false;
    r.reminded.add(item.id);
    this.sms.push({ dmpId: subject.dmpId, item: item.id, at: now.toISOString().slice(0, 10) });
    return true;
  }

  async reschedule(subject: ReminderSubject, day: string | undefined): Promise<void> {
    this.records.get(subject.dmpId)!.queued = day;
  }
}

const dtpDone: Dose = { id: 'd', date: '2026-01-05', vaccine: DTP };
const booster = (due: string): Dose => ({ id: 'h', date: '2026-01-05', vaccine: HEP_B, nextBoosterDate: due });

describe('the vaccination reminders job', () => {
  it('reminds of a booster 30 days (plus the spread) before it, once, then waits for the next reminder', async () => {
    const store = new MemoryReminderStore();
    store.add('a', { doses: [dtpDone, booster('2026-03-01')] });
    const job = new VaccinationRemindersJob(store, logger);
    // Reminder day: 2026-03-01 − 30 − 3 = 2026-01-27.
    expect(await job.sweep(at('2026-01-26'))).toEqual({ records: 1, sent: 0, withheld: 0, failed: 0 });
    expect(store.records.get('a')?.queued).toBe('2026-01-27');
    expect(await job.sweep(at('2026-01-27'))).toEqual({ records: 1, sent: 1, withheld: 0, failed: 0 });
    expect(store.sms).toEqual([{ dmpId: 'a', item: 'booster-h', at: '2026-01-27' }]);
    // Next: the 65-year dtp booster and influenza from 2040 (65 on 2040-03-14: the 2040 season).
    expect(store.records.get('a')?.queued).toBe('2040-02-10');
    expect(await job.sweep(at('2026-01-28'))).toEqual({ records: 0, sent: 0, withheld: 0, failed: 0 });
    expect(store.sms).toHaveLength(1);
  });

  it('sends late reminders at once, one per due item, and never twice even when the queue comes back early', async () => {
    const store = new MemoryReminderStore();
    // Born 1975: the 45-year dtp booster (2020) is overdue; a booster given is overdue too.
    store.add('b', { doses: [booster('2026-02-01')] });
    const job = new VaccinationRemindersJob(store, logger);
    expect((await job.sweep(at('2026-06-01'))).sent).toBe(2);
    expect(store.sms.map((s) => s.item).sort()).toEqual(['booster-h', 'dtp-45']);
    store.records.get('b')!.queued = '2026-06-01';
    expect((await job.sweep(at('2026-06-01'))).sent).toBe(0);
    expect(store.sms).toHaveLength(2);
  });

  it('withholds what falls due for a record it cannot send to, and does not send it later', async () => {
    const store = new MemoryReminderStore();
    store.add('c', { doses: [dtpDone, booster('2026-03-01')], sendable: false });
    const job = new VaccinationRemindersJob(store, logger);
    expect(await job.sweep(at('2026-02-10'))).toEqual({ records: 1, sent: 0, withheld: 1, failed: 0 });
    expect(store.records.get('c')?.queued).toBe('2040-02-10');
    store.records.get('c')!.sendable = true;
    expect(await job.sweep(at('2026-02-11'))).toEqual({ records: 0, sent: 0, withheld: 0, failed: 0 });
    expect(store.sms).toEqual([]);
  });

  it('moves each record to its next reminder day, the calendar’s next one included, and leaves a failing one for the next run', async () => {
    const store = new MemoryReminderStore();
    // Over 95 with the last dtp booster done and this season's influenza: only next season's flu remains.
    store.add('old', { birthDate: '1920-01-01', doses: [{ id: 'd', date: '2015-06-01', vaccine: DTP }] });
    store.add('young', { birthDate: '2000-01-01', doses: [] });
    store.add('broken', { doses: [] });
    store.failing.add('broken');
    const job = new VaccinationRemindersJob(store, logger);
    const report = await job.sweep(at('2026-02-15'));
    expect(report.failed).toBe(1);
    expect(store.records.get('broken')?.queued).toBe('2026-01-01');
    expect(store.records.get('old')?.queued).toBe('2026-09-12');
    // 25-year booster: 2025-01-01, overdue and reminded; next the 45-year one.
    expect(store.sms.filter((s) => s.dmpId === 'young').map((s) => s.item)).toEqual(['dtp-25']);
    expect(store.records.get('young')?.queued).toBe('2044-11-29');

    // Once this season's influenza is reminded (before the season, when next season is not listed yet), next season's day.
    const done = new MemoryReminderStore();
    done.add('gone', { birthDate: '1920-01-01', doses: [{ id: 'd', date: '2015-06-01', vaccine: DTP }] });
    const calendarless = new VaccinationRemindersJob(done, logger);
    await calendarless.sweep(at('2026-09-12'));
    expect(done.sms.map((s) => s.item)).toEqual(['influenza-2026']);
    expect(done.records.get('gone')?.queued).toBe('2027-09-12');
  });

  it('stops when told to, leaving the rest due', async () => {
    const store = new MemoryReminderStore();
    store.add('x', { doses: [dtpDone] });
    store.add('y', { doses: [dtpDone] });
    let asked = 0;
    const report = await new VaccinationRemindersJob(store, logger).sweep(at('2026-02-01'), () => ++asked > 1);
    expect(report.records).toBe(1);
    expect(store.records.get('y')?.queued).toBe('2026-01-01');
  });
});

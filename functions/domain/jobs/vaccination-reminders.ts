/**
 * The vaccination reminders: once a day, each record whose reminder date has come (a sparse queue,
 * one entry per record, ordered by the day its next reminder falls due: never a Scan) is looked at
 * afresh: what is due (domain/vaccinations/due.ts, from every dose the record knows of), which
 * reminders are due and not sent yet, and the next day one falls due.
 *
 *   - Each reminder due is sent once: its marker (per record and due item) is written in the same
 *     transaction as the SMS in the outbox, on condition that it is absent and that the record is
 *     still active with reminders on. A run again finds the marker and sends nothing.
 *   - A record whose holders turned reminders off (or that is closed, or has no mobile to send
 *     to) is sent nothing: the reminders that fall due meanwhile are not sent later.
 *   - The queue entry then moves to the next day a reminder falls due, or leaves the queue when
 *     none will; on condition that it was not moved meanwhile (a vaccination recorded during the
 *     run puts it back to now, and that stands).
 * A record enters the queue at its creation (the calendar's boosters follow from the birth date
 * alone) and again, due at once, whenever a vaccination is recorded (capabilities/vaccinations): the
 * next run works out its dates. Safe to run twice, or side by side.
 */
import { isoDate } from '../dates.ts';
import type { Logger } from '../ports.ts';
import { dueSchedule, nextReminderDay, remindersDue, type Dose, type DueItem, type ReminderState } from '../vaccinations/due.ts';

/** A record as the job reads it. */
export interface ReminderSubject extends ReminderState {
  dmpId: string;
  /** Active, reminders on, and someone to send them to. */
  sendable: boolean;
  birthDate: string;
  doses: readonly Dose[];
}

/** What the job needs of the storage. `S` is the store's own reading of a record. */
export interface ReminderStore<S extends ReminderSubject = ReminderSubject> {
  /** The records whose queue entry is due at `now`. */
  due(now: Date): AsyncIterable<string>;
  /** The record as it is now; undefined when it (or its key) is gone. */
  load(dmpId: string, now: Date): Promise<S | undefined>;
  /**
   * One reminder, in one transaction: its marker (absent until now) and the SMS to each holder's
   * mobile, on condition that the record is still active with reminders on. False when refused.
   */
  remind(subject: S, item: DueItem, now: Date): Promise<boolean>;
  /** The queue entry moves to `day` (00:00 UTC), or leaves the queue (undefined), unless it moved since it was read. */
  reschedule(subject: S, day: string | undefined): Promise<void>;
}

export interface ReminderReport {
  /** Records looked at. */
  records: number;
  /** Reminders sent (one per due item, to each holder's mobile). */
  sent: number;
  /** Reminders due but not sent: reminders off, record closed, no mobile, or sent by another run. */
  withheld: number;
  /** Records that failed (left on the queue for the next run). */
  failed: number;
}

export class VaccinationRemindersJob<S extends ReminderSubject = ReminderSubject> {
  private readonly store: ReminderStore<S>;
  private readonly logger: Logger;
  constructor(store: ReminderStore<S>, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  /** `enough`: asked before each record; true stops the run (what is left stays due for the next one). */
  async sweep(now: Date, enough: () => boolean = () => false): Promise<ReminderReport> {
    const report: ReminderReport = { records: 0, sent: 0, withheld: 0, failed: 0 };
    const seen = new Set<string>();
    for await (const dmpId of this.store.due(now)) {
      if (seen.has(dmpId)) continue;
      if (enough()) break;
      seen.add(dmpId);
      try {
        await this.remindRecord(dmpId, now, report);
        report.records += 1;
      } catch (error) {
        this.logger.warn('vaccination reminders of a record failed', { errorName: (error as Error).name });
        report.failed += 1;
      }
    }
    return report;
  }

  private async remindRecord(dmpId: string, now: Date, report: ReminderReport): Promise<void> {
    const subject = await this.store.load(dmpId, now);
    if (!subject) return;
    const today = isoDate(now);
    const { items, ahead } = dueSchedule({ birthDate: subject.birthDate, doses: subject.doses, today });
    const sent = new Set<string>();
    for (const item of remindersDue(items, today, subject)) {
      if (subject.sendable && (await this.store.remind(subject, item, now))) {
        sent.add(item.id);
        report.sent += 1;
      } else {
        report.withheld += 1;
      }
    }
    const state: ReminderState = { reminded: (id) => sent.has(id) || subject.reminded(id), spread: subject.spread };
    // What comes after the items listed today is kept in view too (see dueSchedule's `ahead`).
    await this.store.reschedule(subject, nextReminderDay([...items, ...ahead], today, state));
  }
}

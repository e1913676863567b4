/**
 * Destruction of records ten years after closure. For each record on the retention queue whose
 * date has passed:
 *   1. the store checks, in one atomic step, that the record is still closed and due, marks it
 *      `destroying` and deletes its wrapped data key: from that instant every sealed value is
 *      unreadable (crypto-shredding), and reactivation is impossible (it requires the key);
 *   2. its logins, its INS index entry (so that a new DMP can be created), then everything else it
 *      holds are deleted; its main item goes last but one, its queue entry last.
 * Safe to run twice and to interrupt: each step is idempotent, and the queue entry stays until the
 * end, so an interrupted destruction resumes on the next run (a record already `destroying`, or
 * whose main item is already gone, goes straight to the deletions). Records reactivated meanwhile
 * have left the queue, and fail the step-1 check when they are found anyway. Nothing outside the
 * record is touched except its logins and INS entry (the pharmacy ledger, which holds no personal
 * data, is accounting and stays).
 */
import { isDueForDestruction } from '../lifecycle.ts';
import type { Logger } from '../ports.ts';

/** What decides whether a record may go, and what outside its own items it owns. */
export interface RecordLifecycle {
  /** `active`, `closed`, or `destroying` once its key is gone. */
  status: string;
  retainUntil?: string | undefined;
  insHash?: string | undefined;
}

/** What the retention job needs of the records' storage. */
export interface RetentionStore {
  /** The ids of the records whose destruction date has passed at `now` (all of them). */
  due(now: Date): AsyncIterable<string>;
  /** The record's lifecycle, or undefined once its main item is gone. */
  lifecycle(dmpId: string): Promise<RecordLifecycle | undefined>;
  /**
   * Atomically, and only if the record is still closed with its date passed at `now`: marks it
   * `destroying` (since `now`) and deletes its wrapped data key. False when refused.
   */
  shred(dmpId: string, now: Date): Promise<boolean>;
  /** Deletes the record's logins (the patient's, its representatives'). */
  deleteLogins(dmpId: string): Promise<void>;
  /** Deletes the INS index entry, unless it designates another record. */
  releaseIns(insHash: string, dmpId: string): Promise<void>;
  /** Deletes every item of the record but its main item and its queue entry. */
  deleteContents(dmpId: string): Promise<void>;
  /** Deletes the record's main item. */
  deleteRecord(dmpId: string): Promise<void>;
  /** Deletes the record's queue entry. */
  dequeue(dmpId: string): Promise<void>;
}

export interface RetentionReport {
  destroyed: number;
  /** Due entries left alone: reactivated or closed again meanwhile. */
  kept: number;
}

export class RetentionJob {
  private readonly store: RetentionStore;
  private readonly logger: Logger;
  constructor(store: RetentionStore, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  async sweep(now: Date): Promise<RetentionReport> {
    const report: RetentionReport = { destroyed: 0, kept: 0 };
    for await (const dmpId of this.store.due(now)) {
      if (await this.destroy(dmpId, now)) report.destroyed += 1;
      else report.kept += 1;
    }
    return report;
  }

  /** Destroys one record if it is (still) due; true when it is gone. */
  async destroy(dmpId: string, now: Date): Promise<boolean> {
    const record = await this.store.lifecycle(dmpId);
    if (record && record.status !== 'destroying') {
      if (!isDueForDestruction(record, now)) return false;
      if (!(await this.store.shred(dmpId, now))) return false; // reactivated a moment ago
    }
    await this.store.deleteLogins(dmpId);
    if (record?.insHash) await this.store.releaseIns(record.insHash, dmpId);
    await this.store.deleteContents(dmpId);
    await this.store.deleteRecord(dmpId);
    await this.store.dequeue(dmpId);
    this.logger.info('record destroyed', { dmpId });
    return true;
  }
}

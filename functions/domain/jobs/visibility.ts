/**
 * The visibility job: a document its author hid from the patient (pending an announcement
 * consultation) is announced to the patient by SMS after two weeks — with no word of its content —
 * and becomes visible by itself after one calendar month. Such documents wait on a queue by the
 * date of their next step. Each step is one atomic change, refused if the document changed since
 * it was read: run twice, the job does nothing twice; a document the author revealed (or deleted)
 * meanwhile has left the queue, or is refused. A document takes at most one step per run, so a run
 * that comes late announces first and reveals on a later run, never both at once.
 */
import { revealAt } from '../documents.ts';
import type { Logger } from '../ports.ts';

export interface DocumentRef {
  dmpId: string;
  documentId: string;
}

/** A document as the job reads it. */
export interface HiddenDocument extends DocumentRef {
  depositedAt: Date;
  hiddenFromPatient: boolean;
  /** Its next step and when; none once revealed. */
  next?: { step: 'notice' | 'reveal'; at: Date } | undefined;
}

/** What the visibility job needs of the documents' storage. `D` is the store's own reading of a document. */
export interface VisibilityStore<D extends HiddenDocument = HiddenDocument> {
  /** The documents whose next step is due at `now`: at most `batch` from each part of the queue, the rest waits for the next run. */
  due(now: Date, batch: number): AsyncIterable<DocumentRef>;
  /** The document as it is now; undefined when it, or its record, is gone. */
  load(ref: DocumentRef): Promise<D | undefined>;
  /**
   * One atomic step, refused (false) if the document changed since `doc` was read or is no longer
   * hidden: its next step becomes the reveal at `revealAt`, and each holder of the record (one SMS
   * per distinct mobile) is told at `now` that a document awaits them.
   */
  notice(doc: D, revealAt: Date, now: Date): Promise<boolean>;
  /** One atomic step, refused (false) likewise: the document becomes visible to the patient, and the system's trace of it is written at `now`. */
  reveal(doc: D, now: Date): Promise<boolean>;
}

export interface VisibilityReport {
  noticed: number;
  revealed: number;
  skipped: number;
}

export class VisibilityJob<D extends HiddenDocument = HiddenDocument> {
  private readonly store: VisibilityStore<D>;
  private readonly logger: Logger;
  constructor(store: VisibilityStore<D>, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  async sweep(now: Date, batch = 200): Promise<VisibilityReport> {
    const report: VisibilityReport = { noticed: 0, revealed: 0, skipped: 0 };
    const stepped = new Set<string>();
    for await (const ref of this.store.due(now, batch)) {
      const id = `${ref.dmpId}/${ref.documentId}`;
      if (stepped.has(id)) continue; // one step per document and run
      stepped.add(id);
      try {
        report[await this.step(ref, now)] += 1;
      } catch (error) {
        this.logger.warn('visibility step failed', { errorName: (error as Error).name });
        report.skipped += 1;
      }
    }
    return report;
  }

  private async step(ref: DocumentRef, now: Date): Promise<keyof VisibilityReport> {
    const doc = await this.store.load(ref);
    const next = doc?.next;
    if (!doc || !next || !doc.hiddenFromPatient || next.at.getTime() > now.getTime()) return 'skipped';
    // A refused step: the document changed meanwhile; the next run sees it as it is.
    if (next.step === 'notice') return (await this.store.notice(doc, revealAt(doc.depositedAt), now)) ? 'noticed' : 'skipped';
    return (await this.store.reveal(doc, now)) ? 'revealed' : 'skipped';
  }
}

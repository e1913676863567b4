/**
 * The visibility job's use case against an in-memory documents store: the notice at two weeks, the
 * reveal at one calendar month, once each; documents changed meanwhile; one step per document and
 * run; failures that leave a document for the next run. Against DynamoDB:
 * test/integration/document-jobs.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { noticeAt, revealAt } from '../../functions/domain/documents.ts';
import { VisibilityJob, type DocumentRef, type HiddenDocument, type VisibilityStore } from '../../functions/domain/jobs/visibility.ts';
import { makeLogger } from '../../functions/adapters/logger.ts';

const DAY = 86_400_000;
const NOTHING = { noticed: 0, revealed: 0, skipped: 0 };

interface Held {
  depositedAt: Date;
  hidden: boolean;
  deleted: boolean;
  next?: { step: 'notice' | 'reveal'; at: Date } | undefined;
  revision: number;
}
type Read = HiddenDocument & { revision: number };

/** Documents, records and what the steps wrote (notices, traces), in memory. */
class MemoryVisibilityStore implements VisibilityStore<Read> {
  readonly documents = new Map<string, Held & DocumentRef>();
  readonly records = new Set<string>();
  readonly notices: { dmpId: string; documentId: string; at: string }[] = [];
  readonly traces: { dmpId: string; documentId: string; at: string }[] = [];
  /** How many times due() lists what is due (a store whose index moves under its reads may list an entry twice). */
  passes = 1;
  /** Runs between a document's read and its step. */
  beforeStep: ((doc: Read) => void) | undefined;
  /** Makes the named step throw for these documents. */
  readonly failing = new Map<string, 'notice' | 'reveal'>();

  deposit(dmpId: string, documentId: string, depositedAt: Date, hidden = true): void {
    this.records.add(dmpId);
    this.documents.set(`${dmpId}/${documentId}`, {
      dmpId,
      documentId,
      depositedAt,
      hidden,
      deleted: false,
      next: hidden ? { step: 'notice', at: noticeAt(depositedAt) } : undefined,
      revision: 1,
    });
  }
  doc(dmpId: string, documentId: string) {
    return this.documents.get(`${dmpId}/${documentId}`)!;
  }
  /** The author's own changes: they take the document off the queue. */
  authorReveals(dmpId: string, documentId: string): void {
    Object.assign(this.doc(dmpId, documentId), { hidden: false, next: undefined, revision: this.doc(dmpId, documentId).revision + 1 });
  }
  authorDeletes(dmpId: string, documentId: string): void {
    Object.assign(this.doc(dmpId, documentId), { deleted: true, next: undefined, revision: this.doc(dmpId, documentId).revision + 1 });
  }

  async *due(now: Date, batch: number): AsyncGenerator<DocumentRef> {
    for (let pass = 0; pass < this.passes; pass++) {
      const due = [...this.documents.values()].filter((d) => d.next && d.next.at.getTime() <= now.getTime()).sort((a, b) => a.next!.at.getTime() - b.next!.at.getTime());
      for (const d of due.slice(0, batch)) yield { dmpId: d.dmpId, documentId: d.documentId };
    }
  }
  async load(ref: DocumentRef): Promise<Read | undefined> {
    const d = this.documents.get(`${ref.dmpId}/${ref.documentId}`);
    if (!d || d.deleted || !this.records.has(ref.dmpId)) return undefined;
    const read = { dmpId: d.dmpId, documentId: d.documentId, depositedAt: d.depositedAt, hiddenFromPatient: d.hidden, next: d.next, revision: d.revision };
    this.beforeStep?.(read);
    return read;
  }
  private unchanged(read: Read): (Held & DocumentRef) | undefined {
    const d = this.doc(read.dmpId, read.documentId);
    return d.revision === read.revision && !d.deleted && d.hidden ? d : undefined;
  }
  async notice(read: Read, reveal: Date, now: Date): Promise<boolean> {
    if (this.failing.get(read.documentId) === 'notice') throw Object.assign(new Error('kms down'), { name: 'KMSInternalException' });
    const d = this.unchanged(read);
    if (!d) return false;
    Object.assign(d, { next: { step: 'reveal', at: reveal }, revision: d.revision + 1 });
    this.notices.push({ dmpId: d.dmpId, documentId: d.documentId, at: now.toISOString() });
    return true;
  }
  async reveal(read: Read, now: Date): Promise<boolean> {
    if (this.failing.get(read.documentId) === 'reveal') throw new Error('reveal failed');
    const d = this.unchanged(read);
    if (!d) return false;
    Object.assign(d, { hidden: false, next: undefined, revision: d.revision + 1 });
    this.traces.push({ dmpId: d.dmpId, documentId: d.documentId, at: now.toISOString() });
    return true;
  }
}

const world = () => {
  const store = new MemoryVisibilityStore();
  return { store, job: new VisibilityJob(store, makeLogger({ logLevel: 'SILENT' })) };
};

describe('visibility job', () => {
  it('announces a hidden document at +14 days, keeps it hidden, reveals it at one calendar month, each once', async () => {
    const { store, job } = world();
    const deposited = new Date('2026-01-31T10:00:00.000Z');
    const notice = noticeAt(deposited);
    const reveal = revealAt(deposited);
    expect(notice.toISOString()).toBe('2026-02-14T10:00:00.000Z');
    expect(reveal.toISOString()).toBe('2026-02-28T10:00:00.000Z');
    store.deposit('minor', 'hidden', deposited);
    store.deposit('adult', 'hidden', deposited);
    store.deposit('minor', 'visible', deposited, false);
    const visible = { ...store.doc('minor', 'visible') };

    expect(await job.sweep(new Date(deposited.getTime() + 13 * DAY))).toEqual(NOTHING);
    expect(await job.sweep(new Date(notice.getTime() - 1))).toEqual(NOTHING);
    expect(store.notices).toEqual([]);

    expect(await job.sweep(notice)).toEqual({ noticed: 2, revealed: 0, skipped: 0 });
    expect(store.notices).toEqual([
      { dmpId: 'minor', documentId: 'hidden', at: notice.toISOString() },
      { dmpId: 'adult', documentId: 'hidden', at: notice.toISOString() },
    ]);
    expect(store.doc('minor', 'hidden')).toMatchObject({ hidden: true, next: { step: 'reveal', at: reveal }, revision: 2 });

    expect(await job.sweep(notice)).toEqual(NOTHING);
    expect(await job.sweep(new Date(reveal.getTime() - 1))).toEqual(NOTHING);
    expect(store.notices).toHaveLength(2);
    expect(store.traces).toEqual([]);

    expect(await job.sweep(reveal)).toEqual({ noticed: 0, revealed: 2, skipped: 0 });
    expect(store.doc('minor', 'hidden')).toMatchObject({ hidden: false, next: undefined, revision: 3 });
    expect(store.traces).toEqual([
      { dmpId: 'minor', documentId: 'hidden', at: reveal.toISOString() },
      { dmpId: 'adult', documentId: 'hidden', at: reveal.toISOString() },
    ]);

    expect(await job.sweep(reveal)).toEqual(NOTHING);
    expect(await job.sweep(new Date('2027-06-01T00:00:00.000Z'))).toEqual(NOTHING);
    expect(store.notices).toHaveLength(2);
    expect(store.traces).toHaveLength(2);
    expect(store.doc('minor', 'visible')).toEqual(visible);
  });

  it('a document revealed or deleted by its author before the notice is never announced nor revealed', async () => {
    const { store, job } = world();
    const deposited = new Date('2026-03-31T08:30:00.000Z');
    store.deposit('r', 'revealed-early', deposited);
    store.deposit('r', 'deleted-early', deposited);
    store.authorReveals('r', 'revealed-early');
    store.authorDeletes('r', 'deleted-early');
    for (const at of [noticeAt(deposited), revealAt(deposited), new Date('2030-01-01T00:00:00.000Z')]) expect(await job.sweep(at)).toEqual(NOTHING);
    expect(store.notices).toEqual([]);
    expect(store.traces).toEqual([]);
    expect(store.doc('r', 'revealed-early').revision).toBe(2);
  });

  it('a document changed between its read and its step is skipped, and takes its step on the next run', async () => {
    const { store, job } = world();
    const deposited = new Date('2026-03-01T08:00:00.000Z');
    store.deposit('r', 'd', deposited);
    // The author relabels it (still hidden) just as the job reads it.
    store.beforeStep = (read) => {
      store.beforeStep = undefined;
      store.doc(read.dmpId, read.documentId).revision += 1;
    };
    expect(await job.sweep(noticeAt(deposited))).toEqual({ noticed: 0, revealed: 0, skipped: 1 });
    expect(store.notices).toEqual([]);
    expect(await job.sweep(noticeAt(deposited))).toEqual({ noticed: 1, revealed: 0, skipped: 0 });
  });

  it('hidden from the patient in the queue but no longer when read (or its record gone): skipped, nothing written', async () => {
    const { store, job } = world();
    const deposited = new Date('2026-03-01T08:00:00.000Z');
    store.deposit('r', 'shown', deposited);
    store.deposit('gone', 'd', deposited);
    store.beforeStep = (read) => {
      if (read.documentId === 'shown') read.hiddenFromPatient = false;
    };
    store.records.delete('gone');
    expect(await job.sweep(noticeAt(deposited))).toEqual({ noticed: 0, revealed: 0, skipped: 2 });
    expect(store.notices).toEqual([]);
  });

  it('a run that comes late announces first and reveals on the next run, never both in one run, even when the queue lists the document again', async () => {
    const { store, job } = world();
    store.passes = 2;
    const deposited = new Date('2026-12-15T09:00:00.000Z');
    store.deposit('r', 'd', deposited);
    const late = new Date(revealAt(deposited).getTime() + 5 * DAY);
    expect(revealAt(deposited).toISOString()).toBe('2027-01-15T09:00:00.000Z');
    expect(await job.sweep(late)).toEqual({ noticed: 1, revealed: 0, skipped: 0 });
    expect(store.doc('r', 'd').hidden).toBe(true);
    expect(await job.sweep(late)).toEqual({ noticed: 0, revealed: 1, skipped: 0 });
    expect(store.doc('r', 'd').hidden).toBe(false);
    expect(await job.sweep(late)).toEqual(NOTHING);
    expect(store.notices).toHaveLength(1);
  });

  it('a step that fails is counted as skipped, the others go on, and the next run takes it', async () => {
    const { store, job } = world();
    const deposited = new Date('2026-05-01T08:00:00.000Z');
    store.deposit('r', 'a', deposited);
    store.deposit('r', 'b', new Date(deposited.getTime() + 1));
    store.failing.set('a', 'notice');
    const at = new Date(noticeAt(deposited).getTime() + 1);
    expect(await job.sweep(at)).toEqual({ noticed: 1, revealed: 0, skipped: 1 });
    expect(store.doc('r', 'a').next?.step).toBe('notice');
    store.failing.clear();
    expect(await job.sweep(at)).toEqual({ noticed: 1, revealed: 0, skipped: 0 });
    expect(store.notices.map((n) => n.documentId)).toEqual(['b', 'a']);
  });

  it('takes at most `batch` documents a run; the rest waits for the next', async () => {
    const { store, job } = world();
    const deposited = new Date('2026-05-01T08:00:00.000Z');
    for (let i = 0; i < 5; i++) store.deposit('r', `d${i}`, new Date(deposited.getTime() + i));
    const at = new Date(noticeAt(deposited).getTime() + 10);
    expect(await job.sweep(at, 3)).toEqual({ noticed: 3, revealed: 0, skipped: 0 });
    expect(await job.sweep(at, 3)).toEqual({ noticed: 2, revealed: 0, skipped: 0 });
  });
});

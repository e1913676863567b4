/**
 * The retention job's use case against an in-memory store: which records go and when, the order of
 * the steps (the data key first, the queue entry last), resumption after an interruption, and
 * records reactivated meanwhile. The same behaviours against DynamoDB: test/integration/retention.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { RetentionJob, type RecordLifecycle, type RetentionStore } from '../../functions/domain/jobs/retention.ts';
import { retainUntil } from '../../functions/domain/lifecycle.ts';
import { makeLogger } from '../../functions/adapters/logger.ts';

const CLOSED = new Date('2026-03-10T09:00:00.000Z');
const DUE = retainUntil(CLOSED);

interface Held {
  status: 'active' | 'closed' | 'destroying';
  retainUntil?: string | undefined;
  insHash?: string | undefined;
  hasMain: boolean;
  hasKey: boolean;
  /** Its other items (authorizations, traces, documents…). */
  contents: number;
  logins: string[];
  /** On the retention queue, due at retainUntil. */
  queued: boolean;
}

/** The records' storage in memory, recording each call; `fail` makes the named step throw once. */
class MemoryRetentionStore implements RetentionStore {
  readonly records = new Map<string, Held>();
  readonly logins = new Map<string, string>();
  readonly ins = new Map<string, string>();
  readonly calls: string[] = [];
  fail: string | undefined;
  /** Runs just before a shred: something may change the record meanwhile. */
  beforeShred: ((dmpId: string) => void) | undefined;

  add(dmpId: string, opts: { closedAt?: Date; insHash?: string } = {}): void {
    const logins = [`${dmpId}-patient`, `${dmpId}-representative`];
    for (const l of logins) this.logins.set(l, dmpId);
    if (opts.insHash) this.ins.set(opts.insHash, dmpId);
    this.records.set(dmpId, { status: 'active', insHash: opts.insHash, hasMain: true, hasKey: true, contents: 5, logins, queued: false });
    if (opts.closedAt) this.close(dmpId, opts.closedAt);
  }
  close(dmpId: string, at: Date): void {
    Object.assign(this.held(dmpId), { status: 'closed', retainUntil: retainUntil(at).toISOString(), queued: true });
  }
  reactivate(dmpId: string): void {
    const r = this.held(dmpId);
    if (!r.hasKey || r.status !== 'closed') throw new Error('refused');
    Object.assign(r, { status: 'active', retainUntil: undefined, queued: false });
  }
  held(dmpId: string): Held {
    const r = this.records.get(dmpId);
    if (!r) throw new Error(`no record ${dmpId}`);
    return r;
  }
  /** Everything the record still owns, as a comparable snapshot. */
  owned(dmpId: string) {
    const r = this.records.get(dmpId);
    return {
      record: r && { ...r, logins: [...r.logins] },
      logins: [...this.logins].filter(([, d]) => d === dmpId).map(([l]) => l),
      ins: [...this.ins].filter(([, d]) => d === dmpId).map(([h]) => h),
    };
  }
  private step(name: string, dmpId: string): void {
    this.calls.push(`${name} ${dmpId}`);
    if (this.fail === name) {
      this.fail = undefined;
      throw new Error(`injected ${name} failure`);
    }
  }

  async *due(now: Date): AsyncGenerator<string> {
    const due = [...this.records].filter(([, r]) => r.queued && r.retainUntil !== undefined && Date.parse(r.retainUntil) <= now.getTime()).map(([id]) => id);
    for (const id of due) yield id;
  }
  async lifecycle(dmpId: string): Promise<RecordLifecycle | undefined> {
    this.step('lifecycle', dmpId);
    const r = this.records.get(dmpId);
    return r?.hasMain ? { status: r.status, retainUntil: r.retainUntil, insHash: r.insHash } : undefined;
  }
  async shred(dmpId: string, now: Date): Promise<boolean> {
    this.beforeShred?.(dmpId);
    this.step('shred', dmpId);
    const r = this.held(dmpId);
    if (r.status !== 'closed' || r.retainUntil === undefined || Date.parse(r.retainUntil) > now.getTime()) return false;
    Object.assign(r, { status: 'destroying', hasKey: false });
    return true;
  }
  async deleteLogins(dmpId: string): Promise<void> {
    this.step('deleteLogins', dmpId);
    for (const l of this.records.get(dmpId)?.logins ?? []) this.logins.delete(l);
  }
  async releaseIns(insHash: string, dmpId: string): Promise<void> {
    this.step('releaseIns', dmpId);
    if (this.ins.get(insHash) === dmpId) this.ins.delete(insHash);
  }
  async deleteContents(dmpId: string): Promise<void> {
    this.step('deleteContents', dmpId);
    const r = this.records.get(dmpId);
    if (r) Object.assign(r, { contents: 0, logins: [] });
  }
  async deleteRecord(dmpId: string): Promise<void> {
    this.step('deleteRecord', dmpId);
    const r = this.records.get(dmpId);
    if (r) r.hasMain = false;
  }
  async dequeue(dmpId: string): Promise<void> {
    this.step('dequeue', dmpId);
    this.records.delete(dmpId);
  }
}

const world = () => {
  const store = new MemoryRetentionStore();
  const job = new RetentionJob(store, makeLogger({ logLevel: 'SILENT' }));
  return { store, job };
};

const DESTRUCTION = ['lifecycle', 'shred', 'deleteLogins', 'releaseIns', 'deleteContents', 'deleteRecord', 'dequeue'];

describe('retention sweep', () => {
  it('destroys nothing before the retention date; at it, the due record only, its key first and its queue entry last', async () => {
    const { store, job } = world();
    store.add('due', { closedAt: CLOSED, insHash: 'h-due' });
    store.add('active', { insHash: 'h-active' });
    store.add('later', { closedAt: new Date(CLOSED.getTime() + 86_400_000), insHash: 'h-later' });
    store.add('reactivated', { closedAt: CLOSED, insHash: 'h-react' });
    store.reactivate('reactivated');
    const others = ['active', 'later', 'reactivated'].map((id) => store.owned(id));

    expect(await job.sweep(new Date(DUE.getTime() - 1))).toEqual({ destroyed: 0, kept: 0 });
    expect(store.calls).toEqual([]);

    expect(await job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    expect(store.calls).toEqual(DESTRUCTION.map((step) => `${step} due`));
    expect(store.owned('due')).toEqual({ record: undefined, logins: [], ins: [] });
    expect(['active', 'later', 'reactivated'].map((id) => store.owned(id))).toEqual(others);
  });

  it('running the sweep twice is harmless', async () => {
    const { store, job } = world();
    store.add('due', { closedAt: CLOSED, insHash: 'h' });
    store.add('active');
    expect(await job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    const calls = store.calls.length;
    expect(await job.sweep(DUE)).toEqual({ destroyed: 0, kept: 0 });
    expect(await job.sweep(new Date('2050-01-01T00:00:00Z'))).toEqual({ destroyed: 0, kept: 0 });
    expect(store.calls).toHaveLength(calls);
    expect(store.held('active').status).toBe('active');
  });

  it('interrupted after the shred: the key is gone, reactivation impossible, the entry still queued; the next sweep finishes without shredding again', async () => {
    const { store, job } = world();
    store.add('due', { closedAt: CLOSED, insHash: 'h' });
    store.add('other', { closedAt: new Date('2030-01-01T00:00:00Z') });
    const other = store.owned('other');
    store.fail = 'deleteLogins';
    await expect(job.sweep(DUE)).rejects.toThrow('injected deleteLogins failure');
    expect(store.held('due')).toMatchObject({ status: 'destroying', hasKey: false, hasMain: true, queued: true });
    // The key went first: the logins and the INS entry are still there.
    expect(store.owned('due').logins).toHaveLength(2);
    expect(store.owned('due').ins).toEqual(['h']);
    expect(() => store.reactivate('due')).toThrow('refused');
    expect(store.owned('other')).toEqual(other);

    store.calls.length = 0;
    expect(await job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    expect(store.calls).toEqual(DESTRUCTION.filter((s) => s !== 'shred').map((step) => `${step} due`));
    expect(store.owned('due')).toEqual({ record: undefined, logins: [], ins: [] });
  });

  it('interrupted after the main item went: the next sweep finishes from the queue entry alone', async () => {
    const { store, job } = world();
    store.add('due', { closedAt: CLOSED, insHash: 'h' });
    store.fail = 'dequeue';
    await expect(job.sweep(DUE)).rejects.toThrow('injected dequeue failure');
    expect(store.held('due')).toMatchObject({ hasMain: false, queued: true });
    store.calls.length = 0;
    expect(await job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    // Nothing left to check or shred, and no INS hash to release: the deletions, in the same order.
    expect(store.calls).toEqual(['lifecycle', 'deleteLogins', 'deleteContents', 'deleteRecord', 'dequeue'].map((step) => `${step} due`));
    expect(store.records.has('due')).toBe(false);
  });

  it('a record reactivated between being found and being shredded is kept, nothing deleted', async () => {
    const { store, job } = world();
    store.add('due', { closedAt: CLOSED, insHash: 'h' });
    store.beforeShred = (id) => store.reactivate(id);
    expect(await job.sweep(DUE)).toEqual({ destroyed: 0, kept: 1 });
    expect(store.calls).toEqual(['lifecycle due', 'shred due']);
    expect(store.owned('due').record).toMatchObject({ status: 'active', hasKey: true, contents: 5 });
    expect(store.owned('due').ins).toEqual(['h']);
  });

  it('a record reactivated after its date is kept until closed again and due again', async () => {
    const { store, job } = world();
    store.add('r', { closedAt: CLOSED });
    store.reactivate('r');
    expect(await job.sweep(new Date('2050-01-01T00:00:00Z'))).toEqual({ destroyed: 0, kept: 0 });
    const reclosed = new Date('2040-01-01T00:00:00Z');
    store.close('r', reclosed);
    expect(await job.sweep(new Date(retainUntil(reclosed).getTime() - 1))).toEqual({ destroyed: 0, kept: 0 });
    expect(await job.sweep(retainUntil(reclosed))).toEqual({ destroyed: 1, kept: 0 });
    expect(store.records.has('r')).toBe(false);
  });

  it('releases only an INS entry that designates the record (the store keeps another record’s)', async () => {
    const { store, job } = world();
    store.add('due', { closedAt: CLOSED, insHash: 'h' });
    store.ins.set('h', 'someone-else');
    expect(await job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    expect(store.calls).toContain('releaseIns due');
    expect(store.ins.get('h')).toBe('someone-else');
  });
});

describe('destroying one record', () => {
  it('keeps an active record, one never closed, and a closed one before its instant; destroys it at its instant', async () => {
    const { store, job } = world();
    store.add('active', { closedAt: CLOSED });
    store.reactivate('active');
    store.add('never');
    store.add('closed', { closedAt: CLOSED });
    expect(await job.destroy('active', new Date('2099-01-01T00:00:00Z'))).toBe(false);
    expect(await job.destroy('never', new Date('2099-01-01T00:00:00Z'))).toBe(false);
    expect(await job.destroy('closed', new Date(DUE.getTime() - 1))).toBe(false);
    // Decided on the record's lifecycle alone: no shred was even tried.
    expect(store.calls).toEqual(['lifecycle active', 'lifecycle never', 'lifecycle closed']);
    expect(await job.destroy('closed', DUE)).toBe(true);
    expect(store.records.has('closed')).toBe(false);
    expect(store.held('active').contents).toBe(5);
    expect(store.held('never').contents).toBe(5);
  });
});

/**
 * The uploads job's use case against an in-memory documents store: when a deposit counts as
 * abandoned, the order of the clean-up (mark, chunks, intent), a clean-up interrupted and finished
 * by the next run, and a deposit that commits just before the mark. Against DynamoDB:
 * test/integration/document-jobs.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { UPLOAD_ABANDON_MS, abandonAt } from '../../functions/domain/documents.ts';
import { UploadsJob, type UploadRef, type UploadsStore } from '../../functions/domain/jobs/uploads.ts';
import { makeLogger } from '../../functions/adapters/logger.ts';

const T0 = new Date('2026-03-01T10:00:00.000Z');
const MIN = 60_000;
const DAY = 86_400_000;
const NONE = { abandoned: 0, chunksDeleted: 0 };

interface Intent {
  startedAt: Date;
  state: 'uploading' | 'abandoned';
  chunks: number;
}

/** Deposits in memory: intents (queued at their abandonment instant), chunks, committed documents. */
class MemoryUploadsStore implements UploadsStore {
  readonly intents = new Map<string, Intent>();
  readonly chunks = new Map<string, number>();
  readonly committed = new Set<string>();
  readonly calls: string[] = [];
  fail: string | undefined;
  /** Runs just before a mark: a commit may land then. */
  beforeAbandon: ((id: string) => void) | undefined;

  stage(id: string, startedAt: Date, chunks: number): void {
    this.intents.set(id, { startedAt, state: 'uploading', chunks });
    this.chunks.set(id, chunks);
  }
  /** The deposit's commit: only while its intent is still an upload under way. */
  commit(id: string): boolean {
    if (this.intents.get(id)?.state !== 'uploading') return false;
    this.intents.delete(id);
    this.committed.add(id);
    return true;
  }
  private call(name: string, upload: UploadRef): string {
    const id = upload.documentId;
    this.calls.push(`${name} ${id}`);
    if (this.fail === `${name} ${id}`) {
      this.fail = undefined;
      throw Object.assign(new Error(`injected ${name} failure`), { name: 'ProvisionedThroughputExceededException' });
    }
    return id;
  }

  async *due(now: Date, batch: number): AsyncGenerator<UploadRef> {
    const due = [...this.intents].filter(([, i]) => abandonAt(i.startedAt).getTime() <= now.getTime()).sort(([, a], [, b]) => a.startedAt.getTime() - b.startedAt.getTime());
    for (const [documentId] of due.slice(0, batch)) yield { dmpId: 'rec-1', documentId };
  }
  async abandon(upload: UploadRef): Promise<number | undefined> {
    this.beforeAbandon?.(upload.documentId);
    const intent = this.intents.get(this.call('abandon', upload));
    if (!intent) return undefined;
    intent.state = 'abandoned';
    return intent.chunks;
  }
  async deleteChunks(upload: UploadRef, chunks: number): Promise<void> {
    const id = this.call('deleteChunks', upload);
    this.chunks.set(id, Math.max(0, (this.chunks.get(id) ?? 0) - chunks));
  }
  async deleteIntent(upload: UploadRef): Promise<void> {
    this.intents.delete(this.call('deleteIntent', upload));
  }
}

const world = () => {
  const store = new MemoryUploadsStore();
  return { store, job: new UploadsJob(store, makeLogger({ logLevel: 'SILENT' })) };
};

describe('uploads job', () => {
  it('a deposit counts as abandoned fifteen minutes after it started, not before', () => {
    expect(UPLOAD_ABANDON_MS).toBe(15 * MIN);
    expect(abandonAt(T0).toISOString()).toBe('2026-03-01T10:15:00.000Z');
  });

  it('cleans up an abandoned deposit (mark, chunks, then intent), leaves a fresh one alone, and is safe twice', async () => {
    const { store, job } = world();
    store.stage('stale', T0, 3);
    store.stage('fresh', new Date(T0.getTime() + 10 * MIN), 2);

    expect(await job.sweep(new Date(abandonAt(T0).getTime() - 1))).toEqual(NONE);
    expect(store.calls).toEqual([]);

    expect(await job.sweep(abandonAt(T0))).toEqual({ abandoned: 1, chunksDeleted: 3 });
    expect(store.calls).toEqual(['abandon stale', 'deleteChunks stale', 'deleteIntent stale']);
    expect(store.chunks.get('stale')).toBe(0);
    expect(store.intents.has('stale')).toBe(false);
    expect(store.intents.get('fresh')?.state).toBe('uploading');
    expect(store.chunks.get('fresh')).toBe(2);

    // The abandoned deposit cannot commit any more; the fresh one can.
    expect(store.commit('stale')).toBe(false);
    expect(store.commit('fresh')).toBe(true);

    expect(await job.sweep(abandonAt(T0))).toEqual(NONE);
    expect(await job.sweep(new Date(T0.getTime() + 30 * DAY))).toEqual(NONE);
    expect(store.committed).toEqual(new Set(['fresh']));
  });

  it('interrupted after the mark: the deposit can no longer commit; the next run finishes and counts it', async () => {
    const { store, job } = world();
    store.stage('doc', T0, 2);
    store.fail = 'deleteChunks doc';
    expect(await job.sweep(abandonAt(T0))).toEqual(NONE);
    expect(store.intents.get('doc')?.state).toBe('abandoned');
    expect(store.chunks.get('doc')).toBe(2);
    expect(store.commit('doc')).toBe(false);

    expect(await job.sweep(abandonAt(T0))).toEqual({ abandoned: 1, chunksDeleted: 2 });
    expect(store.chunks.get('doc')).toBe(0);
    expect(store.intents.has('doc')).toBe(false);
    expect(await job.sweep(abandonAt(T0))).toEqual(NONE);
  });

  it('interrupted before the intent went: the next run deletes the chunks again (harmless) and the intent', async () => {
    const { store, job } = world();
    store.stage('doc', T0, 2);
    store.fail = 'deleteIntent doc';
    expect(await job.sweep(abandonAt(T0))).toEqual(NONE);
    expect(store.intents.get('doc')?.state).toBe('abandoned');
    expect(await job.sweep(abandonAt(T0))).toEqual({ abandoned: 1, chunksDeleted: 2 });
    expect(store.intents.has('doc')).toBe(false);
  });

  it('a deposit that commits between the query and the mark stays whole and is not counted', async () => {
    const { store, job } = world();
    store.stage('doc', T0, 2);
    store.beforeAbandon = (id) => {
      store.beforeAbandon = undefined;
      expect(store.commit(id)).toBe(true);
    };
    expect(await job.sweep(abandonAt(T0))).toEqual(NONE);
    expect(store.calls).toEqual(['abandon doc']);
    expect(store.chunks.get('doc')).toBe(2);
    expect(store.committed.has('doc')).toBe(true);
  });

  it('one clean-up that fails does not stop the others', async () => {
    const { store, job } = world();
    store.stage('a', T0, 2);
    store.stage('b', new Date(T0.getTime() + 1), 3);
    store.fail = 'abandon a';
    expect(await job.sweep(abandonAt(new Date(T0.getTime() + 1)))).toEqual({ abandoned: 1, chunksDeleted: 3 });
    expect(store.intents.get('a')?.state).toBe('uploading');
    expect(await job.sweep(abandonAt(new Date(T0.getTime() + 1)))).toEqual({ abandoned: 1, chunksDeleted: 2 });
  });

  it('takes at most `batch` deposits a run; the rest waits for the next', async () => {
    const { store, job } = world();
    for (let i = 0; i < 5; i++) store.stage(`d${i}`, new Date(T0.getTime() + i), 1);
    const at = abandonAt(new Date(T0.getTime() + 10));
    expect(await job.sweep(at, 3)).toEqual({ abandoned: 3, chunksDeleted: 3 });
    expect(await job.sweep(at, 3)).toEqual({ abandoned: 2, chunksDeleted: 2 });
  });
});

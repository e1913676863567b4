/**
 * The uploads job: a deposit of several chunks declares itself (an intent) before writing its
 * chunks and withdraws that intent in its commit. An intent still there at its abandonment instant
 * (abandonAt, functions/domain/documents.ts) belongs to a deposit that never committed: the job
 * marks it abandoned first (from then on that deposit cannot commit), then deletes its chunks, then
 * the intent, which goes last so that an interrupted clean-up is found and finished by the next
 * run. Nothing of the abandoned document was ever visible: its metadata never existed.
 */
import type { Logger } from '../ports.ts';

export interface UploadRef {
  dmpId: string;
  documentId: string;
}

/** What the uploads job needs of the documents' storage. */
export interface UploadsStore {
  /** The deposits still under way at their abandonment instant: at most `batch` from each part of the queue, the rest waits for the next run. */
  due(now: Date, batch: number): AsyncIterable<UploadRef>;
  /**
   * Marks the deposit abandoned, so that it can no longer commit (again if it already is): the
   * number of chunks it staged; undefined when its intent is gone (it committed, or was cleaned up).
   */
  abandon(upload: UploadRef): Promise<number | undefined>;
  /** Deletes the deposit's chunks (those that exist among the first `chunks`). */
  deleteChunks(upload: UploadRef, chunks: number): Promise<void>;
  /** Deletes the deposit's intent. */
  deleteIntent(upload: UploadRef): Promise<void>;
}

export interface UploadsReport {
  abandoned: number;
  chunksDeleted: number;
}

export class UploadsJob {
  private readonly store: UploadsStore;
  private readonly logger: Logger;
  constructor(store: UploadsStore, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  async sweep(now: Date, batch = 100): Promise<UploadsReport> {
    const report: UploadsReport = { abandoned: 0, chunksDeleted: 0 };
    for await (const upload of this.store.due(now, batch)) {
      try {
        const deleted = await this.cleanUp(upload);
        if (deleted === undefined) continue; // committed meanwhile: not abandoned
        report.chunksDeleted += deleted;
        report.abandoned += 1;
      } catch (error) {
        this.logger.warn('abandoned upload not cleaned up', { errorName: (error as Error).name });
      }
    }
    return report;
  }

  /** The chunks deleted, or undefined when the deposit committed (or was cleaned up) meanwhile. */
  private async cleanUp(upload: UploadRef): Promise<number | undefined> {
    const chunks = await this.store.abandon(upload);
    if (chunks === undefined) return undefined;
    await this.store.deleteChunks(upload, chunks);
    await this.store.deleteIntent(upload);
    return chunks;
  }
}

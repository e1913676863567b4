/**
 * The keyword index job: the table's change stream (locally, the local runtime) names the items
 * that changed; for each, the job reads what the table holds now, not what the change carried, and
 * brings the index of that source in line with it:
 *   - a source present, at a version its manifest does not name: its text is read (a document's
 *     content extracted, bounded in time and memory), its words become postings, the postings it
 *     no longer has are deleted, then the manifest names the new version;
 *   - a source present at the version its manifest names: nothing (a replayed or repeated change,
 *     a change of labels or status that the index does not hold);
 *   - a source gone (superseded or deleted document, expired claims line, removed vaccination…):
 *     its postings and manifest are deleted, if the manifest says they came from this very item (a
 *     corrected claims line moves to another item under the same id; the old item's removal must
 *     not unindex the new one).
 * Reading the current state makes the job idempotent and indifferent to order: a change replayed,
 * or handled after a later one, finds the index already in line. A document whose text cannot be
 * read is indexed by its title, and its manifest says so: the next change finds that version done
 * and does not try again (no retry storm). Nothing of a source's content goes into a log.
 */
import type { Logger } from '../ports.ts';
import type { IndexedWord, SearchKind, SourceField } from '../search/postings.ts';
import { postingsOf } from '../search/postings.ts';

/** An item of a record that changed: the stream record's keys. */
export interface Change {
  dmpId: string;
  sk: string;
}

export interface SourceRef {
  kind: SearchKind;
  id: string;
}

/** Whether a source's text was indexed: yes, it has none (an image), or it could not be read. */
export type TextState = 'indexed' | 'none' | 'unreadable';

export interface SourceContent {
  fields: SourceField[];
  text: TextState;
}

/** A source as the table holds it now; its content is read only when its version is new to the index. */
export interface CurrentSource extends SourceRef {
  version: string;
  read(): Promise<SourceContent>;
}

/** What the index keeps of a source: the version indexed, from which item, and its postings' keys. */
export interface Manifest extends SourceRef {
  version: string;
  /** The sort key of the item it was indexed from. */
  item: string;
  /** Its postings, as the index names them: exactly what a re-indexing or a removal deletes. */
  postings: string[];
  text: TextState;
  /** False when the source had more words than a source may index (the first ones were). */
  complete: boolean;
}

/** What a changed item means for the index: the source it held, and that source now (absent: gone). */
export interface ChangedItem {
  ref: SourceRef;
  item: string;
  current?: CurrentSource | undefined;
}

/** The index's storage, per record (K: the record's index key, opened once per run). */
export interface SearchIndexStore<K> {
  /** The record's index key; undefined when the record is destroyed (its partition goes whole). */
  recordKey(dmpId: string): Promise<K | undefined>;
  /** The source a changed item holds, read now; undefined for an item the index does not cover. */
  changed(key: K, change: Change): Promise<ChangedItem | undefined>;
  manifest(key: K, ref: SourceRef): Promise<Manifest | undefined>;
  replace(key: K, previous: Manifest | undefined, manifest: Omit<Manifest, 'postings'>, postings: readonly IndexedWord[]): Promise<{ written: number; deleted: number }>;
  remove(key: K, previous: Manifest): Promise<number>;
}

export type ChangeOutcome = 'indexed' | 'unchanged' | 'removed' | 'ignored';

export interface SearchIndexReport {
  changes: number;
  indexed: number;
  unchanged: number;
  removed: number;
  ignored: number;
  /** Sources indexed without their text (it could not be read). */
  unreadable: number;
  /** Index items written and deleted. */
  written: number;
  deleted: number;
  /** Changes that failed (left to the stream's retry). */
  failed: number;
}

export class SearchIndexJob<K> {
  private readonly store: SearchIndexStore<K>;
  private readonly logger: Logger;
  constructor(store: SearchIndexStore<K>, logger: Logger) {
    this.store = store;
    this.logger = logger;
  }

  /**
   * Every change, in order (a record's changes come in order on its stream shard), each record's
   * key opened once. Returns the report and the changes that failed, for the stream to retry.
   */
  async run(changes: readonly Change[]): Promise<{ report: SearchIndexReport; failed: Change[] }> {
    const report: SearchIndexReport = { changes: changes.length, indexed: 0, unchanged: 0, removed: 0, ignored: 0, unreadable: 0, written: 0, deleted: 0, failed: 0 };
    const failed: Change[] = [];
    const keys = new Map<string, Promise<K | undefined>>();
    const seen = new Set<string>();
    for (const change of changes) {
      // The same item twice in one run: the second would find what the first did.
      const id = `${change.dmpId} ${change.sk}`;
      if (seen.has(id)) {
        report.unchanged += 1;
        continue;
      }
      seen.add(id);
      try {
        let key = keys.get(change.dmpId);
        if (!key) {
          key = this.store.recordKey(change.dmpId);
          keys.set(change.dmpId, key);
        }
        const opened = await key;
        const outcome = opened === undefined ? 'ignored' : await this.apply(opened, change, report);
        report[outcome] += 1;
      } catch (error) {
        keys.delete(change.dmpId);
        report.failed += 1;
        failed.push(change);
        this.logger.error('search index change failed', { dmpId: change.dmpId, errorName: (error as Error)?.name });
      }
    }
    return { report, failed };
  }

  private async apply(key: K, change: Change, report: SearchIndexReport): Promise<ChangeOutcome> {
    const changed = await this.store.changed(key, change);
    if (!changed) return 'ignored';
    const previous = await this.store.manifest(key, changed.ref);
    const current = changed.current;
    if (!current) {
      if (!previous || previous.item !== changed.item) return 'unchanged';
      report.deleted += await this.store.remove(key, previous);
      return 'removed';
    }
    if (previous && previous.version === current.version && previous.item === changed.item) return 'unchanged';
    const content = await current.read();
    const { postings, complete } = postingsOf(current.kind, content.fields);
    const counts = await this.store.replace(
      key,
      previous,
      { kind: current.kind, id: current.id, version: current.version, item: changed.item, text: content.text, complete },
      postings,
    );
    report.written += counts.written;
    report.deleted += counts.deleted;
    if (content.text === 'unreadable') {
      report.unreadable += 1;
      this.logger.warn('search index: text not readable, title indexed only', { dmpId: change.dmpId, kind: current.kind });
    }
    return 'indexed';
  }
}

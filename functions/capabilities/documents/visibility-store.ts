/**
 * The documents' storage as the visibility job (functions/domain/jobs/visibility.ts) sees it: the
 * documents hidden from the patient sit in a sparse, sharded index (VISIBILITY#<shard>) by the date
 * of their next step, found with a Query; each step is one conditional transaction on the revision
 * that was read (the notice with its SMS in the outbox, the reveal with its trace).
 */
import { ConditionsRefused } from '#domain/errors';
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { newEventId } from '#domain/identifiers';
import type { DocumentRef, HiddenDocument, VisibilityStore } from '#domain/jobs/visibility';
import type { KeyRing, Random } from '#domain/ports';
import type { Records } from '#domain/stores';
import type { DocumentStore, StoredDocument } from './store.ts';
import { outboxPut } from '#adapters/outbox-store';
import { holderMobiles } from '#adapters/record-sealing';
import type { StoredRecord } from '#domain/records';
import { dueEntries } from '#adapters/due-queue';
import { DOCUMENT_SHARDS, dmpIdOfPk, visibilityPartition } from '#adapters/table';
import { tracePut } from '#adapters/trace-store';
import { transact, type LabelledWrite } from '#adapters/transactions';

/** A document as read, with its record (whose data key and holders the notice needs). */
export interface LoadedDocument extends HiddenDocument {
  stored: StoredDocument;
  record: StoredRecord;
}

export interface VisibilityStoreDeps {
  db: DynamoDBClient;
  tableName: string;
  records: Pick<Records, 'load'>;
  documents: DocumentStore;
  keyRing: KeyRing;
  random: Random;
}

export class DynamoVisibilityStore implements VisibilityStore<LoadedDocument> {
  private readonly d: VisibilityStoreDeps;
  constructor(deps: VisibilityStoreDeps) {
    this.d = deps;
  }

  /** Shard by shard, at most `batch` per shard. */
  async *due(now: Date, batch: number): AsyncGenerator<DocumentRef> {
    for await (const { pk, sk } of dueEntries(this.d.db, this.d.tableName, { partition: visibilityPartition, shards: DOCUMENT_SHARDS }, now, batch)) {
      yield { dmpId: dmpIdOfPk(pk), documentId: sk.slice('DOC#'.length) };
    }
  }

  async load({ dmpId, documentId }: DocumentRef): Promise<LoadedDocument | undefined> {
    const [stored, record] = await Promise.all([this.d.documents.get(dmpId, documentId), this.d.records.load(dmpId)]);
    if (!stored || !record) return undefined;
    const step = stored.visibilityStep;
    return {
      dmpId,
      documentId,
      depositedAt: new Date(stored.depositedAt),
      hiddenFromPatient: stored.labels.invisibleToPatient,
      next: step && { step: step.step, at: new Date(step.at) },
      stored,
      record,
    };
  }

  async notice(doc: LoadedDocument, revealAt: Date, now: Date): Promise<boolean> {
    const key = await this.d.keyRing.unwrap(doc.dmpId, doc.record.wrappedKey);
    return this.transact([
      this.d.documents.nextVisibilityStepWrite(doc.dmpId, doc.stored, revealAt),
      ...holderMobiles(key, doc.record, now).map((to) => ({ label: 'notification', item: outboxPut(this.d.tableName, key, { to, template: 'document-pending' }, now, this.id()) })),
    ]);
  }

  async reveal(doc: LoadedDocument, now: Date): Promise<boolean> {
    return this.transact([
      ...this.d.documents.revealWrites(doc.dmpId, doc.stored),
      {
        label: 'trace',
        item: tracePut(this.d.tableName, doc.dmpId, { actor: { kind: 'system' }, action: 'document.reveal', mode: 'normal', documentId: doc.documentId }, now, this.id()),
      },
    ]);
  }

  /** False when a condition refused the step. */
  private async transact(writes: LabelledWrite[]): Promise<boolean> {
    try {
      await transact(this.d.db, writes);
      return true;
    } catch (error) {
      if (error instanceof ConditionsRefused) return false;
      throw error;
    }
  }

  private id(): string {
    return newEventId((n) => this.d.random.bytes(n));
  }
}

/**
 * The visibility job: a document its author hid from the patient (pending an announcement
 * consultation) is announced to the patient by SMS after two weeks — with no word of its content —
 * and becomes visible by itself after one month. Such documents sit in a sparse, sharded index
 * (VISIBILITY#<shard>) by the date of their next step, so the job finds them with a Query. Each
 * step is one conditional transaction: run twice, it does nothing twice; a document the author
 * revealed (or deleted) meanwhile has left the index.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Logger } from '#adapters/logger';
import { revealAt } from '#domain/documents';
import { newEventId } from '#domain/identifiers';
import type { Random } from '#domain/ports';
import type { DocumentStore } from './store.ts';
import type { KeyRing } from '#adapters/keyring';
import { outboxPut } from '#adapters/outbox-store';
import { holderMobiles, type RecordStore } from '#adapters/record-store';
import { dueEntries } from '#adapters/due-queue';
import { DOCUMENT_SHARDS, dmpIdOfPk, visibilityPartition } from '#adapters/table';
import { tracePut } from '#adapters/trace-store';
import { ConditionsRefused, transact, type LabelledWrite } from '#adapters/transactions';

export interface VisibilityReport {
  noticed: number;
  revealed: number;
  skipped: number;
}

export interface VisibilityDeps {
  db: DynamoDBClient;
  tableName: string;
  records: RecordStore;
  documents: DocumentStore;
  keyRing: KeyRing;
  random: Random;
  logger: Logger;
}

export class VisibilityJob {
  private readonly d: VisibilityDeps;
  constructor(deps: VisibilityDeps) {
    this.d = deps;
  }

  async sweep(now: Date, limitPerShard = 200): Promise<VisibilityReport> {
    const report: VisibilityReport = { noticed: 0, revealed: 0, skipped: 0 };
    for await (const { pk, sk } of dueEntries(this.d.db, this.d.tableName, { partition: visibilityPartition, shards: DOCUMENT_SHARDS }, now, limitPerShard)) {
      try {
        const done = await this.step(dmpIdOfPk(pk), sk.slice('DOC#'.length), now);
        report[done] += 1;
      } catch (error) {
        this.d.logger.warn('visibility step failed', { errorName: (error as Error).name });
        report.skipped += 1;
      }
    }
    return report;
  }

  private async step(dmpId: string, documentId: string, now: Date): Promise<keyof VisibilityReport> {
    const [doc, record] = await Promise.all([this.d.documents.get(dmpId, documentId), this.d.records.load(dmpId)]);
    const step = doc?.visibilityStep;
    if (!doc || !record || !step || !doc.labels.invisibleToPatient || Date.parse(step.at) > now.getTime()) return 'skipped';
    const id = () => newEventId((n) => this.d.random.bytes(n));
    let writes: LabelledWrite[];
    if (step.step === 'notice') {
      const key = await this.d.keyRing.unwrap(dmpId, record.wrappedKey);
      writes = [
        this.d.documents.nextVisibilityStepWrite(dmpId, doc, revealAt(new Date(doc.depositedAt))),
        ...holderMobiles(key, record).map((to) => ({ label: 'notification', item: outboxPut(this.d.tableName, key, { to, template: 'document-pending' }, now, id()) })),
      ];
    } else {
      writes = [
        this.d.documents.revealWrite(dmpId, doc),
        { label: 'trace', item: tracePut(this.d.tableName, dmpId, { actor: { kind: 'system' }, action: 'document.reveal', mode: 'normal', documentId }, now, id()) },
      ];
    }
    try {
      await transact(this.d.db, writes);
    } catch (error) {
      if (error instanceof ConditionsRefused) return 'skipped'; // changed meanwhile: the next run sees it as it is
      throw error;
    }
    return step.step === 'notice' ? 'noticed' : 'revealed';
  }
}

/**
 * The document jobs against the emulator's DynamoDB, through the real SDK: the visibility job
 * (a document hidden from the patient is announced after two weeks and revealed after a month) and
 * the uploads job (the chunks of deposits that never committed are removed). Each test has its own
 * table, since a sweep looks at every record of the table.
 */
import { ConditionsRefused } from '#domain/errors';
import { randomBytes } from 'node:crypto';
import { GetItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { makeLogger } from '../../functions/adapters/logger.ts';
import { describe, expect, it } from 'vitest';
import { DocumentStore, type NewDocument, type StoredDocument } from '../../functions/capabilities/documents/store.ts';
import { DataKeyCache, open } from '../../functions/adapters/envelope.ts';
import type { DataKey } from '../../functions/domain/ports.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { RecordStore } from '../../functions/adapters/record-store.ts';
import type { NewRecord, Representative } from '../../functions/domain/records.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { transact } from '../../functions/adapters/transactions.ts';
import { DynamoUploadsStore } from '../../functions/capabilities/documents/uploads-store.ts';
import { UploadsJob } from '../../functions/domain/jobs/uploads.ts';
import { DynamoVisibilityStore } from '../../functions/capabilities/documents/visibility-store.ts';
import { VisibilityJob } from '../../functions/domain/jobs/visibility.ts';
import { CHUNK_BYTES, NO_LABELS, UPLOAD_ABANDON_MS, noticeAt, revealAt, searchWords } from '../../functions/domain/documents.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { emulator, partitionItems } from '../support/aws.ts';
import { newDocumentInput } from '../support/documents.ts';
import { failNext } from '../support/faults.ts';

type Item = Record<string, AttributeValue>;

const DAY = 86_400_000;
const silent = () => makeLogger({ logLevel: 'SILENT' });

let n = 0;
const world = async () => {
  const env = await emulator();
  const records = new RecordStore(env.db, env.tableName);
  const documents = new DocumentStore(env.db, env.tableName);
  const keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
  const visibility = new VisibilityJob(
    new DynamoVisibilityStore({ db: env.db, tableName: env.tableName, records, documents, keyRing, random: { bytes: (k) => randomBytes(k) } }),
    silent(),
  );
  const uploads = new UploadsJob(new DynamoUploadsStore(env.db, env.tableName, documents), silent());

  /** A record (a minor's when it has representatives), with no notification of its own. */
  const createRecord = async (mobile: string | undefined, representatives: Omit<Representative, 'loginId'>[] = []): Promise<DataKey> => {
    const dmpId = `job-rec-${++n}-${randomBytes(3).toString('hex')}`;
    const at = new Date('2025-06-01T08:00:00.000Z');
    const r: NewRecord = {
      dmpId,
      channel: 'professional',
      createdAt: at,
      createdBy: 'professional:810000000001',
      consentInformedAt: at,
      minor: representatives.length > 0,
      emergencyAccess: { breakGlass: true, regulation: true },
      identity: { familyName: 'Martin', givenNames: 'Léa', birthDate: representatives.length > 0 ? '2015-01-01' : '1980-01-01', sex: 'F' },
      contact: mobile ? { mobile } : {},
      representatives: representatives.map((rep, i) => ({ ...rep, loginId: String(70_000_000_000 + n * 10 + i + 1) })),
      logins: [{ loginId: String(60_000_000_000 + n), actor: 'patient', passwordHash: 'scrypt$x', mustChangePassword: true }],
      insHash: `ins-${dmpId}`,
      notifications: [],
      trace: { trace: { actor: { kind: 'professional', id: '810000000001', profession: '10' }, action: 'record.create', mode: 'normal' }, id: `t${n}` },
    };
    const { key, wrapped } = await keyRing.generate(dmpId);
    await records.create(key, wrapped, r);
    return key;
  };

  const newDoc = (depositedAt: Date, extra: Partial<NewDocument> = {}, content: Buffer = randomBytes(500)): NewDocument =>
    newDocumentInput(depositedAt, { title: 'Résultat de biopsie', serviceDate: '2026-01-30', ...extra }, content);

  /** A deposit hidden from the patient, as the documents capability writes it. */
  const depositHidden = async (key: DataKey, depositedAt: Date): Promise<StoredDocument> => {
    const doc = newDoc(depositedAt, { labels: { ...NO_LABELS, invisibleToPatient: true }, visibilityStep: { step: 'notice', at: noticeAt(depositedAt) } });
    return commit(key, doc, await documents.stageChunks(key, doc, depositedAt));
  };
  const commit = async (key: DataKey, doc: NewDocument, staged: Awaited<ReturnType<DocumentStore['stageChunks']>>): Promise<StoredDocument> => {
    await transact(env.db, documents.commitWrites(key, doc, staged, searchWords(doc.title)));
    return (await documents.get(key.dmpId, doc.documentId))!;
  };

  const query = (dmpId: string, prefix: string): Promise<Item[]> => partitionItems(env.db, env.tableName, dmpId, prefix);
  const get = async (k: { pk: string; sk: string }) => (await env.db.send(new GetItemCommand({ TableName: env.tableName, Key: keyItem(k), ConsistentRead: true }))).Item;

  /** The pending notifications of a record, recipients opened. */
  const notifications = async (key: DataKey) =>
    (await query(key.dmpId, 'OUTBOX#')).map((i) => ({
      template: i.template?.S,
      channel: i.channel?.S,
      status: i.status?.S,
      to: open(key, i.sk!.S!, 'recipient', i.recipient!.B!).toString('utf8'),
    }));
  const traces = async (dmpId: string) => (await query(dmpId, 'TRACE#')).map((i) => ({ actorKind: i.actorKind?.S, action: i.action?.S, documentId: i.documentId?.S, at: i.at?.S }));

  return { env, records, documents, keyRing, visibility, uploads, createRecord, newDoc, depositHidden, commit, query, get, notifications, traces };
};

const NOTHING = { noticed: 0, revealed: 0, skipped: 0 };

describe('visibility job', () => {
  it('announces a hidden document at +14 days to each holder mobile, keeps it hidden, reveals it at one calendar month, once', async () => {
    const w = await world();
    // A minor: the patient's mobile and two representatives' (one shares the patient's number, one has none).
    const minor = await w.createRecord('+33611111111', [
      { familyName: 'Martin', givenNames: 'Paul', relationship: 'FTH', mobile: '+33622222222' },
      { familyName: 'Martin', givenNames: 'Anne', relationship: 'MTH', mobile: '+33611111111' },
      { familyName: 'Martin', givenNames: 'Jean', relationship: 'GRPRN' },
    ]);
    const adult = await w.createRecord('+33633333333');
    const deposited = new Date('2026-01-31T10:00:00.000Z');
    const notice = noticeAt(deposited);
    const reveal = revealAt(deposited);
    expect(notice.toISOString()).toBe('2026-02-14T10:00:00.000Z');
    expect(reveal.toISOString()).toBe('2026-02-28T10:00:00.000Z');
    const hidden = await w.depositHidden(minor, deposited);
    const hiddenAdult = await w.depositHidden(adult, deposited);
    // A visible document in the same record: never touched.
    const visibleDoc = w.newDoc(new Date(deposited.getTime() + 1));
    const shown = await w.commit(minor, visibleDoc, await w.documents.stageChunks(minor, visibleDoc, deposited));

    expect(await w.visibility.sweep(new Date(deposited.getTime() + 13 * DAY))).toEqual(NOTHING);
    expect(await w.visibility.sweep(new Date(notice.getTime() - 1))).toEqual(NOTHING);
    expect(await w.notifications(minor)).toEqual([]);

    // The notice: one SMS per distinct holder mobile, the document still hidden, waiting for its reveal.
    expect(await w.visibility.sweep(notice)).toEqual({ noticed: 2, revealed: 0, skipped: 0 });
    const sent = await w.notifications(minor);
    expect(sent.map((m) => m.to).sort()).toEqual(['+33611111111', '+33622222222']);
    expect(sent.every((m) => m.template === 'document-pending' && m.channel === 'sms' && m.status === 'pending')).toBe(true);
    expect((await w.notifications(adult)).map((m) => m.to)).toEqual(['+33633333333']);
    const noticed = (await w.documents.get(minor.dmpId, hidden.documentId))!;
    expect(noticed.labels.invisibleToPatient).toBe(true);
    expect(noticed.visibilityStep).toEqual({ step: 'reveal', at: reveal.toISOString() });
    expect(noticed.revision).toBe(2);
    expect((await w.get(keys.document(minor.dmpId, hidden.documentId)))?.gsi1sk?.S?.startsWith(reveal.toISOString())).toBe(true);
    // The SMS says nothing of the content: no title in the outbox.
    expect(JSON.stringify(await w.query(minor.dmpId, 'OUTBOX#'))).not.toContain('biopsie');

    // Run again at the same date, and up to just before the reveal: nothing more.
    expect(await w.visibility.sweep(notice)).toEqual(NOTHING);
    expect(await w.visibility.sweep(new Date(reveal.getTime() - 1))).toEqual(NOTHING);
    expect(await w.notifications(minor)).toHaveLength(2);
    expect((await w.traces(minor.dmpId)).filter((t) => t.action === 'document.reveal')).toEqual([]);

    // The reveal: label cleared, out of the index, traced by the system.
    expect(await w.visibility.sweep(reveal)).toEqual({ noticed: 0, revealed: 2, skipped: 0 });
    const revealed = (await w.documents.get(minor.dmpId, hidden.documentId))!;
    expect(revealed.labels).toEqual(NO_LABELS);
    expect(revealed.visibilityStep).toBeUndefined();
    const raw = (await w.get(keys.document(minor.dmpId, hidden.documentId)))!;
    expect(raw.gsi1pk).toBeUndefined();
    expect(raw.gsi1sk).toBeUndefined();
    expect((await w.traces(minor.dmpId)).filter((t) => t.action === 'document.reveal')).toEqual([
      { actorKind: 'system', action: 'document.reveal', documentId: hidden.documentId, at: reveal.toISOString() },
    ]);
    expect((await w.traces(adult.dmpId)).filter((t) => t.action === 'document.reveal').map((t) => t.documentId)).toEqual([hiddenAdult.documentId]);

    // A second run at the same date, or much later, does nothing.
    const before = { minor: await w.query(minor.dmpId, ''), adult: await w.query(adult.dmpId, '') };
    expect(await w.visibility.sweep(reveal)).toEqual(NOTHING);
    expect(await w.visibility.sweep(new Date('2027-06-01T00:00:00.000Z'))).toEqual(NOTHING);
    expect(await w.query(minor.dmpId, '')).toEqual(before.minor);
    expect(await w.query(adult.dmpId, '')).toEqual(before.adult);
    expect(await w.documents.get(minor.dmpId, shown.documentId)).toEqual(shown);
  });

  it('a document revealed (or deleted) by its author before the notice is never announced nor revealed by the job', async () => {
    const w = await world();
    const key = await w.createRecord('+33644444444');
    const deposited = new Date('2026-03-31T08:30:00.000Z');
    const revealedEarly = await w.depositHidden(key, deposited);
    const deletedEarly = await w.depositHidden(key, new Date(deposited.getTime() + 1));
    const authorAt = new Date(deposited.getTime() + 3 * DAY);
    await transact(w.env.db, [
      ...w.documents.labelsWrites(key.dmpId, revealedEarly, { ...revealedEarly.labels, invisibleToPatient: false }, 'current'),
      ...w.documents.deleteWrites(key.dmpId, deletedEarly, authorAt),
    ]);
    const before = await w.query(key.dmpId, '');
    for (const at of [noticeAt(deposited), revealAt(deposited), new Date('2026-04-30T08:30:00.000Z'), new Date('2030-01-01T00:00:00.000Z')]) {
      expect(await w.visibility.sweep(at)).toEqual(NOTHING);
    }
    expect(await w.query(key.dmpId, '')).toEqual(before);
    expect(await w.notifications(key)).toEqual([]);
    expect((await w.traces(key.dmpId)).filter((t) => t.actorKind === 'system')).toEqual([]);
    expect((await w.documents.get(key.dmpId, revealedEarly.documentId))?.revision).toBe(2);
  });

  it('a run that comes late announces first and reveals on the next run, never both in one step', async () => {
    const w = await world();
    const key = await w.createRecord('+33655555555');
    const deposited = new Date('2026-12-15T09:00:00.000Z');
    const doc = await w.depositHidden(key, deposited);
    const late = new Date(revealAt(deposited).getTime() + 5 * DAY);
    expect(revealAt(deposited).toISOString()).toBe('2027-01-15T09:00:00.000Z');
    expect(await w.visibility.sweep(late)).toEqual({ noticed: 1, revealed: 0, skipped: 0 });
    expect((await w.documents.get(key.dmpId, doc.documentId))?.labels.invisibleToPatient).toBe(true);
    expect(await w.notifications(key)).toHaveLength(1);
    expect(await w.visibility.sweep(late)).toEqual({ noticed: 0, revealed: 1, skipped: 0 });
    expect((await w.documents.get(key.dmpId, doc.documentId))?.labels.invisibleToPatient).toBe(false);
    expect(await w.visibility.sweep(late)).toEqual(NOTHING);
    expect(await w.notifications(key)).toHaveLength(1);
  });
});

describe('uploads job', () => {
  const T0 = new Date('2026-03-01T10:00:00.000Z');

  it('an intent older than UPLOAD_ABANDON_MS is abandoned: its chunks and itself deleted, its commit refused; a fresh one is left alone; twice is safe', async () => {
    const w = await world();
    const key = await w.createRecord('+33666666666');
    const stale = w.newDoc(T0, {}, randomBytes(2 * CHUNK_BYTES + 3));
    const stagedStale = await w.documents.stageChunks(key, stale, T0);
    const freshAt = new Date(T0.getTime() + 10 * 60_000);
    const freshContent = randomBytes(CHUNK_BYTES + 1);
    const fresh = w.newDoc(freshAt, {}, freshContent);
    const stagedFresh = await w.documents.stageChunks(key, fresh, freshAt);
    expect(await w.query(key.dmpId, `CHUNK#${stale.documentId}#`)).toHaveLength(3);
    const everything = await w.query(key.dmpId, '');

    const due = new Date(T0.getTime() + UPLOAD_ABANDON_MS);
    expect(await w.uploads.sweep(new Date(due.getTime() - 1))).toEqual({ abandoned: 0, chunksDeleted: 0 });
    expect(await w.query(key.dmpId, '')).toEqual(everything);

    expect(await w.uploads.sweep(due)).toEqual({ abandoned: 1, chunksDeleted: 3 });
    expect(await w.query(key.dmpId, `CHUNK#${stale.documentId}#`)).toEqual([]);
    expect(await w.get(keys.upload(key.dmpId, stale.documentId))).toBeUndefined();
    // The fresh deposit's intent and chunks are untouched.
    expect((await w.get(keys.upload(key.dmpId, fresh.documentId)))?.state?.S).toBe('uploading');
    expect(await w.query(key.dmpId, `CHUNK#${fresh.documentId}#`)).toHaveLength(2);

    // The abandoned deposit cannot commit any more; nothing of it appears.
    const refused = await transact(w.env.db, w.documents.commitWrites(key, stale, stagedStale, [])).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConditionsRefused);
    expect([...(refused as ConditionsRefused).labels]).toEqual(['upload']);
    expect(await w.documents.get(key.dmpId, stale.documentId)).toBeUndefined();

    // The fresh one commits and reads whole.
    const committed = await w.commit(key, fresh, stagedFresh);
    expect((await w.documents.readContent(key, committed)).equals(freshContent)).toBe(true);

    // Running again (at the same time, or later) is harmless.
    const after = await w.query(key.dmpId, '');
    expect(await w.uploads.sweep(due)).toEqual({ abandoned: 0, chunksDeleted: 0 });
    expect(await w.uploads.sweep(new Date(T0.getTime() + 30 * DAY))).toEqual({ abandoned: 0, chunksDeleted: 0 });
    expect(await w.query(key.dmpId, '')).toEqual(after);
  });

  it('a commit after the job marked the intent abandoned (and before it deleted anything) is refused; the next run finishes', async () => {
    const w = await world();
    const key = await w.createRecord('+33677777777');
    const doc = w.newDoc(T0, {}, randomBytes(CHUNK_BYTES + 10));
    const staged = await w.documents.stageChunks(key, doc, T0);
    const due = new Date(T0.getTime() + UPLOAD_ABANDON_MS);

    // The job marks the intent abandoned, then fails deleting the chunks.
    const restore = failNext(w.env.db, 'BatchWriteItemCommand');
    expect(await w.uploads.sweep(due)).toEqual({ abandoned: 0, chunksDeleted: 0 });
    restore();
    expect((await w.get(keys.upload(key.dmpId, doc.documentId)))?.state?.S).toBe('abandoned');
    expect(await w.query(key.dmpId, `CHUNK#${doc.documentId}#`)).toHaveLength(2);

    const refused = await transact(w.env.db, w.documents.commitWrites(key, doc, staged, [])).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConditionsRefused);
    expect([...(refused as ConditionsRefused).labels]).toEqual(['upload']);
    expect(await w.documents.get(key.dmpId, doc.documentId)).toBeUndefined();

    expect(await w.uploads.sweep(due)).toEqual({ abandoned: 1, chunksDeleted: 2 });
    expect(await w.query(key.dmpId, `CHUNK#${doc.documentId}#`)).toEqual([]);
    expect(await w.get(keys.upload(key.dmpId, doc.documentId))).toBeUndefined();
    expect(await w.uploads.sweep(due)).toEqual({ abandoned: 0, chunksDeleted: 0 });
  });

  it('a deposit that commits between the job’s query and its mark stays whole, and is not counted as abandoned', async () => {
    const w = await world();
    const key = await w.createRecord('+33688888888');
    const content = randomBytes(CHUNK_BYTES + 10);
    const doc = w.newDoc(T0, {}, content);
    const staged = await w.documents.stageChunks(key, doc, T0);
    // The deposit's commit lands just before the job's first UpdateItem.
    let pending = true;
    w.env.db.middlewareStack.add(
      (next: any, context: any) => async (args: any) => {
        if (pending && context.commandName === 'UpdateItemCommand') {
          pending = false;
          await transact(w.env.db, w.documents.commitWrites(key, doc, staged, []));
        }
        return next(args);
      },
      { step: 'initialize', name: 'commit-before-mark' },
    );
    const report = await w.uploads.sweep(new Date(T0.getTime() + UPLOAD_ABANDON_MS)).finally(() => w.env.db.middlewareStack.remove('commit-before-mark'));
    expect(pending).toBe(false);
    const stored = (await w.documents.get(key.dmpId, doc.documentId))!;
    expect((await w.documents.readContent(key, stored)).equals(content)).toBe(true);
    expect(await w.get(keys.upload(key.dmpId, doc.documentId))).toBeUndefined();
    expect(report).toEqual({ abandoned: 0, chunksDeleted: 0 });
  });
});

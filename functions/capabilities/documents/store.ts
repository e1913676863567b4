/**
 * Documents in the record's partition. Content is sealed with the record's data key in chunks
 * (CHUNK#<docId>#<n>, under DynamoDB's item limit); the metadata item (DOC#<docId>) is the commit
 * point, written last in one transaction with the deposit's trace: a reader finds no document
 * until it is whole. A deposit of several chunks first writes an upload intent (UPLOAD#<docId>,
 * indexed by the time after which it counts as abandoned), then the chunks, then commits, which
 * deletes the intent; the uploads job removes the chunks of intents left behind.
 *
 * Titles are sealed; the keyword search matches keyed tokens of their words (HMAC under a key
 * derived from the record's own data key: tokens compare within one record only, and die with it).
 * The facts of care (type and class codes, service date, the content's type) and the author (kind,
 * id, profession: a patient deposits class 90 only, so the kind alone would tell the class) are
 * sealed together in one attribute (`facts`), bound to the item like the title: a read or a listing
 * opens them with the record's key (one AES-GCM per item) before the access policy weighs them and
 * before the listing's type filter applies. In clear stay opaque ids, the status, the labels and
 * the revision (the conditions of every change), the dates (deposit, deletion, the visibility
 * queue's keys), the version and the size and number of chunks (which the sealed chunks' lengths
 * tell anyway).
 *
 * Labels and deletion are the document's, every version's: each version's item carries them, so a
 * read or a listing page decides each version from its own item, whichever page holds the newest.
 * The current version knows the ids of the versions before it (`earlier`), and every change of
 * labels, every deletion and every new version writes all of them in one transaction, on the
 * revision of the current version that was read (a set holds at most MAX_VERSIONS versions).
 * Only the current version waits in the visibility queue.
 */
import { createHmac, hkdfSync } from 'node:crypto';
import {
  BatchGetItemCommand,
  BatchWriteItemCommand,
  DeleteItemCommand,
  GetItemCommand,
  PutItemCommand,
  QueryCommand,
  type DynamoDBClient,
  type WriteRequest,
} from '@aws-sdk/client-dynamodb';
import type { DocumentLabels, DocumentStatus } from '#domain/access-policy';
import { abandonAt, chunksOf, DOCUMENT_ID, type NewDocument, type OpenedDocument, type StoredDocument } from '#domain/documents';
import type { Documents } from '#domain/stores';
import { B, BOOL, N, S, bin, bool, num, required, str, type Item } from '#adapters/attributes';
import { batchGet } from '#adapters/batch-get';
import { decodeCursor, encodeCursor } from '#adapters/cursor';
import { open, seal } from '#adapters/envelope';
import { openFacts, sealFacts, type DocumentFactsOfCare } from '#adapters/document-facts';
import type { DataKey, Write } from '#domain/ports';
import { DOCUMENT_SHARDS, keyItem, keys, shardOf, uploadsPartition, visibilityPartition } from '#adapters/table';
import { labelled, type LabelledWrite } from '#adapters/transactions';

/** What a document's item holds sealed in `facts`: its facts of care and its author. */
/** Metadata items evaluated by one listing Query (one page of DynamoDB's, at most 1 MB). */
export const LIST_EVALUATION = 250;

/** The sort key a listing's cursor names: a document's metadata item. */
const DOCUMENT_SK = new RegExp(`^DOC#${DOCUMENT_ID.source.slice(1)}`);
const MAX_BATCH_WRITE = 25;

/** Keys derived from a record's data key: title search tokens and document uniqueIds. */
const derived = new WeakMap<DataKey, { title: Buffer; uid: Buffer }>();
const derivedKeys = (key: DataKey) => {
  let d = derived.get(key);
  if (!d) {
    const info = (label: string) => Buffer.from(hkdfSync('sha256', key.material, Buffer.alloc(0), `dmp/${label}/${key.dmpId}`, 32));
    d = { title: info('title-index'), uid: info('document-uid') };
    derived.set(key, d);
  }
  return d;
};

/** The keyed token of a search word, comparable only within the record. */
export const titleToken = (key: DataKey, word: string): string => createHmac('sha256', derivedKeys(key).title).update(word, 'utf8').digest('base64url').slice(0, 16);
const uidToken = (key: DataKey, uniqueId: string): string => createHmac('sha256', derivedKeys(key).uid).update(uniqueId, 'utf8').digest('base64url');

export class DocumentStore implements Documents {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  async get(dmpId: string, documentId: string): Promise<StoredDocument | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem(keys.document(dmpId, documentId)), ConsistentRead: true }));
    return out.Item ? toStoredDocument(out.Item) : undefined;
  }

  /** Several documents of a record by their ids (consistent reads, BatchGetItem), by id; absent ones are not in the map. */
  async getMany(dmpId: string, documentIds: readonly string[]): Promise<Map<string, StoredDocument>> {
    const wanted = [...new Set(documentIds)].map((id) => keyItem(keys.document(dmpId, id)));
    const items = await batchGet(this.db, this.table, wanted, { consistent: true });
    return new Map(items.map(toStoredDocument).map((doc) => [doc.documentId, doc]));
  }

  /** One Query: up to LIST_EVALUATION metadata items, newest first, after a cursor's key. */
  /**
   * One page of a record's documents, newest first, after an opaque cursor (`cursorAt` of the last
   * document the previous page went through).
   */
  async page(dmpId: string, cursor: string | undefined, evaluate = LIST_EVALUATION): Promise<{ items: StoredDocument[]; more: boolean }> {
    const afterDocumentId = cursor === undefined ? undefined : decodeCursor(cursor, DOCUMENT_SK).slice('DOC#'.length);
    const pk = keys.record(dmpId).pk;
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: afterDocumentId ? 'pk = :pk AND sk BETWEEN :from AND :before' : 'pk = :pk AND begins_with(sk, :doc)',
        ExpressionAttributeValues: afterDocumentId
          ? // Descending: everything strictly before the cursor's document (DOC#<id> sorts by time).
            { ':pk': S(pk), ':from': S('DOC#'), ':before': S(`DOC#${afterDocumentId}`) }
          : { ':pk': S(pk), ':doc': S('DOC#') },
        ScanIndexForward: false,
        Limit: evaluate,
        ConsistentRead: true,
      }),
    );
    const items = (out.Items ?? []).filter((i) => i.sk?.S !== `DOC#${afterDocumentId}`).map(toStoredDocument);
    return { items, more: out.LastEvaluatedKey !== undefined };
  }

  /** The cursor of a listing that went through this document. */
  cursorAt(documentId: string): string {
    return encodeCursor(`DOC#${documentId}`);
  }

  /** The document's sealed facts, opened with the record's key (bound to its item: a foreign item does not open). */
  openDocument(key: DataKey, doc: StoredDocument): OpenedDocument {
    return { ...doc, ...this.openState(key, doc.documentId, doc) };
  }

  /** A document's state with its sealed facts opened: what the access policy decides on (documentReader). */
  openState(key: DataKey, documentId: string, state: DocumentState): DocumentState & DocumentFactsOfCare {
    return { ...state, ...openFacts(key, keys.document(key.dmpId, documentId).sk, state.sealedFacts) };
  }

  openTitle(key: DataKey, doc: StoredDocument): string {
    return open(key, keys.document(key.dmpId, doc.documentId).sk, 'title', doc.sealedTitle).toString('utf8');
  }

  /** The whole content, opened chunk by chunk; a missing or foreign chunk fails the read. */
  async readContent(key: DataKey, doc: StoredDocument): Promise<Buffer> {
    const wanted = Array.from({ length: doc.chunks }, (_, i) => keyItem(keys.chunk(key.dmpId, doc.documentId, i)));
    const found = new Map<string, Uint8Array>();
    let pending: Item[] = wanted;
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt > 0) await backoff(attempt);
      if (attempt > 8) throw new Error('chunks could not be read');
      const out = await this.db.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true } } }));
      for (const item of out.Responses?.[this.table] ?? []) found.set(required(str(item, 'sk'), 'sk'), required(bin(item, 'content'), 'content'));
      pending = (out.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
    }
    const parts = wanted.map((k) => {
      const sk = k.sk?.S ?? '';
      const sealed = found.get(sk);
      if (!sealed) throw new Error('a chunk of a committed document is missing');
      return open(key, sk, 'content', sealed);
    });
    const content = Buffer.concat(parts);
    if (content.length !== doc.size) throw new Error('content size does not match the metadata');
    return content;
  }

  /**
   * Writes a deposit's chunks ahead of its commit, when there are several (one chunk goes into the
   * commit transaction itself): the intent first, so the uploads job can find what an interrupted
   * deposit leaves behind.
   */
  async stageChunks(key: DataKey, doc: NewDocument, now: Date): Promise<LabelledWrite[]> {
    const chunks = chunksOf(doc.content);
    const puts = chunks.map((c, i) => this.chunkItem(key, doc.documentId, i, c));
    if (puts.length === 1) return [{ label: 'upload', item: { Put: { TableName: this.table, Item: puts[0] as Item, ConditionExpression: 'attribute_not_exists(pk)' } } }];
    const intent = keys.upload(key.dmpId, doc.documentId);
    await this.db.send(
      new PutItemCommand({
        TableName: this.table,
        Item: {
          ...keyItem(intent),
          state: S('uploading'),
          chunks: N(puts.length),
          startedAt: S(now.toISOString()),
          gsi1pk: S(uploadsPartition(shardOf(key.dmpId, DOCUMENT_SHARDS))),
          gsi1sk: S(`${abandonAt(now).toISOString()}#${intent.pk}#${intent.sk}`),
        },
        ConditionExpression: 'attribute_not_exists(pk)',
      }),
    );
    await this.batchWrite(puts.map((Item) => ({ PutRequest: { Item } })));
    // The commit deletes the intent, and only while it is still an upload under way (the uploads
    // job marks it abandoned before it deletes anything).
    return [
      {
        label: 'upload',
        item: {
          Delete: {
            TableName: this.table,
            Key: keyItem(intent),
            ConditionExpression: '#state = :uploading',
            ExpressionAttributeNames: { '#state': 'state' },
            ExpressionAttributeValues: { ':uploading': S('uploading') },
          },
        },
      },
    ];
  }

  /** The commit: the metadata item (and the uniqueId's claim), refused if either exists. */
  commitWrites(key: DataKey, doc: NewDocument, staged: readonly Write[], titleWords: string[]): LabelledWrite[] {
    const k = keys.document(key.dmpId, doc.documentId);
    const tokens = titleWords.map((w) => titleToken(key, w));
    const item: Item = {
      ...keyItem(k),
      documentId: S(doc.documentId),
      version: N(doc.version),
      setId: S(doc.setId),
      ...(doc.replaces ? { replaces: S(doc.replaces) } : {}),
      ...(doc.earlier?.length ? { earlier: { SS: [...doc.earlier] } } : {}),
      depositedAt: S(doc.depositedAt.toISOString()),
      size: N(doc.content.length),
      chunks: N(chunksOf(doc.content).length),
      status: S('current'),
      maskedToProfessionals: BOOL(doc.labels.maskedToProfessionals),
      invisibleToPatient: BOOL(doc.labels.invisibleToPatient),
      invisibleToRepresentatives: BOOL(doc.labels.invisibleToRepresentatives),
      facts: B(sealFacts(key, k.sk, doc)),
      title: B(seal(key, k.sk, 'title', Buffer.from(doc.title, 'utf8'))),
      ...(tokens.length > 0 ? { titleTokens: { SS: [...new Set(tokens)] } } : {}),
      revision: N(1),
      ...(doc.visibilityStep ? visibilityIndex(key.dmpId, k, 'notice', doc.visibilityStep.at) : {}),
    };
    const writes: LabelledWrite[] = [
      { label: 'document', item: { Put: { TableName: this.table, Item: item, ConditionExpression: 'attribute_not_exists(pk)' } } },
      ...staged.map(labelled),
    ];
    if (doc.uniqueId) {
      writes.push({
        label: 'unique-id',
        item: {
          Put: {
            TableName: this.table,
            Item: { ...keyItem(keys.documentUid(key.dmpId, uidToken(key, doc.uniqueId))), documentId: S(doc.documentId) },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      });
    }
    return writes;
  }

  /**
   * The version a new one replaces becomes superseded, unless something changed it meanwhile; it
   * and the versions before it take the new version's labels (the document's), and it leaves the
   * visibility queue (the new version holds the document's place there, if hidden).
   */
  supersedeWrites(dmpId: string, previous: StoredDocument, labels: DocumentLabels): LabelledWrite[] {
    return [
      this.change(
        dmpId,
        previous,
        { set: ['#status = :superseded', ...LABELS_SET], remove: VISIBILITY_QUEUE, values: { ':superseded': S('superseded'), ...labelValues(labels) } },
        'previous',
      ),
      this.changedMark(dmpId, previous),
      ...(sameLabels(previous.labels, labels) ? [] : this.earlierWrites(dmpId, previous, { set: LABELS_SET, values: labelValues(labels) })),
    ];
  }

  /**
   * Labels and archive state of the current version; the labels are every version's. A document
   * no longer hidden from the patient leaves the visibility queue.
   */
  labelsWrites(dmpId: string, doc: StoredDocument, labels: DocumentLabels, status: DocumentStatus): LabelledWrite[] {
    return [
      this.change(dmpId, doc, {
        set: [...LABELS_SET, '#status = :s'],
        remove: labels.invisibleToPatient ? [] : VISIBILITY_QUEUE,
        values: { ...labelValues(labels), ':s': S(status) },
      }),
      this.changedMark(dmpId, doc),
      ...(sameLabels(doc.labels, labels) ? [] : this.earlierWrites(dmpId, doc, { set: LABELS_SET, values: labelValues(labels) })),
    ];
  }

  /** Logical deletion of the document, every version: out of every list, contents and traces kept with the record. */
  deleteWrites(dmpId: string, doc: StoredDocument, at: Date): LabelledWrite[] {
    return [
      this.change(dmpId, doc, {
        set: ['#status = :deleted', 'deletedAt = :at'],
        remove: VISIBILITY_QUEUE,
        values: { ':deleted': S('deleted'), ':at': S(at.toISOString()) },
      }),
      this.changedMark(dmpId, doc),
      ...this.earlierWrites(dmpId, doc, {
        set: ['#status = :deleted', 'deletedAt = if_not_exists(deletedAt, :at)'],
        values: { ':deleted': S('deleted'), ':at': S(at.toISOString()) },
      }),
    ];
  }

  /** The visibility job's steps: after the notice, wait for the reveal; at the reveal, show it. */
  nextVisibilityStepWrite(dmpId: string, doc: StoredDocument, revealAt: Date): LabelledWrite {
    const k = keys.document(dmpId, doc.documentId);
    const index = visibilityIndex(dmpId, k, 'reveal', revealAt);
    return this.change(dmpId, doc, {
      set: ['gsi1sk = :gsk', 'visibilityStep = :step'],
      values: { ':gsk': index.gsi1sk, ':step': index.visibilityStep },
      condition: 'invisibleToPatient = :true',
      conditionValues: { ':true': BOOL(true) },
    });
  }

  /** The reveal shows the document to the patient, every version. */
  revealWrites(dmpId: string, doc: StoredDocument): LabelledWrite[] {
    return [
      this.change(dmpId, doc, {
        set: ['invisibleToPatient = :false'],
        remove: VISIBILITY_QUEUE,
        values: { ':false': BOOL(false) },
        condition: 'invisibleToPatient = :true',
        conditionValues: { ':true': BOOL(true) },
      }),
      this.changedMark(dmpId, doc),
      ...this.earlierWrites(dmpId, doc, { set: ['invisibleToPatient = :false'], values: { ':false': BOOL(false) } }),
    ];
  }

  /**
   * The same change on each version before `doc`, which carry the document's labels and deletion.
   * What refuses a concurrent change is the write on `doc` itself (its revision); each of these
   * only checks that it writes a version of the same document. Earlier versions never wait in the
   * visibility queue.
   */
  private earlierWrites(dmpId: string, doc: StoredDocument, u: { set: string[]; values: Item }): LabelledWrite[] {
    const expression = `SET ${[...u.set, 'revision = revision + :one'].join(', ')} REMOVE ${VISIBILITY_QUEUE.join(', ')}`;
    return doc.earlier.map((documentId) => ({
      label: 'earlier',
      item: {
        Update: {
          TableName: this.table,
          Key: keyItem(keys.document(dmpId, documentId)),
          UpdateExpression: expression,
          ConditionExpression: 'setId = :set',
          ...(expression.includes('#status') ? { ExpressionAttributeNames: { '#status': 'status' } } : {}),
          ExpressionAttributeValues: { ...u.values, ':one': N(1), ':set': S(doc.setId) },
        },
      },
    }));
  }

  /**
   * The mark of a version whose status or labels this change alters (DOCCHANGED#<documentId>, keys
   * only), in the change's own transaction: the keyword search decides a document it finds on the
   * state its postings carry (the state the index job read) only while the version has no mark, and
   * reads the version as it is now otherwise (capabilities/search/reader.ts). Every change of status
   * or labels marks the version it is made on; the versions before it are superseded, and each was
   * marked when it became so (supersedeWrites), so a set of 50 versions still fits one transaction.
   * A mark stays: the version is read again by every search that finds it, as all were before.
   */
  private changedMark(dmpId: string, doc: StoredDocument): LabelledWrite {
    return { label: 'changed', item: { Put: { TableName: this.table, Item: markItem(dmpId, doc.documentId) } } };
  }

  /**
   * The same mark, written alone: the index job's repair of a version that changed (its revision
   * past 1) without its mark, as a writer older than the marks leaves it while a deployment
   * rolls out. Idempotent.
   */
  async markChanged(dmpId: string, documentId: string): Promise<void> {
    await this.db.send(new PutItemCommand({ TableName: this.table, Item: markItem(dmpId, documentId) }));
  }

  /** A change of a document on the revision that was read: a concurrent change makes it fail. */
  private change(
    dmpId: string,
    doc: StoredDocument,
    u: { set: string[]; remove?: string[]; values: Item; condition?: string; conditionValues?: Item },
    label = 'document',
  ): LabelledWrite {
    const remove = u.remove ?? [];
    const expression = `SET ${[...u.set, 'revision = revision + :one'].join(', ')}${remove.length ? ` REMOVE ${remove.join(', ')}` : ''}`;
    const condition = `revision = :revision AND #status <> :gone${u.condition ? ` AND ${u.condition}` : ''}`;
    return {
      label,
      item: {
        Update: {
          TableName: this.table,
          Key: keyItem(keys.document(dmpId, doc.documentId)),
          UpdateExpression: expression,
          ConditionExpression: condition,
          ExpressionAttributeNames: { '#status': 'status' },
          ExpressionAttributeValues: { ...u.values, ...u.conditionValues, ':one': N(1), ':revision': N(doc.revision), ':gone': S('deleted') },
        },
      },
    };
  }

  /**
   * Removes what a deposit staged: its chunks, then its intent (a refused commit, or the uploads
   * job after marking the intent abandoned). Idempotent.
   */
  async discardStaged(dmpId: string, documentId: string, chunks: number): Promise<void> {
    await this.deleteChunks(dmpId, documentId, chunks);
    await this.deleteUploadIntent(dmpId, documentId);
  }

  async deleteChunks(dmpId: string, documentId: string, chunks: number): Promise<void> {
    await this.batchWrite(Array.from({ length: chunks }, (_, i) => ({ DeleteRequest: { Key: keyItem(keys.chunk(dmpId, documentId, i)) } })));
  }

  async deleteUploadIntent(dmpId: string, documentId: string): Promise<void> {
    await this.db.send(new DeleteItemCommand({ TableName: this.table, Key: keyItem(keys.upload(dmpId, documentId)) }));
  }

  private chunkItem(key: DataKey, documentId: string, index: number, content: Buffer): Item {
    const k = keys.chunk(key.dmpId, documentId, index);
    return { ...keyItem(k), content: B(seal(key, k.sk, 'content', content)) };
  }

  /** BatchWriteItem in groups of 25, retrying what DynamoDB leaves unprocessed. */
  async batchWrite(requests: WriteRequest[]): Promise<void> {
    for (let i = 0; i < requests.length; i += MAX_BATCH_WRITE) {
      let pending = requests.slice(i, i + MAX_BATCH_WRITE);
      for (let attempt = 0; pending.length > 0; attempt++) {
        if (attempt > 8) throw new Error('batch write left items unprocessed');
        if (attempt > 0) await backoff(attempt);
        const out = await this.db.send(new BatchWriteItemCommand({ RequestItems: { [this.table]: pending } }));
        pending = out.UnprocessedItems?.[this.table] ?? [];
      }
    }
  }
}

/** A version's change mark (keys only): see changedMark. */
const markItem = (dmpId: string, documentId: string): Item => keyItem(keys.documentChanged(dmpId, documentId));

const LABELS_SET = ['maskedToProfessionals = :m', 'invisibleToPatient = :p', 'invisibleToRepresentatives = :r'];
const labelValues = (l: DocumentLabels): Item => ({ ':m': BOOL(l.maskedToProfessionals), ':p': BOOL(l.invisibleToPatient), ':r': BOOL(l.invisibleToRepresentatives) });
const sameLabels = (a: DocumentLabels, b: DocumentLabels): boolean =>
  a.maskedToProfessionals === b.maskedToProfessionals && a.invisibleToPatient === b.invisibleToPatient && a.invisibleToRepresentatives === b.invisibleToRepresentatives;
/** The attributes that put a document in the visibility queue (GSI1). */
const VISIBILITY_QUEUE = ['gsi1pk', 'gsi1sk', 'visibilityStep'];

const backoff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.min(50 * 2 ** attempt, 2000) * (0.5 + Math.random() / 2)));

const visibilityIndex = (dmpId: string, k: { pk: string; sk: string }, step: 'notice' | 'reveal', at: Date) => ({
  gsi1pk: S(visibilityPartition(shardOf(dmpId, DOCUMENT_SHARDS))),
  gsi1sk: S(`${at.toISOString()}#${k.pk}#${k.sk}`),
  visibilityStep: S(`${step}@${at.toISOString()}`),
});

/** The attributes of a metadata item an access decision on the document reads (a reader that needs no more asks for these only). */
export const DOCUMENT_STATE_ATTRIBUTES = ['sk', 'status', 'maskedToProfessionals', 'invisibleToPatient', 'invisibleToRepresentatives', 'facts'] as const;

/** What an access decision reads of a metadata item as it is now: its status, labels and sealed facts. */
export type DocumentState = Pick<StoredDocument, 'status' | 'labels' | 'sealedFacts'>;

export const toDocumentState = (i: Item): DocumentState => ({
  status: required(str(i, 'status'), 'status') as DocumentStatus,
  labels: {
    maskedToProfessionals: bool(i, 'maskedToProfessionals') ?? false,
    invisibleToPatient: bool(i, 'invisibleToPatient') ?? false,
    invisibleToRepresentatives: bool(i, 'invisibleToRepresentatives') ?? false,
  },
  sealedFacts: required(bin(i, 'facts'), 'facts'),
});

export const toStoredDocument = (i: Item): StoredDocument => {
  const step = str(i, 'visibilityStep');
  const [stepName, stepAt] = step ? step.split('@') : [];
  return {
    documentId: required(str(i, 'documentId'), 'documentId'),
    version: required(num(i, 'version'), 'version'),
    setId: required(str(i, 'setId'), 'setId'),
    replaces: str(i, 'replaces'),
    earlier: i.earlier?.SS ?? [],
    depositedAt: required(str(i, 'depositedAt'), 'depositedAt'),
    size: required(num(i, 'size'), 'size'),
    chunks: required(num(i, 'chunks'), 'chunks'),
    ...toDocumentState(i),
    sealedTitle: required(bin(i, 'title'), 'title'),
    titleTokens: new Set(i.titleTokens?.SS ?? []),
    revision: num(i, 'revision') ?? 1,
    visibilityStep: stepName && stepAt ? { step: stepName as 'notice' | 'reveal', at: stepAt } : undefined,
  };
};

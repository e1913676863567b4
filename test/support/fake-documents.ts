/**
 * An in-memory fake of the Documents port (functions/domain/stores.ts) over the fakes' World
 * (test/support/fakes.ts), under the conditions of the DynamoDB store it stands for
 * (functions/capabilities/documents/store.ts): a version's item put only where none is, a
 * uniqueId claimed once per record, every change of labels, status or deletion on the revision
 * that was read and never on a deleted document, the versions before it changed with it, the
 * version a new one replaces superseded in the same transaction.
 *
 * Facts of care and titles are sealed with the record's key by the real envelope (bound to the
 * item DOC#<documentId> and to the attributes `facts` and `title`), and title words become the
 * store's own keyed tokens: opening, the listing's keyword search and a foreign item's refusal
 * behave as in production. Content is kept in memory in the store's chunks, in clear (sealing at
 * rest is tested against the emulator: test/e2e/at-rest.test.ts).
 */
import { encodeCursor, decodeCursor } from '../../functions/adapters/cursor.ts';
import { openJson, open, seal, sealJson, SealedValueError } from '../../functions/adapters/envelope.ts';
import { keys } from '../../functions/adapters/table.ts';
import type { DocumentDeps } from '../../functions/capabilities/documents/deps.ts';
import { LIST_EVALUATION, titleToken } from '../../functions/capabilities/documents/store.ts';
import type { DocumentLabels, DocumentStatus } from '../../functions/domain/access-policy.ts';
import { DOCUMENT_ID, chunksOf, type DocumentAuthor, type NewDocument, type OpenedDocument, type StoredDocument } from '../../functions/domain/documents.ts';
import type { DataKey, Write } from '../../functions/domain/ports.ts';
import { defaultAccessMatrix } from '../../functions/domain/reference-data.ts';
import type { Documents } from '../../functions/domain/stores.ts';
import { part, pro, rec, type FakeDocument, type Fakes } from './fakes.ts';

type World = Fakes['world'];

/** What a version's item holds sealed in `facts`, as the store seals it. */
interface SealedFacts {
  typeCode: string;
  classCode: string;
  serviceDate: string;
  contentType: string;
  author: DocumentAuthor;
}

/** The sort key a listing's cursor names: a document's item. */
const DOCUMENT_SK = new RegExp(`^DOC#${DOCUMENT_ID.source.slice(1)}`);

/** A copy, as a read is: what a later write changes does not change what was read. */
const copy = ({ deletedAt: _d, ...doc }: FakeDocument): StoredDocument => structuredClone(doc);

class FakeDocuments implements Documents {
  private readonly world: World;
  /** Items one `page` reads at most (the store's Query Limit). */
  private readonly evaluate: number;
  constructor(world: World, evaluate: number) {
    this.world = world;
    this.evaluate = evaluate;
  }

  async get(dmpId: string, documentId: string): Promise<StoredDocument | undefined> {
    const doc = this.world.documents.get(pro(dmpId, documentId));
    return doc ? copy(doc) : undefined;
  }

  /** Newest first (ids sort by deposit time), strictly after the cursor's document; `more` when the read stopped short. */
  async page(dmpId: string, cursor: string | undefined, evaluate = this.evaluate): Promise<{ items: StoredDocument[]; more: boolean }> {
    const after = cursor === undefined ? undefined : decodeCursor(cursor, DOCUMENT_SK).slice('DOC#'.length);
    const rest = [...this.world.documents.entries()]
      .filter(([k, d]) => k.startsWith(`${dmpId}|`) && (after === undefined || d.documentId < after))
      .map(([, d]) => d)
      .sort((a, b) => b.documentId.localeCompare(a.documentId));
    return { items: rest.slice(0, evaluate).map(copy), more: rest.length > evaluate };
  }

  cursorAt(documentId: string): string {
    return encodeCursor(`DOC#${documentId}`);
  }

  openDocument(key: DataKey, doc: StoredDocument): OpenedDocument {
    const f = openJson<Partial<SealedFacts>>(key, keys.document(key.dmpId, doc.documentId).sk, 'facts', doc.sealedFacts);
    const a = f.author;
    if (!f.typeCode || !f.classCode || !f.serviceDate || !f.contentType || !a) throw new SealedValueError('sealed facts incomplete');
    return { ...doc, typeCode: f.typeCode, classCode: f.classCode, serviceDate: f.serviceDate, contentType: f.contentType, author: a };
  }

  openTitle(key: DataKey, doc: StoredDocument): string {
    return open(key, keys.document(key.dmpId, doc.documentId).sk, 'title', doc.sealedTitle).toString('utf8');
  }

  async readContent(key: DataKey, doc: StoredDocument): Promise<Buffer> {
    const parts = Array.from({ length: doc.chunks }, (_, i) => {
      const chunk = this.world.chunks.get(this.chunkItem(key.dmpId, doc.documentId, i));
      if (!chunk) throw new Error('a chunk of a committed document is missing');
      return chunk;
    });
    const content = Buffer.concat(parts);
    if (content.length !== doc.size) throw new Error('content size does not match the metadata');
    return content;
  }

  /** One chunk: its put, in the commit. Several: the intent and the chunks written now, the commit deleting the intent while it is an upload. */
  async stageChunks(key: DataKey, doc: NewDocument, _now: Date): Promise<Write[]> {
    const chunks = chunksOf(doc.content).map((c) => Buffer.from(c));
    if (chunks.length === 1) {
      const item = this.chunkItem(key.dmpId, doc.documentId, 0);
      return [part('upload', item, { check: () => !this.world.chunks.has(item), apply: () => this.world.chunks.set(item, chunks[0]!) })];
    }
    const intent = rec(key.dmpId, keys.upload(key.dmpId, doc.documentId).sk);
    if (this.world.uploads.has(intent)) throw new Error('an upload intent exists already');
    this.world.uploads.set(intent, 'uploading');
    for (const [i, c] of chunks.entries()) this.world.chunks.set(this.chunkItem(key.dmpId, doc.documentId, i), c);
    return [part('upload', intent, { check: () => this.world.uploads.get(intent) === 'uploading', apply: () => this.world.uploads.delete(intent) })];
  }

  commitWrites(key: DataKey, doc: NewDocument, staged: readonly Write[], titleWords: string[]): Write[] {
    const k = keys.document(key.dmpId, doc.documentId);
    const at = pro(key.dmpId, doc.documentId);
    const facts: SealedFacts = {
      typeCode: doc.typeCode,
      classCode: doc.classCode,
      serviceDate: doc.serviceDate,
      contentType: doc.contentType,
      author: { kind: doc.author.kind, id: doc.author.id, ...(doc.author.profession ? { profession: doc.author.profession } : {}) },
    };
    const stored: FakeDocument = {
      documentId: doc.documentId,
      version: doc.version,
      setId: doc.setId,
      replaces: doc.replaces,
      earlier: [...(doc.earlier ?? [])],
      status: 'current',
      labels: { ...doc.labels },
      depositedAt: doc.depositedAt.toISOString(),
      size: doc.content.length,
      chunks: chunksOf(doc.content).length,
      sealedFacts: sealJson(key, k.sk, 'facts', facts),
      sealedTitle: seal(key, k.sk, 'title', Buffer.from(doc.title, 'utf8')),
      titleTokens: new Set(titleWords.map((w) => titleToken(key, w))),
      revision: 1,
      visibilityStep: doc.visibilityStep ? { step: doc.visibilityStep.step, at: doc.visibilityStep.at.toISOString() } : undefined,
    };
    const writes: Write[] = [part('document', rec(key.dmpId, k.sk), { check: () => !this.world.documents.has(at), apply: () => this.world.documents.set(at, stored) }), ...staged];
    const uniqueId = doc.uniqueId;
    if (uniqueId) {
      // The store claims a keyed token of the uniqueId; in memory the uniqueId itself stands for it.
      const claim = pro(key.dmpId, uniqueId);
      writes.push(
        part('unique-id', rec(key.dmpId, `DOCUID#${uniqueId}`), {
          check: () => !this.world.documentUids.has(claim),
          apply: () => this.world.documentUids.set(claim, doc.documentId),
        }),
      );
    }
    return writes;
  }

  supersedeWrites(dmpId: string, previous: StoredDocument, labels: DocumentLabels): Write[] {
    return [
      this.change(
        dmpId,
        previous,
        (d) => {
          d.status = 'superseded';
          d.labels = { ...labels };
          d.visibilityStep = undefined;
        },
        'previous',
      ),
      ...(sameLabels(previous.labels, labels) ? [] : this.earlierWrites(dmpId, previous, (d) => (d.labels = { ...labels }))),
    ];
  }

  labelsWrites(dmpId: string, doc: StoredDocument, labels: DocumentLabels, status: DocumentStatus): Write[] {
    return [
      this.change(dmpId, doc, (d) => {
        d.labels = { ...labels };
        d.status = status;
        if (!labels.invisibleToPatient) d.visibilityStep = undefined;
      }),
      ...(sameLabels(doc.labels, labels) ? [] : this.earlierWrites(dmpId, doc, (d) => (d.labels = { ...labels }))),
    ];
  }

  deleteWrites(dmpId: string, doc: StoredDocument, at: Date): Write[] {
    return [
      this.change(dmpId, doc, (d) => {
        d.status = 'deleted';
        d.deletedAt = at.toISOString();
        d.visibilityStep = undefined;
      }),
      ...this.earlierWrites(dmpId, doc, (d) => {
        d.status = 'deleted';
        d.deletedAt ??= at.toISOString();
      }),
    ];
  }

  async discardStaged(dmpId: string, documentId: string, chunks: number): Promise<void> {
    for (let i = 0; i < chunks; i++) this.world.chunks.delete(this.chunkItem(dmpId, documentId, i));
    this.world.uploads.delete(rec(dmpId, keys.upload(dmpId, documentId).sk));
  }

  private chunkItem(dmpId: string, documentId: string, index: number): string {
    return rec(dmpId, keys.chunk(dmpId, documentId, index).sk);
  }

  /** A change on the revision that was read, never of a deleted document; the revision moves on. */
  private change(dmpId: string, doc: StoredDocument, apply: (d: FakeDocument) => void, label = 'document'): Write {
    const at = pro(dmpId, doc.documentId);
    return part(label, rec(dmpId, keys.document(dmpId, doc.documentId).sk), {
      check: () => {
        const now = this.world.documents.get(at);
        return now !== undefined && now.revision === doc.revision && now.status !== 'deleted';
      },
      apply: () => {
        const d = this.world.documents.get(at)!;
        apply(d);
        d.revision += 1;
      },
    });
  }

  /** The same change on each version before `doc`: each only checks that it is a version of the same document. */
  private earlierWrites(dmpId: string, doc: StoredDocument, apply: (d: FakeDocument) => void): Write[] {
    return doc.earlier.map((documentId) => {
      const at = pro(dmpId, documentId);
      return part('earlier', rec(dmpId, keys.document(dmpId, documentId).sk), {
        check: () => this.world.documents.get(at)?.setId === doc.setId,
        apply: () => {
          const d = this.world.documents.get(at)!;
          apply(d);
          d.revision += 1;
          d.visibilityStep = undefined;
        },
      });
    });
  }
}

const sameLabels = (a: DocumentLabels, b: DocumentLabels): boolean =>
  a.maskedToProfessionals === b.maskedToProfessionals && a.invisibleToPatient === b.invisibleToPatient && a.invisibleToRepresentatives === b.invisibleToRepresentatives;

/**
 * The documents capability's dependencies over the fakes: the fake store on the same World, and
 * the default access matrix. `evaluate` is how many items one page of the listing reads (the
 * store reads LIST_EVALUATION): smaller, it makes a listing go on to the next pages.
 */
export const withFakeDocuments = (f: Fakes, { evaluate = LIST_EVALUATION }: { evaluate?: number } = {}): DocumentDeps => ({
  ...f.deps,
  documents: new FakeDocuments(f.world, evaluate),
  matrix: defaultAccessMatrix,
});

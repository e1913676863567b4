/**
 * The document store against the emulator's DynamoDB, through the real SDK: content sealed in
 * chunks under the record's data key, the commit point, the binding of every chunk to its record,
 * document and index, listing pages, keyed title tokens, and the conditions that refuse stale or
 * repeated changes.
 */
import { ConditionsRefused } from '#domain/errors';
import { randomBytes } from 'node:crypto';
import { DeleteItemCommand, GetItemCommand, PutItemCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DocumentStore, titleToken } from '../../functions/capabilities/documents/store.ts';
import type { NewDocument, StoredDocument } from '../../functions/domain/documents.ts';
import { DataKeyCache, SealedValueError } from '../../functions/adapters/envelope.ts';
import type { DataKey } from '../../functions/domain/ports.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { transact } from '../../functions/adapters/transactions.ts';
import { CHUNK_BYTES, NO_LABELS, searchWords } from '../../functions/domain/documents.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { emulator, partitionItems } from '../support/aws.ts';
import { newDocumentInput } from '../support/documents.ts';

type Item = Record<string, AttributeValue>;

let env: Awaited<ReturnType<typeof emulator>>;
let store: DocumentStore;
let keyRing: KeyRing;
beforeAll(async () => {
  env = await emulator();
  store = new DocumentStore(env.db, env.tableName);
  keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
});

let n = 0;
/** A fresh record id and its data key, straight from KMS. */
const recordKey = async (label: string): Promise<DataKey> => (await keyRing.generate(`ds-${label}-${++n}`)).key;

let tick = Date.parse('2026-11-22T10:00:00.000Z');
const newDoc = (extra: Partial<NewDocument> = {}, content: Buffer = randomBytes(1000)): NewDocument =>
  newDocumentInput(extra.depositedAt ?? new Date((tick += 1000)), extra, content);

/** Stages, commits, and reads back the metadata. */
const depositDoc = async (key: DataKey, doc: NewDocument, more: Parameters<typeof transact>[1] = []): Promise<StoredDocument> => {
  const staged = await store.stageChunks(key, doc, doc.depositedAt);
  await transact(env.db, [...store.commitWrites(key, doc, staged, searchWords(doc.title)), ...more]);
  const stored = await store.get(key.dmpId, doc.documentId);
  expect(stored).toBeDefined();
  return stored!;
};

const getItem = async (k: { pk: string; sk: string }): Promise<Item | undefined> =>
  (await env.db.send(new GetItemCommand({ TableName: env.tableName, Key: keyItem(k), ConsistentRead: true }))).Item;
const putItem = (item: Item) => env.db.send(new PutItemCommand({ TableName: env.tableName, Item: item }));
const deleteItem = (k: { pk: string; sk: string }) => env.db.send(new DeleteItemCommand({ TableName: env.tableName, Key: keyItem(k) }));
/** Every item of a record's partition under a sort key prefix (chunks fill a 1 MB page quickly). */
const partition = (dmpId: string, prefix: string): Promise<Item[]> => partitionItems(env.db, env.tableName, dmpId, prefix);

const refusal = async (p: Promise<unknown>): Promise<string[]> => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConditionsRefused);
  return [...(error as ConditionsRefused).labels].sort();
};

describe('deposit and read back', () => {
  it('one chunk: written in the commit itself (no upload intent), read back byte for byte', async () => {
    const key = await recordKey('one');
    const content = randomBytes(20_000);
    const doc = newDoc({ title: 'Compte rendu CanaryTitreUn' }, content);
    const staged = await store.stageChunks(key, doc, doc.depositedAt);
    expect(staged).toHaveLength(1);
    expect(await partition(key.dmpId, 'CHUNK#')).toEqual([]);
    expect(await partition(key.dmpId, 'UPLOAD#')).toEqual([]);
    await transact(env.db, store.commitWrites(key, doc, staged, searchWords(doc.title)));

    const stored = (await store.get(key.dmpId, doc.documentId))!;
    expect(stored).toMatchObject({ documentId: doc.documentId, version: 1, setId: doc.documentId, size: 20_000, chunks: 1, status: 'current', revision: 1 });
    // The facts of care and the author are not read in clear: they open with the record's key.
    for (const name of ['typeCode', 'classCode', 'serviceDate', 'contentType', 'author']) expect(stored).not.toHaveProperty(name);
    const opened = store.openDocument(key, stored);
    expect(opened).toMatchObject({ ...stored, typeCode: '11502-2', classCode: '10', serviceDate: '2026-11-20', contentType: 'application/pdf' });
    expect(opened.author).toEqual({ kind: 'professional', id: '810000000001', profession: '10' });
    expect((await store.readContent(key, stored)).equals(content)).toBe(true);
    expect(store.openTitle(key, stored)).toBe('Compte rendu CanaryTitreUn');
    // The title and the facts are sealed: not in the raw item, in any form.
    const raw = await getItem(keys.document(key.dmpId, doc.documentId));
    expect(JSON.stringify(raw)).not.toContain('CanaryTitreUn');
    expect(Buffer.from(raw!.title!.B!).includes(Buffer.from('CanaryTitreUn'))).toBe(false);
    for (const name of ['typeCode', 'classCode', 'serviceDate', 'authorProfession', 'contentType', 'authorKind', 'authorId']) expect(raw).not.toHaveProperty(name);
    for (const value of ['11502-2', '2026-11-20', '810000000001', 'application/pdf']) {
      expect(JSON.stringify(raw)).not.toContain(value);
      expect(Buffer.from(raw!.facts!.B!).includes(Buffer.from(value))).toBe(false);
    }
    // The sealed chunk holds no clear content either.
    const chunk = await getItem(keys.chunk(key.dmpId, doc.documentId, 0));
    expect(Buffer.from(chunk!.content!.B!).includes(content.subarray(100, 132))).toBe(false);
    expect(await partition(key.dmpId, 'UPLOAD#')).toEqual([]);
  });

  it('empty content: one empty chunk, read back empty', async () => {
    const key = await recordKey('empty');
    const stored = await depositDoc(key, newDoc({}, Buffer.alloc(0)));
    expect(stored).toMatchObject({ size: 0, chunks: 1 });
    expect((await store.readContent(key, stored)).length).toBe(0);
  });

  it('many chunks: intent, then chunks, then the commit that deletes the intent; read back byte for byte', async () => {
    const key = await recordKey('many');
    const content = randomBytes(3 * CHUNK_BYTES + 17);
    const doc = newDoc({}, content);
    const staged = await store.stageChunks(key, doc, doc.depositedAt);
    // Before the commit: the intent and every chunk exist, but no document does.
    const intent = await getItem(keys.upload(key.dmpId, doc.documentId));
    expect(intent?.state?.S).toBe('uploading');
    expect(intent?.chunks?.N).toBe('4');
    expect(intent?.gsi1pk?.S).toMatch(/^UPLOADS#[0-7]$/);
    expect((await partition(key.dmpId, `CHUNK#${doc.documentId}#`)).map((i) => i.sk!.S)).toEqual([0, 1, 2, 3].map((i) => keys.chunk(key.dmpId, doc.documentId, i).sk));
    expect(await store.get(key.dmpId, doc.documentId)).toBeUndefined();

    await transact(env.db, store.commitWrites(key, doc, staged, searchWords(doc.title)));
    expect(await getItem(keys.upload(key.dmpId, doc.documentId))).toBeUndefined();
    const stored = (await store.get(key.dmpId, doc.documentId))!;
    expect(stored).toMatchObject({ size: content.length, chunks: 4 });
    expect((await store.readContent(key, stored)).equals(content)).toBe(true);
  });

  it('4 MiB: twelve chunks, read back byte for byte', async () => {
    const key = await recordKey('max');
    const content = randomBytes(4 * 1024 * 1024);
    const stored = await depositDoc(key, newDoc({}, content));
    expect(stored.chunks).toBe(12);
    expect((await store.readContent(key, stored)).equals(content)).toBe(true);
  });
});

describe('each chunk is bound to its record, document and index', () => {
  it('a record’s chunks do not open under another record’s key, even copied into that record', async () => {
    const a = await recordKey('aad-a');
    const b = await recordKey('aad-b');
    const content = randomBytes(2 * CHUNK_BYTES + 5);
    const doc = await depositDoc(a, newDoc({}, content));
    // Another record's key material under this record's id, and this record's id under another key.
    await expect(store.readContent({ ...b, dmpId: a.dmpId }, doc)).rejects.toBeInstanceOf(SealedValueError);
    expect(() => store.openTitle({ ...b, dmpId: a.dmpId }, doc)).toThrow(SealedValueError);
    expect(() => store.openDocument({ ...b, dmpId: a.dmpId }, doc)).toThrow(SealedValueError);
    // The raw items (metadata and chunks) copied as they are into record B's partition.
    const rawDoc = (await getItem(keys.document(a.dmpId, doc.documentId)))!;
    await putItem({ ...rawDoc, pk: { S: keys.record(b.dmpId).pk } });
    for (const chunk of await partition(a.dmpId, `CHUNK#${doc.documentId}#`)) await putItem({ ...chunk, pk: { S: keys.record(b.dmpId).pk } });
    const copied = (await store.get(b.dmpId, doc.documentId))!;
    expect(copied.chunks).toBe(3);
    await expect(store.readContent(b, copied)).rejects.toBeInstanceOf(SealedValueError);
    expect(() => store.openTitle(b, copied)).toThrow(SealedValueError);
    expect(() => store.openDocument(b, copied)).toThrow(SealedValueError);
    // The original still reads.
    expect((await store.readContent(a, doc)).equals(content)).toBe(true);
    expect(store.openDocument(a, doc).classCode).toBe('10');
  });

  it('sealed facts copied onto another document of the record, or into the title attribute, do not open', async () => {
    const key = await recordKey('aad-facts');
    const x = await depositDoc(key, newDoc({ typeCode: '18748-4', classCode: '31' }));
    const y = await depositDoc(key, newDoc());
    // X's facts (imaging) onto Y: the policy would weigh Y as imaging if they opened.
    const rawY = (await getItem(keys.document(key.dmpId, y.documentId)))!;
    const rawX = (await getItem(keys.document(key.dmpId, x.documentId)))!;
    await putItem({ ...rawY, facts: rawX.facts! });
    const forged = (await store.get(key.dmpId, y.documentId))!;
    expect(() => store.openDocument(key, forged)).toThrow(SealedValueError);
    // Bound to the attribute too: the title's sealed bytes do not open as facts.
    expect(() => store.openDocument(key, { ...x, sealedFacts: x.sealedTitle })).toThrow(SealedValueError);
    expect(store.openDocument(key, x)).toMatchObject({ typeCode: '18748-4', classCode: '31' });
  });

  it('a chunk copied under another document id does not open', async () => {
    const key = await recordKey('aad-doc');
    const x = await depositDoc(key, newDoc({}, randomBytes(1000)));
    const y = await depositDoc(key, newDoc({}, randomBytes(1000)));
    const xChunk = (await getItem(keys.chunk(key.dmpId, x.documentId, 0)))!;
    await putItem({ ...xChunk, sk: { S: keys.chunk(key.dmpId, y.documentId, 0).sk } });
    await expect(store.readContent(key, y)).rejects.toBeInstanceOf(SealedValueError);
    expect((await store.readContent(key, x)).length).toBe(1000);
  });

  it('chunks swapped between indexes of one document do not open', async () => {
    const key = await recordKey('aad-index');
    const content = randomBytes(2 * CHUNK_BYTES);
    const doc = await depositDoc(key, newDoc({}, content));
    const first = (await getItem(keys.chunk(key.dmpId, doc.documentId, 0)))!;
    const second = (await getItem(keys.chunk(key.dmpId, doc.documentId, 1)))!;
    await putItem({ ...first, content: second.content! });
    await putItem({ ...second, content: first.content! });
    await expect(store.readContent(key, doc)).rejects.toBeInstanceOf(SealedValueError);
  });

  it('a tampered chunk fails the read', async () => {
    const key = await recordKey('tamper');
    const doc = await depositDoc(key, newDoc({}, randomBytes(CHUNK_BYTES + 100)));
    const chunk = (await getItem(keys.chunk(key.dmpId, doc.documentId, 1)))!;
    const bytes = Buffer.from(chunk.content!.B!);
    bytes[bytes.length - 7] = (bytes[bytes.length - 7] as number) ^ 0x01;
    await putItem({ ...chunk, content: { B: bytes } });
    await expect(store.readContent(key, doc)).rejects.toBeInstanceOf(SealedValueError);
  });

  it('a missing chunk fails the read', async () => {
    const key = await recordKey('missing');
    const doc = await depositDoc(key, newDoc({}, randomBytes(2 * CHUNK_BYTES + 1)));
    await deleteItem(keys.chunk(key.dmpId, doc.documentId, 1));
    await expect(store.readContent(key, doc)).rejects.toThrow(/missing/);
  });

  it('metadata claiming another size than its chunks fails the read', async () => {
    const key = await recordKey('size');
    const doc = await depositDoc(key, newDoc({}, randomBytes(500)));
    await expect(store.readContent(key, { ...doc, size: 501 })).rejects.toThrow(/size/);
  });
});

describe('listing pages', () => {
  it('lists 30 documents newest first, page after page, each exactly once, and nothing but documents', async () => {
    const key = await recordKey('page');
    const base = Date.parse('2026-05-01T08:00:00.000Z');
    const docs = Array.from({ length: 30 }, (_, i) =>
      newDoc({ depositedAt: new Date(base + i * 60_000), ...(i % 4 === 0 ? { uniqueId: `urn:oid:1.2.250.1.${i}` } : {}) }, randomBytes(64)),
    );
    for (let i = 0; i < docs.length; i += 10) await Promise.all(docs.slice(i, i + 10).map((d) => depositDoc(key, d)));
    // An upload under way, sorting among the documents' neighbours: not a document.
    await store.stageChunks(key, newDoc({ depositedAt: new Date(base + 5 * 60_000 + 1) }, randomBytes(CHUNK_BYTES + 1)), new Date());
    const newestFirst = docs.map((d) => d.documentId).reverse();

    const first = await store.page(key.dmpId, undefined, 7);
    expect(first.items.map((d) => d.documentId)).toEqual(newestFirst.slice(0, 7));
    expect(first.more).toBe(true);

    const seen = [...first.items.map((d) => d.documentId)];
    let after = first.items.at(-1)!.documentId;
    let more = first.more;
    for (let pages = 1; more; pages++) {
      expect(pages).toBeLessThan(10);
      const page = await store.page(key.dmpId, store.cursorAt(after), 7);
      expect(page.items.length).toBeLessThanOrEqual(7);
      expect(page.items.map((d) => d.documentId)).not.toContain(after);
      seen.push(...page.items.map((d) => d.documentId));
      more = page.more;
      if (page.items.length > 0) after = page.items.at(-1)!.documentId;
      else expect(more).toBe(false);
    }
    expect(seen).toEqual(newestFirst);
    // One page as large as the record: everything, and no more.
    const all = await store.page(key.dmpId, undefined, 250);
    expect(all.items.map((d) => d.documentId)).toEqual(newestFirst);
    expect(all.more).toBe(false);
  });

  it('a page after the oldest document is empty', async () => {
    const key = await recordKey('page-end');
    const only = await depositDoc(key, newDoc());
    expect(await store.page(key.dmpId, store.cursorAt(only.documentId), 7)).toEqual({ items: [], more: false });
  });
});

describe('title search tokens', () => {
  it('a word has a different token in each record, the same within one, and the stored tokens are those of the title words', async () => {
    const a = await recordKey('tok-a');
    const b = await recordKey('tok-b');
    expect(titleToken(a, 'biologie')).not.toBe(titleToken(b, 'biologie'));
    expect(titleToken(a, 'biologie')).not.toBe(titleToken(a, 'biologies'));
    // The same key unwrapped again (another object, same material) gives the same token.
    expect(titleToken({ ...a, material: Buffer.from(a.material) }, 'biologie')).toBe(titleToken(a, 'biologie'));
    // The derivation names the record: the same key bytes under another record id give other tokens
    // (fresh copies of the bytes, as two records never share a key).
    const same = randomBytes(32);
    expect(titleToken({ dmpId: a.dmpId, version: 1, material: Buffer.from(same) }, 'biologie')).not.toBe(
      titleToken({ dmpId: b.dmpId, version: 1, material: Buffer.from(same) }, 'biologie'),
    );

    const docA = await depositDoc(a, newDoc({ title: 'Résultats de Biologie — Biologie' }));
    const docB = await depositDoc(b, newDoc({ title: 'Résultats de Biologie — Biologie' }));
    expect(docA.titleTokens).toEqual(new Set(['resultats', 'de', 'biologie'].map((w) => titleToken(a, w))));
    expect([...docA.titleTokens].some((t) => docB.titleTokens.has(t))).toBe(false);
    const raw = await getItem(keys.document(a.dmpId, docA.documentId));
    expect(JSON.stringify(raw).toLowerCase()).not.toContain('biologie');
  });

  it('a title without searchable words stores no token set', async () => {
    const key = await recordKey('tok-none');
    const doc = await depositDoc(key, newDoc({ title: '— ! —' }));
    expect(doc.titleTokens.size).toBe(0);
    expect((await getItem(keys.document(key.dmpId, doc.documentId)))?.titleTokens).toBeUndefined();
  });
});

describe('conditions on changes', () => {
  it('labelsWrites and deleteWrites refuse a stale revision; nothing changes a deleted document', async () => {
    const key = await recordKey('rev');
    const stale = await depositDoc(key, newDoc());
    await transact(env.db, store.labelsWrites(key.dmpId, stale, { ...NO_LABELS, maskedToProfessionals: true }, 'current'));
    const fresh = (await store.get(key.dmpId, stale.documentId))!;
    expect(fresh.revision).toBe(2);
    expect(fresh.labels.maskedToProfessionals).toBe(true);

    expect(await refusal(transact(env.db, store.labelsWrites(key.dmpId, stale, NO_LABELS, 'archived')))).toEqual(['document']);
    expect(await refusal(transact(env.db, store.deleteWrites(key.dmpId, stale, new Date())))).toEqual(['document']);
    expect(await store.get(key.dmpId, stale.documentId)).toEqual(fresh);

    await transact(env.db, store.deleteWrites(key.dmpId, fresh, new Date('2026-12-01T00:00:00Z')));
    const deleted = (await store.get(key.dmpId, stale.documentId))!;
    expect(deleted).toMatchObject({ status: 'deleted', revision: 3 });
    expect((await getItem(keys.document(key.dmpId, stale.documentId)))?.deletedAt?.S).toBe('2026-12-01T00:00:00.000Z');
    // Even on the current revision, a deleted document stays deleted.
    expect(await refusal(transact(env.db, store.labelsWrites(key.dmpId, deleted, NO_LABELS, 'current')))).toEqual(['document']);
    expect(await refusal(transact(env.db, store.deleteWrites(key.dmpId, deleted, new Date())))).toEqual(['document']);
    expect(await refusal(transact(env.db, store.supersedeWrites(key.dmpId, deleted, deleted.labels)))).toEqual(['previous']);
  });

  it('supersedeWrites refuses a second supersede of the version it read; the refused version is not committed', async () => {
    const key = await recordKey('supersede');
    const v1 = await depositDoc(key, newDoc());
    const v2doc = newDoc({ version: 2, setId: v1.setId, replaces: v1.documentId });
    const v2 = await depositDoc(key, v2doc, store.supersedeWrites(key.dmpId, v1, NO_LABELS));
    expect(v2).toMatchObject({ version: 2, setId: v1.documentId, replaces: v1.documentId, status: 'current' });
    expect((await store.get(key.dmpId, v1.documentId))?.status).toBe('superseded');

    const other = newDoc({ version: 2, setId: v1.setId, replaces: v1.documentId });
    const staged = await store.stageChunks(key, other, other.depositedAt);
    const labels = await refusal(transact(env.db, [...store.commitWrites(key, other, staged, []), ...store.supersedeWrites(key.dmpId, v1, NO_LABELS)]));
    expect(labels).toEqual(['previous']);
    expect(await store.get(key.dmpId, other.documentId)).toBeUndefined();
    expect(await getItem(keys.chunk(key.dmpId, other.documentId, 0))).toBeUndefined();
  });

  it('of two new versions racing on one document, exactly one commits', async () => {
    const key = await recordKey('race');
    const v1 = await depositDoc(key, newDoc());
    const contenders = Array.from({ length: 6 }, () => newDoc({ version: 2, setId: v1.setId, replaces: v1.documentId }));
    const results = await Promise.allSettled(
      contenders.map(async (d) => {
        const staged = await store.stageChunks(key, d, d.depositedAt);
        await transact(env.db, [...store.commitWrites(key, d, staged, []), ...store.supersedeWrites(key.dmpId, v1, NO_LABELS)]);
      }),
    );
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    for (const r of results) if (r.status === 'rejected') expect(r.reason).toBeInstanceOf(ConditionsRefused);
    const current = (await store.page(key.dmpId, undefined)).items.filter((d) => d.status === 'current');
    expect(current).toHaveLength(1);
    expect(current[0]!.replaces).toBe(v1.documentId);
  });
  it('a uniqueId is claimed once per record: a second deposit with it is refused in that record, accepted in another', async () => {
    const a = await recordKey('uid-a');
    const b = await recordKey('uid-b');
    const uniqueId = '1.2.250.1.213.1.1.9^CanaryUid42';
    const first = await depositDoc(a, newDoc({ uniqueId }));
    const again = newDoc({ uniqueId });
    const staged = await store.stageChunks(a, again, again.depositedAt);
    expect(await refusal(transact(env.db, store.commitWrites(a, again, staged, [])))).toEqual(['unique-id']);
    expect(await store.get(a.dmpId, again.documentId)).toBeUndefined();
    expect((await store.page(a.dmpId, undefined)).items.map((d) => d.documentId)).toEqual([first.documentId]);

    await depositDoc(b, newDoc({ uniqueId }));
    // The claims are keyed per record and hold no clear uniqueId.
    const claimA = await partition(a.dmpId, 'DOCUID#');
    const claimB = await partition(b.dmpId, 'DOCUID#');
    expect(claimA).toHaveLength(1);
    expect(claimB).toHaveLength(1);
    expect(claimA[0]!.sk!.S).not.toBe(claimB[0]!.sk!.S);
    expect(JSON.stringify([claimA, claimB])).not.toContain('CanaryUid42');
    expect(claimA[0]!.documentId?.S).toBe(first.documentId);
    // Another uniqueId in the same record is fine.
    await depositDoc(a, newDoc({ uniqueId: `${uniqueId}.2` }));
  });
});

describe('labels and deletion are every version’s', () => {
  const masked = { ...NO_LABELS, maskedToProfessionals: true };
  const hidden = { ...NO_LABELS, invisibleToPatient: true };
  /** A new version of `previous`, as the deposit writes it: it takes `labels`, and so do the versions before it. */
  const newVersion = async (key: DataKey, previous: StoredDocument, labels = previous.labels, extra: Partial<NewDocument> = {}) =>
    depositDoc(
      key,
      newDoc({ version: previous.version + 1, setId: previous.setId, replaces: previous.documentId, earlier: [...previous.earlier, previous.documentId], labels, ...extra }),
      store.supersedeWrites(key.dmpId, previous, labels),
    );
  const versions = async (dmpId: string, ...docs: StoredDocument[]) => Promise.all(docs.map(async (d) => (await store.get(dmpId, d.documentId))!));

  it('a new version knows the versions before it; its labels become theirs, and only it waits in the visibility queue', async () => {
    const key = await recordKey('set-deposit');
    const at = new Date((tick += 1000));
    const v1 = await depositDoc(key, newDoc({ labels: hidden, visibilityStep: { step: 'notice', at } }));
    expect(v1.earlier).toEqual([]);
    expect((await getItem(keys.document(key.dmpId, v1.documentId)))?.gsi1pk).toBeDefined();
    const v2 = await newVersion(key, v1, hidden, { visibilityStep: { step: 'notice', at } });
    expect(v2.earlier).toEqual([v1.documentId]);
    expect((await getItem(keys.document(key.dmpId, v1.documentId)))?.gsi1pk).toBeUndefined();
    expect((await getItem(keys.document(key.dmpId, v2.documentId)))?.gsi1pk).toBeDefined();
    const v3 = await newVersion(key, v2, masked);
    expect([...v3.earlier].sort()).toEqual([v1.documentId, v2.documentId].sort());
    const [s1, s2] = await versions(key.dmpId, v1, v2);
    expect([s1?.labels, s2?.labels]).toEqual([masked, masked]);
    expect([s1?.status, s2?.status]).toEqual(['superseded', 'superseded']);
    expect((await getItem(keys.document(key.dmpId, v2.documentId)))?.gsi1pk).toBeUndefined();
  });

  it('a label change, the reveal and the deletion of the current version write every version; on a stale revision, none', async () => {
    const key = await recordKey('set-change');
    const v1 = await depositDoc(key, newDoc());
    const v2 = await newVersion(key, v1);
    const v3 = await newVersion(key, v2, hidden);
    expect(await refusal(transact(env.db, store.labelsWrites(key.dmpId, v2, masked, 'superseded')))).toEqual(['document']);

    await transact(env.db, store.revealWrites(key.dmpId, v3));
    const revealed = await versions(key.dmpId, v1, v2, v3);
    expect(revealed.map((d) => d.labels)).toEqual([NO_LABELS, NO_LABELS, NO_LABELS]);

    const current = revealed[2]!;
    await transact(env.db, store.labelsWrites(key.dmpId, current, masked, 'archived'));
    expect((await versions(key.dmpId, v1, v2, v3)).map((d) => [d.labels, d.status])).toEqual([
      [masked, 'superseded'],
      [masked, 'superseded'],
      [masked, 'archived'],
    ]);
    // The revision that was read is stale now: nothing is written, on any version.
    const before = await versions(key.dmpId, v1, v2, v3);
    expect(await refusal(transact(env.db, store.deleteWrites(key.dmpId, current, new Date())))).toEqual(['document']);
    expect(await versions(key.dmpId, v1, v2, v3)).toEqual(before);

    await transact(env.db, store.deleteWrites(key.dmpId, before[2]!, new Date('2026-12-01T00:00:00Z')));
    expect((await versions(key.dmpId, v1, v2, v3)).map((d) => d.status)).toEqual(['deleted', 'deleted', 'deleted']);
    expect((await getItem(keys.document(key.dmpId, v1.documentId)))?.deletedAt?.S).toBe('2026-12-01T00:00:00.000Z');
  });

  it('every change of status or labels marks the version it is made on (DOCCHANGED#), in its own transaction; a deposit, the visibility step and a refused change mark nothing', async () => {
    const key = await recordKey('set-marks');
    const marks = async () => (await partition(key.dmpId, 'DOCCHANGED#')).map((i) => i.sk?.S).sort();
    const mark = (d: StoredDocument) => `DOCCHANGED#${d.documentId}`;
    const relabelled = await depositDoc(key, newDoc());
    const replaced = await depositDoc(key, newDoc());
    const announced = await depositDoc(key, newDoc({ labels: hidden, visibilityStep: { step: 'notice', at: new Date((tick += 1000)) } }));
    const deleted = await depositDoc(key, newDoc());
    const refused = await depositDoc(key, newDoc());
    expect(await marks()).toEqual([]);

    await transact(env.db, store.labelsWrites(key.dmpId, relabelled, masked, 'current'));
    const replacing = await newVersion(key, replaced);
    await transact(env.db, [store.nextVisibilityStepWrite(key.dmpId, announced, new Date((tick += 1000)))]);
    expect(await marks()).toEqual([mark(relabelled), mark(replaced)].sort());

    await transact(env.db, store.revealWrites(key.dmpId, (await store.get(key.dmpId, announced.documentId))!));
    await transact(env.db, store.deleteWrites(key.dmpId, deleted, new Date()));
    await transact(env.db, store.labelsWrites(key.dmpId, refused, masked, 'current'));
    const before = await marks();
    expect(before).toEqual([mark(relabelled), mark(replaced), mark(announced), mark(deleted), mark(refused)].sort());
    // The new version is unchanged since its deposit: unmarked.
    expect(before).not.toContain(mark(replacing));
    // A change on a stale revision writes nothing, its mark included.
    const other = await depositDoc(key, newDoc());
    await transact(env.db, store.labelsWrites(key.dmpId, other, masked, 'current'));
    await deleteItem(keys.documentChanged(key.dmpId, other.documentId));
    expect(await refusal(transact(env.db, store.labelsWrites(key.dmpId, other, hidden, 'current')))).toEqual(['document']);
    expect(await marks()).toEqual(before);
  });

  it('an earlier version that is not of the same document (or is gone) refuses the change', async () => {
    const key = await recordKey('set-foreign');
    const other = await depositDoc(key, newDoc());
    const v1 = await depositDoc(key, newDoc());
    const forged = { ...v1, earlier: [other.documentId] };
    expect(await refusal(transact(env.db, store.labelsWrites(key.dmpId, forged, masked, 'current')))).toEqual(['earlier']);
    expect(await refusal(transact(env.db, store.deleteWrites(key.dmpId, { ...v1, earlier: [newDoc().documentId] }, new Date())))).toEqual(['earlier']);
    expect((await store.get(key.dmpId, other.documentId))?.labels).toEqual(NO_LABELS);
    expect((await store.get(key.dmpId, v1.documentId))?.status).toBe('current');
  });
});

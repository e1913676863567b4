/**
 * Documents: deposit (and new versions), list, read, labels and archive, logical deletion. Every
 * decision is the access policy's; every action is traced in its own transaction, and a read is
 * traced before its content leaves.
 */
import type { Write } from '#domain/ports';
import type { OpenedDocument, StoredDocument } from '#domain/documents';
import { titleToken } from './store.ts';
import type { DataKey } from '#domain/ports';
import {
  decideDeposit,
  decideDocumentChange,
  decideDocumentDelete,
  decideDocumentListing,
  decideReplace,
  inheritedLabels,
  documentReader,
  type DocumentLabels,
} from '#domain/access-policy';
import { actorRef } from '#domain/actor';
import { MAX_CONTENT_BYTES, MAX_VERSIONS, NO_LABELS, chunkCount, decodeBase64, newDocumentId, noticeAt, searchWords } from '#domain/documents';
import { refuse, ConditionsRefused } from '#domain/errors';
import { documentType } from '#domain/reference-data';
import { withDocuments, type DocumentDeps } from './deps.ts';
import { HttpProblem } from '#platform/problem';
import { defineCapability, type Call, type HandlerOf } from '#http/define-capability';
import { canonicalJson } from '#http/canonical';
import { denied } from '#http/denial';
import { accessRecord, commitGuarded, guardRefused, refusedOn, replayed, traceRead, traceWrite, type RecordAccess, type Subject, type TraceDetails } from '../common.ts';
import { DOCUMENTS, type DOCUMENTS_ROUTES } from './routes.ts';

type Handler<Id extends (typeof DOCUMENTS_ROUTES)[number]['id']> = HandlerOf<typeof DOCUMENTS_ROUTES, Id, DocumentDeps>;

/** The document's id hidden from the patient's (and representatives') log while the document is hidden from them. */
const hiddenFrom = (labels: DocumentLabels): TraceDetails['hiddenFrom'] =>
  labels.invisibleToPatient ? 'patient' : labels.invisibleToRepresentatives ? 'representatives' : undefined;

const traceDetails = (mode: TraceDetails['mode'], documentId: string, labels: DocumentLabels): TraceDetails => {
  const hidden = hiddenFrom(labels);
  return { mode, documentId, ...(hidden ? { hiddenFrom: hidden } : {}) };
};

const authorOf = (call: Call): OpenedDocument['author'] => {
  const a = call.actor;
  if (a.kind === 'professional') return { kind: 'professional', id: a.id, profession: a.profession };
  if (a.kind === 'patient') return { kind: 'patient', id: a.dmpId };
  if (a.kind === 'representative') return { kind: 'representative', id: a.loginId };
  throw new Error('only professionals and record holders deposit');
};

const depositDocument: Handler<'depositDocument'> = async (call, deps) => {
  const { dmpId } = call.params;
  const body = call.body;
  const type = documentType(body.typeCode);
  if (!type) refuse('refused', 'unknown-type-code', 'The type code is not one of the accepted document types.');
  const content = decodeBase64(body.content);
  if (!content) throw new HttpProblem(400, 'The content is not valid base64.', { errors: [{ path: 'body.content', message: 'not base64 (RFC 4648, with padding)' }] });
  if (content.length > MAX_CONTENT_BYTES) refuse('too-large', 'content-too-large', `The content may hold at most ${MAX_CONTENT_BYTES} bytes once decoded.`);
  const labels: DocumentLabels = { ...NO_LABELS, ...body.visibility };

  const decide = ({ record, standing }: Subject, now: Date) => decideDeposit(call.actor, record, standing, type!.classCode, labels, now);
  // The version it replaces is read beside the record (one round trip), and used only once both decisions allow.
  const [opened, stored] = await Promise.all([
    accessRecord(deps, call, dmpId, decide, { action: 'document.deposit' }),
    body.replaces ? deps.documents.get(dmpId, body.replaces) : undefined,
  ]);
  const { record, standing } = opened;
  const now = deps.clock.now();
  // The policy weighs the version it replaces on its facts, opened with the record's key.
  const previous = stored && deps.documents.openDocument(await opened.key(), stored);
  if (body.replaces) {
    // Missing, deleted or hidden from the caller: the policy gives the one same answer.
    const replace = decideReplace(call.actor, record, standing, previous, now, deps.matrix, labels);
    if (!replace.allow) return denied(replace);
    if (previous && previous.version >= MAX_VERSIONS) refuse('conflict', 'too-many-versions', `A document has at most ${MAX_VERSIONS} versions.`);
  }

  const scope = `${actorRef(call.actor)}:${dmpId}`;
  const idem = call.idempotencyKey ? { key: call.idempotencyKey, hash: await deps.hasher.hash('idempotency', canonicalJson(['depositDocument', scope, body])) } : undefined;
  if (idem) {
    const replay = await replayed(deps, scope, idem.key, idem.hash);
    if (replay) return replay;
  }

  const key = await opened.key();
  const documentId = newDocumentId(now, (n) => deps.random.bytes(n));
  const version = previous ? previous.version + 1 : 1;
  const finalLabels = previous ? inheritedLabels(previous, labels) : labels;
  const doc = {
    documentId,
    version,
    setId: previous?.setId ?? documentId,
    replaces: previous?.documentId,
    earlier: previous ? [...previous.earlier, previous.documentId] : [],
    typeCode: body.typeCode,
    classCode: type!.classCode,
    title: body.title,
    serviceDate: body.serviceDate,
    depositedAt: now,
    contentType: body.contentType,
    content,
    author: authorOf(call),
    labels: finalLabels,
    uniqueId: body.uniqueId,
    visibilityStep: finalLabels.invisibleToPatient ? { step: 'notice' as const, at: noticeAt(now) } : undefined,
  };
  const response = { documentId, version, status: 'current' as const };
  const staged = await deps.documents.stageChunks(key, doc, now);
  const writes: Write[] = [
    ...deps.documents.commitWrites(key, doc, staged, searchWords(body.title)),
    traceWrite(deps, call, dmpId, 'document.deposit', now, traceDetails('normal', documentId, finalLabels)),
    // The new version's labels become the document's: every earlier version takes them.
    ...(previous ? deps.documents.supersedeWrites(dmpId, previous, finalLabels) : []),
    ...(idem ? [deps.idempotency.put(scope, idem.key, idem.hash, key, { status: 201, body: response }, now)] : []),
    // Committed only if the record is still active and the author not blocked: a closure or a block that lands first wins.
    ...opened.guards(),
  ];
  try {
    await deps.transactions.commit(writes);
  } catch (error) {
    if (!(error instanceof ConditionsRefused)) throw error;
    // Refused, the deposit must leave nothing: what it staged goes now (else the uploads job's).
    if (chunkCount(content.length) > 1) {
      await deps.documents.discardStaged(dmpId, documentId, chunkCount(content.length)).catch((e: unknown) => {
        deps.logger.warn('staged chunks left to the uploads job', { errorName: (e as Error).name });
      });
    }
    if (idem && error.labels.has('idempotency')) {
      const replay = await replayed(deps, scope, idem.key, idem.hash);
      if (replay) return replay;
    }
    if (guardRefused(error)) await opened.redecide(decide);
    if (error.labels.has('unique-id')) refuse('conflict', 'document-exists', 'A document with this uniqueId was already deposited in this record.');
    if (error.labels.has('previous') || error.labels.has('earlier')) refuse('conflict', 'state-changed', 'The document to replace changed meanwhile (replaced or deleted).');
    throw error;
  }
  deps.metrics?.count('DocumentsDeposited', {});
  return { status: 201, body: response };
};

/** A document as /v1 shows it (its listing's item, a read's without the content); FHIR's DocumentReference is made of it too. */
export const metaView = (key: DataKey | undefined, deps: DocumentDeps, doc: OpenedDocument) => ({
  documentId: doc.documentId,
  version: doc.version,
  typeCode: doc.typeCode,
  classCode: doc.classCode,
  title: key ? deps.documents.openTitle(key, doc) : '',
  serviceDate: doc.serviceDate,
  depositedAt: doc.depositedAt,
  author: { kind: doc.author.kind, id: doc.author.id, ...(doc.author.profession ? { profession: doc.author.profession } : {}) },
  status: doc.status as 'current' | 'archived' | 'superseded',
  visibility: { ...doc.labels },
  size: doc.size,
  contentType: doc.contentType,
  ...(doc.replaces ? { replaces: doc.replaces } : {}),
});

/** Query pages one listing reads at most: one in the common case, more only past documents the caller does not see. */
const MAX_LISTING_QUERIES = 8;

const listDocuments: Handler<'listDocuments'> = async (call, deps) => {
  const { dmpId } = call.params;
  const query = call.query;
  const limit = query.limit ? Number(query.limit) : 50;
  // The page is read beside the record (one round trip); nothing of it is used unless the listing is allowed.
  const [opened, page] = await Promise.all([
    accessRecord(deps, call, dmpId, ({ record, standing }, now) => decideDocumentListing(call.actor, record, standing, now), { action: 'document.list' }),
    deps.documents.page(dmpId, query.cursor),
  ]);
  const { record, standing, decision } = opened;
  const reader = documentReader(call.actor, record, standing, deps.clock.now(), deps.matrix);

  const key = await opened.key();
  const wanted = query.q ? searchWords(query.q).map((w) => titleToken(key, w)) : [];
  const statusOk = (s: string) => (query.status === 'all' ? s !== 'deleted' : s === (query.status ?? 'current'));
  // The clear attributes' filters first; then the document's sealed facts are opened (a few
  // microseconds), and the type filter and the policy weigh them.
  const shown = (stored: StoredDocument): OpenedDocument | undefined => {
    if (!statusOk(stored.status)) return undefined;
    if (query.since && stored.depositedAt.slice(0, 10) < query.since) return undefined;
    if (wanted.some((t) => !stored.titleTokens.has(t))) return undefined;
    const doc = deps.documents.openDocument(key, stored);
    if (query.typeCode && doc.typeCode !== query.typeCode) return undefined;
    return reader(doc).allow ? doc : undefined;
  };
  // A cursor only when one more document the caller sees follows the page: the page read goes on
  // past `limit` for it (in memory), and into the next Query pages (bounded) only when the one read
  // was cut short. The caller can tell nothing of the documents it does not see.
  const visible: OpenedDocument[] = [];
  let current = page;
  let pages = 1;
  let nextCursor: string | null = null;
  for (;;) {
    let following = false;
    for (const item of current.items) {
      const doc = shown(item);
      if (!doc) continue;
      if (visible.length === limit) {
        following = true;
        break;
      }
      visible.push(doc);
    }
    const lastShown = visible.at(-1);
    if (following && lastShown) {
      nextCursor = deps.documents.cursorAt(lastShown.documentId);
      break;
    }
    const lastRead = current.items.at(-1);
    if (!current.more || !lastRead) break;
    if (pages === MAX_LISTING_QUERIES) {
      nextCursor = deps.documents.cursorAt(lastRead.documentId);
      break;
    }
    current = await deps.documents.page(dmpId, deps.documents.cursorAt(lastRead.documentId));
    pages++;
  }
  await traceRead(deps, call, dmpId, 'document.list', { mode: decision.mode }, opened);
  return {
    status: 200,
    body: { items: visible.map((d) => metaView(key, deps, d)), nextCursor },
  };
};

/** The record opened for a document, the document, and the policy's decision to show it to the caller; 404 when it is absent or hidden. */
const visibleDocument = async (
  call: Call & { params: { dmpId: string; documentId: string } },
  deps: DocumentDeps,
  action: 'document.read' | 'document.update' | 'document.delete',
): Promise<{ opened: RecordAccess; doc: OpenedDocument; mode: TraceDetails['mode'] }> => {
  const { dmpId, documentId } = call.params;
  // The document is read beside the record (one round trip); it is returned only if the policy shows it.
  const [opened, stored] = await Promise.all([
    accessRecord(deps, call, dmpId, ({ record, standing }, now) => decideDocumentListing(call.actor, record, standing, now), { action }),
    deps.documents.get(dmpId, documentId),
  ]);
  // An absent document is no refusal of the policy: nothing to trace.
  if (!stored) throw new HttpProblem(404, 'No such document.', { code: 'not-found' });
  // The policy weighs the document's facts of care: opened first, with the record's key.
  const doc = deps.documents.openDocument(await opened.key(), stored);
  const decision = documentReader(call.actor, opened.record, opened.standing, deps.clock.now(), deps.matrix)(doc);
  // A document the policy hides from the professional: the refusal is traced with the document's
  // id, hidden in the log from whom the document is hidden (as the traces of its accesses are).
  if (!decision.allow) return refusedOn(deps, call, dmpId, action, decision, traceDetails('normal', doc.documentId, doc.labels));
  return { opened, doc, mode: decision.mode };
};

const readDocument: Handler<'readDocument'> = async (call, deps) => {
  const { opened, doc, mode } = await visibleDocument(call, deps, 'document.read');
  const key = await opened.key();
  const [content] = await Promise.all([
    deps.documents.readContent(key, doc),
    traceRead(deps, call, opened.record.dmpId, 'document.read', traceDetails(mode, doc.documentId, doc.labels), opened),
  ]);
  return { status: 200, body: { ...metaView(key, deps, doc), content: content.toString('base64') } };
};

const updateDocument: Handler<'updateDocument'> = async (call, deps) => {
  const change = call.body;
  const { opened, doc } = await visibleDocument(call, deps, 'document.update');
  const { record, standing } = opened;
  const now = deps.clock.now();
  const decide = (s: Subject, at: Date) => decideDocumentChange(call.actor, s.record, s.standing, doc, change, at, deps.matrix);
  const decision = decide({ record, standing }, now);
  if (!decision.allow) return refusedOn(deps, call, record.dmpId, 'document.update', decision, traceDetails('normal', doc.documentId, doc.labels));
  const labels: DocumentLabels = {
    maskedToProfessionals: change.maskedToProfessionals ?? doc.labels.maskedToProfessionals,
    invisibleToPatient: change.invisibleToPatient ?? doc.labels.invisibleToPatient,
    // Revealed to representatives for good: nothing sets it back.
    invisibleToRepresentatives: change.visibleToRepresentatives ? false : doc.labels.invisibleToRepresentatives,
  };
  const status = change.archived === undefined || doc.status === 'superseded' ? doc.status : change.archived ? 'archived' : 'current';
  await commitGuarded(
    deps,
    opened,
    [
      ...deps.documents.labelsWrites(record.dmpId, doc, labels, status),
      // The trace hides the id from whom the document was hidden before this change.
      traceWrite(deps, call, record.dmpId, 'document.update', now, traceDetails(decision.mode, doc.documentId, doc.labels)),
    ],
    decide,
    'The document changed meanwhile: read it again and retry.',
  );
  return { status: 200, body: metaView(await opened.key(), deps, { ...doc, labels, status }) };
};

const deleteDocument: Handler<'deleteDocument'> = async (call, deps) => {
  const { opened, doc } = await visibleDocument(call, deps, 'document.delete');
  const { record, standing } = opened;
  const now = deps.clock.now();
  const decide = (s: Subject, at: Date) => decideDocumentDelete(call.actor, s.record, s.standing, doc, at, deps.matrix);
  const decision = decide({ record, standing }, now);
  if (!decision.allow) return refusedOn(deps, call, record.dmpId, 'document.delete', decision, traceDetails('normal', doc.documentId, doc.labels));
  await commitGuarded(
    deps,
    opened,
    [...deps.documents.deleteWrites(record.dmpId, doc, now), traceWrite(deps, call, record.dmpId, 'document.delete', now, traceDetails(decision.mode, doc.documentId, doc.labels))],
    decide,
    'The document changed meanwhile: read it again and retry.',
  );
  return { status: 204 };
};

export const capability = defineCapability<DocumentDeps>()(DOCUMENTS, { depositDocument, listDocuments, readDocument, updateDocument, deleteDocument }, withDocuments);

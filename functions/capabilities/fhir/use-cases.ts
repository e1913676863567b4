/**
 * The FHIR R4 interface: a view over the records and the documents, never a second store.
 *
 * - Patient read: the record opened by the access policy's decision on reading a record (as GET
 *   /v1/records/{dmpId}), traced as `record.read` before the identity leaves.
 * - DocumentReference search and read, Binary read, DocumentReference create: answered by the
 *   documents capability's own use cases (listDocuments, readDocument, depositDocument) called
 *   with the /v1 request they stand for, so that access decisions, refusal traces, read traces,
 *   encryption, idempotency and the deposit's checks are the very same; this module only maps
 *   FHIR to /v1 and back (resources.ts).
 * - DocumentReference search by words (`_content`, `_text`): the keyword search's reader
 *   (search/reader.ts, the same decisions, weighing and trace as GET …/search), its documents
 *   shown as the plain search shows them.
 * - Patient/$everything: the Patient, every document the caller sees (the listing, page after
 *   page) and the health data's resources (clinical.ts), each only where the token's SMART scopes
 *   cover its type, as a searchset Bundle paged by _offset and _count.
 *
 * Errors are thrown as on /v1 (HttpProblem, RuleViolation); the pipeline answers them as
 * OperationOutcome on every /fhir route.
 */
import type { Resource } from '@medplum/fhirtypes';
import * as z from 'zod/mini';
import { openRecord } from '#adapters/record-sealing';
import { decideDocumentListing, decideRecordRead, documentReader } from '#domain/access-policy';
import { searchsetBundle } from '#domain/fhir/bundle';
import { dmpIdOf, dmpIdOfReference, documentOf, documentResourceId } from '#domain/fhir/ids';
import { parseScopes, scopeCovers } from '#domain/fhir/scopes';
import { defineCapability, type Call, type HandlerOf } from '#http/define-capability';
import { HttpProblem } from '#platform/problem';
import { accessRecord, traceRead } from '../common.ts';
import { capability as documents, metaView } from '../documents/use-cases.ts';
import { searchRecord } from '../search/reader.ts';
import { joinedWords } from '../search/schemas.ts';
import { DepositBody, Deposited, DocumentList, DocumentWithContent } from '../documents/schemas.ts';
import { ROUTES } from '../index.ts';
import { clinicalResources } from './clinical.ts';
import { type FhirDeps, withFhir } from './deps.ts';
import { capabilityStatement } from './metadata.ts';
import { binaryResource, depositOf, documentReference, patientResource, type DocumentView } from './resources.ts';
import { FHIR_CAPABILITY, type FHIR_ROUTES } from './routes.ts';

type Handler<Id extends (typeof FHIR_ROUTES)[number]['id']> = HandlerOf<typeof FHIR_ROUTES, Id, FhirDeps>;

/** The FHIR part of a call (the pipeline sets it on every /fhir route). */
const fhirOf = (call: Call): NonNullable<Call['fhir']> => call.fhir ?? { scopes: parseScopes(undefined), baseUrl: '/fhir' };

const noSuch = (type: string): never => {
  throw new HttpProblem(404, `No such ${type}.`, { code: 'not-found' });
};

/** A use case of the documents capability, by its route id. */
const documentsUseCase = (id: 'listDocuments' | 'readDocument' | 'depositDocument') => {
  const useCase = documents.routes[id];
  if (!useCase) throw new Error(`the documents capability has no use case ${id}`);
  return useCase;
};

/** A documents use case, answering the /v1 request that a FHIR request stands for. */
const asV1 = (call: Call, params: Record<string, string>, query: Record<string, string | undefined> = {}, body?: unknown): Call => ({
  ...call,
  params,
  query: Object.fromEntries(Object.entries(query).filter(([, v]) => v !== undefined)),
  body,
});

const fhirMetadata: Handler<'fhirMetadata'> = async (call) => ({ status: 200, body: capabilityStatement(ROUTES, fhirOf(call).baseUrl) });

/** The record's Patient, opened as GET /v1/records/{dmpId} opens it, and traced before it leaves. */
const patientOf = async (deps: FhirDeps, call: Call, dmpId: string): Promise<Resource> => {
  const opened = await accessRecord(deps, call, dmpId, ({ record, standing }, now) => decideRecordRead(call.actor, record, standing, now), { action: 'record.read' });
  const key = await opened.key();
  await traceRead(deps, call, dmpId, 'record.read', { mode: opened.decision.mode }, opened);
  return patientResource(dmpId, opened.record.status === 'active', openRecord(key, opened.record).identity);
};

const fhirReadPatient: Handler<'fhirReadPatient'> = async (call, deps) => {
  const dmpId = dmpIdOf(call.params.id) ?? noSuch('Patient');
  return { status: 200, body: await patientOf(deps, call, dmpId) };
};

/** One page of the record's documents the caller sees, as GET /v1/records/{dmpId}/documents answers it. */
const documentPage = async (deps: FhirDeps, call: Call, dmpId: string, query: Record<string, string | undefined>) => {
  const reply = await documentsUseCase('listDocuments')(asV1(call, { dmpId }, query), deps);
  return z.parse(DocumentList, reply.body);
};

/** The Listing pages $everything reads at most (100 documents each). */
const MAX_EVERYTHING_PAGES = 50;

const allDocuments = async (deps: FhirDeps, call: Call, dmpId: string): Promise<DocumentView[]> => {
  const all: DocumentView[] = [];
  let cursor: string | undefined;
  for (let page = 0; page < MAX_EVERYTHING_PAGES; page++) {
    const list = await documentPage(deps, call, dmpId, { limit: '100', cursor });
    all.push(...list.items);
    if (list.nextCursor === null) return all;
    cursor = list.nextCursor;
  }
  throw new HttpProblem(422, `The record holds more documents than $everything exports (${MAX_EVERYTHING_PAGES * 100}): search DocumentReference instead.`, {
    code: 'too-many-documents',
  });
};

const fhirPatientEverything: Handler<'fhirPatientEverything'> = async (call, deps) => {
  const dmpId = dmpIdOf(call.params.id) ?? noSuch('Patient');
  const { scopes, baseUrl } = fhirOf(call);
  const readable = (type: string) => scopeCovers(scopes, type, 'read');
  // The parts are read side by side; each decides (and traces) its own access as its own read would.
  const [patient, docs, clinical] = await Promise.all([
    patientOf(deps, call, dmpId),
    readable('DocumentReference') ? allDocuments(deps, call, dmpId) : Promise.resolve([]),
    clinicalResources(deps, call, dmpId),
  ]);
  const resources: Resource[] = [patient, ...docs.map((d) => documentReference(baseUrl, dmpId, d)), ...clinical.filter((r) => readable(r.resourceType))];
  const count = Number(call.query._count ?? 50);
  const offset = Number(call.query._offset ?? 0);
  const next = offset + count < resources.length ? String(offset + count) : undefined;
  return {
    status: 200,
    body: searchsetBundle({
      baseUrl,
      path: `Patient/${call.params.id}/$everything`,
      query: { _count: call.query._count, _offset: call.query._offset },
      pageParam: '_offset',
      next,
      matches: resources.slice(offset, offset + count),
      total: resources.length,
    }),
  };
};

type DocumentSearchQuery = Parameters<Handler<'fhirSearchDocumentReference'>>[0]['query'];

/**
 * DocumentReference search by words (`_content`, `_text`: a DocumentReference's narrative is its
 * document, so the same words; both given, every word of both): the record's keyword search, kind document. It opens the record
 * as a listing does (a refusal traced), weighs each document found under the policy as it is now
 * (matrix, the patient's mask, labels) and traces the search (`record.keyword-search`) before
 * anything is returned. Its page's documents are then read (their metadata, one BatchGetItem) and
 * shown as the plain search shows them, in the search's order (newest first), each weighed again
 * under the policy; the other parameters filter them as they filter the plain search: `status`
 * current (the default: an archived document is left out, as the plain search leaves it out;
 * superseded is refused by the schema, the words being found in current documents), `type`,
 * `date` (deposited on or after). A page may thus hold fewer than `_count` documents: the `next`
 * link carries the search's cursor.
 */
const documentsByWords = async (
  deps: FhirDeps,
  call: Call,
  dmpId: string,
  q: DocumentSearchQuery,
  text: string,
): Promise<{ matches: DocumentView[]; next: string | undefined }> => {
  const page = await searchRecord(deps, call, dmpId, { q: text, kinds: ['document'], limit: Number(q._count ?? 50), cursor: q._cursor });
  if (page.items.length === 0) return { matches: [], next: page.nextCursor ?? undefined };
  // The search decided and traced the access; the record is opened again (by the same decision) for its key.
  const found = page.items.map((hit) => hit.id);
  const [opened, stored] = await Promise.all([
    accessRecord(deps, call, dmpId, ({ record, standing }, now) => decideDocumentListing(call.actor, record, standing, now), { action: 'record.keyword-search' }),
    deps.documents.getMany(dmpId, found),
  ]);
  const key = await opened.key();
  const reader = documentReader(call.actor, opened.record, opened.standing, deps.clock.now(), deps.matrix);
  const typeCode = q.type?.split('|').at(-1);
  const since = q.date?.slice('ge'.length);
  const matches: DocumentView[] = [];
  for (const documentId of found) {
    const current = stored.get(documentId);
    if (current?.status !== 'current' || (since && current.depositedAt.slice(0, 10) < since)) continue;
    const doc = deps.documents.openDocument(key, current);
    if ((typeCode && doc.typeCode !== typeCode) || !reader(doc).allow) continue;
    matches.push(metaView(key, deps, doc));
  }
  return { matches, next: page.nextCursor ?? undefined };
};

const fhirSearchDocumentReference: Handler<'fhirSearchDocumentReference'> = async (call, deps) => {
  const q = call.query;
  const dmpId = dmpIdOfReference(q.patient) ?? noSuch('Patient');
  const { baseUrl } = fhirOf(call);
  const text = joinedWords(q._content, q._text);
  if (text !== undefined) {
    const { matches, next } = await documentsByWords(deps, call, dmpId, q, text);
    return {
      status: 200,
      body: searchsetBundle({ baseUrl, path: 'DocumentReference', query: { ...q }, pageParam: '_cursor', next, matches: matches.map((d) => documentReference(baseUrl, dmpId, d)) }),
    };
  }
  const list = await documentPage(deps, call, dmpId, {
    // superseded versions are among `all` on /v1 (with archived documents): kept alone below.
    status: q.status === 'superseded' ? 'all' : 'current',
    typeCode: q.type?.split('|').at(-1),
    since: q.date?.slice('ge'.length),
    limit: q._count ?? '50',
    cursor: q._cursor,
  });
  const items = q.status === 'superseded' ? list.items.filter((d) => d.status === 'superseded') : list.items;
  return {
    status: 200,
    body: searchsetBundle({
      baseUrl,
      path: 'DocumentReference',
      query: { ...q },
      pageParam: '_cursor',
      next: list.nextCursor ?? undefined,
      matches: items.map((d) => documentReference(baseUrl, dmpId, d)),
    }),
  };
};

/** A document with its content, as GET /v1/records/{dmpId}/documents/{documentId} answers it (traced as a read). */
const documentWithContent = async (deps: FhirDeps, call: Call, id: string, type: string) => {
  const ref = documentOf(id) ?? noSuch(type);
  const reply = await documentsUseCase('readDocument')(asV1(call, { dmpId: ref.dmpId, documentId: ref.documentId }), deps);
  return { dmpId: ref.dmpId, doc: z.parse(DocumentWithContent, reply.body) };
};

const fhirReadDocumentReference: Handler<'fhirReadDocumentReference'> = async (call, deps) => {
  const { dmpId, doc } = await documentWithContent(deps, call, call.params.id, 'DocumentReference');
  const { content: _content, ...meta } = doc;
  return { status: 200, body: documentReference(fhirOf(call).baseUrl, dmpId, meta) };
};

const fhirReadBinary: Handler<'fhirReadBinary'> = async (call, deps) => {
  const { dmpId, doc } = await documentWithContent(deps, call, call.params.id, 'Binary');
  return { status: 200, body: binaryResource(dmpId, doc.documentId, doc.contentType, doc.content) };
};

const fhirCreateDocumentReference: Handler<'fhirCreateDocumentReference'> = async (call, deps) => {
  const resource = call.body;
  const deposit = depositOf(resource);
  if (!deposit.ok) throw new HttpProblem(400, 'The DocumentReference cannot be deposited.', { errors: [{ path: deposit.expression, message: deposit.message }] });
  // The deposit's own contract: what it refuses is refused here as on /v1.
  const body = z.safeParse(DepositBody, deposit.body);
  if (!body.success) {
    throw new HttpProblem(400, 'The DocumentReference cannot be deposited.', {
      errors: body.error.issues.map((i) => ({ path: `DocumentReference(${i.path.join('.')})`, message: i.message })),
    });
  }
  const reply = await documentsUseCase('depositDocument')(asV1(call, { dmpId: deposit.dmpId }, {}, body.data), deps);
  const created = z.parse(Deposited, reply.body);
  const { baseUrl } = fhirOf(call);
  const id = documentResourceId(deposit.dmpId, created.documentId);
  const [content] = resource.content;
  // The resource as deposited, its content now at its Binary (not echoed back).
  const answer = {
    ...resource,
    id,
    meta: { ...resource.meta, versionId: String(created.version) },
    content: content
      ? [{ attachment: { contentType: content.attachment.contentType, url: `${baseUrl}/Binary/${id}`, ...(content.attachment.title ? { title: content.attachment.title } : {}) } }]
      : [],
  };
  return {
    status: 201,
    body: answer,
    headers: { Location: `${baseUrl}/DocumentReference/${id}/_history/${created.version}`, ...(reply.headers ?? {}) },
  };
};

/** What no route serves: 404 for a resource type this server does not serve (any route of the manifest), 405 for another interaction on one it does. */
const unsupported = (type: string, interaction: string): never => {
  const served = ROUTES.some((r) => r.fhir?.type === type);
  if (served) throw new HttpProblem(405, `The ${interaction} interaction on ${type} is not served (see /fhir/metadata).`, { code: 'not-supported' });
  throw new HttpProblem(404, `No resources of type ${type} are served here (see /fhir/metadata).`, { code: 'not-supported' });
};

const fhirUnsupportedType: Handler<'fhirUnsupportedType'> = async (call) => unsupported(call.params.type, 'search');
const fhirUnsupportedCreate: Handler<'fhirUnsupportedCreate'> = async (call) => unsupported(call.params.type, 'create');
const fhirUnsupportedRead: Handler<'fhirUnsupportedRead'> = async (call) => unsupported(call.params.type, 'read');

export const capability = defineCapability<FhirDeps>()(
  FHIR_CAPABILITY,
  {
    fhirMetadata,
    fhirReadPatient,
    fhirPatientEverything,
    fhirSearchDocumentReference,
    fhirReadDocumentReference,
    fhirReadBinary,
    fhirCreateDocumentReference,
    fhirUnsupportedType,
    fhirUnsupportedCreate,
    fhirUnsupportedRead,
  },
  withFhir,
);

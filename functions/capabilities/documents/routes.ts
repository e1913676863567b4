/** The documents capability's part of the route manifest, and what its function needs (functions/capabilities/index.ts lists every capability). */
import { MAX_CONTENT_BASE64, MAX_VERSIONS } from '#domain/documents';
import type { CapabilityManifest } from '#http/capability';
import { KIB, type Route } from '#http/route';
import * as c from '#http/schemas';
import * as s from './schemas.ts';

export const DOCUMENTS_ROUTES = [
  {
    id: 'depositDocument',
    method: 'POST',
    path: '/v1/records/{dmpId}/documents',
    capability: 'documents',
    callers: ['professional', 'patient', 'representative'],
    summary: 'Deposit a document (or a new version of one), its content encrypted with the patient’s key',
    description: `A professional needs no authorization (but is refused when blocked); the patient and representatives deposit patient documents (class 90). Content: at most 4 MiB decoded (413 above). A document cannot be both invisible to the patient and masked to professionals. A new version keeps the patient’s mask, and its labels become the whole document’s, every earlier version’s; a document has at most ${MAX_VERSIONS} versions (409 beyond).`,
    params: c.RecordParams,
    body: s.DepositBody,
    idempotent: true,
    maxBodyBytes: MAX_CONTENT_BASE64 + 16 * KIB,
    responses: { 201: { description: 'Deposited', schema: s.Deposited } },
    errors: [404, 409, 413, 422],
  },
  {
    id: 'listDocuments',
    method: 'GET',
    path: '/v1/records/{dmpId}/documents',
    capability: 'documents',
    callers: ['professional', 'patient', 'representative'],
    summary: 'The documents the caller may see, newest first',
    description:
      '`q` searches the words of titles (keyed tokens, never clear text). `status=all` adds archived documents and superseded versions; every version is shown or hidden by its document’s labels. A page may hold fewer than `limit` items: follow `nextCursor` until it is null.',
    params: c.RecordParams,
    query: s.DocumentQuery,
    responses: { 200: { description: 'Documents', schema: s.DocumentList } },
    errors: [404],
  },
  {
    id: 'readDocument',
    method: 'GET',
    path: '/v1/records/{dmpId}/documents/{documentId}',
    capability: 'documents',
    callers: ['professional', 'patient', 'representative'],
    summary: 'A document with its content (base64); every read is traced',
    params: s.DocumentParams,
    responses: { 200: { description: 'The document', schema: s.DocumentWithContent } },
    errors: [404],
  },
  {
    id: 'updateDocument',
    method: 'PATCH',
    path: '/v1/records/{dmpId}/documents/{documentId}',
    capability: 'documents',
    callers: ['professional', 'patient', 'representative'],
    summary: 'Mask or unmask (patient), reveal to the patient or to representatives (author), archive (author or patient)',
    description:
      'Labels are the whole document’s, every version’s: they change through its current version (409 on a superseded one). Revealing a document to representatives cannot be undone.',
    params: s.DocumentParams,
    body: s.DocumentPatch,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'The document now', schema: s.DocumentMeta } },
    errors: [404, 409, 422],
  },
  {
    id: 'deleteDocument',
    method: 'DELETE',
    path: '/v1/records/{dmpId}/documents/{documentId}',
    capability: 'documents',
    callers: ['professional', 'patient', 'representative'],
    summary: 'Delete a document (logical): by its author only; it leaves every list, its traces stay',
    description: 'Deletes the whole document, every version, through its current version (409 on a superseded one).',
    params: s.DocumentParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [404, 409],
  },
] as const satisfies readonly Route[];

/** The documents capability: its routes and what its function needs. */
export const DOCUMENTS = {
  name: 'documents',
  routes: DOCUMENTS_ROUTES,
  function: {
    description: 'DMP documents: deposit, list, read, labels, archive, delete (content encrypted in chunks)',
    // base64 and AES-GCM over contents of up to 4 MiB: more memory buys more CPU.
    memorySize: 1024,
    // A deposit puts its intent, writes its chunks in batches and commits with a transaction that
    // puts the metadata and deletes the intent while it is still 'uploading' (a transaction's
    // Delete is authorized as DeleteItem); reading a document gets its chunks in batches. Deleting
    // a document is an update of its metadata item.
    items: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'Query', 'BatchGetItem', 'BatchWriteItem'],
    dataKey: [
      { operations: ['Decrypt'], contexts: ['record', 'keyedIndex'] },
      // Only the keyed-hash secret (idempotency keys, uniqueIds), created on first start if
      // absent: never a record's data key, which only the records function creates.
      { operations: ['GenerateDataKey'], contexts: ['keyedIndex'] },
    ],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

/**
 * The FHIR R4 interface's part of the route manifest (capability `fhir`), and what its function
 * needs. A view over the records and documents: the same access policy, traces and encryption as
 * /v1, no store of its own. GET /fhir/metadata lists every /fhir route of the manifest (this
 * capability's and the others'), from their `fhir` declarations.
 */
import { MAX_CONTENT_BASE64 } from '#domain/documents';
import type { CapabilityManifest } from '#http/capability';
import { KIB, type Route } from '#http/route';
import * as s from './schemas.ts';

const FHIR = 'application/fhir+json';
const HOLDERS_AND_PROFESSIONALS = ['professional', 'patient', 'representative'] as const;

export const FHIR_ROUTES = [
  {
    id: 'fhirMetadata',
    method: 'GET',
    path: '/fhir/metadata',
    capability: 'fhir',
    // Anyone, with or without a token: FHIR clients read it before anything else.
    callers: ['anonymous', ...HOLDERS_AND_PROFESSIONALS],
    summary: 'FHIR R4 CapabilityStatement: exactly the resources, interactions and search parameters served under /fhir',
    responses: { 200: { description: 'CapabilityStatement', schema: s.CapabilityStatementOut, contentType: FHIR } },
    fhir: { type: 'CapabilityStatement', interaction: 'capabilities' },
  },
  {
    id: 'fhirReadPatient',
    method: 'GET',
    path: '/fhir/Patient/{id}',
    capability: 'fhir',
    callers: HOLDERS_AND_PROFESSIONALS,
    summary: 'FHIR Patient read: the record’s identity (id: the record’s dmpId, `_` written `.`); traced as a record read',
    params: s.IdParams,
    responses: { 200: { description: 'Patient', schema: s.PatientOut, contentType: FHIR } },
    errors: [404],
    fhir: { type: 'Patient', interaction: 'read' },
  },
  {
    id: 'fhirPatientEverything',
    method: 'GET',
    path: '/fhir/Patient/{id}/$everything',
    capability: 'fhir',
    callers: HOLDERS_AND_PROFESSIONALS,
    summary: 'FHIR Patient/$everything: every resource of the record the caller may see, as a paged searchset Bundle (_count, _offset)',
    description:
      'The Patient, then the documents (DocumentReference, newest first; their content as Binary/{id}), then the health data; only the resource types the token’s SMART scopes cover for reading. Each page is read anew: follow the `next` link.',
    params: s.IdParams,
    query: s.EverythingQuery,
    responses: { 200: { description: 'searchset Bundle', schema: s.BundleOut, contentType: FHIR } },
    errors: [404],
    fhir: { type: 'Patient', interaction: 'operation', operation: 'everything' },
  },
  {
    id: 'fhirSearchDocumentReference',
    method: 'GET',
    path: '/fhir/DocumentReference',
    capability: 'fhir',
    callers: HOLDERS_AND_PROFESSIONALS,
    summary: 'FHIR DocumentReference search (MHD ITI-67): the documents of one record the caller may see, newest first',
    description:
      '`patient` (required), `status` (current, the default, or superseded), `type` ([system|]code), `date` (ge<day>: deposited on or after), `_content` (words of the documents’ titles and text) and `_text` (the same: a DocumentReference’s narrative is its document; both given, every word of both), `_count` (1-100), `_cursor` (from the `next` link). Any other parameter is refused (400). With `_content` or `_text`: the record’s keyword search (traced as one), newest first; `type`, `date` and `status=current` filter what it finds, `status=superseded` is refused (400), and a page may hold fewer than `_count` documents: follow the `next` link.',
    query: s.DocumentSearch,
    responses: { 200: { description: 'searchset Bundle', schema: s.BundleOut, contentType: FHIR } },
    errors: [404],
    fhir: { type: 'DocumentReference', interaction: 'search-type', searchParams: s.DOCUMENT_SEARCH },
  },
  {
    id: 'fhirReadDocumentReference',
    method: 'GET',
    path: '/fhir/DocumentReference/{id}',
    capability: 'fhir',
    callers: HOLDERS_AND_PROFESSIONALS,
    summary: 'FHIR DocumentReference read: a document’s metadata, its content at Binary/{id}; traced as a document read',
    params: s.IdParams,
    responses: { 200: { description: 'DocumentReference', schema: s.DocumentReferenceOut, contentType: FHIR } },
    errors: [404],
    fhir: { type: 'DocumentReference', interaction: 'read' },
  },
  {
    id: 'fhirReadBinary',
    method: 'GET',
    path: '/fhir/Binary/{id}',
    capability: 'fhir',
    callers: HOLDERS_AND_PROFESSIONALS,
    summary: 'FHIR Binary read (MHD ITI-68): a document’s content (base64 `data`); traced as a document read',
    params: s.IdParams,
    responses: { 200: { description: 'Binary', schema: s.BinaryOut, contentType: FHIR } },
    errors: [404],
    fhir: { type: 'Binary', interaction: 'read' },
  },
  {
    id: 'fhirCreateDocumentReference',
    method: 'POST',
    path: '/fhir/DocumentReference',
    capability: 'fhir',
    callers: HOLDERS_AND_PROFESSIONALS,
    summary: 'FHIR DocumentReference create: deposit a document (its content base64 in content[0].attachment.data), as POST /v1/records/{dmpId}/documents',
    description:
      'subject: the record’s Patient; type: the document type (LOINC, or urn:dmp:document-type); description: the title; context.period.start: the day of care; relatesTo replaces: a new version; labels in meta.security or securityLabel (system urn:dmp:document-label: masked-to-professionals, invisible-to-patient, invisible-to-representatives). Idempotency-Key as on /v1.',
    body: s.DocumentReferenceBody,
    idempotent: true,
    maxBodyBytes: MAX_CONTENT_BASE64 + 16 * KIB,
    responses: { 201: { description: 'Created: the DocumentReference', schema: s.DocumentReferenceOut, contentType: FHIR } },
    errors: [404, 409, 413, 422],
    fhir: { type: 'DocumentReference', interaction: 'create' },
  },
  // What no route above serves, answered in FHIR (an OperationOutcome) rather than by the gateway:
  // a resource type this server does not serve is 404, another interaction on one it serves 405.
  // Behind the authorizer like every route that reads data: anonymous traffic stops at the gateway.
  {
    id: 'fhirUnsupportedType',
    method: 'GET',
    path: '/fhir/{type}',
    capability: 'fhir',
    callers: ['agent', ...HOLDERS_AND_PROFESSIONALS],
    summary: 'Any other FHIR search: 404 (resource type not served) or 405 (interaction not served), as an OperationOutcome',
    params: s.TypeParams,
    responses: {},
    errors: [404, 405],
  },
  {
    id: 'fhirUnsupportedCreate',
    method: 'POST',
    path: '/fhir/{type}',
    capability: 'fhir',
    callers: ['agent', ...HOLDERS_AND_PROFESSIONALS],
    summary: 'Any other FHIR create: 404 (resource type not served) or 405 (interaction not served), as an OperationOutcome',
    params: s.TypeParams,
    body: s.AnyResource,
    bodyOptional: true,
    maxBodyBytes: 64 * KIB,
    responses: {},
    errors: [404, 405, 413],
  },
  {
    id: 'fhirUnsupportedRead',
    method: 'GET',
    path: '/fhir/{type}/{id}',
    capability: 'fhir',
    callers: ['agent', ...HOLDERS_AND_PROFESSIONALS],
    summary: 'Any other FHIR read: 404 (resource type not served) or 405 (interaction not served), as an OperationOutcome',
    params: s.TypeIdParams,
    responses: {},
    errors: [404, 405],
  },
] as const satisfies readonly Route[];

/** The FHIR capability: its routes and what its function needs. */
export const FHIR_CAPABILITY = {
  name: 'fhir',
  routes: FHIR_ROUTES,
  function: {
    description: 'DMP FHIR R4 interface: CapabilityStatement, Patient, $everything, DocumentReference, Binary (a view over records and documents)',
    // A deposit decodes and seals up to 4 MiB, as the documents function does.
    memorySize: 1024,
    // What the documents function does for a deposit and a read (the same use cases), and the
    // record's META item for Patient: Get, Put, Update, Delete (a deposit's transaction), Query and
    // BatchGet (listings and content chunks), BatchWrite (a deposit's chunks). _content and _text
    // read what the keyword search function reads (search/routes.ts): BatchGet (the record, the
    // words' lists, the candidates), Get, and the trace's Put/Update/ConditionCheck: all among these.
    items: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'Query', 'BatchGetItem', 'BatchWriteItem'],
    dataKey: [
      { operations: ['Decrypt'], contexts: ['record', 'keyedIndex'] },
      { operations: ['GenerateDataKey'], contexts: ['keyedIndex'] },
    ],
    sessions: 'verify',
    // The history's lines are listed newest first through its index (gsi2), then read by key.
    claimsIndexQuery: true,
  },
} as const satisfies CapabilityManifest;

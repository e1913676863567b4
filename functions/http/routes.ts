/**
 * THE route manifest. API Gateway (lib/api.ts), the local HTTP server (bin/local-runtime.ts) and
 * the OpenAPI document (functions/http/openapi.ts) are all generated from this list, so they cannot
 * drift apart. A route names who may call it (deny by default: no caller kinds, no access), the
 * capability (Lambda function) that serves it, and its request and response schemas.
 */
import type { ZodMiniObject, ZodMiniType } from 'zod/mini';
import { MAX_CONTENT_BASE64 } from '#domain/documents';
import * as s from './schemas.ts';

export const CAPABILITIES = ['records', 'auth', 'reporting', 'docs', 'documents', 'access'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export type Caller = 'professional' | 'agent' | 'patient' | 'representative' | 'anonymous';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  id: string;
  method: Method;
  path: string;
  capability: Capability;
  callers: readonly Caller[];
  summary: string;
  description?: string;
  params?: ZodMiniObject;
  query?: ZodMiniObject;
  body?: ZodMiniType;
  /** Accepts an Idempotency-Key header. */
  idempotent?: boolean;
  /** Largest accepted body, in bytes. */
  maxBodyBytes?: number;
  /** The body may be left out altogether (then it is `{}`). */
  bodyOptional?: boolean;
  /** Usable by a session whose provisional password has not been changed yet (the change itself). */
  beforePasswordChange?: boolean;
  responses: Record<number, { description: string; schema?: ZodMiniType; contentType?: string }>;
  /** Errors the route can answer, besides 400/401/403 that every protected route can. */
  errors?: readonly number[];
}

const KIB = 1024;

export const ROUTES: readonly Route[] = [
  {
    id: 'createRecord',
    method: 'POST',
    path: '/v1/records',
    capability: 'records',
    callers: ['professional', 'agent', 'anonymous'],
    summary: 'Create a DMP with the express consent of the person',
    description:
      'By a health professional (a pharmacist with a structure: pharmacy channel), a CPAM agent, or the insured person online with a creation code (no token). A minor: only by a professional or an agent, with at least one legal representative.',
    body: s.CreateRecordBody,
    idempotent: true,
    maxBodyBytes: 16 * KIB,
    responses: { 201: { description: 'Created', schema: s.CreateRecordResponse } },
    errors: [409, 422],
  },
  {
    id: 'createCreationCode',
    method: 'POST',
    path: '/v1/creation-codes',
    capability: 'records',
    callers: ['agent'],
    summary: 'Issue a single-use online creation code bound to an INS',
    body: s.CreationCodeBody,
    maxBodyBytes: 1 * KIB,
    responses: { 201: { description: 'Created', schema: s.CreationCodeResponse } },
  },
  {
    id: 'searchRecord',
    method: 'POST',
    path: '/v1/records/search',
    capability: 'records',
    callers: ['professional', 'agent'],
    summary: 'Find the DMP of an INS and the caller’s authorization on it',
    body: s.SearchBody,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'Found', schema: s.SearchResponse } },
    errors: [404],
  },
  {
    id: 'getRecord',
    method: 'GET',
    path: '/v1/records/{dmpId}',
    capability: 'records',
    callers: ['professional', 'patient', 'representative'],
    summary: 'Read a record: identity, contact, status, emergency settings, attending physicians, representatives',
    params: s.RecordParams,
    responses: { 200: { description: 'The record', schema: s.RecordView } },
    errors: [404],
  },
  {
    id: 'closeRecord',
    method: 'POST',
    path: '/v1/records/{dmpId}/closure',
    capability: 'records',
    callers: ['patient', 'representative'],
    summary: 'Close the record: read-only and invisible to professionals, kept ten years, then destroyed',
    params: s.RecordParams,
    body: s.ClosureBody,
    bodyOptional: true,
    maxBodyBytes: 2 * KIB,
    responses: { 200: { description: 'Closed', schema: s.Closed } },
    errors: [404, 409],
  },
  {
    id: 'reactivateRecord',
    method: 'POST',
    path: '/v1/records/{dmpId}/reactivation',
    capability: 'records',
    callers: ['patient', 'representative', 'professional', 'agent'],
    summary: 'Reactivate a closed record',
    description: 'By the patient (or a representative), or by a professional or agent with the express consent of the person.',
    params: s.RecordParams,
    body: s.ReactivationBody,
    bodyOptional: true,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'Active again', schema: s.Reactivated } },
    errors: [404, 409, 422],
  },
  {
    id: 'updateSettings',
    method: 'PATCH',
    path: '/v1/records/{dmpId}/settings',
    capability: 'records',
    callers: ['patient', 'representative'],
    summary: 'Change emergency-access oppositions and contact details',
    description: 'A new mobile becomes active only once the code sent to it is confirmed (POST .../settings/mobile-confirmation).',
    params: s.RecordParams,
    body: s.SettingsBody,
    maxBodyBytes: 2 * KIB,
    responses: { 200: { description: 'The settings now', schema: s.SettingsView } },
    errors: [404, 409],
  },
  {
    id: 'confirmMobile',
    method: 'POST',
    path: '/v1/records/{dmpId}/settings/mobile-confirmation',
    capability: 'records',
    callers: ['patient', 'representative'],
    summary: 'Confirm a new mobile with the code sent to it',
    params: s.RecordParams,
    body: s.MobileConfirmationBody,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'The settings now', schema: s.SettingsView } },
    errors: [404, 409, 422],
  },
  {
    id: 'listNotifications',
    method: 'GET',
    path: '/v1/records/{dmpId}/notifications',
    capability: 'records',
    callers: ['patient', 'representative'],
    summary: 'What was sent to the patient, when and why',
    params: s.RecordParams,
    query: s.PageQuery,
    responses: { 200: { description: 'Notifications, newest first', schema: s.Notifications } },
    errors: [404],
  },
  {
    id: 'patientLogin',
    method: 'POST',
    path: '/v1/auth/patient/login',
    capability: 'auth',
    callers: ['anonymous'],
    summary: 'First factor: login id and password; sends a one-time code by SMS',
    body: s.LoginBody,
    maxBodyBytes: 1 * KIB,
    responses: { 202: { description: 'Code sent', schema: s.LoginChallenge } },
    errors: [401, 403, 422, 429],
  },
  {
    id: 'patientVerify',
    method: 'POST',
    path: '/v1/auth/patient/verify',
    capability: 'auth',
    callers: ['anonymous'],
    summary: 'Second factor: the SMS code; returns a session token (15 minutes)',
    body: s.VerifyBody,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'Session', schema: s.Session } },
    errors: [401, 429],
  },
  {
    id: 'patientPassword',
    method: 'POST',
    path: '/v1/auth/patient/password',
    capability: 'auth',
    callers: ['patient', 'representative'],
    summary: 'Change the password (required after a provisional one)',
    body: s.PasswordBody,
    beforePasswordChange: true,
    maxBodyBytes: 1 * KIB,
    responses: { 204: { description: 'Changed' } },
    errors: [422, 429],
  },
  {
    id: 'reissueCredentials',
    method: 'POST',
    path: '/v1/records/{dmpId}/credentials',
    capability: 'auth',
    callers: ['agent'],
    summary: 'Issue new patient credentials at a CPAM desk (lost password, or a minor who turned 18)',
    description: 'The previous patient login stops working. When the person is of age, the representatives’ logins are removed.',
    params: s.RecordParams,
    body: s.ReissueBody,
    maxBodyBytes: 1 * KIB,
    responses: { 201: { description: 'New provisional credentials, to hand over on paper', schema: s.ReissuedCredentials } },
    errors: [404, 409],
  },
  {
    id: 'depositDocument',
    method: 'POST',
    path: '/v1/records/{dmpId}/documents',
    capability: 'documents',
    callers: ['professional', 'patient', 'representative'],
    summary: 'Deposit a document (or a new version of one), its content encrypted with the patient’s key',
    description:
      'A professional needs no authorization (but is refused when blocked); the patient and representatives deposit patient documents (class 90). Content: at most 4 MiB decoded (413 above). A document cannot be both invisible to the patient and masked to professionals.',
    params: s.RecordParams,
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
    description: '`q` searches the words of titles (keyed tokens, never clear text). A page may hold fewer than `limit` items: follow `nextCursor` until it is null.',
    params: s.RecordParams,
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
    description: 'Revealing a document to representatives cannot be undone.',
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
    params: s.DocumentParams,
    responses: { 204: { description: 'Deleted' } },
    errors: [404, 409],
  },
  {
    id: 'listProfessionals',
    method: 'GET',
    path: '/v1/records/{dmpId}/professionals',
    capability: 'access',
    callers: ['patient', 'representative'],
    summary: 'The professionals authorised or blocked on the record, and the attending physicians',
    params: s.RecordParams,
    responses: { 200: { description: 'Professionals', schema: s.Professionals } },
    errors: [404],
  },
  {
    id: 'decideProfessional',
    method: 'PUT',
    path: '/v1/records/{dmpId}/professionals/{professionalId}',
    capability: 'access',
    callers: ['patient', 'representative'],
    summary: 'Authorise or block a professional; name or unname an attending physician',
    params: s.ProfessionalParams,
    body: s.ProfessionalDecision,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'The professional’s standing now', schema: s.ProfessionalEntry } },
    errors: [404, 409, 422],
  },
  {
    id: 'removeProfessional',
    method: 'DELETE',
    path: '/v1/records/{dmpId}/professionals/{professionalId}',
    capability: 'access',
    callers: ['patient', 'representative'],
    summary: 'Remove a professional’s authorization (or block)',
    params: s.ProfessionalParams,
    responses: { 204: { description: 'Removed' } },
    errors: [404, 409],
  },
  {
    id: 'declareAccess',
    method: 'POST',
    path: '/v1/records/{dmpId}/access',
    capability: 'access',
    callers: ['professional'],
    summary: 'Record the patient’s consent given at the consultation, or declare an emergency access',
    description:
      '`break-glass` needs a reason and is refused when the patient opposed it; `regulation` needs the regulator role (SAMU Centre 15) and is refused when the patient opposed it; a blocked professional is refused in every mode. The patient is told of every emergency access by SMS, attending physicians through professional messaging.',
    params: s.RecordParams,
    body: s.AccessBody,
    maxBodyBytes: 2 * KIB,
    responses: { 200: { description: 'Access granted', schema: s.AccessGranted } },
    errors: [404, 422],
  },
  {
    id: 'accessLog',
    method: 'GET',
    path: '/v1/records/{dmpId}/access-log',
    capability: 'access',
    callers: ['patient', 'representative', 'professional', 'agent'],
    summary: 'Who accessed what, when, in which mode: all of it for the patient and attending physicians, their own actions for anyone else',
    params: s.RecordParams,
    query: s.PageQuery,
    responses: { 200: { description: 'Traces, newest first', schema: s.AccessLog } },
    errors: [404],
  },
  {
    id: 'pharmacyCreations',
    method: 'GET',
    path: '/v1/pharmacies/{finess}/creations',
    capability: 'reporting',
    callers: ['professional', 'agent'],
    summary: 'The DMPs a pharmacy created in a month, and what it is owed (1 € each)',
    params: s.PharmacyParams,
    query: s.PharmacyQuery,
    responses: { 200: { description: 'The month’s ledger', schema: s.PharmacyCreations } },
  },
  {
    id: 'creationStats',
    method: 'GET',
    path: '/v1/stats/creations',
    capability: 'reporting',
    callers: ['agent'],
    summary: 'DMP creations between two days, by channel and ISO week',
    query: s.StatsQuery,
    responses: { 200: { description: 'Statistics', schema: s.CreationStats } },
  },
  {
    id: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    capability: 'docs',
    callers: ['anonymous'],
    summary: 'This API as an OpenAPI 3.1 document',
    responses: { 200: { description: 'OpenAPI document', contentType: 'application/json' } },
  },
  {
    id: 'docs',
    method: 'GET',
    path: '/docs',
    capability: 'docs',
    callers: ['anonymous'],
    summary: 'A readable reference of this API',
    responses: { 200: { description: 'HTML reference page', contentType: 'text/html' } },
  },
];

export const routesOf = (capability: Capability): Route[] => ROUTES.filter((r) => r.capability === capability);
export const routeKey = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

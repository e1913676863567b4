/** The access capability's part of the route manifest, and what its function needs (functions/capabilities/index.ts lists every capability). */
import type { CapabilityManifest } from '#http/capability';
import { KIB, type Route } from '#http/route';
import * as c from '#http/schemas';
import * as s from './schemas.ts';

export const ACCESS_ROUTES = [
  {
    id: 'listProfessionals',
    method: 'GET',
    path: '/v1/records/{dmpId}/professionals',
    capability: 'access',
    callers: ['patient', 'representative'],
    summary: 'The professionals authorised or blocked on the record, and the attending physicians',
    params: c.RecordParams,
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
      '`break-glass` needs a reason and is refused when the patient opposed it; `regulation` needs the regulator role (SAMU Centre 15) and is refused when the patient opposed it; a blocked professional is refused in every mode. The patient is told of an emergency access by SMS (not of a renewal while the professional’s access runs, at most once per professional in 12 hours and 5 times a day per record: every access is in the access log), attending physicians through professional messaging.',
    params: c.RecordParams,
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
    params: c.RecordParams,
    query: c.PageQuery,
    responses: { 200: { description: 'Traces, newest first', schema: s.AccessLog } },
    errors: [404],
  },
] as const satisfies readonly Route[];

/** The access capability: its routes and what its function needs. */
export const ACCESS = {
  name: 'access',
  routes: ACCESS_ROUTES,
  function: {
    description: 'DMP access: who may see the record (authorizations, blocks, attending physicians), emergency access, access log',
    memorySize: 512,
    // Authorizations and blocks are put, updated and removed under conditions, in transactions
    // with their trace and notification; the access log is a Query; the record and a caller's
    // standing are BatchGetItems of their keys.
    items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'Query'],
    // Seals the recipients of the notifications it writes with the record's data key.
    dataKey: [{ operations: ['Decrypt'], contexts: ['record'] }],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

/** The emergency summary's part of the route manifest, and what its function needs. */
import type { CapabilityManifest } from '#http/capability';
import type { Route } from '#http/route';
import * as c from '#http/schemas';
import * as s from './schemas.ts';

export const EMERGENCY_ROUTES = [
  {
    id: 'readEmergencySummary',
    method: 'GET',
    path: '/v1/records/{dmpId}/emergency-summary',
    capability: 'emergency',
    callers: ['patient', 'representative', 'professional'],
    summary: 'What a SAMU regulator or an emergency doctor needs, in one answer; every read is traced with its mode',
    description:
      'The record’s holders, and professionals with access: a valid authorization, or an emergency access (break-glass, or regulation for a SAMU Centre 15 regulator) the patient did not oppose, declared first with POST …/access (which tells the patient). Each part is filtered by the access policy as its own read would be, and a part the caller may not read is named in `withheld` (it says nothing of whether the part holds anything): the health profile (blood group, allergies, conditions, declared treatments), the medicines dispensed in the last 90 days (the reimbursement history: class 60 in the matrix, the patient’s mask of it), the advance directives and the trusted person (the professions of the EXPPAT_3 exception), the vaccinations, and the metadata of the latest medical summary (60591-5) and of the latest hospital discharge letter or emergency liaison document (11490-0, 74207-2) the caller may read, with their document ids. One request reads each part once, side by side (no read per entry), and opens them with the record’s key (no KMS call when it is cached).',
    params: c.RecordParams,
    responses: { 200: { description: 'The emergency summary', schema: s.EmergencySummary } },
    errors: [404],
  },
] as const satisfies readonly Route[];

/** The emergency summary capability: its route and what its function needs. */
export const EMERGENCY = {
  name: 'emergency',
  routes: EMERGENCY_ROUTES,
  function: {
    description: 'DMP emergency summary: the profile, treatments, wishes, vaccinations and latest letters of a record in one read',
    memorySize: 512,
    // Reads only: the record and the caller's standing (BatchGetItem), each part's items (Query, and the
    // history's mask, a GetItem; the history's lines, a Query of its index then a BatchGetItem); the trace is a PutItem, or with a professional's first access a
    // transaction that updates the standing (seen) and puts the patient's notice in the outbox.
    items: ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem', 'Query', 'BatchGetItem'],
    claimsIndexQuery: true,
    dataKey: [{ operations: ['Decrypt'], contexts: ['record'] }],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

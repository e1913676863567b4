/** The claims capability's part of the route manifest (the reimbursed-care history), and what its function needs. */
import { HISTORY_MONTHS, MAX_PATIENTS_PER_BATCH } from '#domain/claims/lines';
import type { CapabilityManifest } from '#http/capability';
import { KIB, type Route } from '#http/route';
import * as c from '#http/schemas';
import * as s from './schemas.ts';

/** The largest batch body: 500 patients of a few dozen lines each, under Lambda's 6 MB payload. */
export const MAX_BATCH_BYTES = 5 * 1024 * KIB;

export const CLAIMS_ROUTES = [
  {
    id: 'submitClaimBatch',
    method: 'POST',
    path: '/v1/claims/batches',
    capability: 'claims',
    callers: ['insurer'],
    summary: 'The Assurance Maladie’s sync: a batch of reimbursed-care lines for up to 500 patients',
    description: `Only the insurer’s sync (client credentials, scope \`claims:write\`). Idempotent by \`batchId\`: the same id and body answer the same; another body under the same id is refused (422). Each line is checked alone: a faulty line is refused (its patient index, line index, field path and reason are listed) and the others are stored; a line already stored (the same \`sourceId\`) is counted duplicate, stored once. Patients without a DMP are counted unknown, closed records closed: none of their lines is stored. Lines are kept ${HISTORY_MONTHS} months after their date of care. At most ${MAX_PATIENTS_PER_BATCH} patients and ${MAX_BATCH_BYTES} bytes (413 above). The answer holds counts, indexes, paths and reasons only: never an INS, a code or a label.`,
    body: s.ClaimBatch,
    maxBodyBytes: MAX_BATCH_BYTES,
    responses: { 200: { description: 'What the batch stored, and the lines refused', schema: s.BatchOutcome } },
    errors: [413, 422],
  },
  {
    id: 'listClaims',
    method: 'GET',
    path: '/v1/records/{dmpId}/claims',
    capability: 'claims',
    callers: ['patient', 'representative', 'professional'],
    summary: 'The reimbursed-care history, newest first; every read is traced',
    description: `The patient; representatives (without the lines a minor keeps confidential); professionals whose profession may read class 60 in the access matrix, with an authorization or an emergency access the patient did not oppose, and, when the patient masked the history, only attending physicians. Filters: \`category\`, \`from\` and \`to\` (days of care, inclusive). Lines older than ${HISTORY_MONTHS} months are gone. A page may hold fewer than \`limit\` lines: follow \`nextCursor\` until it is null.`,
    params: c.RecordParams,
    query: s.ClaimQuery,
    responses: { 200: { description: 'Lines of the history', schema: s.ClaimList } },
    errors: [404],
  },
  {
    id: 'setClaimsVisibility',
    method: 'PUT',
    path: '/v1/records/{dmpId}/claims/visibility',
    capability: 'claims',
    callers: ['patient', 'representative'],
    summary: 'Mask the whole reimbursement history from professionals (the attending physician excepted), or unmask it',
    params: c.RecordParams,
    body: s.ClaimsVisibility,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'The mask now', schema: s.ClaimsVisibility } },
    errors: [404, 409],
  },
] as const satisfies readonly Route[];

/** The claims capability: its routes and what its function needs. */
export const CLAIMS = {
  name: 'claims',
  routes: CLAIMS_ROUTES,
  function: {
    description: 'DMP reimbursed-care history: the Assurance Maladie’s batches, reading the history, the patient’s mask',
    // Up to 500 patients a batch: INS lookups, lines sealed with AES-GCM, batch reads and writes.
    memorySize: 1024,
    // A batch: its record is put on condition then updated with its outcome; INS index and records
    // are read (GetItem, Query); lines are found with BatchGetItem and put with BatchWriteItem; one
    // trace per patient is a conditional PutItem. A read is a Query (and the mask, a GetItem) with
    // its trace (and a first access's transaction); the mask is put in a transaction with its
    // trace under the record's guards (ConditionCheck).
    items: ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem', 'Query', 'BatchGetItem', 'BatchWriteItem'],
    dataKey: [
      { operations: ['Decrypt'], contexts: ['record', 'keyedIndex'] },
      // Only the keyed-hash secret (INS index, batch fingerprints), created on first start if
      // absent: never a record's data key, which only the records function creates.
      { operations: ['GenerateDataKey'], contexts: ['keyedIndex'] },
    ],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

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
    description: `Only the insurer’s sync (client credentials, scope \`claims:write\`). Idempotent by \`batchId\`: the same id and body answer the same; another body under the same id is refused (422). Each line is checked alone: a faulty line is refused (its patient index, line index, field path and reason are listed) and the others are stored; a line already stored (the same \`sourceId\` and date) is counted duplicate, stored once; a line whose \`sourceId\` is stored at another date is a correction: it replaces the stored line (one line per \`sourceId\`, at the date sent last), counted accepted and corrected. Patients without a DMP are counted unknown, closed records closed: none of their lines is stored, even when the record is closed while the batch runs. Lines are kept ${HISTORY_MONTHS} months after their date of care. At most ${MAX_PATIENTS_PER_BATCH} patients and ${MAX_BATCH_BYTES} bytes (413 above). The answer holds counts, indexes, paths and reasons only: never an INS, a code or a label.`,
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
  {
    id: 'readCareTeam',
    method: 'GET',
    path: '/v1/records/{dmpId}/care-team',
    capability: 'claims',
    callers: ['patient', 'representative', 'professional'],
    summary: 'The care team: who prescribed, performed care or deposited documents in the last 12 months; every read is traced',
    description:
      'The professionals (by id) and structures (by FINESS, when a line names no performing professional) named by the history’s lines of the last 12 months and by the documents deposited in them that the caller may read, each with its first and last day, count, roles, and the profession and specialty codes the lines gave. The record’s holders also get the patient’s decision on each professional (authorized, blocked, expired, none) and the attending physician, so as to authorise or block from it. Who may read: as `GET …/claims` (representatives without the lines a minor keeps confidential; professionals under the matrix for class 60, the blocks and the patient’s mask).',
    params: c.RecordParams,
    responses: { 200: { description: 'The care team, the latest first', schema: s.CareTeam } },
    errors: [404],
  },
  {
    id: 'readMedicationReview',
    method: 'GET',
    path: '/v1/records/{dmpId}/medication-review',
    capability: 'claims',
    callers: ['patient', 'representative', 'professional'],
    summary: 'The medicines dispensed in the last 90 days grouped by substance, and (for professionals) the medication-risk alerts; every read is traced',
    description:
      'Professionals who may read the history (as `GET …/claims`: the matrix for class 60, an authorization or an emergency access, not blocked, the patient’s mask) get the medicines and the alerts the rules of data/medication-alerts.json raise on them, each naming its rule, severity and the lines that raised it. The patient and the representatives (without the lines a minor keeps confidential) get the medicines only, no alerts.',
    params: c.RecordParams,
    responses: { 200: { description: 'The review', schema: s.MedicationReview } },
    errors: [404],
  },
] as const satisfies readonly Route[];

/** The claims capability: its routes and what its function needs. */
export const CLAIMS = {
  name: 'claims',
  routes: CLAIMS_ROUTES,
  function: {
    description: 'DMP reimbursed-care history: the Assurance Maladie’s batches, reading the history, the care team, the medication review, the patient’s mask',
    // Up to 500 patients a batch: INS lookups, lines sealed with AES-GCM, batch reads and writes.
    memorySize: 1024,
    // A batch: its record is put on condition then updated with its outcome; INS index, records
    // and the lines' items are read with BatchGetItem; lines are put (and, for a record closed
    // meanwhile, deleted) with BatchWriteItem; a correction is a transaction that puts the line
    // over its item and checks the record (ConditionCheck); one trace per patient is a conditional
    // PutItem. A read is a Query of the history's index (GSI2) then a BatchGetItem of the lines it
    // lists (and the mask, a GetItem), with its trace (and a first access's transaction); the care team also
    // Queries the patient's decisions and the documents' clear metadata (author, date, labels);
    // the mask is put in a transaction with its trace under the record's guards (ConditionCheck).
    items: ['GetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'Query', 'BatchGetItem', 'BatchWriteItem'],
    claimsIndexQuery: true,
    dataKey: [
      { operations: ['Decrypt'], contexts: ['record', 'keyedIndex'] },
      // Only the keyed-hash secret (INS index, batch fingerprints), created on first start if
      // absent: never a record's data key, which only the records function creates.
      { operations: ['GenerateDataKey'], contexts: ['keyedIndex'] },
    ],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

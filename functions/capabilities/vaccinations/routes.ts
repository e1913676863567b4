/** The vaccination record's part of the route manifest, and what its function needs. */
import { MATCH_DAYS } from '#domain/vaccinations/entries';
import { REMINDER_LEAD_DAYS, REMINDER_SPREAD_DAYS } from '#domain/vaccinations/due';
import type { CapabilityManifest } from '#http/capability';
import { KIB, type Route } from '#http/route';
import * as c from '#http/schemas';
import * as s from './schemas.ts';

const WHO_READS =
  'The patient and representatives; professionals whose profession reads class 45 (vaccination) in the access matrix, with an authorization or an emergency access the patient did not oppose, not blocked.';
const CLAIMS_PART =
  'The reimbursed-care history’s vaccination lines count only for callers who may read the history (as `GET …/claims`: the matrix’s class 60, the patient’s mask; representatives without the lines a minor keeps confidential): `claimsIncluded` says whether they did.';

export const VACCINATIONS_ROUTES = [
  {
    id: 'recordVaccination',
    method: 'POST',
    path: '/v1/records/{dmpId}/vaccinations',
    capability: 'vaccinations',
    callers: ['professional', 'patient', 'representative'],
    summary: 'Record a vaccination: by the professional who vaccinated (no authorization needed), or declared by the patient or a representative',
    description:
      'A professional is refused only when blocked; it is the vaccinator (from its token: `vaccinator` is refused) and gives the lot number. The date is not in the future nor before the birth date; `nextBoosterDate` comes after it; the vaccine is coded by CIP13 or ATC valence (data/claims-codes.json), with `atcValence` beside a CIP13 so that the calendar’s boosters recognise it. A fault is a 400 or 422 naming its field, and nothing is stored. Idempotent with `Idempotency-Key`. Puts the record on the reminders’ queue.',
    params: c.RecordParams,
    body: s.VaccinationBody,
    idempotent: true,
    maxBodyBytes: 2 * KIB,
    responses: { 201: { description: 'The vaccination as recorded', schema: s.VaccinationView } },
    errors: [404, 409, 422],
  },
  {
    id: 'listVaccinations',
    method: 'GET',
    path: '/v1/records/{dmpId}/vaccinations',
    capability: 'vaccinations',
    callers: ['professional', 'patient', 'representative'],
    summary: 'The vaccination record, newest first: recorded vaccinations and the deliveries of the reimbursed-care history; every read is traced',
    description: `${WHO_READS} ${CLAIMS_PART} A history line is flagged \`dateKind: delivery\` (its date is the delivery’s) and left out when a recorded vaccination stands for it: the same vaccine (CIP13, or ATC valence) recorded on the delivery day or up to ${MATCH_DAYS} days after it, each line and entry matched once. Follow \`nextCursor\` until it is null.`,
    params: c.RecordParams,
    query: s.VaccinationQuery,
    responses: { 200: { description: 'The vaccinations', schema: s.VaccinationList } },
    errors: [404],
  },
  {
    id: 'readDueVaccinations',
    method: 'GET',
    path: '/v1/records/{dmpId}/vaccinations/due',
    capability: 'vaccinations',
    callers: ['professional', 'patient', 'representative'],
    summary: 'What is due: the boosters vaccinators gave, and the calendar’s fixed-age boosters computed from the birth date; every read is traced',
    description: `${WHO_READS} ${CLAIMS_PART} Explicit booster dates are due until a later dose of the same vaccine; the calendar (data/vaccination-calendar.json) gives diphtheria-tetanus-poliomyelitis at fixed ages (a dose within the tolerance satisfies it) and influenza each season from 65, and yields to an explicit booster of the same vaccines. An SMS reminder is sent ${REMINDER_LEAD_DAYS} to ${REMINDER_LEAD_DAYS + REMINDER_SPREAD_DAYS - 1} days before a due date, once, unless the holders turned \`vaccinationReminders\` off in the settings.`,
    params: c.RecordParams,
    responses: { 200: { description: 'The due items, by due date', schema: s.DueList } },
    errors: [404],
  },
] as const satisfies readonly Route[];

/** The vaccination record: its routes and what its function needs. */
export const VACCINATIONS = {
  name: 'vaccinations',
  routes: VACCINATIONS_ROUTES,
  function: {
    description: 'DMP vaccination record: recording vaccinations, the list with the claims history’s deliveries, what is due',
    memorySize: 512,
    // The record, the caller's standing and the history's mask are one BatchGetItem, the
    // vaccinations one Query, the history's lines a Query of the history's index then a
    // BatchGetItem. A vaccination is put in a transaction with its trace, the record's
    // reminder-queue entry and the idempotent answer, under the record's guards
    // (ConditionCheck); a read's trace is a PutItem (a first access, a transaction
    // of puts). The idempotency record and the keyed-hash secret are GetItems.
    items: ['GetItem', 'PutItem', 'ConditionCheckItem', 'Query', 'BatchGetItem'],
    claimsIndexQuery: true,
    dataKey: [
      { operations: ['Decrypt'], contexts: ['record', 'keyedIndex'] },
      // Only the keyed-hash secret (idempotency keys), created on first start if absent: never a
      // record's data key, which only the records function creates.
      { operations: ['GenerateDataKey'], contexts: ['keyedIndex'] },
    ],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

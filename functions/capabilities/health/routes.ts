/** The health capability's part of the route manifest (the health profile, the advance directives and the trusted person), and what its function needs. */
import type { CapabilityManifest } from '#http/capability';
import { KIB, type Route } from '#http/route';
import * as c from '#http/schemas';
import { HEIGHT_CM, MAX_ENTRIES, WEIGHT_KG } from './rules.ts';
import * as s from './schemas.ts';

const PROVENANCE =
  'Every element (the blood group, the height, the weight, each allergy, condition and treatment) shows who recorded it and when: `source` (`patient`, `representative`, `professional`), `author` (`id`, and `profession` for a professional; a representative’s id is shown to the record’s holders only) and `recordedAt`.';

export const HEALTH_ROUTES = [
  {
    id: 'readHealthProfile',
    method: 'GET',
    path: '/v1/records/{dmpId}/profile',
    capability: 'health',
    callers: ['patient', 'representative', 'professional'],
    summary: 'The health profile: blood group, allergies and intolerances, conditions and history, declared treatments, height and weight; every read is traced',
    description: `The patient and the representatives; professionals with an authorization or an emergency access the patient did not oppose, not blocked, whose profession reads summaries (class 11) in the access matrix. ${PROVENANCE} The \`ETag\` header carries the version (\`"v<version>"\`): a PUT sends it back in \`If-Match\`. A profile never written answers 200, empty, at version 0 (\`ETag: "v0"\`), which the first PUT sends.`,
    params: c.RecordParams,
    responses: { 200: { description: 'The profile, with its version in the ETag header', schema: s.Profile } },
    errors: [404],
  },
  {
    id: 'writeHealthProfile',
    method: 'PUT',
    path: '/v1/records/{dmpId}/profile',
    capability: 'health',
    callers: ['patient', 'representative', 'professional'],
    summary: 'Write the health profile, on the version read (If-Match); professionals add entries marked as theirs',
    description: `The whole profile, content only (no \`source\`, \`author\` or \`recordedAt\`: the server keeps them), on the version a GET gave: \`If-Match: "v<version>"\` is required (428 without it) and a version that is no longer the current one is refused (412, with the current \`ETag\`): two writers never overwrite each other. An entry sent with its \`id\` is the entry recorded under it (422 for an id the list does not hold): unchanged, it keeps who recorded it; changed, it becomes the writer’s. An entry without \`id\` is new. The patient and the representatives write everything (an element left out is removed). A professional who may read the profile adds entries (no \`id\`), marked as its own, and changes or removes only the entries it recorded itself: the blood group, the height, the weight and every other entry must come back exactly as they are (403 \`not-your-entry\`, naming each element at fault). Days (\`since\`) are neither in the future nor before the birth date (422, naming the field). Blood group: \`abo\` A, B, AB or O and \`rh\` + or - (the eight groups); height ${HEIGHT_CM.min}–${HEIGHT_CM.max} cm, weight ${WEIGHT_KG.min}–${WEIGHT_KG.max} kg; at most ${MAX_ENTRIES} entries a list. A closed record is read-only (409 to its holders). Answers the profile written and its new \`ETag\`.`,
    params: c.RecordParams,
    body: s.ProfileBody,
    conditional: true,
    maxBodyBytes: 128 * KIB,
    responses: { 200: { description: 'The profile as written, with its new version in the ETag header', schema: s.Profile } },
    errors: [404, 409, 412, 422, 428],
  },
  {
    id: 'readWishes',
    method: 'GET',
    path: '/v1/records/{dmpId}/wishes',
    capability: 'health',
    callers: ['patient', 'representative', 'professional'],
    summary: 'The advance directives (whether they exist, their date, where the original is kept, their document) and the trusted person; every read is traced',
    description:
      'The patient and the representatives; professionals of the professions the access matrix lets read advance directives (its `EXPPAT_3` exception: doctors, midwives, nurses), with an authorization or an emergency access the patient did not oppose, not blocked. `declared: false` when the patient wrote nothing yet.',
    params: c.RecordParams,
    responses: { 200: { description: 'The advance directives and the trusted person', schema: s.Wishes } },
    errors: [404],
  },
  {
    id: 'writeWishes',
    method: 'PUT',
    path: '/v1/records/{dmpId}/wishes',
    capability: 'health',
    callers: ['patient', 'representative', 'professional'],
    summary: 'Write the advance directives and name the trusted person (the patient only, an adult)',
    description:
      'The patient only (a representative or a professional: 403 `patient-only`, `patient-writes`), and an adult: advance directives are written by adults (a minor’s record: 422 `adults-only`). Replaces what was written. Without directives (`exist: false`) no date, place or document is given. `writtenOn` is neither in the future nor before the birth date (422, naming the field). `documentId` names a current document of type `EXPPAT_3` of this record, shown to the patient (422 otherwise). The trusted person’s mobile is of the French numbering plan. A closed record is read-only (409).',
    params: c.RecordParams,
    body: s.WishesBody,
    maxBodyBytes: 4 * KIB,
    responses: { 200: { description: 'The advance directives and the trusted person as written', schema: s.Wishes } },
    errors: [404, 409, 422],
  },
] as const satisfies readonly Route[];

/** The health capability: its routes and what its function needs. */
export const HEALTH = {
  name: 'health',
  routes: HEALTH_ROUTES,
  function: {
    description: 'DMP health data: the health profile (optimistic concurrency), the advance directives and the trusted person',
    memorySize: 512,
    // The record and the caller's standing are BatchGetItems of known keys; a read of the profile or the wishes is a
    // GetItem beside them (and a first access's transaction); a write is a
    // transaction of the item (a conditional Put on the version read, for the profile), its trace
    // and the record's guards (ConditionCheck), and for the directives a check of their document
    // (read first with a GetItem). Nothing is updated or deleted in place.
    items: ['GetItem', 'BatchGetItem', 'PutItem', 'ConditionCheckItem', 'Query'],
    // Opens the record's data key to seal and open the items and the recipients of a first
    // access's notification: never creates one, nor uses the keyed-index secret.
    dataKey: [{ operations: ['Decrypt'], contexts: ['record'] }],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

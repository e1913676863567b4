/** The reimbursed-care history: the insurer's batches, the reading of the history, the patient's mask. */
import * as z from 'zod/mini';
import { BATCH_ID, CLAIM_CATEGORIES, MAX_LINES_PER_PATIENT, MAX_PATIENTS_PER_BATCH } from '#domain/claims/lines';
import { count, Day, Finess, PageCursor, PageLimit, ProfessionalId } from '#http/schemas';

const LINE_FIELDS =
  '`sourceId` (the insurer’s id of the line), `category`, `date` (YYYY-MM-DD, not in the future, within the last 24 months), `codeSystem` + `code` (matching the system’s pattern) + `display`; by category `atcGroup` (medication, required), `atcValence` (vaccination, required; medication, optional: the substance’s 7-character ATC), `activeComponents` (medication), `quantity`, `prescriber { id, profession, specialty? }`, `performer { id?, finess, name? }` (a stay needs `performer.finess`), `confidential?` (care a minor keeps from the representatives). Code systems, patterns and categories: data/claims-codes.json.';

/**
 * A batch: its envelope is checked whole (unknown fields refused, at most 500 patients); each
 * patient entry and each line is checked by the ingestion core, and a faulty line is refused alone.
 */
export const ClaimBatch = z.lazy(() =>
  z.strictObject({
    batchId: z
      .string()
      .check(
        z.regex(BATCH_ID, 'a batchId has 1 to 64 letters, digits, . _ : or -'),
        z.meta({ description: 'The sync’s id of the batch: the same id and body answer the same; another body under it is refused (422).' }),
      ),
    patients: z
      .array(z.unknown().check(z.meta({ description: `A patient entry { ins, lines: [...] } (at most ${MAX_LINES_PER_PATIENT} lines). A line: ${LINE_FIELDS}` })))
      .check(z.minLength(1), z.maxLength(MAX_PATIENTS_PER_BATCH)),
  }),
);

export const BatchOutcome = z.lazy(() =>
  z.strictObject({
    patients: z.strictObject({ stored: count(), unknown: count().check(z.meta({ description: 'No DMP for the INS' })), closed: count() }),
    lines: z.strictObject({
      accepted: count(),
      corrected: count().check(z.meta({ description: 'Of the accepted lines, those whose sourceId was stored at another date: the line now has the date sent last' })),
      duplicate: count().check(z.meta({ description: 'Already stored (the same sourceId and date), or sent again later in the batch' })),
      rejected: count(),
    }),
    rejected: z.array(
      z.strictObject({
        patient: count(),
        line: z.int().check(z.minimum(-1), z.meta({ description: 'The line’s index; -1 when the patient entry itself is at fault' })),
        path: z.string().check(z.meta({ description: 'The field at fault, within the line (or the patient entry)' })),
        reason: z.string(),
      }),
    ),
  }),
);

export const ClaimQuery = z.lazy(() =>
  z.strictObject({
    category: z.optional(z.enum(CLAIM_CATEGORIES)),
    from: z.optional(Day),
    to: z.optional(Day),
    limit: z.optional(PageLimit),
    cursor: z.optional(PageCursor),
  }),
);

export const ClaimLineView = z.lazy(() =>
  z.strictObject({
    lineId: z.string().check(z.meta({ description: 'Opaque id of the line in this record' })),
    category: z.enum(CLAIM_CATEGORIES),
    date: Day,
    codeSystem: z.string(),
    code: z.string(),
    display: z.string(),
    atcGroup: z.optional(z.string()),
    atcValence: z.optional(z.string()),
    activeComponents: z.optional(z.array(z.string())),
    quantity: z.optional(z.int()),
    prescriber: z.optional(z.strictObject({ id: ProfessionalId, profession: z.string(), specialty: z.optional(z.string()) })),
    performer: z.optional(z.strictObject({ id: z.optional(ProfessionalId), finess: Finess, name: z.optional(z.string()) })),
    confidential: z.optional(z.boolean()),
  }),
);

export const ClaimList = z.lazy(() =>
  z.strictObject({
    items: z.array(ClaimLineView),
    nextCursor: z.nullable(z.string()),
    maskedToProfessionals: z.optional(z.boolean().check(z.meta({ description: 'The patient’s mask of the history (shown to the record’s holders only)' }))),
  }),
);

export const ClaimsVisibility = z.lazy(() => z.strictObject({ maskedToProfessionals: z.boolean() }));

const Window = z.lazy(() => z.strictObject({ from: Day, to: Day }).check(z.meta({ description: 'The days read, both included (UTC)' })));
const CareRole = z.lazy(() => z.enum(['prescriber', 'performer', 'author']));
const careMember = {
  firstDate: Day,
  lastDate: Day,
  count: count().check(z.meta({ description: 'Lines and deposits of the window naming it (a line naming it twice counts once)' })),
  roles: z.array(CareRole),
};

export const CareTeam = z.lazy(() =>
  z.strictObject({
    window: Window,
    items: z.array(
      z.discriminatedUnion('kind', [
        z.strictObject({
          kind: z.literal('professional'),
          id: ProfessionalId,
          ...careMember,
          professions: z.array(z.string()).check(z.meta({ description: 'Profession codes (TRE_G15) the lines gave' })),
          specialties: z.array(z.string()),
          authorization: z.optional(
            z
              .enum(['authorized', 'blocked', 'expired', 'none'])
              .check(z.meta({ description: 'The patient’s decision on the professional now (shown to the record’s holders only)' })),
          ),
          attendingPhysician: z.optional(z.boolean().check(z.meta({ description: 'Shown to the record’s holders only' }))),
        }),
        z.strictObject({
          kind: z.literal('structure'),
          id: Finess,
          ...careMember,
          name: z.optional(z.string()),
        }),
      ]),
    ),
  }),
);

const Severity = z.lazy(() => z.enum(['high', 'medium', 'low', 'info']));

export const MedicationReview = z.lazy(() =>
  z.strictObject({
    window: Window,
    medicines: z.array(
      z.strictObject({
        substance: z.string().check(z.meta({ description: 'The active component’s code, or the product code of lines that name no component' })),
        groupedBy: z.enum(['active-component', 'product-code']),
        display: z.string().check(z.meta({ description: 'The product dispensed last' })),
        lineIds: z.array(z.string()).check(z.meta({ description: 'The lines of the history that dispensed it, oldest first' })),
        firstDispensed: Day,
        lastDispensed: Day,
        quantity: count().check(z.meta({ description: 'Boxes dispensed in the window' })),
        prescriberIds: z.array(ProfessionalId),
      }),
    ),
    alerts: z.optional(
      z
        .array(
          z.strictObject({
            ruleId: z.string(),
            title: z.string(),
            severity: Severity,
            kind: z.string(),
            lineIds: z.array(z.string()).check(z.meta({ description: 'The lines that raised it, oldest first' })),
            substance: z.optional(z.string()),
          }),
        )
        .check(z.meta({ description: 'For professionals only: the record’s holders get the medicines, not the alerts' })),
    ),
    skippedRules: z.optional(
      z
        .array(z.strictObject({ ruleId: z.string(), kind: z.string(), reason: z.string() }))
        .check(z.meta({ description: 'For professionals only: rules of the data the review could not apply (an age rule without a birth date...)' })),
    ),
    rulesVersion: z.string().check(z.meta({ description: 'The version of data/medication-alerts.json applied' })),
  }),
);

/** The vaccination record: a vaccination recorded, the list, what is due. */
import * as z from 'zod/mini';
import { VACCINE_CODE_PATTERNS, VACCINE_CODE_SYSTEMS } from '#domain/vaccinations/entries';
import { Day, Instant, PageCursor, PageLimit, ProfessionalId, text } from '#http/schemas';

/** At most this many doses in one series. */
export const MAX_DOSE_NUMBER = 20;

const AtcValence = z.lazy(() => z.string().check(z.regex(VACCINE_CODE_PATTERNS.ATC_VALENCE, 'an ATC valence: 7 characters, e.g. J07BB02')));

export const Vaccine = z.lazy(() =>
  z
    .strictObject({
      name: text(200),
      codeSystem: z.enum(VACCINE_CODE_SYSTEMS).check(z.meta({ description: '`CIP13` (the presentation, 13 digits) or `ATC_VALENCE` (7 characters)' })),
      code: z.string().check(z.regex(/^[A-Z0-9]{7,13}$/, 'a CIP13 code (13 digits) or an ATC valence (7 characters)')),
      atcValence: z.optional(AtcValence.check(z.meta({ description: 'The valence beside a CIP13 code: the calendar recognises its boosters by it' }))),
    })
    .check(
      z.refine((v) => VACCINE_CODE_PATTERNS[v.codeSystem].test(v.code), { message: 'the code does not match its code system (data/claims-codes.json)', path: ['code'] }),
      z.refine((v) => v.atcValence === undefined || v.codeSystem === 'CIP13', { message: 'an ATC valence goes beside a CIP13 code only', path: ['atcValence'] }),
    ),
);

export const VaccinationBody = z.lazy(() =>
  z.strictObject({
    date: Day.check(z.meta({ description: 'The day of the vaccination: not in the future, not before the birth date' })),
    vaccine: Vaccine,
    lotNumber: z.optional(
      z
        .string()
        .check(
          z.regex(/^[A-Za-z0-9][A-Za-z0-9./-]{0,39}$/, 'a lot number: 1 to 40 letters, digits, . / or -'),
          z.meta({ description: 'Required from a professional; the holders give it when they know it' }),
        ),
    ),
    doseNumber: z.int().check(z.minimum(1), z.maximum(MAX_DOSE_NUMBER), z.meta({ description: 'The dose’s rank in its series: 1, 2, 3…' })),
    vaccinator: z.optional(
      text(200).check(z.meta({ description: 'Who vaccinated, as the holders declare it; a professional is the vaccinator of what it records (from its token)' })),
    ),
    nextBoosterDate: z.optional(Day.check(z.meta({ description: 'The next booster, when the vaccinator gives one: after the vaccination date' }))),
  }),
);

const Author = z.lazy(() =>
  z.strictObject({
    kind: z.enum(['patient', 'representative', 'professional', 'insurer']),
    id: z.optional(z.string().check(z.meta({ description: 'A representative’s id is shown to the record’s holders only' }))),
    profession: z.optional(z.string()),
  }),
);

const VaccineView = z.lazy(() => z.strictObject({ name: z.string(), codeSystem: z.enum(VACCINE_CODE_SYSTEMS), code: z.string(), atcValence: z.optional(z.string()) }));

export const VaccinationView = z.lazy(() =>
  z.strictObject({
    id: z.string().check(z.meta({ description: 'Opaque id: of the recorded vaccination, or of the history’s line' })),
    source: z.enum(['patient', 'representative', 'professional', 'claims']),
    author: Author,
    date: Day,
    dateKind: z.enum(['administration', 'delivery']).check(z.meta({ description: '`delivery` for the history’s lines: the day the vaccine was delivered, not administered' })),
    vaccine: VaccineView,
    lotNumber: z.optional(z.string()),
    doseNumber: z.optional(z.int()),
    vaccinator: z.optional(
      z.union([z.strictObject({ kind: z.literal('professional'), id: ProfessionalId, profession: z.string() }), z.strictObject({ kind: z.literal('declared'), name: z.string() })]),
    ),
    nextBoosterDate: z.optional(Day),
    recordedAt: z.optional(Instant),
  }),
);

export const VaccinationQuery = z.lazy(() => z.strictObject({ limit: z.optional(PageLimit), cursor: z.optional(PageCursor) }));

export const VaccinationList = z.lazy(() =>
  z.strictObject({
    items: z.array(VaccinationView),
    nextCursor: z.nullable(z.string()),
    claimsIncluded: z.boolean().check(z.meta({ description: 'Whether the history’s vaccination lines are part of the list: the caller may read the reimbursement history' })),
  }),
);

export const DueList = z.lazy(() =>
  z.strictObject({
    items: z.array(
      z.strictObject({
        id: z.string().check(z.meta({ description: '`dtp-65`, `influenza-2031`, `booster-<vaccination id>`' })),
        kind: z.enum(['calendar', 'booster']),
        boosterId: z.optional(z.string().check(z.meta({ description: 'The calendar booster (data/vaccination-calendar.json)' }))),
        display: z.string(),
        dueDate: Day,
        window: z.strictObject({ from: Day, to: Day }).check(z.meta({ description: 'The days in which a dose satisfies it' })),
        status: z.enum(['upcoming', 'due', 'overdue']),
        vaccinationId: z.optional(z.string().check(z.meta({ description: 'The recorded vaccination whose booster date this is' }))),
      }),
    ),
    claimsIncluded: z.boolean().check(z.meta({ description: 'Whether the history’s vaccination lines counted' })),
  }),
);

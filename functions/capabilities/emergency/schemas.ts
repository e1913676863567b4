/** The emergency summary's answer. */
import * as z from 'zod/mini';
import { count, Day, Instant, ProfessionalId } from '#http/schemas';
import { Profile, Wishes } from '../health/schemas.ts';
import { VaccinationView } from '../vaccinations/schemas.ts';

/** The parts of the summary, each read under its own rule of the access policy. */
export const SUMMARY_PARTS = ['profile', 'treatments', 'wishes', 'vaccinations'] as const;

const LatestDocument = z.lazy(() =>
  z.strictObject({
    documentId: z.string(),
    typeCode: z.string(),
    title: z.string(),
    serviceDate: Day,
    depositedAt: Instant,
    author: z.strictObject({ kind: z.enum(['professional', 'patient', 'representative']), id: z.string() }),
  }),
);

const DispensedMedicine = z.lazy(() =>
  z.strictObject({
    substance: z.string().check(z.meta({ description: 'The active component’s code, or the product code of lines that name no component' })),
    display: z.string().check(z.meta({ description: 'The product dispensed last' })),
    firstDispensed: Day,
    lastDispensed: Day,
    quantity: count(),
    prescriberIds: z.array(ProfessionalId),
  }),
);

export const EmergencySummary = z.lazy(() =>
  z.strictObject({
    generatedAt: Instant,
    mode: z.enum(['normal', 'break-glass', 'regulation']).check(z.meta({ description: 'The access mode the summary was read in (traced with it)' })),
    withheld: z.array(z.enum(SUMMARY_PARTS)).check(z.meta({ description: 'The parts the access policy withholds from this caller' })),
    profile: z.optional(Profile.check(z.meta({ description: 'Blood group, allergies, conditions, declared treatments, height and weight, each with its source and author' }))),
    wishes: z.optional(Wishes.check(z.meta({ description: 'The advance directives and the trusted person (the professions of the EXPPAT_3 exception)' }))),
    vaccinations: z.optional(
      z.array(VaccinationView).check(z.meta({ description: 'Recorded and from the reimbursement history (as GET …/vaccinations shows them to this caller), newest first' })),
    ),
    treatments: z.optional(
      z.strictObject({
        window: z.strictObject({ from: Day, to: Day }),
        dispensed: z.array(DispensedMedicine).check(z.meta({ description: 'From the reimbursement history, grouped by substance' })),
      }),
    ),
    documents: z.strictObject({
      latestSummary: z.nullable(LatestDocument),
      latestHospitalLetter: z.nullable(LatestDocument),
    }),
  }),
);

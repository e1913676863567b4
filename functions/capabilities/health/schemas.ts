/**
 * The patient's health profile and advance directives: what a PUT sends (content only, unknown
 * fields refused) and what a GET answers (the content, each element with its provenance).
 */
import * as z from 'zod/mini';
import { DOCUMENT_ID } from '#domain/documents';
import { Instant, Mobile, text } from '#http/schemas';
import { ALLERGY_CATEGORIES, CRITICALITIES, ENTRY_ID, HEIGHT_CM, MAX_ENTRIES, RH, ABO, WEIGHT_KG } from './rules.ts';

const EntryId = z.lazy(() => z.string().check(z.regex(ENTRY_ID, 'not an entry id'), z.meta({ description: 'The id of an entry, as a GET gave it' })));

const DocumentId = z.lazy(() => z.string().check(z.regex(DOCUMENT_ID, 'not a document id'), z.meta({ description: 'Opaque document id' })));

/** The eight blood groups: ABO group and Rhesus factor. */
const BloodGroup = z.lazy(() =>
  z.strictObject({
    abo: z.enum(ABO),
    rh: z.enum(RH),
  }),
);

const Height = z.lazy(() =>
  z.strictObject({ cm: z.number().check(z.gte(HEIGHT_CM.min), z.lte(HEIGHT_CM.max), z.meta({ description: `Height in centimetres, ${HEIGHT_CM.min} to ${HEIGHT_CM.max}` })) }),
);

const Weight = z.lazy(() =>
  z.strictObject({ kg: z.number().check(z.gte(WEIGHT_KG.min), z.lte(WEIGHT_KG.max), z.meta({ description: `Weight in kilograms, ${WEIGHT_KG.min} to ${WEIGHT_KG.max}` })) }),
);

const Since = z.lazy(() => z.iso.date().check(z.meta({ description: 'A day, not in the future nor before the birth date' })));

const allergyShape = () => ({
  substance: text(200),
  category: z.enum(ALLERGY_CATEGORIES),
  reaction: z.optional(text(500)),
  criticality: z.enum(CRITICALITIES),
});
const conditionShape = () => ({ text: text(300), since: z.optional(Since) });
const treatmentShape = () => ({ medication: text(200), dosage: z.optional(text(200)), since: z.optional(Since) });

/** An entry as a PUT sends it: its content, and its id when it is one already recorded (none: a new entry). */
const newOrKept = () => ({ id: z.optional(EntryId) });
const atMost = () => z.maxLength(MAX_ENTRIES);

export const ProfileBody = z.lazy(() =>
  z.strictObject({
    bloodGroup: z.optional(BloodGroup),
    height: z.optional(Height),
    weight: z.optional(Weight),
    allergies: z.array(z.strictObject({ ...newOrKept(), ...allergyShape() })).check(atMost()),
    conditions: z.array(z.strictObject({ ...newOrKept(), ...conditionShape() })).check(atMost()),
    treatments: z.array(z.strictObject({ ...newOrKept(), ...treatmentShape() })).check(atMost()),
  }),
);

/** Who recorded an element, and when. */
const provenance = () => ({
  source: z.enum(['patient', 'representative', 'professional']),
  author: z.optional(
    z.strictObject({
      id: z.string().check(z.meta({ description: 'The patient’s dmpId, a representative’s login id (shown to the record’s holders only), a professional’s id' })),
      profession: z.optional(z.string()),
    }),
  ),
  recordedAt: Instant,
});

export const Profile = z.lazy(() =>
  z.strictObject({
    version: z.int().check(z.minimum(0), z.meta({ description: 'The version (0: never written); the ETag header carries it' })),
    updatedAt: z.optional(Instant),
    bloodGroup: z.optional(z.strictObject({ abo: z.enum(ABO), rh: z.enum(RH), ...provenance() })),
    height: z.optional(z.strictObject({ cm: z.number(), ...provenance() })),
    weight: z.optional(z.strictObject({ kg: z.number(), ...provenance() })),
    allergies: z.array(z.strictObject({ id: EntryId, ...allergyShape(), ...provenance() })),
    conditions: z.array(z.strictObject({ id: EntryId, ...conditionShape(), ...provenance() })),
    treatments: z.array(z.strictObject({ id: EntryId, ...treatmentShape(), ...provenance() })),
  }),
);

const directivesShape = () => ({
  exist: z.boolean().check(z.meta({ description: 'Whether the patient wrote advance directives' })),
  writtenOn: z.optional(z.iso.date().check(z.meta({ description: 'The day they were written: not in the future nor before the birth date' }))),
  originalKeptAt: z.optional(text(300).check(z.meta({ description: 'Where the paper original is kept' }))),
  documentId: z.optional(DocumentId.check(z.meta({ description: 'A current document of type EXPPAT_3 of this record holding them' }))),
});

const AdvanceDirectives = z.lazy(() =>
  z.strictObject(directivesShape()).check(
    z.refine((d) => d.exist || d.writtenOn === undefined, { message: 'no date without directives (exist: false)', path: ['writtenOn'] }),
    z.refine((d) => d.exist || d.originalKeptAt === undefined, { message: 'no place without directives (exist: false)', path: ['originalKeptAt'] }),
    z.refine((d) => d.exist || d.documentId === undefined, { message: 'no document without directives (exist: false)', path: ['documentId'] }),
  ),
);

const trustedPersonShape = () => ({
  familyName: text(100),
  givenNames: text(100),
  relationship: text(100).check(z.meta({ description: 'How the trusted person is related to the patient (spouse, daughter, friend, doctor…)' })),
  mobile: Mobile,
});

export const WishesBody = z.lazy(() =>
  z.strictObject({
    advanceDirectives: AdvanceDirectives,
    trustedPerson: z.optional(z.strictObject(trustedPersonShape())),
  }),
);

export const Wishes = z.lazy(() =>
  z.strictObject({
    declared: z.boolean().check(z.meta({ description: 'Whether the patient wrote this part at all (false: nothing is known, the other fields are absent)' })),
    advanceDirectives: z.optional(z.strictObject(directivesShape())),
    trustedPerson: z.optional(z.strictObject(trustedPersonShape())),
    source: z.optional(z.literal('patient')),
    author: z.optional(z.strictObject({ id: z.string() })),
    recordedAt: z.optional(Instant),
  }),
);

/**
 * The contract's shapes (CONTRACT.md) as zod schemas: they validate requests (unknown fields
 * refused), type the handlers, and generate both the API Gateway request models and the OpenAPI
 * document. Messages never echo the value they refuse.
 */
import { z } from 'zod';
import { DMP_ID, FINESS, MOBILE, PROFESSIONAL_ID } from '#domain/identifiers';
import { isValidIns } from '#domain/ins';
import { CHANNELS } from '#domain/creation';

const text = (max: number) =>
  z
    .string()
    .min(1)
    .max(max)
    .regex(/^[^\u0000-\u001F\u007F-\u009F]*$/, 'control characters are not allowed');

export const Ins = z
  .string()
  .regex(/^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/, 'an INS has 15 characters: digits, 2A or 2B in positions 6-7')
  .refine(isValidIns, 'the INS key does not match')
  .meta({ description: 'INS: NIR (13 characters) + key (2 digits). Only in request bodies, never in a URL.' });
export const DmpId = z.string().regex(DMP_ID).meta({ description: 'Opaque record id' });
export const ProfessionalId = z.string().regex(PROFESSIONAL_ID);
export const Finess = z.string().regex(FINESS);
export const Mobile = z.string().regex(MOBILE, 'a mobile number in E.164 form, e.g. +33612345678');
export const Instant = z.iso.datetime({ offset: false });
export const Day = z.iso.date();
export const Channel = z.enum(CHANNELS);

export const Relationship = z.enum(['MTH', 'FTH', 'PRN', 'GRD', 'GRPRN', 'STPPRN', 'FAMMEMB']).meta({
  description: 'HL7 RoleCode of the legal representative: mother, father, parent, guardian, grandparent, step-parent, family member',
});

export const Identity = z.strictObject({
  familyName: text(100),
  givenNames: text(100),
  birthDate: Day,
  sex: z.enum(['F', 'M', 'U']),
});
export const Contact = z.strictObject({
  mobile: Mobile.optional(),
  email: z.email().max(254).optional(),
});
export const EmergencyAccess = z.strictObject({
  breakGlass: z.boolean().optional(),
  regulation: z.boolean().optional(),
});
export const RepresentativeInput = z.strictObject({
  familyName: text(100),
  givenNames: text(100),
  relationship: Relationship,
  mobile: Mobile.optional(),
});

export const CreateRecordBody = z.strictObject({
  ins: Ins,
  identity: Identity,
  contact: Contact.optional(),
  consent: z.strictObject({ expressConsent: z.boolean(), informedAt: Instant.optional() }),
  emergencyAccess: EmergencyAccess.optional(),
  representatives: z.array(RepresentativeInput).max(4).optional(),
  creationCode: z.string().regex(/^[0-9A-Z]{16}$/, 'a creation code has 16 characters').optional(),
  password: z.string().min(1).max(256).optional(),
});
export type CreateRecordBody = z.infer<typeof CreateRecordBody>;

export const Credentials = z.strictObject({ loginId: z.string(), provisionalPassword: z.string() });
export const CreateRecordResponse = z.strictObject({
  dmpId: DmpId,
  status: z.literal('active'),
  channel: Channel,
  createdAt: Instant,
  credentials: z.union([Credentials, z.strictObject({ loginId: z.string() })]).optional(),
  representatives: z.array(Credentials).optional(),
});

export const CreationCodeBody = z.strictObject({ ins: Ins });
export const CreationCodeResponse = z.strictObject({ creationCode: z.string(), expiresAt: Instant });

export const SearchBody = z.strictObject({ ins: Ins });
export const SearchResponse = z.strictObject({
  dmpId: DmpId,
  status: z.enum(['active', 'closed']),
  closedAt: Instant.optional(),
  authorization: z.enum(['VALIDE', 'NON_EXISTE', 'INTERDIT', 'EXPIRE']),
  attendingPhysician: z.boolean(),
});

export const RecordParams = z.strictObject({ dmpId: DmpId });
export const RecordView = z.strictObject({
  dmpId: DmpId,
  status: z.enum(['active', 'closed']),
  channel: Channel,
  createdAt: Instant,
  closedAt: Instant.optional(),
  identity: Identity,
  contact: Contact,
  emergencyAccess: z.strictObject({ breakGlass: z.boolean(), regulation: z.boolean() }),
  attendingPhysicians: z.array(z.strictObject({ professionalId: ProfessionalId })),
  representatives: z.array(RepresentativeInput),
});

export const PharmacyParams = z.strictObject({ finess: Finess });
export const PharmacyQuery = z.strictObject({ month: z.string().regex(/^[0-9]{4}-(?:0[1-9]|1[0-2])$/, 'month is YYYY-MM') });
export const PharmacyCreations = z.strictObject({
  finess: Finess,
  month: z.string(),
  count: z.number().int(),
  amountEur: z.number(),
  items: z.array(z.strictObject({ dmpId: DmpId, createdAt: Instant })),
});

export const StatsQuery = z.strictObject({ from: Day, to: Day });
export const CreationStats = z.strictObject({
  total: z.number().int(),
  byChannel: z.strictObject({ pharmacy: z.number().int(), professional: z.number().int(), agent: z.number().int(), online: z.number().int() }),
  byWeek: z.array(z.strictObject({ week: z.string(), count: z.number().int() })),
});

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.number().int(),
    detail: z.string().optional(),
    instance: z.string().optional(),
    errors: z.array(z.object({ path: z.string(), message: z.string() })).optional(),
  })
  .meta({ id: 'Problem', description: 'RFC 9457 problem document (application/problem+json)' });

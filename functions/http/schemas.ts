/**
 * The contract's shapes (CONTRACT.md) as zod schemas: they validate requests (unknown fields
 * refused), type the handlers, and generate both the API Gateway request models and the OpenAPI
 * document. Messages never echo the value they refuse.
 *
 * zod/mini, not classic zod: the same validation and JSON Schema, at 17 KB and ~10 ms of import
 * instead of 454 KB and ~50 ms — the difference between meeting the cold-start target and not
 * (see `npm run bench`). Only the English messages are loaded.
 */
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { DMP_ID, FINESS, MOBILE, PROFESSIONAL_ID } from '#domain/identifiers';
import { isValidIns } from '#domain/ins';
import { CHANNELS } from '#domain/creation';
import { CONTENT_TYPES, DOCUMENT_ID } from '#domain/documents';

z.config(en());

const text = (max: number) =>
  z.string().check(z.minLength(1), z.maxLength(max), z.regex(/^[^\u0000-\u001F\u007F-\u009F]*$/, 'control characters are not allowed'));

export const Ins = z
  .string()
  .check(
    z.regex(/^[0-9]{5}(?:[0-9]{2}|2A|2B)[0-9]{8}$/, 'an INS has 15 characters: digits, 2A or 2B in positions 6-7'),
    z.refine(isValidIns, 'the INS key does not match'),
    z.meta({ description: 'INS: NIR (13 characters) + key (2 digits). Only in request bodies, never in a URL.' }),
  );
export const DmpId = z.string().check(z.regex(DMP_ID), z.meta({ description: 'Opaque record id' }));
export const ProfessionalId = z.string().check(z.regex(PROFESSIONAL_ID));
export const Finess = z.string().check(z.regex(FINESS));
export const Mobile = z.string().check(z.regex(MOBILE, 'a mobile number in E.164 form, e.g. +33612345678'));
export const Instant = z.iso.datetime({ offset: false });
export const Day = z.iso.date();
export const Channel = z.enum(CHANNELS);
const count = () => z.int().check(z.minimum(0));

export const Relationship = z.enum(['MTH', 'FTH', 'PRN', 'GRD', 'GRPRN', 'STPPRN', 'FAMMEMB']).check(
  z.meta({ description: 'HL7 RoleCode of the legal representative: mother, father, parent, guardian, grandparent, step-parent, family member' }),
);

export const Identity = z.strictObject({
  familyName: text(100),
  givenNames: text(100),
  birthDate: Day,
  sex: z.enum(['F', 'M', 'U']),
});
export const Contact = z.strictObject({
  mobile: z.optional(Mobile),
  email: z.optional(z.email().check(z.maxLength(254))),
});
export const EmergencyAccess = z.strictObject({
  breakGlass: z.optional(z.boolean()),
  regulation: z.optional(z.boolean()),
});
export const RepresentativeInput = z.strictObject({
  familyName: text(100),
  givenNames: text(100),
  relationship: Relationship,
  mobile: z.optional(Mobile),
});

export const CreateRecordBody = z.strictObject({
  ins: Ins,
  identity: Identity,
  contact: z.optional(Contact),
  consent: z.strictObject({ expressConsent: z.boolean(), informedAt: z.optional(Instant) }),
  emergencyAccess: z.optional(EmergencyAccess),
  representatives: z.optional(z.array(RepresentativeInput).check(z.maxLength(4))),
  creationCode: z.optional(z.string().check(z.regex(/^[0-9A-Z]{16}$/, 'a creation code has 16 characters'))),
  password: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
});
export type CreateRecordBody = z.infer<typeof CreateRecordBody>;

export const Credentials = z.strictObject({ loginId: z.string(), provisionalPassword: z.string() });
export const CreateRecordResponse = z.strictObject({
  dmpId: DmpId,
  status: z.literal('active'),
  channel: Channel,
  createdAt: Instant,
  credentials: z.optional(z.union([Credentials, z.strictObject({ loginId: z.string() })])),
  representatives: z.optional(z.array(Credentials)),
});

export const CreationCodeBody = z.strictObject({ ins: Ins });
export const CreationCodeResponse = z.strictObject({ creationCode: z.string(), expiresAt: Instant });

export const SearchBody = z.strictObject({ ins: Ins });
export const SearchResponse = z.strictObject({
  dmpId: DmpId,
  status: z.enum(['active', 'closed']),
  closedAt: z.optional(Instant),
  authorization: z.enum(['VALIDE', 'NON_EXISTE', 'INTERDIT', 'EXPIRE']),
  attendingPhysician: z.boolean(),
});

export const RecordParams = z.strictObject({ dmpId: DmpId });
export const RecordView = z.strictObject({
  dmpId: DmpId,
  status: z.enum(['active', 'closed']),
  channel: Channel,
  createdAt: Instant,
  closedAt: z.optional(Instant),
  identity: Identity,
  contact: Contact,
  emergencyAccess: z.strictObject({ breakGlass: z.boolean(), regulation: z.boolean() }),
  attendingPhysicians: z.array(z.strictObject({ professionalId: ProfessionalId })),
  representatives: z.array(RepresentativeInput),
});

export const PharmacyParams = z.strictObject({ finess: Finess });
export const PharmacyQuery = z.strictObject({ month: z.string().check(z.regex(/^[0-9]{4}-(?:0[1-9]|1[0-2])$/, 'month is YYYY-MM')) });
export const PharmacyCreations = z.strictObject({
  finess: Finess,
  month: z.string(),
  count: count(),
  amountEur: z.number(),
  items: z.array(z.strictObject({ dmpId: DmpId, createdAt: Instant })),
});

export const StatsQuery = z.strictObject({ from: Day, to: Day });
export const CreationStats = z.strictObject({
  total: count(),
  byChannel: z.strictObject({ pharmacy: count(), professional: count(), agent: count(), online: count() }),
  byWeek: z.array(z.strictObject({ week: z.string(), count: count() })),
});

export const Problem = z
  .object({
    type: z.string(),
    title: z.string(),
    status: z.int(),
    detail: z.optional(z.string()),
    instance: z.optional(z.string()),
    errors: z.optional(z.array(z.object({ path: z.string(), message: z.string() }))),
  })
  .check(z.meta({ description: 'RFC 9457 problem document (application/problem+json)' }));

// ── Patient authentication and sessions ───────────────────────────────────────────────────────
export const LoginId = z.string().check(z.regex(/^[0-9]{11}$/, 'a login id has 11 digits'));
const Secret = z.string().check(z.minLength(1), z.maxLength(256));
export const LoginBody = z.strictObject({ loginId: LoginId, password: Secret });
export const LoginChallenge = z.strictObject({ challengeId: z.string(), expiresAt: Instant });
export const VerifyBody = z.strictObject({
  challengeId: z.string().check(z.regex(/^[A-Za-z0-9_-]{16,64}$/, 'not a challenge id')),
  code: z.string().check(z.regex(/^[0-9]{6}$/, 'the code has 6 digits')),
});
export const Session = z.strictObject({
  accessToken: z.string(),
  tokenType: z.literal('Bearer'),
  expiresIn: z.int().check(z.positive()),
  mustChangePassword: z.boolean(),
});
export const PasswordBody = z.strictObject({ currentPassword: Secret, newPassword: Secret });
export const ReissueBody = z.strictObject({
  identityChecked: z.literal(true).check(z.meta({ description: 'The agent checked the person’s identity document at the desk.' })),
});
export const ReissuedCredentials = z.strictObject({ loginId: z.string(), provisionalPassword: z.string() });

// ── The record's lifecycle and settings ───────────────────────────────────────────────────────
export const ClosureBody = z.strictObject({ reason: z.optional(text(500)) });
export const Closed = z.strictObject({ status: z.literal('closed'), closedAt: Instant, retainUntil: Instant });
export const ReactivationBody = z.strictObject({
  consent: z.optional(z.strictObject({ expressConsent: z.boolean(), informedAt: z.optional(Instant) })),
});
export const Reactivated = z.strictObject({ status: z.literal('active') });
export const SettingsBody = z.strictObject({ emergencyAccess: z.optional(EmergencyAccess), contact: z.optional(Contact) });
export const SettingsView = z.strictObject({
  emergencyAccess: z.strictObject({ breakGlass: z.boolean(), regulation: z.boolean() }),
  contact: Contact,
  pendingMobile: z.optional(
    z.strictObject({ expiresAt: Instant }).check(z.meta({ description: 'A new mobile waits for the code sent to it (see mobile-confirmation).' })),
  ),
});
export const MobileConfirmationBody = z.strictObject({ code: z.string().check(z.regex(/^[0-9]{6}$/, 'the code has 6 digits')) });
export const PageQuery = z.strictObject({
  limit: z.optional(z.string().check(z.regex(/^(?:[1-9][0-9]?|100)$/, 'limit is 1 to 100'))),
  cursor: z.optional(z.string().check(z.regex(/^[A-Za-z0-9_-]{1,512}$/, 'not a cursor'))),
});
export const Notifications = z.strictObject({
  items: z.array(
    z.strictObject({
      id: z.string(),
      at: Instant,
      channel: z.literal('sms'),
      reason: z.string(),
      status: z.enum(['pending', 'sent', 'failed', 'dropped']),
      sentAt: z.optional(Instant),
    }),
  ),
  nextCursor: z.nullable(z.string()),
});

// ── Documents ─────────────────────────────────────────────────────────────────────────────────
export const DocumentId = z.string().check(z.regex(DOCUMENT_ID, 'not a document id'), z.meta({ description: 'Opaque document id' }));
export const DocumentParams = z.strictObject({ dmpId: DmpId, documentId: DocumentId });
export const TypeCode = z.string().check(z.regex(/^[A-Za-z0-9_.-]{1,32}$/, 'not a type code'), z.meta({ description: 'A type code of shared/data/document-types.json' }));
const Labels = z.strictObject({
  maskedToProfessionals: z.optional(z.boolean()),
  invisibleToPatient: z.optional(z.boolean()),
  invisibleToRepresentatives: z.optional(z.boolean()),
});
export const DepositBody = z.strictObject({
  typeCode: TypeCode,
  title: text(255),
  serviceDate: Day,
  contentType: z.enum(CONTENT_TYPES),
  // Checked as strict base64 by the function (no pattern: the gateway would match it against megabytes).
  content: z.string().check(z.minLength(4), z.meta({ description: 'The content, base64 (RFC 4648 with padding): at most 4 MiB decoded' })),
  uniqueId: z.optional(z.string().check(z.regex(/^[A-Za-z0-9.^_:-]{1,128}$/, 'a uniqueId is an OID or UUID-like identifier'))),
  replaces: z.optional(DocumentId),
  visibility: z.optional(Labels),
});
export type DepositBody = z.infer<typeof DepositBody>;
export const Deposited = z.strictObject({ documentId: DocumentId, version: z.int().check(z.positive()), status: z.literal('current') });

const ActorRef = z.strictObject({ kind: z.enum(['professional', 'agent', 'patient', 'representative', 'anonymous', 'system']), id: z.optional(z.string()), profession: z.optional(z.string()) });
export const DocumentMeta = z.strictObject({
  documentId: DocumentId,
  version: z.int(),
  typeCode: z.string(),
  classCode: z.string(),
  title: z.string(),
  serviceDate: Day,
  depositedAt: Instant,
  author: z.strictObject({ kind: z.enum(['professional', 'patient', 'representative']), id: z.string(), profession: z.optional(z.string()) }),
  status: z.enum(['current', 'archived', 'superseded']),
  visibility: z.strictObject({ maskedToProfessionals: z.boolean(), invisibleToPatient: z.boolean(), invisibleToRepresentatives: z.boolean() }),
  size: count(),
  contentType: z.string(),
  replaces: z.optional(DocumentId),
});
export const DocumentList = z.strictObject({ items: z.array(DocumentMeta), nextCursor: z.nullable(z.string()) });
export const DocumentWithContent = z.extend(DocumentMeta, { content: z.string() });
export const DocumentQuery = z.strictObject({
  status: z.optional(z.enum(['current', 'archived', 'all'])),
  typeCode: z.optional(TypeCode),
  q: z.optional(text(200)),
  since: z.optional(Day),
  limit: PageQuery.shape.limit,
  cursor: PageQuery.shape.cursor,
});
export const DocumentPatch = z
  .strictObject({
    maskedToProfessionals: z.optional(z.boolean()),
    invisibleToPatient: z.optional(z.literal(false)),
    visibleToRepresentatives: z.optional(z.literal(true)),
    archived: z.optional(z.boolean()),
  })
  .check(z.refine((b) => Object.keys(b).length > 0, 'name at least one change'));

// ── Who may see the record, emergency access, access log ──────────────────────────────────────
export const ProfessionalParams = z.strictObject({ dmpId: DmpId, professionalId: ProfessionalId });
export const ProfessionalEntry = z.strictObject({
  professionalId: ProfessionalId,
  status: z.enum(['authorized', 'blocked']),
  attendingPhysician: z.boolean(),
  since: Instant,
  expiresAt: z.optional(Instant),
});
export const Professionals = z.strictObject({ items: z.array(ProfessionalEntry) });
export const ProfessionalDecision = z.strictObject({ status: z.enum(['authorized', 'blocked']), attendingPhysician: z.optional(z.boolean()) });
export const AccessBody = z.strictObject({
  mode: z.enum(['normal', 'break-glass', 'regulation']),
  patientConsent: z.optional(z.literal(true)),
  attendingPhysician: z.optional(z.boolean()),
  reason: z.optional(text(500)),
});
export const AccessGranted = z.strictObject({ authorization: z.literal('VALIDE'), mode: z.enum(['normal', 'break-glass', 'regulation']), expiresAt: z.optional(Instant) });
export const AccessLog = z.strictObject({
  items: z.array(
    z.strictObject({
      at: Instant,
      actor: ActorRef,
      action: z.string(),
      mode: z.enum(['normal', 'break-glass', 'regulation']),
      documentId: z.optional(z.string()),
      professionalId: z.optional(ProfessionalId),
    }),
  ),
  nextCursor: z.nullable(z.string()),
});

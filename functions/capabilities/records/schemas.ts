/** Records: creation, search, the record's view, lifecycle, settings and notifications. */
import * as z from 'zod/mini';
import { text, Ins, DmpId, ProfessionalId, Instant, Channel, Identity, Contact, EmergencyAccess, RepresentativeInput } from '#http/schemas';

export const CreateRecordBody = z.lazy(() =>
  z.strictObject({
    ins: Ins,
    identity: Identity,
    contact: z.optional(Contact),
    consent: z.strictObject({ expressConsent: z.boolean(), informedAt: z.optional(Instant) }),
    emergencyAccess: z.optional(EmergencyAccess),
    representatives: z.optional(z.array(RepresentativeInput).check(z.maxLength(4))),
    creationCode: z.optional(z.string().check(z.regex(/^[0-9A-Z]{16}$/, 'a creation code has 16 characters'))),
    password: z.optional(z.string().check(z.minLength(1), z.maxLength(256))),
  }),
);

export type CreateRecordBody = z.infer<typeof CreateRecordBody>;

export const Credentials = z.lazy(() => z.strictObject({ loginId: z.string(), provisionalPassword: z.string() }));

export const CreateRecordResponse = z.lazy(() =>
  z.strictObject({
    dmpId: DmpId,
    status: z.literal('active'),
    channel: Channel,
    createdAt: Instant,
    credentials: z.optional(z.union([Credentials, z.strictObject({ loginId: z.string() })])),
    representatives: z.optional(z.array(Credentials)),
  }),
);

export const CreationCodeBody = z.lazy(() => z.strictObject({ ins: Ins }));

export const CreationCodeResponse = z.lazy(() => z.strictObject({ creationCode: z.string(), expiresAt: Instant }));

export const SearchBody = z.lazy(() => z.strictObject({ ins: Ins }));

export const SearchResponse = z.lazy(() =>
  z.strictObject({
    dmpId: DmpId,
    status: z.enum(['active', 'closed']),
    closedAt: z.optional(Instant),
    authorization: z.enum(['VALIDE', 'NON_EXISTE', 'INTERDIT', 'EXPIRE']),
    attendingPhysician: z.boolean(),
  }),
);

export const RecordView = z.lazy(() =>
  z.strictObject({
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
  }),
);

export const ClosureBody = z.lazy(() => z.strictObject({ reason: z.optional(text(500)) }));

export const Closed = z.lazy(() => z.strictObject({ status: z.literal('closed'), closedAt: Instant, retainUntil: Instant }));

export const ReactivationBody = z.lazy(() =>
  z.strictObject({
    consent: z.optional(z.strictObject({ expressConsent: z.boolean(), informedAt: z.optional(Instant) })),
  }),
);

export const Reactivated = z.lazy(() => z.strictObject({ status: z.literal('active') }));

export const SettingsBody = z.lazy(() =>
  z.strictObject({
    emergencyAccess: z.optional(EmergencyAccess),
    contact: z.optional(Contact),
    vaccinationReminders: z.optional(z.boolean().check(z.meta({ description: 'SMS reminders of the vaccinations due (on by default)' }))),
  }),
);

export const SettingsView = z.lazy(() =>
  z.strictObject({
    emergencyAccess: z.strictObject({ breakGlass: z.boolean(), regulation: z.boolean() }),
    contact: Contact,
    vaccinationReminders: z.boolean(),
    pendingMobile: z.optional(z.strictObject({ expiresAt: Instant }).check(z.meta({ description: 'A new mobile waits for the code sent to it (see mobile-confirmation).' }))),
  }),
);

export const MobileConfirmationBody = z.lazy(() => z.strictObject({ code: z.string().check(z.regex(/^[0-9]{6}$/, 'the code has 6 digits')) }));

export const Notifications = z.lazy(() =>
  z.strictObject({
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
  }),
);

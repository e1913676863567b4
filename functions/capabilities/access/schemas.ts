/** Who may see the record: professionals, declared accesses and the access log. */
import * as z from 'zod/mini';
import { text, DmpId, ProfessionalId, Instant } from '#http/schemas';

const ActorRef = z.lazy(() =>
  z.strictObject({
    kind: z.enum(['professional', 'agent', 'insurer', 'device', 'patient', 'representative', 'anonymous', 'system']),
    id: z.optional(z.string()),
    profession: z.optional(z.string()),
  }),
);

export const ProfessionalParams = z.lazy(() => z.strictObject({ dmpId: DmpId, professionalId: ProfessionalId }));

export const ProfessionalEntry = z.lazy(() =>
  z.strictObject({
    professionalId: ProfessionalId,
    status: z.enum(['authorized', 'blocked']),
    attendingPhysician: z.boolean(),
    since: Instant,
    expiresAt: z.optional(Instant),
  }),
);

export const Professionals = z.lazy(() => z.strictObject({ items: z.array(ProfessionalEntry) }));

export const ProfessionalDecision = z.lazy(() => z.strictObject({ status: z.enum(['authorized', 'blocked']), attendingPhysician: z.optional(z.boolean()) }));

export const AccessBody = z.lazy(() =>
  z.strictObject({
    mode: z.enum(['normal', 'break-glass', 'regulation']),
    patientConsent: z.optional(z.literal(true)),
    attendingPhysician: z.optional(
      z.boolean().check(
        z.meta({
          description:
            'Accepted for compatibility only. The attending physician is the patient’s choice (PUT /v1/records/{dmpId}/professionals/{professionalId}): `true` is refused (403 attending-physician-is-the-patients-choice), `false` changes nothing.',
        }),
      ),
    ),
    reason: z.optional(text(500)),
  }),
);

export const AccessGranted = z.lazy(() =>
  z.strictObject({ authorization: z.literal('VALIDE'), mode: z.enum(['normal', 'break-glass', 'regulation']), expiresAt: z.optional(Instant) }),
);

export const AccessLog = z.lazy(() =>
  z.strictObject({
    items: z.array(
      z.strictObject({
        at: Instant,
        actor: ActorRef,
        action: z.string(),
        mode: z.enum(['normal', 'break-glass', 'regulation']),
        documentId: z.optional(z.string()),
        professionalId: z.optional(ProfessionalId),
        outcome: z.enum(['allowed', 'refused']).check(z.meta({ description: 'Whether the action was done or refused (entries written before refusals were traced: `allowed`).' })),
        requestId: z.optional(z.string().check(z.meta({ description: 'The request that did or was refused the action: its X-Request-Id.' }))),
        reason: z.optional(
          z.string().check(
            z.meta({
              description:
                'A refusal’s code (`blocked`, `no-authorization`, `patient-opposed`, `not-found`, …). Refusals are traced for professionals, at most one per professional, action and minute.',
            }),
          ),
        ),
      }),
    ),
    nextCursor: z.nullable(z.string()),
  }),
);

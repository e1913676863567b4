/** Patient authentication: login, the SMS code, sessions, passwords and credentials. */
import * as z from 'zod/mini';
import { Instant } from '#http/schemas';

export const LoginId = z.lazy(() => z.string().check(z.regex(/^[0-9]{11}$/, 'a login id has 11 digits')));

const Secret = z.lazy(() => z.string().check(z.minLength(1), z.maxLength(256)));

export const LoginBody = z.lazy(() => z.strictObject({ loginId: LoginId, password: Secret }));

export const LoginChallenge = z.lazy(() => z.strictObject({ challengeId: z.string(), expiresAt: Instant }));

export const VerifyBody = z.lazy(() =>
  z.strictObject({
    challengeId: z.string().check(z.regex(/^[A-Za-z0-9_-]{16,64}$/, 'not a challenge id')),
    code: z.string().check(z.regex(/^[0-9]{6}$/, 'the code has 6 digits')),
  }),
);

export const Session = z.lazy(() =>
  z.strictObject({
    accessToken: z.string(),
    tokenType: z.literal('Bearer'),
    expiresIn: z.int().check(z.positive()),
    mustChangePassword: z.boolean(),
  }),
);

export const PasswordBody = z.lazy(() => z.strictObject({ currentPassword: Secret, newPassword: Secret }));

export const ReissueBody = z.lazy(() =>
  z.strictObject({
    identityChecked: z.literal(true).check(z.meta({ description: 'The agent checked the person’s identity document at the desk.' })),
  }),
);

export const ReissuedCredentials = z.lazy(() => z.strictObject({ loginId: z.string(), provisionalPassword: z.string() }));

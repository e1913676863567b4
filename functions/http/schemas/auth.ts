/** Patient authentication: login, the SMS code, sessions, passwords and credentials. */
import * as z from 'zod/mini';
import { Instant } from './common.ts';

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

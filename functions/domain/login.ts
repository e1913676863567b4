/**
 * Rules of patient login (password, then a one-time SMS code) and of guessing bounds. Pure: the
 * instant is passed in, randomness too. The adapters keep the counters with conditional writes;
 * these functions say what the counters mean.
 */
import { randomString } from './identifiers.ts';

/** A one-time code lives five minutes, is used once, and allows five attempts. */
export const CODE_TTL_MS = 5 * 60_000;
export const MAX_CODE_ATTEMPTS = 5;
/** Sessions: fifteen minutes, no refresh (a new login asks for a new code). */
export const SESSION_TTL_SECONDS = 15 * 60;

/**
 * Failed attempts on one account (wrong password or wrong code) are counted cumulatively: only a
 * successful login resets them, never the passing of time. From the 5th failure on, each failure
 * locks the account for a period that doubles: 1 min, 2, 4 … up to 24 h. Ten thousand guesses
 * therefore take years, while a patient who mistypes a few times waits a minute.
 */
export const FREE_FAILURES = 4;
export const MAX_LOCK_MS = 24 * 3600_000;
export const lockAfter = (failures: number, now: Date): Date | undefined => {
  if (failures <= FREE_FAILURES) return undefined;
  const ms = Math.min(60_000 * 2 ** (failures - FREE_FAILURES - 1), MAX_LOCK_MS);
  return new Date(now.getTime() + ms);
};

/**
 * Failures from one source (a client address) within a fixed window: past the limit the source
 * is refused until the window ends, whichever accounts it tries.
 */
export const SOURCE_WINDOW_MS = 15 * 60_000;
export const SOURCE_MAX_FAILURES = 30;
export const sourceWindow = (now: Date): { start: string; end: Date } => {
  const start = Math.floor(now.getTime() / SOURCE_WINDOW_MS) * SOURCE_WINDOW_MS;
  return { start: new Date(start).toISOString(), end: new Date(start + SOURCE_WINDOW_MS) };
};

/** Seconds to tell a client in Retry-After (at least one). */
export const retryAfterSeconds = (until: Date, now: Date): number => Math.max(1, Math.ceil((until.getTime() - now.getTime()) / 1000));

export const newLoginCode = (bytes: (n: number) => Uint8Array): string => randomString(bytes, '0123456789', 6);
export const newChallengeId = (bytes: (n: number) => Uint8Array): string => randomString(bytes, 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_', 32);

/** Who a login opens the record for, and whether it may open it today. */
export type LoginActor = 'patient' | 'representative';

export type LoginRefusal = { code: 'representative-ended'; message: string } | { code: 'minor-patient'; message: string };

/**
 * Representatives act for a minor until the 18th birthday; the minor's own login is issued at a
 * desk once of age (reissue), so a patient login never opens a minor's record.
 */
export const loginRefusal = (actor: LoginActor, isMinorToday: boolean): LoginRefusal | undefined => {
  if (actor === 'representative' && !isMinorToday) {
    return { code: 'representative-ended', message: 'The person is now of age: representatives no longer have access. New credentials are issued at a CPAM desk.' };
  }
  if (actor === 'patient' && isMinorToday) {
    return { code: 'minor-patient', message: "A minor's record is used by the legal representatives." };
  }
  return undefined;
};

/**
 * When the sessions of a record's holders ended, as the record's META item keeps it: a desk reissue
 * of credentials ends every session of the record, a password change every session of its login,
 * a closure every session of the record except for undoing the closure (reactivation). Instants
 * in milliseconds.
 */
export interface SessionEnds {
  /** The last reissue of the record's credentials (every login replaced). */
  credentialsReissuedAt?: number | undefined;
  /** The last password change of each login. */
  passwordChangedAt: Readonly<Record<string, number>>;
  /** The last closure of the record (kept after a reactivation). */
  closedAt?: number | undefined;
}

/**
 * Why a session of the record, whose login checked the password at `authenticatedAt` (ms), no
 * longer authenticates its holder:
 * `credentials` (a reissue or a password change since: nothing is allowed), `closure` (the record
 * was closed since: only reactivation is), or undefined while it stands. Dating a session from its
 * password check, not from its code, also ends a login begun before the change and finished after.
 * "Before" is strict: the change is written by a request later than the one that checked the
 * password of a session it ends.
 */
export const sessionEnd = (session: { loginId: string; authenticatedAt?: number | undefined }, ends: SessionEnds): 'credentials' | 'closure' | undefined => {
  const issuedAt = session.authenticatedAt ?? 0;
  const credentials = Math.max(ends.credentialsReissuedAt ?? 0, ends.passwordChangedAt[session.loginId] ?? 0);
  if (issuedAt < credentials) return 'credentials';
  if (issuedAt < (ends.closedAt ?? 0)) return 'closure';
  return undefined;
};

/**
 * Rules of patient login (password, then a one-time SMS code) and of guessing bounds. Pure: the
 * instant is passed in, randomness too. The adapters keep the counters with conditional writes;
 * these functions say what the counters mean and what the conditions must check.
 */
import { randomString } from './identifiers.ts';

/** A one-time code lives five minutes, is used once, and allows five attempts. */
export const CODE_TTL_MS = 5 * 60_000;
export const MAX_CODE_ATTEMPTS = 5;
/** Sessions: fifteen minutes, no refresh (a new login asks for a new code). */
export const SESSION_TTL_SECONDS = 15 * 60;

/**
 * Attempts on one account (a password, or a one-time code; known login id or not: the answer must
 * not tell them apart) are counted from the last completed login, which resets them; time alone
 * never does. Each attempt is reserved — counted, atomically and under the conditions below —
 * before its password or code is checked, so that concurrent attempts can never get more checks
 * than the rules allow; a right password gives its reservation back, so at rest the count is the
 * failures. The first FREE_ATTEMPTS are free; after that, each further attempt must wait after the
 * previous one for a period that grows: 1 min, 5 min, 15 min, 1 h, then 4 h each time. A burst of
 * guesses from elsewhere thus costs the owner a minute, not a day, while a patient guesser gets six
 * tries a day (against a 12-character password, and a code by SMS after it).
 */
export const FREE_ATTEMPTS = 5;
export const LOCK_STEPS_MS: readonly number[] = [1, 5, 15, 60, 240].map((minutes) => minutes * 60_000);
export const MAX_LOCK_MS = 240 * 60_000;

/** How long the attempt after `attempts` counted ones must wait after the last of them (0: none). */
export const lockAfter = (attempts: number): number =>
  attempts < FREE_ATTEMPTS ? 0 : (LOCK_STEPS_MS[Math.min(attempts - FREE_ATTEMPTS, LOCK_STEPS_MS.length - 1)] ?? MAX_LOCK_MS);

/** When one more attempt is allowed, after `attempts` counted ones of which the last was at `lastAt`. */
export const accountOpensAt = (attempts: number, lastAt: Date | undefined): Date | undefined => {
  const wait = lockAfter(attempts);
  return wait === 0 || !lastAt ? undefined : new Date(lastAt.getTime() + wait);
};

/** Whether one more attempt may be reserved at `now`. */
export const accountAdmits = (attempts: number, lastAt: Date | undefined, now: Date): boolean => {
  const opens = accountOpensAt(attempts, lastAt);
  return opens === undefined || opens <= now;
};

/**
 * The same rule as `accountAdmits`, spelt out for a store's conditional write at `now`: one more
 * attempt is allowed when fewer than `free` are counted, or when exactly `attempts` are counted
 * (at least, for the last step) and the last one was at `lastAtUpTo` or before.
 */
export const accountAdmission = (now: Date): { free: number; steps: { attempts: number; orMore: boolean; lastAtUpTo: Date }[] } => ({
  free: FREE_ATTEMPTS,
  steps: LOCK_STEPS_MS.map((ms, i) => ({ attempts: FREE_ATTEMPTS + i, orMore: i === LOCK_STEPS_MS.length - 1, lastAtUpTo: new Date(now.getTime() - ms) })),
});

/**
 * Failures from one source (a client address; IPv6 addresses by /64, see `sourceGroup`) over a
 * sliding quarter of an hour, estimated as rate limiters commonly do: the current fixed window's
 * count plus the previous window's, weighted by the share of the previous window that the last
 * quarter of an hour still covers. Attempts are reserved before they are checked (a right password
 * or code gives its reservation back); past the allowance the source is refused, whichever
 * accounts it tries, until the estimate leaves room for one more.
 */
export const SOURCE_WINDOW_MS = 15 * 60_000;
export const SOURCE_MAX_FAILURES = 30;

/** The fixed window `now` falls in, numbered from the epoch. */
export const sourceWindowIndex = (now: Date): number => Math.floor(now.getTime() / SOURCE_WINDOW_MS);

/** The estimate, scaled by SOURCE_WINDOW_MS so that it is an exact integer. */
const scaledFailures = (previous: number, current: number, now: Date): number =>
  previous * (SOURCE_WINDOW_MS - (now.getTime() - sourceWindowIndex(now) * SOURCE_WINDOW_MS)) + current * SOURCE_WINDOW_MS;

/** The failures a source is charged with at `now`, from its previous and current windows' counts. */
export const slidingFailures = (previous: number, current: number, now: Date): number => scaledFailures(previous, current, now) / SOURCE_WINDOW_MS;

/** Whether counts of `previous` and `current` (the attempt at hand included) stay within the allowance. */
export const sourceAdmits = (previous: number, current: number, now: Date): boolean => scaledFailures(previous, current, now) <= SOURCE_MAX_FAILURES * SOURCE_WINDOW_MS;

/**
 * When a source whose windows hold `previous` and `current` at `now` may make one more attempt,
 * if nothing else is counted meanwhile: later in this window, as the previous one's weight fades,
 * or else in the next window, where this one's count becomes the previous.
 */
export const sourceOpensAt = (previous: number, current: number, now: Date): Date => {
  const W = SOURCE_WINDOW_MS;
  const start = sourceWindowIndex(now) * W;
  const room = SOURCE_MAX_FAILURES - current - 1;
  if (room >= 0) {
    // previous × (W − elapsed) ≤ room × W
    const elapsed = previous === 0 ? 0 : W - Math.floor((room * W) / previous);
    if (elapsed < W) return new Date(Math.max(now.getTime(), start + elapsed));
  }
  const next = start + W;
  // current × (W − elapsed) ≤ (SOURCE_MAX_FAILURES − 1) × W
  const elapsed = current === 0 ? 0 : Math.max(0, W - Math.floor(((SOURCE_MAX_FAILURES - 1) * W) / current));
  return new Date(next + elapsed);
};

/**
 * The group a source address is counted in: an IPv4 address on its own, an IPv6 address with its
 * whole /64 (the block one subscriber or one host is routinely given, so that hopping between its
 * addresses changes nothing); an IPv4 address written as IPv6 (::ffff:a.b.c.d) is IPv4. Anything
 * else is counted as written.
 */
export const sourceGroup = (address: string): string => {
  const ip = address.trim().toLowerCase().replace(/%.*$/, '');
  if (!ip.includes(':')) return ip;
  const groups = ipv6Groups(ip);
  if (!groups) return ip;
  if (groups.slice(0, 5).every((g) => g === '0') && groups[5] === 'ffff') {
    const [hi = 0, lo = 0] = groups.slice(6).map((g) => Number.parseInt(g, 16));
    return [hi >> 8, hi & 255, lo >> 8, lo & 255].join('.');
  }
  return `${groups.slice(0, 4).join(':')}::/64`;
};

const isIpv4 = (s: string): boolean => {
  const parts = s.split('.');
  return parts.length === 4 && parts.every((p) => /^\d{1,3}$/.test(p) && Number(p) <= 255);
};

/** The eight 16-bit groups of an IPv6 address (hex, no leading zeros), or undefined if it is not one. */
const ipv6Groups = (ip: string): string[] | undefined => {
  let text = ip;
  // A trailing dotted IPv4 part stands for the last two groups.
  const dotted = /^(.*:)(\d{1,3}(?:\.\d{1,3}){3})$/.exec(text);
  if (dotted?.[1] && dotted[2]) {
    if (!isIpv4(dotted[2])) return undefined;
    const [a = 0, b = 0, c = 0, d = 0] = dotted[2].split('.').map(Number);
    text = `${dotted[1]}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const part = (s: string | undefined) => (s ? s.split(':') : []);
  const head = part(halves[0]);
  const tail = part(halves[1]);
  const missing = 8 - head.length - tail.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array<string>(halves.length === 1 ? 0 : missing).fill('0'), ...tail];
  if (!all.every((g) => /^[0-9a-f]{1,4}$/.test(g))) return undefined;
  return all.map((g) => Number.parseInt(g, 16).toString(16));
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

export interface Login {
  loginId: string;
  dmpId: string;
  actor: LoginActor;
  passwordHash: string;
  mustChangePassword: boolean;
}

/** A login to write for a record (the record is given apart). */
export type NewLogin = Omit<Login, 'dmpId'>;

/** An attempt counted against a login id before it is checked; `releaseAccount` gives it back. */
export interface AccountReservation {
  loginId: string;
  /** The instant it was counted at (the lock schedule measures from the last counted attempt). */
  at: string;
  /** The count and last instant it replaced, to restore them exactly. */
  before: { failures: number; lastFailureAt: string | undefined };
}

/** An attempt counted against a source in one window; `releaseSource` gives it back. */
export interface SourceReservation {
  sourceHash: string;
  window: number;
  /** Counts of windows that no longer count, seen on the way: dropped when it is given back. */
  stale: number[];
}

/** A reservation, or the instant before which none will be granted. */
export type Reserved<T> = { reserved: T } | { refusedUntil: Date };

export interface Challenge {
  challengeId: string;
  dmpId: string;
  loginId: string;
  actor: LoginActor;
  codeHash: string;
  expiresAt: Date;
  mustChangePassword: boolean;
  attempts: number;
  /** When the challenge was created: when the login's password was checked. */
  createdAt: Date;
  /** The session it opens ends then at the latest (a representative's, at the 18th birthday). */
  sessionNotAfter?: Date | undefined;
}

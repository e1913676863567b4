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

/** Login rules: the lock schedule, the source window, one-time codes and who may log in. Pure, instants injected. */
import { describe, expect, it } from 'vitest';
import { isMinorOn } from '../../functions/domain/dates.ts';
import {
  FREE_FAILURES,
  MAX_LOCK_MS,
  SOURCE_WINDOW_MS,
  lockAfter,
  loginRefusal,
  newChallengeId,
  newLoginCode,
  retryAfterSeconds,
  sessionEnd,
  sourceWindow,
} from '../../functions/domain/login.ts';

const NOW = new Date('2026-11-23T10:07:31.250Z');
const MINUTE = 60_000;
const lockMs = (failures: number, now = NOW): number | undefined => {
  const until = lockAfter(failures, now);
  return until === undefined ? undefined : until.getTime() - now.getTime();
};

describe('account lock schedule', () => {
  it.each([
    [0, undefined],
    [1, undefined],
    [3, undefined],
    [4, undefined],
    [5, 1 * MINUTE],
    [6, 2 * MINUTE],
    [7, 4 * MINUTE],
    [8, 8 * MINUTE],
    [10, 32 * MINUTE],
    [14, 512 * MINUTE],
    [15, 1024 * MINUTE],
    [16, 24 * 60 * MINUTE],
    [17, 24 * 60 * MINUTE],
    [40, 24 * 60 * MINUTE],
    [10_000, 24 * 60 * MINUTE],
  ])('after %i cumulative failures the id is locked for %s ms', (failures, ms) => {
    expect(lockMs(failures)).toBe(ms);
  });

  it('leaves exactly the free failures unlocked', () => {
    expect(FREE_FAILURES).toBe(4);
    expect(lockAfter(FREE_FAILURES, NOW)).toBeUndefined();
    expect(lockAfter(FREE_FAILURES + 1, NOW)?.toISOString()).toBe('2026-11-23T10:08:31.250Z');
  });

  it('never shortens the lock as failures accumulate, and never goes beyond 24 h', () => {
    let previous = 0;
    for (let failures = FREE_FAILURES + 1; failures <= 200; failures++) {
      const ms = lockMs(failures)!;
      expect(ms).toBeGreaterThanOrEqual(previous);
      expect(ms).toBeLessThanOrEqual(MAX_LOCK_MS);
      previous = ms;
    }
    expect(previous).toBe(MAX_LOCK_MS);
  });

  it('counts from the instant of the failure, whatever time has passed since the previous ones', () => {
    // Failures are cumulative: a failure a year later still carries the full weight of the count.
    const later = new Date('2027-11-23T10:07:31.250Z');
    expect(lockAfter(9, later)?.toISOString()).toBe(new Date(later.getTime() + 16 * MINUTE).toISOString());
    expect(lockMs(9, later)).toBe(lockMs(9, NOW));
  });
});

describe('source window', () => {
  it('is a fixed quarter of an hour aligned on the epoch', () => {
    expect(SOURCE_WINDOW_MS).toBe(15 * MINUTE);
    const w = sourceWindow(NOW);
    expect(w.start).toBe('2026-11-23T10:00:00.000Z');
    expect(w.end.toISOString()).toBe('2026-11-23T10:15:00.000Z');
  });

  it.each([
    ['2026-11-23T10:00:00.000Z', '2026-11-23T10:00:00.000Z'],
    ['2026-11-23T10:14:59.999Z', '2026-11-23T10:00:00.000Z'],
    ['2026-11-23T10:15:00.000Z', '2026-11-23T10:15:00.000Z'],
    ['2026-11-23T23:59:59.999Z', '2026-11-23T23:45:00.000Z'],
    ['2026-11-24T00:00:00.000Z', '2026-11-24T00:00:00.000Z'],
  ])('places %s in the window starting %s', (instant, start) => {
    const w = sourceWindow(new Date(instant));
    expect(w.start).toBe(start);
    expect(w.end.getTime() - Date.parse(start)).toBe(SOURCE_WINDOW_MS);
  });

  it('ends where the next window starts', () => {
    const w = sourceWindow(NOW);
    expect(sourceWindow(w.end).start).toBe(w.end.toISOString());
    expect(sourceWindow(new Date(w.end.getTime() - 1)).start).toBe(w.start);
  });
});

describe('Retry-After', () => {
  it.each([
    [60_000, 60],
    [1, 1],
    [999, 1],
    [1_000, 1],
    [1_001, 2],
    [0, 1],
    [-5_000, 1],
  ])('until now + %i ms says %i s', (ms, seconds) => {
    expect(retryAfterSeconds(new Date(NOW.getTime() + ms), NOW)).toBe(seconds);
  });
});

/** The character drawn from a source whose bytes are all `b` (undefined when `b` is rejected). */
const drawnFrom = (make: (bytes: (n: number) => Uint8Array) => string, b: number): string | undefined => {
  let calls = 0;
  // A rejected byte would loop forever: after the first batch, the source gives a marker instead.
  const out = make((n) => (++calls === 1 ? new Uint8Array(n).fill(b) : new Uint8Array(n).fill(0)));
  return calls === 1 ? out[0] : undefined;
};
const preimages = (make: (bytes: (n: number) => Uint8Array) => string) => {
  const c = new Map<string, number>();
  let rejected = 0;
  for (let b = 0; b < 256; b++) {
    const ch = drawnFrom(make, b);
    if (ch === undefined) rejected += 1;
    else c.set(ch, (c.get(ch) ?? 0) + 1);
  }
  return { counts: c, rejected };
};

describe('one-time codes and challenge ids', () => {
  it('a login code is six digits drawn from the injected bytes', () => {
    expect(newLoginCode((n) => new Uint8Array(n).fill(3))).toBe('333333');
    expect(newLoginCode((n) => Uint8Array.from({ length: n }, (_, i) => i))).toBe('012345');
  });

  it('maps exactly 25 byte values to each digit and rejects bytes 250..255 (no modulo bias)', () => {
    const { counts, rejected } = preimages(newLoginCode);
    expect([...counts.keys()].sort().join('')).toBe('0123456789');
    expect(new Set(counts.values())).toEqual(new Set([25]));
    expect(rejected).toBe(6);
  });

  it('skips rejected bytes within a batch', () => {
    const source = (n: number) => Uint8Array.from({ length: n }, (_, i) => (i % 2 === 0 ? 250 + (i % 6) : 9 - (i % 10)));
    // Even positions hold rejected bytes; odd positions 1, 3 … 11 hold 8, 6, 4, 2, 0, 8.
    expect(newLoginCode(source)).toBe('864208');
  });

  it('a challenge id is 32 URL-safe characters; each of the 64 comes from exactly 4 byte values', () => {
    expect(newChallengeId((n) => Uint8Array.from({ length: n }, (_, i) => i))).toBe('ABCDEFGHIJKLMNOPQRSTUVWXYZabcdef');
    const { counts, rejected } = preimages(newChallengeId);
    expect(rejected).toBe(0);
    expect(counts.size).toBe(64);
    expect(new Set(counts.values())).toEqual(new Set([4]));
    expect([...counts.keys()].join('')).toMatch(/^[A-Za-z0-9_-]{64}$/);
  });
});

describe('who may log in', () => {
  it.each([
    ['patient', false, undefined],
    ['patient', true, 'minor-patient'],
    ['representative', true, undefined],
    ['representative', false, 'representative-ended'],
  ] as const)('a %s login while minor=%s is refused with %s', (actor, minor, code) => {
    expect(loginRefusal(actor, minor)?.code).toBe(code);
  });

  it('refusal messages name no one', () => {
    for (const refusal of [loginRefusal('patient', true), loginRefusal('representative', false)]) {
      expect(refusal?.message.length).toBeGreaterThan(0);
      expect(refusal?.message).not.toMatch(/[0-9]{6,}/);
    }
  });
});

describe('majority', () => {
  it.each([
    ['2008-11-23', '2026-11-22T00:00:00.000Z', true],
    ['2008-11-23', '2026-11-22T23:59:59.999Z', true],
    ['2008-11-23', '2026-11-23T00:00:00.000Z', false],
    ['2008-11-23', '2026-11-23T23:59:59.999Z', false],
    ['2008-11-23', '2025-11-23T12:00:00.000Z', true],
    ['2008-01-01', '2025-12-31T23:59:59.999Z', true],
    ['2008-01-01', '2026-01-01T00:00:00.000Z', false],
    ['2008-12-31', '2026-12-30T12:00:00.000Z', true],
    ['2008-12-31', '2026-12-31T00:00:00.000Z', false],
    // Born on 29 February: 2026 has none, majority comes on 1 March.
    ['2008-02-29', '2026-02-28T23:59:59.999Z', true],
    ['2008-02-29', '2026-03-01T00:00:00.000Z', false],
    ['2008-02-29', '2025-03-01T00:00:00.000Z', true],
    // 29 February birth, 18th birthday on a leap year is impossible (18 ≡ 2 mod 4): check a 20th.
    ['2004-02-29', '2024-02-29T00:00:00.000Z', false],
  ])('born %s, on %s, is a minor: %s', (birth, on, minor) => {
    expect(isMinorOn(birth, new Date(on))).toBe(minor);
  });

  it('drives the login refusal across the 18th birthday', () => {
    const before = isMinorOn('2008-11-23', new Date('2026-11-22T23:59:59.999Z'));
    const on = isMinorOn('2008-11-23', new Date('2026-11-23T00:00:00.000Z'));
    expect(loginRefusal('representative', before)).toBeUndefined();
    expect(loginRefusal('patient', before)?.code).toBe('minor-patient');
    expect(loginRefusal('representative', on)?.code).toBe('representative-ended');
    expect(loginRefusal('patient', on)).toBeUndefined();
  });
});

describe('a session ends with its credentials and its record’s closure', () => {
  const T = NOW.getTime();
  const session = (authenticatedAt: number | undefined, loginId = '11111111111') => ({ loginId, authenticatedAt });
  it.each([
    ['nothing changed', {}, T, undefined],
    ['reissued after the login', { credentialsReissuedAt: T + 1 }, T, 'credentials'],
    ['reissued before the login', { credentialsReissuedAt: T - 1 }, T, undefined],
    ['reissued in the same millisecond', { credentialsReissuedAt: T }, T, undefined],
    ['this login’s password changed after', { passwordChangedAt: { '11111111111': T + 1 } }, T, 'credentials'],
    ['another login’s password changed after', { passwordChangedAt: { '22222222222': T + 1 } }, T, undefined],
    ['closed after the login', { closedAt: T + 1 }, T, 'closure'],
    ['closed before the login', { closedAt: T - 1 }, T, undefined],
    ['closed and reissued after: the credentials win', { closedAt: T + 1, credentialsReissuedAt: T + 2 }, T, 'credentials'],
    ['a session without its instant, once anything changed', { closedAt: 1 }, undefined, 'closure'],
  ] as const)('%s', (_, ends, at, expected) => {
    expect(sessionEnd(session(at), { passwordChangedAt: {}, ...ends })).toBe(expected);
  });
});

/** Login rules: the lock schedule, the sliding source window and source groups, one-time codes and who may log in. Pure, instants injected. */
import { describe, expect, it } from 'vitest';
import { isMinorOn } from '../../functions/domain/dates.ts';
import {
  FREE_ATTEMPTS,
  LOCK_STEPS_MS,
  MAX_LOCK_MS,
  SOURCE_MAX_FAILURES,
  SOURCE_WINDOW_MS,
  accountAdmission,
  accountAdmits,
  accountOpensAt,
  lockAfter,
  loginRefusal,
  newChallengeId,
  newLoginCode,
  retryAfterSeconds,
  sessionEnd,
  slidingFailures,
  sourceAdmits,
  sourceGroup,
  sourceOpensAt,
  sourceWindowIndex,
} from '../../functions/domain/login.ts';

const NOW = new Date('2026-11-23T10:07:31.250Z');
const MINUTE = 60_000;
const HOUR = 60 * MINUTE;
const at = (ms: number, from = NOW) => new Date(from.getTime() + ms);

describe('account lock schedule', () => {
  it.each([
    [0, 0],
    [1, 0],
    [4, 0],
    [5, 1 * MINUTE],
    [6, 5 * MINUTE],
    [7, 15 * MINUTE],
    [8, 1 * HOUR],
    [9, 4 * HOUR],
    [10, 4 * HOUR],
    [40, 4 * HOUR],
    [10_000, 4 * HOUR],
  ])('after %i counted attempts the next one waits %i ms after the last', (attempts, ms) => {
    expect(lockAfter(attempts)).toBe(ms);
  });

  it('leaves exactly the free attempts unlocked, then waits from the last attempt', () => {
    expect(FREE_ATTEMPTS).toBe(5);
    expect(accountOpensAt(FREE_ATTEMPTS - 1, NOW)).toBeUndefined();
    expect(accountOpensAt(FREE_ATTEMPTS, NOW)?.toISOString()).toBe('2026-11-23T10:08:31.250Z');
    expect(accountAdmits(FREE_ATTEMPTS, NOW, at(MINUTE - 1))).toBe(false);
    expect(accountAdmits(FREE_ATTEMPTS, NOW, at(MINUTE))).toBe(true);
    expect(accountAdmits(0, undefined, NOW)).toBe(true);
  });

  it('never shortens the wait as attempts accumulate, and never goes beyond 4 h', () => {
    let previous = 0;
    for (let attempts = 0; attempts <= 200; attempts++) {
      const ms = lockAfter(attempts);
      expect(ms).toBeGreaterThanOrEqual(previous);
      expect(ms).toBeLessThanOrEqual(MAX_LOCK_MS);
      previous = ms;
    }
    expect(previous).toBe(MAX_LOCK_MS);
    expect(MAX_LOCK_MS).toBe(4 * HOUR);
    expect(LOCK_STEPS_MS.at(-1)).toBe(MAX_LOCK_MS);
  });

  /** Attempts tried every `everyMs` for `forMs` from NOW, against the rule: the instants let through. */
  const persistent = (everyMs: number, forMs: number, burst = 1): Date[] => {
    const through: Date[] = [];
    for (let t = 0; t < forMs; t += everyMs) {
      const now = at(t);
      for (let i = 0; i < burst; i++) if (accountAdmits(through.length, through.at(-1), now)) through.push(now);
    }
    return through;
  };

  it('a burst of 40 gets the free attempts through, and costs the owner one minute', () => {
    const through = persistent(1, 1, 40);
    expect(through).toHaveLength(FREE_ATTEMPTS);
    expect(accountOpensAt(through.length, through.at(-1))?.getTime()).toBe(at(MINUTE).getTime());
  });

  it('a guesser trying every second gets 14 attempts on the first day, then 6 a day', () => {
    // 5 free (one a second), then 1, 5, 15 and 60 minutes after the previous one, then every 4 hours.
    const firstDay = persistent(1000, 24 * HOUR);
    expect(firstDay).toHaveLength(14);
    const gaps = firstDay.slice(1).map((d, i) => (d.getTime() - firstDay[i]!.getTime()) / MINUTE);
    expect(gaps).toEqual([1 / 60, 1 / 60, 1 / 60, 1 / 60, 1, 5, 15, 60, 240, 240, 240, 240, 240]);
    const threeDays = persistent(1000, 72 * HOUR);
    expect(threeDays.length - firstDay.length).toBe(12);
  });

  it('the store’s condition (accountAdmission) says exactly what accountAdmits says', () => {
    const rule = accountAdmission(NOW);
    const condition = (attempts: number, lastAt: Date | undefined): boolean =>
      attempts < rule.free || rule.steps.some((s) => (s.orMore ? attempts >= s.attempts : attempts === s.attempts) && lastAt !== undefined && lastAt <= s.lastAtUpTo);
    for (let attempts = 0; attempts < 20; attempts++) {
      for (const ago of [0, 1, MINUTE - 1, MINUTE, MINUTE + 1, 5 * MINUTE - 1, 5 * MINUTE, 15 * MINUTE, HOUR - 1, HOUR, 4 * HOUR - 1, 4 * HOUR, 30 * HOUR]) {
        const lastAt = at(-ago);
        expect(condition(attempts, lastAt), `${attempts} attempts, the last ${ago} ms ago`).toBe(accountAdmits(attempts, lastAt, NOW));
      }
    }
  });
});

describe('source window', () => {
  const W = SOURCE_WINDOW_MS;
  const start = new Date(sourceWindowIndex(NOW) * W);
  const within = (fraction: number) => new Date(start.getTime() + fraction * W);

  it('counts fixed quarters of an hour from the epoch', () => {
    expect(W).toBe(15 * MINUTE);
    expect(start.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(sourceWindowIndex(new Date('2026-11-23T10:14:59.999Z'))).toBe(sourceWindowIndex(NOW));
    expect(sourceWindowIndex(new Date('2026-11-23T10:15:00.000Z'))).toBe(sourceWindowIndex(NOW) + 1);
  });

  it.each([
    [30, 0, 0, 30],
    [30, 0, 0.5, 15],
    [30, 4, 0.5, 19],
    [30, 0, 0.9, 3],
    [0, 12, 0.3, 12],
    [10, 10, 0.25, 17.5],
  ])('previous %i and current %i, %s of the way through the window: %s failures', (previous, current, fraction, failures) => {
    expect(slidingFailures(previous, current, within(fraction))).toBeCloseTo(failures, 9);
  });

  it('admits up to the allowance, the attempt at hand included', () => {
    expect(SOURCE_MAX_FAILURES).toBe(30);
    expect(sourceAdmits(0, 30, within(0))).toBe(true);
    expect(sourceAdmits(0, 31, within(0.99))).toBe(false);
    expect(sourceAdmits(30, 15, within(0.5))).toBe(true);
    expect(sourceAdmits(30, 16, within(0.5))).toBe(false);
    expect(sourceAdmits(30, 1, within(0))).toBe(false);
    // The previous window's weight fades to nothing by the end of this one.
    expect(sourceAdmits(30, 30, new Date(start.getTime() + W - 1))).toBe(false);
    expect(sourceAdmits(30, 29, new Date(start.getTime() + W - 1))).toBe(true);
  });

  it.each([
    // [previous, current, fraction of the window elapsed now, expected ISO instant]
    [0, 30, 0.1, '2026-11-23T10:15:30.000Z'],
    // 16 of 30: the previous window must weigh 14 at most, 14/30 of it left: 8 minutes in.
    [30, 15, 0.5, '2026-11-23T10:08:00.000Z'],
    [30, 15, 0.2, '2026-11-23T10:08:00.000Z'],
    [30, 14, 0.5, '2026-11-23T10:07:30.000Z'],
    // No room left in this window whatever the previous one's weight: the next window, at once.
    [30, 29, 0, '2026-11-23T10:15:00.000Z'],
    [30, 0, 0, '2026-11-23T10:00:30.000Z'],
    [12, 30, 0.9, '2026-11-23T10:15:30.000Z'],
    [0, 29, 0.4, '2026-11-23T10:06:00.000Z'],
  ])('previous %i, current %i at %s of the window: one more at %s', (previous, current, fraction, iso) => {
    expect(sourceOpensAt(previous, current, within(fraction)).toISOString()).toBe(iso);
  });

  it('opens at the first millisecond the estimate leaves room for one more, not one earlier', () => {
    // The counts as they stand at `t`, if nothing is added: the current window's become the previous.
    const admitsAt = (previous: number, current: number, t: Date) =>
      sourceWindowIndex(t) === sourceWindowIndex(NOW) ? sourceAdmits(previous, current + 1, t) : sourceAdmits(current, 1, t);
    for (let previous = 0; previous <= 30; previous += 3) {
      for (let current = 0; current <= 30; current += 1) {
        for (const fraction of [0, 0.013, 0.5, 0.77, 0.999]) {
          const now = within(fraction);
          const opens = sourceOpensAt(previous, current, now);
          expect(opens.getTime()).toBeGreaterThanOrEqual(now.getTime());
          expect(admitsAt(previous, current, opens), `${previous}/${current} at ${fraction}`).toBe(true);
          if (opens > now) expect(admitsAt(previous, current, new Date(opens.getTime() - 1)), `${previous}/${current} at ${fraction}`).toBe(false);
        }
      }
    }
  });
});

describe('source groups', () => {
  it.each([
    ['203.0.113.7', '203.0.113.7'],
    ['203.0.113.8', '203.0.113.8'],
    ['::ffff:203.0.113.7', '203.0.113.7'],
    ['::FFFF:cb00:7107', '203.0.113.7'],
    ['0:0:0:0:0:ffff:203.0.113.7', '203.0.113.7'],
    ['2001:db8:85a3:8d3:1319:8a2e:370:7348', '2001:db8:85a3:8d3::/64'],
    ['2001:0DB8:85A3:08D3::1', '2001:db8:85a3:8d3::/64'],
    ['2001:db8:85a3:8d3:ffff:ffff:ffff:ffff', '2001:db8:85a3:8d3::/64'],
    ['2001:db8:85a3:8d4::1', '2001:db8:85a3:8d4::/64'],
    ['2001:db8::1', '2001:db8:0:0::/64'],
    ['fe80::1%eth0', 'fe80:0:0:0::/64'],
    ['::1', '0:0:0:0::/64'],
    ['::', '0:0:0:0::/64'],
    ['64:ff9b::192.0.2.33', '64:ff9b:0:0::/64'],
    ['unknown', 'unknown'],
    ['2001:db8::1::2', '2001:db8::1::2'],
    ['2001:db8:zz::1', '2001:db8:zz::1'],
    ['1:2:3:4:5:6:7:8:9', '1:2:3:4:5:6:7:8:9'],
  ])('%s is counted as %s', (address, group) => {
    expect(sourceGroup(address)).toBe(group);
  });

  it('every address of one /64 is one source; the next /64 is another', () => {
    const a = sourceGroup('2a01:e0a:1f2:3c40:1111:2222:3333:4444');
    expect(sourceGroup('2a01:e0a:1f2:3c40::9')).toBe(a);
    expect(sourceGroup('2a01:e0a:1f2:3c41:1111:2222:3333:4444')).not.toBe(a);
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

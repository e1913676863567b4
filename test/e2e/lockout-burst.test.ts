/**
 * Guessing bounds hold under concurrency: every attempt is reserved against the account's allowance
 * before its password or code is checked, so a burst of concurrent guesses gets no more checks than
 * a sequence of them would, and the right password (or code) sent inside the burst opens nothing.
 * A burst costs the owner a minute, not a day. Over real HTTP through the local runtime.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FREE_ATTEMPTS, SOURCE_MAX_FAILURES, SOURCE_WINDOW_MS } from '../../functions/domain/login.ts';
import type { Answer } from '../support/runtime.ts';
import { type Holder, MovableClock, lastCode, login, newPatient, startClockedApi, verify } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

const clock = new MovableClock();
let api: TestApi;
let doctor: string;
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

/**
 * Starts `wrong` at once, and `right` as soon as the first of them answers (so inside the burst,
 * once the burst's attempts have reached the server); returns every answer.
 */
const burst = async (wrong: (() => Promise<Answer>)[], right: () => Promise<Answer>) => {
  const inFlight = wrong.map((send) => send());
  await Promise.race(inFlight);
  const [rightAnswer, ...wrongAnswers] = await Promise.all([right(), ...inFlight]);
  return { right: rightAnswer!, wrong: wrongAnswers };
};

const retryAfter = (a: Answer): number => Number(a.headers.get('retry-after'));

const codesSentTo = async (h: Holder): Promise<number> => (await api.sms(h.mobile)).filter((m) => /\b[0-9]{6}\b/.test(m.message)).length;

describe('40 concurrent wrong passwords on one account', () => {
  it('get at most the allowance checked, the rest 429 with Retry-After, and the right password in the burst gets no code', async () => {
    const p = await newPatient(api, doctor);
    const { right, wrong } = await burst(
      Array.from({ length: 40 }, (_, i) => () => login(api, p.loginId, `mauvais mot de passe ${i}`)),
      () => login(api, p.loginId, p.password),
    );
    const statuses = wrong.map((a) => a.status);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    // Checked: the 401s. Exactly the allowance, however many arrive at once.
    expect(statuses.filter((s) => s === 401).length).toBe(FREE_ATTEMPTS);
    expect(statuses.filter((s) => s === 429).length).toBe(40 - FREE_ATTEMPTS);
    for (const a of wrong.filter((x) => x.status === 429)) expect(retryAfter(a)).toBeGreaterThanOrEqual(1);

    expect(right.status).toBe(429);
    expect(retryAfter(right)).toBeGreaterThanOrEqual(1);
    expect(await codesSentTo(p)).toBe(0);

    // One burst locks the owner out for a minute, not a day: then the right password works.
    expect(retryAfter(right)).toBeLessThanOrEqual(60);
    clock.advance(61_000);
    try {
      const after = await login(api, p.loginId, p.password);
      expect(after.status).toBe(202);
      expect(await codesSentTo(p)).toBe(1);
      expect((await verify(api, after.body.challengeId, await lastCode(api, p.mobile))).status).toBe(200);
    } finally {
      clock.reset();
    }
  }, 120_000);
});

describe('concurrent wrong codes on several challenges of one account', () => {
  it('get at most the account’s allowance checked, and the right code in the burst opens no session', async () => {
    const p = await newPatient(api, doctor);
    // Three genuine challenges (the right password three times: no failure counted), each with
    // fewer wrong codes than its own limit of five, so only the account's allowance can stop them.
    const challenges: { id: string; code: string }[] = [];
    for (let i = 0; i < 3; i++) {
      const res = await login(api, p.loginId, p.password);
      expect(res.status).toBe(202);
      challenges.push({ id: res.body.challengeId, code: await lastCode(api, p.mobile) });
    }
    const wrongCode = (c: { code: string }, i: number) => {
      const guess = String(100_000 + i * 7919).slice(-6);
      return guess === c.code ? String(200_000 + i).slice(-6) : guess;
    };
    const { right, wrong } = await burst(
      challenges.flatMap((c, k) => Array.from({ length: 4 }, (_, i) => () => verify(api, c.id, wrongCode(c, k * 4 + i)))),
      () => verify(api, challenges[0]!.id, challenges[0]!.code),
    );
    const statuses = wrong.map((a) => a.status);
    expect(statuses.every((s) => s === 401 || s === 429)).toBe(true);
    expect(statuses.filter((s) => s === 401).length).toBe(FREE_ATTEMPTS);
    expect(statuses.filter((s) => s === 429).length).toBe(12 - FREE_ATTEMPTS);
    for (const a of wrong.filter((x) => x.status === 429)) expect(retryAfter(a)).toBeGreaterThanOrEqual(1);
    expect(right.status).toBe(429);
    expect(right.body.accessToken).toBeUndefined();
  }, 120_000);
});

// Last in this file: it leaves the test client's address refused.
describe('a burst from one source', () => {
  it('gets exactly the source’s allowance checked, and the next window does not wipe it: the count slides', async () => {
    // A quiet window a day ahead, one minute in (every request of these tests comes from one address).
    const day = Date.now() + 86_400_000;
    const target = (Math.floor(day / SOURCE_WINDOW_MS) + 1) * SOURCE_WINDOW_MS + 60_000;
    clock.advance(target - Date.now());
    try {
      // Distinct unknown login ids: no account's allowance gets in the way, only the source's.
      const answers = await Promise.all(Array.from({ length: SOURCE_MAX_FAILURES + 10 }, (_, i) => login(api, String(30_000_000_000 + i), 'un mot de passe au hasard')));
      const statuses = answers.map((a) => a.status);
      expect(statuses.filter((s) => s === 401).length).toBe(SOURCE_MAX_FAILURES);
      expect(statuses.filter((s) => s === 429).length).toBe(10);

      // The next window starts: the previous one still weighs (almost) its whole count in.
      const nextStart = target - 60_000 + SOURCE_WINDOW_MS;
      clock.advance(nextStart + 1000 - clock.now().getTime());
      const refused = await login(api, '39999999999', 'un mot de passe au hasard');
      expect(refused.status).toBe(429);
      // Room for one more once the previous window weighs 29 failures at most: 1/30 of the way in.
      const wait = retryAfter(refused);
      expect(wait).toBeGreaterThanOrEqual(1);
      expect(wait).toBeLessThanOrEqual(SOURCE_WINDOW_MS / SOURCE_MAX_FAILURES / 1000);
      clock.advance(wait * 1000);
      expect((await login(api, '39999999999', 'un mot de passe au hasard')).status).toBe(401);
      expect((await login(api, '39999999998', 'un mot de passe au hasard')).status).toBe(429);
    } finally {
      clock.reset();
    }
  }, 120_000);
});

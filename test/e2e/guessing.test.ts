/**
 * Guessing is bounded: 10,000 scripted guesses — passwords and one-time codes against one account,
 * then passwords spread across many accounts and unknown ids — never get in and never produce a
 * 5xx. Over real HTTP through the local runtime (every request comes from one source address).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SOURCE_MAX_FAILURES, SOURCE_WINDOW_MS } from '../../functions/domain/login.ts';
import { lastCode, login, newPatient, verify, type Holder } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let accounts: Holder[];
beforeAll(async () => {
  api = await startTestApi();
  const doctor = await api.professional();
  accounts = [];
  for (let i = 0; i < 12; i++) accounts.push(await newPatient(api, doctor));
}, 120_000);
afterAll(() => api?.stop());

/** Runs `count` guesses, `width` at a time; returns how often each status came back. */
const storm = async (count: number, width: number, guess: (i: number) => Promise<{ status: number; body: any }>) => {
  const statuses = new Map<number, number>();
  let next = 0;
  await Promise.all(
    Array.from({ length: width }, async () => {
      while (next < count) {
        const res = await guess(next++);
        statuses.set(res.status, (statuses.get(res.status) ?? 0) + 1);
        if (res.status >= 500 || res.status === 200 || res.status === 202) throw new Error(`guess answered ${res.status}: ${JSON.stringify(res.body)}`);
      }
    }),
  );
  return statuses;
};

describe('10,000 guesses', () => {
  it('never get in and never produce a 5xx', async () => {
    const target = accounts[0]!;
    // The attacker even has the password: a genuine challenge whose code they do not know.
    const challenge = await login(api, target.loginId, target.password);
    expect(challenge.status).toBe(202);
    const realCode = await lastCode(api, target.mobile);
    const wrongCode = (i: number) => {
      const c = String(i % 1_000_000).padStart(6, '0');
      return c === realCode ? String((i + 1) % 1_000_000).padStart(6, '0') : c;
    };

    const firstWindow = Math.floor(Date.now() / SOURCE_WINDOW_MS);
    const oneAccount = await storm(5_000, 8, (i) => (i % 2 === 0 ? login(api, target.loginId, `devine-${i}-mot-de-passe`) : verify(api, challenge.body.challengeId, wrongCode(i))));
    const spread = await storm(5_000, 8, (i) => {
      const account = accounts[1 + (i % (accounts.length - 1))]!;
      return i % 5 === 0 ? login(api, String(10_000_000_000 + i), 'un mot de passe au hasard') : login(api, account.loginId, `devine-${i}`);
    });

    // Each fixed window counts at most the source's allowance (the sliding estimate, which weighs
    // the previous window in, only ever allows less): a run that crosses a window's end (CI does,
    // at times) is bounded by one allowance per window it touched.
    const windows = Math.floor(Date.now() / SOURCE_WINDOW_MS) - firstWindow + 1;

    const total = [...oneAccount.values(), ...spread.values()].reduce((a, b) => a + b, 0);
    expect(total).toBe(10_000);
    for (const statuses of [oneAccount, spread]) expect([...statuses.keys()].every((s) => s === 401 || s === 429)).toBe(true);
    // Every failure is counted against the source before any password or code work, so past the
    // allowance every guess is refused: not one slips in while concurrent lanes reach the limit.
    const checked = (oneAccount.get(401) ?? 0) + (spread.get(401) ?? 0);
    expect(checked).toBeLessThanOrEqual(windows * SOURCE_MAX_FAILURES);
    // And the allowance is real: the source's first window admits it whole (nothing weighs in before).
    expect(checked).toBeGreaterThanOrEqual(SOURCE_MAX_FAILURES);
    expect(spread.get(429)).toBeGreaterThanOrEqual(5_000 - windows * SOURCE_MAX_FAILURES);

    // The genuine challenge is dead (five attempts), and the account is locked.
    expect([401, 429]).toContain((await verify(api, challenge.body.challengeId, realCode)).status);
    expect((await login(api, target.loginId, target.password)).status).toBe(429);
  }, 300_000);
});

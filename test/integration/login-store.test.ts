/** Login counters and one-time-code challenges: every invariant is a conditional write, checked on the emulator, under concurrency. */
import { ConditionsRefused } from '#domain/errors';
import { GetItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { N, S } from '../../functions/adapters/attributes.ts';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoginStore } from '../../functions/adapters/login-store.ts';
import type { Challenge } from '../../functions/domain/login.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { transact } from '../../functions/adapters/transactions.ts';
import {
  CODE_TTL_MS,
  FREE_ATTEMPTS,
  LOCK_STEPS_MS,
  MAX_CODE_ATTEMPTS,
  MAX_LOCK_MS,
  SOURCE_MAX_FAILURES,
  SOURCE_WINDOW_MS,
  lockAfter,
  sourceOpensAt,
  sourceWindowIndex,
} from '../../functions/domain/login.ts';
import { emulator } from '../support/aws.ts';

let env: Awaited<ReturnType<typeof emulator>>;
let store: LoginStore;
beforeAll(async () => {
  env = await emulator();
  store = new LoginStore(env.db, env.tableName);
});

const NOW = new Date('2026-11-23T10:07:00.000Z');
let n = 0;
const uniq = (prefix: string) => `${prefix}${String(++n).padStart(6, '0')}`;
const loginId = () => `${String(70_000_000_000 + ++n)}`;

const newChallenge = async (over: Partial<Omit<Challenge, 'attempts' | 'createdAt'>> = {}) => {
  const c = {
    challengeId: uniq('chal-'),
    dmpId: 'Dmp_record-0001',
    loginId: '12345678901',
    actor: 'patient' as const,
    codeHash: 'hmac-of-code',
    expiresAt: new Date(NOW.getTime() + CODE_TTL_MS),
    mustChangePassword: false,
    ...over,
  };
  await transact(env.db, [store.challengePut(c, NOW)]);
  return c;
};

const newLogin = async (passwordHash = 'scrypt$first') => {
  const id = loginId();
  await transact(env.db, store.loginPuts('Dmp_record-0001', { loginId: id, actor: 'patient', passwordHash, mustChangePassword: true }, NOW));
  return id;
};

const rawItem = async (key: { pk: string; sk: string }) => (await env.db.send(new GetItemCommand({ TableName: env.tableName, Key: keyItem(key), ConsistentRead: true }))).Item;

describe('one-time-code challenges', () => {
  it('counts attempts and returns the challenge as stored', async () => {
    const notAfter = new Date('2027-01-01T00:00:00Z');
    const c = await newChallenge({ mustChangePassword: true, actor: 'representative', loginId: '10987654321', sessionNotAfter: notAfter });
    const first = await store.attempt(c.challengeId, NOW);
    expect(first).toEqual({ ...c, attempts: 1, createdAt: NOW });
    expect(first?.sessionNotAfter).toEqual(notAfter);
    expect((await store.attempt(c.challengeId, NOW))?.attempts).toBe(2);
  });

  it('refuses a second challenge under the same id', async () => {
    const c = await newChallenge();
    const error = await transact(env.db, [store.challengePut({ ...c, codeHash: 'another' }, NOW)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionsRefused);
    expect([...(error as ConditionsRefused).labels]).toEqual(['challenge']);
    expect((await store.attempt(c.challengeId, NOW))?.codeHash).toBe('hmac-of-code');
  });

  it(`under 20 concurrent attempts exactly ${MAX_CODE_ATTEMPTS} are counted, then none`, async () => {
    const c = await newChallenge();
    const results = await Promise.all([...Array(20)].map(() => store.attempt(c.challengeId, NOW)));
    const granted = results.filter((r): r is Challenge => r !== undefined);
    expect(granted).toHaveLength(MAX_CODE_ATTEMPTS);
    expect(granted.map((r) => r.attempts).sort()).toEqual([1, 2, 3, 4, 5]);
    expect(await store.attempt(c.challengeId, NOW)).toBeUndefined();
    expect(Number((await rawItem(keys.challenge(c.challengeId)))?.attempts?.N)).toBe(MAX_CODE_ATTEMPTS);
  });

  it('allows no attempt once expired (from the expiry instant on)', async () => {
    const c = await newChallenge();
    expect(await store.attempt(c.challengeId, new Date(c.expiresAt.getTime() - 1))).toBeDefined();
    expect(await store.attempt(c.challengeId, c.expiresAt)).toBeUndefined();
    expect(await store.attempt(c.challengeId, new Date(c.expiresAt.getTime() + 3600_000))).toBeUndefined();
    expect(Number((await rawItem(keys.challenge(c.challengeId)))?.attempts?.N)).toBe(1);
  });

  it('allows no attempt once used', async () => {
    const c = await newChallenge();
    expect(await store.attempt(c.challengeId, NOW)).toBeDefined();
    await transact(env.db, [store.challengeUse(c.challengeId, NOW)]);
    expect(await store.attempt(c.challengeId, NOW)).toBeUndefined();
    expect((await rawItem(keys.challenge(c.challengeId)))?.usedAt?.S).toBe(NOW.toISOString());
  });

  it('allows no attempt on an unknown challenge, and creates none', async () => {
    const id = uniq('chal-unknown-');
    expect(await store.attempt(id, NOW)).toBeUndefined();
    expect(await rawItem(keys.challenge(id))).toBeUndefined();
  });

  it('a code opens one session: of two concurrent transactions using it, exactly one commits', async () => {
    const c = await newChallenge();
    const a = await newLogin();
    const b = await newLogin();
    await store.reserveAccount(a, NOW);
    await store.reserveAccount(b, NOW);
    const results = await Promise.allSettled([
      transact(env.db, [store.challengeUse(c.challengeId, NOW), store.clearFailuresWrite(a)]),
      transact(env.db, [store.challengeUse(c.challengeId, NOW), store.clearFailuresWrite(b)]),
    ]);
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused).toHaveLength(1);
    expect(refused[0]!.reason).toBeInstanceOf(ConditionsRefused);
    expect([...(refused[0]!.reason as ConditionsRefused).labels]).toEqual(['challenge']);
    // The refused transaction wrote nothing: exactly one of the two locks was cleared.
    const remaining = [await rawItem(keys.loginLock(a)), await rawItem(keys.loginLock(b))].filter(Boolean);
    expect(remaining).toHaveLength(1);
  });

  it('a used challenge cannot be used again, nor an unknown one', async () => {
    const c = await newChallenge();
    await transact(env.db, [store.challengeUse(c.challengeId, NOW)]);
    await expect(transact(env.db, [store.challengeUse(c.challengeId, NOW)])).rejects.toBeInstanceOf(ConditionsRefused);
    const unknown = uniq('chal-unknown-');
    await expect(transact(env.db, [store.challengeUse(unknown, NOW)])).rejects.toBeInstanceOf(ConditionsRefused);
    expect(await rawItem(keys.challenge(unknown))).toBeUndefined();
  });
});

const MINUTE = 60_000;
const later = (ms: number, from = NOW) => new Date(from.getTime() + ms);
type Reserved<T> = { reserved: T } | { refusedUntil: Date };
const granted = <T>(results: Reserved<T>[]): T[] => results.flatMap((r) => ('reserved' in r ? [r.reserved] : []));
const refusals = <T>(results: Reserved<T>[]): Date[] => results.flatMap((r) => ('refusedUntil' in r ? [r.refusedUntil] : []));
const lockItem = async (id: string) => rawItem(keys.loginLock(id));
const failuresOf = async (id: string) => Number((await lockItem(id))?.failures?.N ?? 0);
const sourceItem = async (hash: string) => rawItem(keys.source(hash));
const countIn = async (hash: string, window: number) => Number((await sourceItem(hash))?.[`w${window}`]?.N ?? 0);
const reserveAccounts = (id: string, n: number, at = NOW) => Promise.all([...Array(n)].map(() => store.reserveAccount(id, at)));
const reserveSources = (hash: string, n: number, at = NOW) => Promise.all([...Array(n)].map(() => store.reserveSource(hash, at)));

describe('attempts on a login id: reserved before they are checked', () => {
  it(`of 40 concurrent attempts exactly ${FREE_ATTEMPTS} are counted; the others are refused until a minute after the last`, async () => {
    const id = await newLogin();
    const results = await reserveAccounts(id, 40);
    expect(granted(results)).toHaveLength(FREE_ATTEMPTS);
    expect(refusals(results)).toHaveLength(40 - FREE_ATTEMPTS);
    for (const until of refusals(results)) expect(until.toISOString()).toBe(later(MINUTE).toISOString());
    expect(await failuresOf(id)).toBe(FREE_ATTEMPTS);
    expect((await lockItem(id))?.lastFailureAt?.S).toBe(NOW.toISOString());
  });

  it('then lets exactly one attempt through per step of the schedule, however many try at once', async () => {
    const id = await newLogin();
    await reserveAccounts(id, FREE_ATTEMPTS);
    let at = NOW;
    for (const [i, step] of LOCK_STEPS_MS.entries()) {
      expect(refusals([await store.reserveAccount(id, new Date(at.getTime() + step - 1))])).toHaveLength(1);
      at = new Date(at.getTime() + step);
      const results = await reserveAccounts(id, 10, at);
      expect(granted(results)).toHaveLength(1);
      expect(await failuresOf(id)).toBe(FREE_ATTEMPTS + i + 1);
      for (const until of refusals(results)) expect(until.getTime() - at.getTime()).toBe(lockAfter(FREE_ATTEMPTS + i + 1));
    }
    // Beyond the last step, every further attempt waits the longest lock: no more, no less.
    const results = await reserveAccounts(id, 5, new Date(at.getTime() + MAX_LOCK_MS));
    expect(granted(results)).toHaveLength(1);
    expect(refusals(results)[0]?.getTime()).toBe(at.getTime() + 2 * MAX_LOCK_MS);
  });

  it('an unknown login id is counted and refused exactly like a known one', async () => {
    const known = await newLogin();
    const unknown = loginId();
    const a = await reserveAccounts(known, FREE_ATTEMPTS + 3);
    const b = await reserveAccounts(unknown, FREE_ATTEMPTS + 3);
    expect(granted(a)).toHaveLength(FREE_ATTEMPTS);
    expect(granted(b)).toHaveLength(FREE_ATTEMPTS);
    expect(refusals(b)).toEqual(refusals(a));
    const strip = (i: Awaited<ReturnType<typeof rawItem>>) => ({ ...i, pk: undefined });
    expect(strip(await lockItem(unknown))).toEqual(strip(await lockItem(known)));
    // Counting attempts on an unknown id creates no login.
    expect(await store.get(unknown)).toBeUndefined();
  });

  it('giving an attempt back restores the count and the instant it replaced', async () => {
    const id = await newLogin();
    const first = granted([await store.reserveAccount(id, NOW)])[0]!;
    await store.releaseAccount(first);
    expect(await failuresOf(id)).toBe(0);
    expect((await lockItem(id))?.lastFailureAt).toBeUndefined();
    await reserveAccounts(id, FREE_ATTEMPTS);
    // The right password a minute later (the lock over) is given back: the schedule still runs
    // from the last failure, not from the right attempt.
    const right = granted([await store.reserveAccount(id, later(MINUTE))])[0]!;
    await store.releaseAccount(right);
    expect(await failuresOf(id)).toBe(FREE_ATTEMPTS);
    expect((await lockItem(id))?.lastFailureAt?.S).toBe(NOW.toISOString());
    expect(granted([await store.reserveAccount(id, later(MINUTE))])).toHaveLength(1);
  });

  it('giving back after a later attempt was counted only takes one off (the later instant stands)', async () => {
    const id = await newLogin();
    const mine = granted([await store.reserveAccount(id, NOW)])[0]!;
    await store.reserveAccount(id, later(1000));
    await store.releaseAccount(mine);
    expect(await failuresOf(id)).toBe(1);
    expect((await lockItem(id))?.lastFailureAt?.S).toBe(later(1000).toISOString());
  });

  it('giving back after a completed login cleared the count changes nothing and creates nothing', async () => {
    const id = await newLogin();
    const mine = granted([await store.reserveAccount(id, NOW)])[0]!;
    await transact(env.db, [store.clearFailuresWrite(id)]);
    await store.releaseAccount(mine);
    expect(await lockItem(id)).toBeUndefined();
  });

  it('a completed login clears the count: the next attempt is the first', async () => {
    const id = await newLogin();
    await reserveAccounts(id, FREE_ATTEMPTS + 2);
    expect(refusals([await store.reserveAccount(id, NOW)])).toHaveLength(1);
    await transact(env.db, [store.clearFailuresWrite(id)]);
    expect(granted(await reserveAccounts(id, FREE_ATTEMPTS))).toHaveLength(FREE_ATTEMPTS);
    expect(await failuresOf(id)).toBe(FREE_ATTEMPTS);
  });

  it('carries on from a count written by the earlier scheme (failures, lastFailureAt, lockedUntil)', async () => {
    const id = await newLogin();
    await env.db.send(
      new PutItemCommand({
        TableName: env.tableName,
        Item: { ...keyItem(keys.loginLock(id)), failures: N(12), lastFailureAt: S(NOW.toISOString()), lockedUntil: S(later(24 * 60 * MINUTE).toISOString()) },
      }),
    );
    expect(refusals([await store.reserveAccount(id, later(MAX_LOCK_MS - 1))])[0]?.toISOString()).toBe(later(MAX_LOCK_MS).toISOString());
    expect(granted([await store.reserveAccount(id, later(MAX_LOCK_MS))])).toHaveLength(1);
    expect((await lockItem(id))?.lockedUntil).toBeUndefined();
    expect(await failuresOf(id)).toBe(13);
  });
});

describe('attempts from a source: reserved before they are checked, over a sliding window', () => {
  const window = sourceWindowIndex(NOW);
  const windowStart = new Date(window * SOURCE_WINDOW_MS);
  const nextStart = new Date((window + 1) * SOURCE_WINDOW_MS);

  it(`of 50 concurrent attempts exactly ${SOURCE_MAX_FAILURES} are counted; the others are refused until the next window lets one in`, async () => {
    const source = uniq('src-');
    const results = await reserveSources(source, 50);
    expect(granted(results)).toHaveLength(SOURCE_MAX_FAILURES);
    const until = sourceOpensAt(0, SOURCE_MAX_FAILURES, NOW);
    expect(until.getTime()).toBeGreaterThan(nextStart.getTime());
    for (const r of refusals(results)) expect(r.toISOString()).toBe(until.toISOString());
    expect(await countIn(source, window)).toBe(SOURCE_MAX_FAILURES);
    // This process now refuses the source without a call, until then.
    expect(store.sourceRefusedUntil(source, NOW)?.toISOString()).toBe(until.toISOString());
    expect(store.sourceRefusedUntil(source, until)).toBeUndefined();
  });

  it('weighs the previous window in: halfway through the next one, exactly half the allowance is left, under concurrency too', async () => {
    const source = uniq('src-');
    await reserveSources(source, SOURCE_MAX_FAILURES, windowStart);
    const halfway = new Date(nextStart.getTime() + SOURCE_WINDOW_MS / 2);
    const results = await reserveSources(source, 40, halfway);
    expect(granted(results)).toHaveLength(SOURCE_MAX_FAILURES / 2);
    // The attempts the previous window left no room for were given back at once.
    expect(await countIn(source, window + 1)).toBe(SOURCE_MAX_FAILURES / 2);
    expect(await countIn(source, window)).toBe(SOURCE_MAX_FAILURES);
    // At the start of the next window the previous one weighs in whole: nothing is left.
    const fresh = uniq('src-');
    await reserveSources(fresh, SOURCE_MAX_FAILURES, windowStart);
    const refused = refusals([await store.reserveSource(fresh, nextStart)]);
    expect(refused).toHaveLength(1);
    expect(refused[0]?.getTime()).toBeGreaterThan(nextStart.getTime());
  });

  it('gives an attempt back to the window it was counted in, and drops windows that no longer count', async () => {
    const source = uniq('src-');
    await reserveSources(source, 3, windowStart);
    // Back after a pause of several windows: the old window's count no longer counts.
    const back = new Date((window + 5) * SOURCE_WINDOW_MS);
    const mine = granted([await store.reserveSource(source, back)])[0]!;
    expect(mine.stale).toEqual([window]);
    expect(await countIn(source, window)).toBe(3);
    await store.releaseSource(mine);
    expect(await countIn(source, window + 5)).toBe(0);
    expect(Object.keys((await sourceItem(source)) ?? {}).filter((k) => k.startsWith('w'))).toEqual([`w${window + 5}`]);
    // A window's attribute is dropped once two windows have passed.
    await store.reserveSource(source, new Date((window + 7) * SOURCE_WINDOW_MS));
    expect(await sourceItem(source)).not.toHaveProperty(`w${window + 5}`);
  });

  it('counts one source whichever ids its attempts target; another source is not charged', async () => {
    const source = uniq('src-');
    await Promise.all([store.reserveAccount(loginId(), NOW), store.reserveSource(source, NOW), store.reserveSource(source, NOW)]);
    expect(await countIn(source, window)).toBe(2);
    expect(await sourceItem(uniq('src-'))).toBeUndefined();
  });
});

describe('logins and password changes', () => {
  it('a login is written with its pointer from the record, and read back', async () => {
    const id = await newLogin('scrypt$abc');
    expect(await store.get(id)).toEqual({ loginId: id, dmpId: 'Dmp_record-0001', actor: 'patient', passwordHash: 'scrypt$abc', mustChangePassword: true });
    expect(await store.ofRecord('Dmp_record-0001')).toContainEqual({ loginId: id, actor: 'patient' });
    await expect(transact(env.db, store.loginPuts('Dmp_record-0001', { loginId: id, actor: 'patient', passwordHash: 'x', mustChangePassword: true }, NOW))).rejects.toBeInstanceOf(
      ConditionsRefused,
    );
  });

  it('replaces the hash that was checked', async () => {
    const id = await newLogin('scrypt$old');
    await transact(env.db, [store.passwordChange(id, 'scrypt$old', 'scrypt$new', NOW)]);
    expect(await store.get(id)).toMatchObject({ passwordHash: 'scrypt$new', mustChangePassword: false });
  });

  it('is refused when the hash changed meanwhile, and leaves the newer hash in place', async () => {
    const id = await newLogin('scrypt$old');
    await transact(env.db, [store.passwordChange(id, 'scrypt$old', 'scrypt$first-change', NOW)]);
    const error = await transact(env.db, [store.passwordChange(id, 'scrypt$old', 'scrypt$second-change', NOW)]).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionsRefused);
    expect([...(error as ConditionsRefused).labels]).toEqual(['login']);
    expect((await store.get(id))?.passwordHash).toBe('scrypt$first-change');
  });

  it('of two concurrent changes from the same hash, exactly one wins', async () => {
    const id = await newLogin('scrypt$old');
    const results = await Promise.allSettled(['scrypt$a', 'scrypt$b'].map((h) => transact(env.db, [store.passwordChange(id, 'scrypt$old', h, NOW)])));
    const won = results.findIndex((r) => r.status === 'fulfilled');
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    expect((results[1 - won] as PromiseRejectedResult).reason).toBeInstanceOf(ConditionsRefused);
    expect((await store.get(id))?.passwordHash).toBe(['scrypt$a', 'scrypt$b'][won]);
  });

  it('creates no login when changing the password of an unknown id', async () => {
    const id = loginId();
    await expect(transact(env.db, [store.passwordChange(id, 'scrypt$old', 'scrypt$new', NOW)])).rejects.toBeInstanceOf(ConditionsRefused);
    expect(await store.get(id)).toBeUndefined();
  });
});

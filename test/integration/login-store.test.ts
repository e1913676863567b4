/** Login counters and one-time-code challenges: every invariant is a conditional write, checked on the emulator. */
import { GetItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { LoginStore, type Challenge } from '../../functions/adapters/login-store.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { ConditionsRefused, transact } from '../../functions/adapters/transactions.ts';
import { CODE_TTL_MS, MAX_CODE_ATTEMPTS, SOURCE_WINDOW_MS, lockAfter, sourceWindow } from '../../functions/domain/login.ts';
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
    await store.recordFailure(a, 'src-use', NOW);
    await store.recordFailure(b, 'src-use', NOW);
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

describe('failure counters', () => {
  it('20 concurrent failures on one id count 20 and lock it as the rules say', async () => {
    const id = await newLogin();
    const source = uniq('src-');
    await Promise.all([...Array(20)].map(() => store.recordFailure(id, source, NOW)));
    expect(Number((await rawItem(keys.loginLock(id)))?.failures?.N)).toBe(20);
    const guard = await store.guard(id, source, NOW);
    expect(guard.lockedUntil?.toISOString()).toBe(lockAfter(20, NOW)?.toISOString());
    expect(guard.sourceFailures).toBe(20);
  });

  it('locks from the fifth failure on, each lock the longer one', async () => {
    const id = await newLogin();
    const source = uniq('src-');
    for (let i = 1; i <= 4; i++) await store.recordFailure(id, source, NOW);
    expect((await store.guard(id, source, NOW)).lockedUntil).toBeUndefined();
    await store.recordFailure(id, source, NOW);
    expect((await store.guard(id, source, NOW)).lockedUntil?.toISOString()).toBe('2026-11-23T10:08:00.000Z');
    const later = new Date(NOW.getTime() + 10 * 60_000);
    await store.recordFailure(id, source, later);
    await store.recordFailure(id, source, later);
    expect((await store.guard(id, source, later)).lockedUntil?.toISOString()).toBe(lockAfter(7, later)?.toISOString());
    expect((await store.guard(id, source, later)).lockedUntil?.toISOString()).toBe('2026-11-23T10:21:00.000Z');
  });

  it('an unknown login id is counted and locked exactly like a known one', async () => {
    const known = await newLogin();
    const unknown = loginId();
    expect(await store.get(unknown)).toBeUndefined();
    const source = uniq('src-');
    for (let i = 0; i < 6; i++) {
      await store.recordFailure(known, source, NOW);
      await store.recordFailure(unknown, source, NOW);
    }
    const a = await store.guard(known, source, NOW);
    const b = await store.guard(unknown, source, NOW);
    expect(a.lockedUntil?.toISOString()).toBe(lockAfter(6, NOW)?.toISOString());
    expect(b).toEqual(a);
    const strip = (i: Awaited<ReturnType<typeof rawItem>>) => ({ ...i, pk: undefined });
    expect(strip(await rawItem(keys.loginLock(unknown)))).toEqual(strip(await rawItem(keys.loginLock(known))));
    // Counting failures on an unknown id creates no login.
    expect(await store.get(unknown)).toBeUndefined();
    expect((await store.get(known))?.passwordHash).toBe('scrypt$first');
  });

  it('counts a source’s failures per window, whichever ids they target; a new window starts at zero', async () => {
    const source = uniq('src-');
    const window = sourceWindow(NOW);
    const lastMs = new Date(window.end.getTime() - 1);
    await store.recordFailure(loginId(), source, NOW);
    await store.recordFailure(loginId(), source, new Date(Date.parse(window.start)));
    await store.recordFailure(undefined, source, lastMs);
    expect((await store.guard(undefined, source, NOW)).sourceFailures).toBe(3);
    expect((await store.guard(loginId(), source, lastMs)).sourceFailures).toBe(3);
    expect((await store.guard(undefined, source, window.end)).sourceFailures).toBe(0);
    await store.recordFailure(loginId(), source, window.end);
    expect((await store.guard(undefined, source, window.end)).sourceFailures).toBe(1);
    expect((await store.guard(undefined, source, new Date(window.end.getTime() + SOURCE_WINDOW_MS - 1))).sourceFailures).toBe(1);
    // The earlier window still holds its own count.
    expect((await store.guard(undefined, source, NOW)).sourceFailures).toBe(3);
    // Another source is not charged.
    expect((await store.guard(undefined, uniq('src-'), NOW)).sourceFailures).toBe(0);
  });

  it('a failure without a login id counts only against the source', async () => {
    const id = loginId();
    const source = uniq('src-');
    for (let i = 0; i < 6; i++) await store.recordFailure(undefined, source, NOW);
    const guard = await store.guard(id, source, NOW);
    expect(guard).toEqual({ sourceFailures: 6, lockedUntil: undefined });
    expect(await rawItem(keys.loginLock(id))).toBeUndefined();
  });

  it('clearing failures (in the transaction that opens a session) resets the id’s lock, not the source’s count', async () => {
    const id = await newLogin();
    const source = uniq('src-');
    for (let i = 0; i < 6; i++) await store.recordFailure(id, source, NOW);
    expect((await store.guard(id, source, NOW)).lockedUntil).toBeDefined();
    await transact(env.db, [store.clearFailuresWrite(id)]);
    expect(await store.guard(id, source, NOW)).toEqual({ sourceFailures: 6, lockedUntil: undefined });
    // Counting starts over: the next failure is the first.
    await store.recordFailure(id, source, NOW);
    expect(Number((await rawItem(keys.loginLock(id)))?.failures?.N)).toBe(1);
    expect((await store.guard(id, source, NOW)).lockedUntil).toBeUndefined();
    expect((await store.guard(id, source, NOW)).sourceFailures).toBe(7);
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

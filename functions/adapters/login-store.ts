/**
 * Logins, their attempt counters and their one-time-code challenges. Every invariant is a
 * conditional write: a code is consumed by one request only, an attempt is counted before its
 * password or code is compared — against the challenge, the login id and the source, each in one
 * conditional write that refuses what the rules do not allow — and nothing is read then written.
 */
import { ConditionalCheckFailedException, GetItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  MAX_CODE_ATTEMPTS,
  SOURCE_MAX_FAILURES,
  SOURCE_WINDOW_MS,
  accountAdmission,
  accountOpensAt,
  sourceAdmits,
  sourceOpensAt,
  sourceWindowIndex,
  type LoginActor,
  type AccountReservation,
  type Challenge,
  type Login,
  type NewLogin,
  type Reserved,
  type SourceReservation,
} from '#domain/login';
import { BOOL, N, S, bool, epochSeconds, num, required, str, type Item } from './attributes.ts';
import type { Logins } from '#domain/stores';
import { keyItem, keys } from './table.ts';
import type { LabelledWrite } from './transactions.ts';

/** Failure counters of unknown and idle ids fade after this long without a failure. */
const LOCK_RECORD_DAYS = 90;

/**
 * Sources this process has seen refused, kept until the instant their estimate leaves room again:
 * under a guessing storm, refused requests then cost no call at all. The instant assumes nothing is
 * given back meanwhile (a right password elsewhere only frees room sooner), so an entry errs on the
 * side of refusing for a little longer, never of admitting more. (Account locks are never kept: a
 * completed login clears them.)
 */
class SeenLocks {
  private readonly until = new Map<string, number>();
  private readonly max: number;
  constructor(max = 10_000) {
    this.max = max;
  }
  get(key: string, now: Date): Date | undefined {
    const t = this.until.get(key);
    if (t === undefined) return undefined;
    if (t <= now.getTime()) {
      this.until.delete(key);
      return undefined;
    }
    return new Date(t);
  }
  set(key: string, until: Date): void {
    if (this.until.size >= this.max) this.until.delete(this.until.keys().next().value as string);
    this.until.set(key, Math.max(until.getTime(), this.until.get(key) ?? 0));
  }
}

/** A source's count for one fixed window: an attribute of the source's item, named by the window. */
const windowAttribute = (window: number): string => `w${window}`;
const WINDOW_ATTRIBUTE = /^w[0-9]+$/;

export class LoginStore implements Logins {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  private readonly seen = new SeenLocks();
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  async get(loginId: string): Promise<Login | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem(keys.login(loginId)), ConsistentRead: true }));
    return out.Item ? toLogin(loginId, out.Item) : undefined;
  }

  /** The logins of a record (patient and representatives), from its LOGINREF items. */
  async ofRecord(dmpId: string): Promise<{ loginId: string; actor: LoginActor }[]> {
    const out = await this.db.send(
      new QueryCommand({
        TableName: this.table,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :ref)',
        ExpressionAttributeValues: { ':pk': S(keys.record(dmpId).pk), ':ref': S('LOGINREF#') },
        ConsistentRead: true,
      }),
    );
    return (out.Items ?? []).map((i) => ({
      loginId: required(str(i, 'sk'), 'sk').slice('LOGINREF#'.length),
      actor: required(str(i, 'actor'), 'actor') as LoginActor,
    }));
  }

  /** Until when this process already knows the source to be refused (no call). */
  sourceRefusedUntil(sourceHash: string, now: Date): Date | undefined {
    return this.seen.get(keys.source(sourceHash).pk, now);
  }

  /**
   * Counts one attempt against a login id (known or not: the answer must not tell them apart), in
   * one conditional write, if the lock schedule allows one more now; otherwise counts nothing and
   * says until when. Concurrent attempts are counted one by one: none gets past the schedule.
   */
  async reserveAccount(loginId: string, now: Date): Promise<Reserved<AccountReservation>> {
    const rule = accountAdmission(now);
    const values: Item = {
      ':one': N(1),
      ':zero': N(0),
      ':now': S(now.toISOString()),
      ':ttl': N(epochSeconds(now) + LOCK_RECORD_DAYS * 86_400),
      ':free': N(rule.free),
    };
    const steps = rule.steps.map((step, i) => {
      values[`:a${i}`] = N(step.attempts);
      values[`:t${i}`] = S(step.lastAtUpTo.toISOString());
      return `(failures ${step.orMore ? '>=' : '='} :a${i} AND lastFailureAt <= :t${i})`;
    });
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: keyItem(keys.loginLock(loginId)),
          // lockedUntil: written by earlier versions, which locked after the failure; the schedule
          // now follows from the count and the last instant alone.
          UpdateExpression: 'SET failures = if_not_exists(failures, :zero) + :one, lastFailureAt = :now, #ttl = :ttl REMOVE lockedUntil',
          ConditionExpression: ['attribute_not_exists(failures)', 'failures < :free', ...steps].join(' OR '),
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: values,
          ReturnValues: 'UPDATED_OLD',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const old = out.Attributes ?? {};
      return { reserved: { loginId, at: now.toISOString(), before: { failures: num(old, 'failures') ?? 0, lastFailureAt: str(old, 'lastFailureAt') } } };
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const item = error.Item ?? {};
      const last = str(item, 'lastFailureAt');
      const opens = accountOpensAt(num(item, 'failures') ?? 0, last ? new Date(last) : undefined);
      // A refusal whose reason has just passed (the clock moved on): try again in a second.
      return { refusedUntil: opens && opens > now ? opens : new Date(now.getTime() + 1000) };
    }
  }

  /**
   * Gives a reserved attempt back (it was right, or it was refused elsewhere before any check):
   * the count and the last instant as they were, when nothing was counted since; otherwise one
   * less (the later attempt's instant stands). Nothing when a completed login cleared the count.
   */
  async releaseAccount(r: AccountReservation): Promise<void> {
    const key = keyItem(keys.loginLock(r.loginId));
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: r.before.lastFailureAt ? 'SET failures = :before, lastFailureAt = :beforeAt' : 'SET failures = :before REMOVE lastFailureAt',
          ConditionExpression: 'failures = :mine AND lastFailureAt = :at',
          ExpressionAttributeValues: {
            ':before': N(r.before.failures),
            ':mine': N(r.before.failures + 1),
            ':at': S(r.at),
            ...(r.before.lastFailureAt ? { ':beforeAt': S(r.before.lastFailureAt) } : {}),
          },
        }),
      );
      return;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: key,
          UpdateExpression: 'ADD failures :minus',
          ConditionExpression: 'failures > :zero',
          ExpressionAttributeValues: { ':minus': N(-1), ':zero': N(0) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /**
   * Counts one attempt against a source in the current window, in one write, if its sliding
   * estimate stays within the allowance; otherwise counts nothing and says until when (and this
   * process remembers it). The write adds to this window's count only while it is under the
   * allowance, and returns the previous window's count with it; an attempt the previous window's
   * weight leaves no room for is given back at once. Either way concurrent attempts are counted one
   * by one, and no more get through than the allowance.
   */
  async reserveSource(sourceHash: string, now: Date): Promise<Reserved<SourceReservation>> {
    const window = sourceWindowIndex(now);
    const key = keys.source(sourceHash);
    let counts: { previous: number; current: number };
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: keyItem(key),
          // The window before the previous one no longer counts: its attribute goes.
          UpdateExpression: 'SET #ttl = :ttl REMOVE #stale ADD #current :one',
          ConditionExpression: 'attribute_not_exists(#current) OR #current < :max',
          ExpressionAttributeNames: { '#ttl': 'ttl', '#current': windowAttribute(window), '#stale': windowAttribute(window - 2) },
          ExpressionAttributeValues: {
            ':one': N(1),
            ':max': N(SOURCE_MAX_FAILURES),
            // Useless once the next window is over.
            ':ttl': N(epochSeconds(new Date((window + 2) * SOURCE_WINDOW_MS))),
          },
          ReturnValues: 'ALL_NEW',
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      );
      const item = out.Attributes ?? {};
      const reservation = { sourceHash, window, stale: staleWindows(item, window) };
      counts = { previous: num(item, windowAttribute(window - 1)) ?? 0, current: num(item, windowAttribute(window)) ?? 1 };
      if (sourceAdmits(counts.previous, counts.current, now)) return { reserved: reservation };
      await this.releaseSource(reservation);
      counts.current -= 1;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const item = error.Item ?? {};
      counts = { previous: num(item, windowAttribute(window - 1)) ?? 0, current: num(item, windowAttribute(window)) ?? 0 };
    }
    const until = sourceOpensAt(counts.previous, counts.current, now);
    this.seen.set(key.pk, until);
    return { refusedUntil: until };
  }

  /** Gives a reserved attempt back to its window (and drops windows that no longer count). */
  async releaseSource(r: SourceReservation): Promise<void> {
    const { stale } = r;
    const names: Record<string, string> = { '#w': windowAttribute(r.window) };
    for (const [i, w] of stale.entries()) names[`#s${i}`] = windowAttribute(w);
    try {
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: keyItem(keys.source(r.sourceHash)),
          UpdateExpression: `ADD #w :minus${stale.length ? ` REMOVE ${stale.map((_, i) => `#s${i}`).join(', ')}` : ''}`,
          ConditionExpression: '#w > :zero',
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: { ':minus': N(-1), ':zero': N(0) },
        }),
      );
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
    }
  }

  /** The challenge and the log of the SMS that carried its code, together. */
  challengePut(c: Omit<Challenge, 'attempts' | 'createdAt'>, now: Date): LabelledWrite {
    return {
      label: 'challenge',
      item: {
        Put: {
          TableName: this.table,
          ConditionExpression: 'attribute_not_exists(pk)',
          Item: {
            ...keyItem(keys.challenge(c.challengeId)),
            dmpId: S(c.dmpId),
            loginId: S(c.loginId),
            actor: S(c.actor),
            codeHash: S(c.codeHash),
            expiresAt: S(c.expiresAt.toISOString()),
            mustChangePassword: BOOL(c.mustChangePassword),
            ...(c.sessionNotAfter ? { sessionNotAfter: S(c.sessionNotAfter.toISOString()) } : {}),
            attempts: N(0),
            createdAt: S(now.toISOString()),
            ttl: N(epochSeconds(c.expiresAt) + 3600),
          },
        },
      },
    };
  }

  /**
   * Counts one attempt on a challenge before its code is compared, and only while the challenge is
   * unused, unexpired and under its attempt limit: undefined otherwise. Concurrent guesses each
   * consume an attempt; none can exceed the limit.
   */
  async attempt(challengeId: string, now: Date): Promise<Challenge | undefined> {
    try {
      const out = await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: keyItem(keys.challenge(challengeId)),
          UpdateExpression: 'ADD attempts :one',
          ConditionExpression: 'attribute_exists(pk) AND attempts < :max AND expiresAt > :now AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':one': N(1), ':max': N(MAX_CODE_ATTEMPTS), ':now': S(now.toISOString()) },
          ReturnValues: 'ALL_NEW',
        }),
      );
      return out.Attributes ? toChallenge(challengeId, out.Attributes) : undefined;
    } catch (error) {
      if (error instanceof ConditionalCheckFailedException) return undefined;
      throw error;
    }
  }

  /** Marks a challenge used, in the transaction that opens the session: a code opens one session. */
  challengeUse(challengeId: string, now: Date): LabelledWrite {
    return {
      label: 'challenge',
      item: {
        Update: {
          TableName: this.table,
          Key: keyItem(keys.challenge(challengeId)),
          UpdateExpression: 'SET usedAt = :now',
          ConditionExpression: 'attribute_exists(pk) AND attribute_not_exists(usedAt)',
          ExpressionAttributeValues: { ':now': S(now.toISOString()) },
        },
      },
    };
  }

  /** A completed login clears the id's count (a source's count only gives back the right attempts). */
  clearFailuresWrite(loginId: string): LabelledWrite {
    return { label: 'lock', item: { Delete: { TableName: this.table, Key: keyItem(keys.loginLock(loginId)) } } };
  }

  /** A new password replaces exactly the hash that was checked (a concurrent change wins once). */
  passwordChange(loginId: string, checkedHash: string, newHash: string, now: Date): LabelledWrite {
    return {
      label: 'login',
      item: {
        Update: {
          TableName: this.table,
          Key: keyItem(keys.login(loginId)),
          UpdateExpression: 'SET passwordHash = :new, mustChangePassword = :false, passwordChangedAt = :now',
          ConditionExpression: 'passwordHash = :checked',
          ExpressionAttributeValues: { ':new': S(newHash), ':checked': S(checkedHash), ':false': BOOL(false), ':now': S(now.toISOString()) },
        },
      },
    };
  }

  /** A new login and its pointer from the record (so that destruction finds it). */
  loginPuts(dmpId: string, login: NewLogin, now: Date): LabelledWrite[] {
    return newLoginPuts(this.table, dmpId, login, now);
  }

  loginDeletes(dmpId: string, loginId: string): LabelledWrite[] {
    return [
      { label: 'login-delete', item: { Delete: { TableName: this.table, Key: keyItem(keys.login(loginId)) } } },
      { label: 'login-delete', item: { Delete: { TableName: this.table, Key: keyItem(keys.loginRef(dmpId, loginId)) } } },
    ];
  }
}

/**
 * A new login (refused if its id is taken) and its pointer from the record, so that destruction
 * finds it. The one place a login's items are built: a record's creation and a login issued later
 * (at a desk) write the same items.
 */
export const newLoginPuts = (table: string, dmpId: string, login: NewLogin, now: Date): LabelledWrite[] => [
  {
    label: 'login',
    item: {
      Put: {
        TableName: table,
        ConditionExpression: 'attribute_not_exists(pk)',
        Item: {
          ...keyItem(keys.login(login.loginId)),
          dmpId: S(dmpId),
          actor: S(login.actor),
          passwordHash: S(login.passwordHash),
          mustChangePassword: BOOL(login.mustChangePassword),
          createdAt: S(now.toISOString()),
        },
      },
    },
  },
  { label: 'login-ref', item: { Put: { TableName: table, Item: { ...keyItem(keys.loginRef(dmpId, login.loginId)), actor: S(login.actor) } } } },
];

/** Window attributes older than the previous window (left by a source that came back after a pause). */
const staleWindows = (item: Item, window: number): number[] =>
  Object.keys(item)
    .filter((name) => WINDOW_ATTRIBUTE.test(name))
    .map((name) => Number(name.slice(1)))
    .filter((w) => w < window - 1);

const toLogin = (loginId: string, i: Item): Login => ({
  loginId,
  dmpId: required(str(i, 'dmpId'), 'dmpId'),
  actor: required(str(i, 'actor'), 'actor') as LoginActor,
  passwordHash: required(str(i, 'passwordHash'), 'passwordHash'),
  mustChangePassword: bool(i, 'mustChangePassword') ?? true,
});

const toChallenge = (challengeId: string, i: Item): Challenge => ({
  challengeId,
  dmpId: required(str(i, 'dmpId'), 'dmpId'),
  loginId: required(str(i, 'loginId'), 'loginId'),
  actor: required(str(i, 'actor'), 'actor') as LoginActor,
  codeHash: required(str(i, 'codeHash'), 'codeHash'),
  expiresAt: new Date(required(str(i, 'expiresAt'), 'expiresAt')),
  mustChangePassword: bool(i, 'mustChangePassword') ?? true,
  attempts: num(i, 'attempts') ?? 0,
  createdAt: new Date(required(str(i, 'createdAt'), 'createdAt')),
  sessionNotAfter: str(i, 'sessionNotAfter') ? new Date(str(i, 'sessionNotAfter')!) : undefined,
});

/**
 * Logins, their failure counters and their one-time-code challenges. Every invariant is a
 * conditional write: a code is consumed by one request only, an attempt is counted before it is
 * compared, counters are atomic additions (no read-modify-write).
 */
import { BatchGetItemCommand, ConditionalCheckFailedException, GetItemCommand, QueryCommand, UpdateItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { MAX_CODE_ATTEMPTS, SOURCE_MAX_FAILURES, SOURCE_WINDOW_MS, lockAfter, sourceWindow, type LoginActor } from '#domain/login';
import { BOOL, N, S, bool, epochSeconds, num, required, str, type Item } from './attributes.ts';
import { keyItem, keys } from './table.ts';
import type { LabelledWrite } from './transactions.ts';

export interface Login {
  loginId: string;
  dmpId: string;
  actor: LoginActor;
  passwordHash: string;
  mustChangePassword: boolean;
}

/** A login to write for a record (the record is given apart). */
export type NewLogin = Omit<Login, 'dmpId'>;

export interface Guard {
  /** The login id is locked until then (known or unknown ids alike). */
  lockedUntil?: Date | undefined;
  /** Failures from this source in the current window. */
  sourceFailures: number;
}

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

/** Failure counters of unknown and idle ids fade after this long without a failure. */
const LOCK_RECORD_DAYS = 90;

/**
 * Source locks this process has already seen, kept until their window ends: under a guessing
 * storm, refused requests then cost no read at all. A source lock only ends with its window, so an
 * entry never outlives the lock it mirrors. (Account locks are always read: a successful login
 * clears them.)
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

export class LoginStore {
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

  /** Whether this process already knows the source to be over its limit (no read). */
  sourceKnownLocked(sourceHash: string, now: Date): boolean {
    return this.seen.get(keys.source(sourceHash, windowOf(now)).pk, now) !== undefined;
  }

  /**
   * The lock of a login id and the failures of a source, in one read; no read at all for a source
   * this process already knows to be over its limit (then `sourceFailures` is the limit).
   */
  async guard(loginId: string | undefined, sourceHash: string, now: Date): Promise<Guard> {
    const sourceKey = keys.source(sourceHash, windowOf(now));
    if (this.seen.get(sourceKey.pk, now)) return { sourceFailures: SOURCE_MAX_FAILURES, lockedUntil: undefined };
    const wanted = [keyItem(sourceKey), ...(loginId ? [keyItem(keys.loginLock(loginId))] : [])];
    const out = await this.db.send(
      new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: wanted, ConsistentRead: true, ProjectionExpression: 'pk, failures, lockedUntil' } } }),
    );
    const items = out.Responses?.[this.table] ?? [];
    // A throttled batch returns keys unprocessed: read as "no failures" would be fail-open.
    if (Object.keys(out.UnprocessedKeys ?? {}).length > 0) throw Object.assign(new Error('login guard not read'), { $fault: 'server' });
    const source = items.find((i) => i.pk?.S === sourceKey.pk);
    const lock = items.find((i) => i.pk?.S?.startsWith('LOCK#'));
    const lockedUntil = lock ? str(lock, 'lockedUntil') : undefined;
    const sourceFailures = (source && num(source, 'failures')) ?? 0;
    if (sourceFailures >= SOURCE_MAX_FAILURES) this.seen.set(sourceKey.pk, sourceWindow(now).end);
    return { sourceFailures, lockedUntil: lockedUntil ? new Date(lockedUntil) : undefined };
  }

  /**
   * Counts a failure against the login id (known or not: the answer must not tell them apart)
   * and against the source, and locks the id as the rules say.
   */
  async recordFailure(loginId: string | undefined, sourceHash: string, now: Date): Promise<void> {
    const window = windowOf(now);
    await Promise.all([this.countSourceFailure(sourceHash, window, now), loginId ? this.countAccountFailure(loginId, now) : undefined]);
  }

  private async countSourceFailure(sourceHash: string, window: string, now: Date): Promise<void> {
    const key = keys.source(sourceHash, window);
    const out = await this.db.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: keyItem(key),
        UpdateExpression: 'ADD failures :one SET #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': N(1), ':ttl': N(epochSeconds(new Date(Date.parse(window) + 2 * SOURCE_WINDOW_MS))) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    if ((num(out.Attributes ?? {}, 'failures') ?? 0) >= SOURCE_MAX_FAILURES) this.seen.set(key.pk, sourceWindow(now).end);
  }

  private async countAccountFailure(loginId: string, now: Date): Promise<void> {
    const out = await this.db.send(
      new UpdateItemCommand({
        TableName: this.table,
        Key: keyItem(keys.loginLock(loginId)),
        UpdateExpression: 'ADD failures :one SET lastFailureAt = :now, #ttl = :ttl',
        ExpressionAttributeNames: { '#ttl': 'ttl' },
        ExpressionAttributeValues: { ':one': N(1), ':now': S(now.toISOString()), ':ttl': N(epochSeconds(now) + LOCK_RECORD_DAYS * 86_400) },
        ReturnValues: 'UPDATED_NEW',
      }),
    );
    const failures = num(out.Attributes ?? {}, 'failures') ?? 1;
    const until = lockAfter(failures, now);
    if (!until) return;
    try {
      // Concurrent failures each compute a lock: the latest one stands.
      await this.db.send(
        new UpdateItemCommand({
          TableName: this.table,
          Key: keyItem(keys.loginLock(loginId)),
          UpdateExpression: 'SET lockedUntil = :until',
          // Not on an item a successful login just cleared; never shortening a longer lock.
          ConditionExpression: 'attribute_exists(pk) AND (attribute_not_exists(lockedUntil) OR lockedUntil < :until)',
          ExpressionAttributeValues: { ':until': S(until.toISOString()) },
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

  /** A successful login clears the id's failures (the source's stay until their window ends). */
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

const windowOf = (now: Date): string => sourceWindow(now).start;

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

/**
 * In-memory fakes of the domain's ports (functions/domain/ports.ts, stores.ts), for unit tests of
 * the HTTP use cases without an emulator. One `World` holds the state every fake store reads and
 * writes, as the one DynamoDB table does; its maps are what tests assert on.
 *
 * A fake store's Write is `{ label, item, check(), apply() }` over the World: `check` is the
 * condition the DynamoDB adapter (functions/adapters/*-store.ts) puts on that part, weighed on the
 * state before the transaction, `apply` its effect, `item` the table item it touches. The fake
 * Transactions checks every part and throws ConditionsRefused naming the labels of the refused
 * ones, else applies them all; like DynamoDB it refuses two parts on one item and more than 100
 * parts (a bug in how an action was built, not a refusal). `world.beforeNextCommit` runs a change
 * just before a transaction is checked: what a concurrent request did first.
 *
 * The documents store's fake (test/support/fake-documents.ts) keeps its items in the same World.
 *
 * The data keys are real AES keys (the envelope's seal/open run as in production), wrapped by a
 * fixed in-memory master key; notifications keep their recipient and parameters in clear so that
 * tests can read them (sealing at rest is tested against the emulator: test/e2e/at-rest.test.ts).
 */
import { createHmac, randomBytes } from 'node:crypto';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';
import { encodeCursor, decodeCursor } from '../../functions/adapters/cursor.ts';
import { open, openJson, seal, sealJson } from '../../functions/adapters/envelope.ts';
import { SessionSigner, type SessionClaims } from '../../functions/adapters/sessions.ts';
import { SmsSender } from '../../functions/adapters/sms.ts';
import { TokenVerifier } from '../../functions/adapters/tokens.ts';
import type { AuthDeps } from '../../functions/capabilities/auth/deps.ts';
import type { DocumentLabels, EmergencyMode, ProfessionalStanding, Relation } from '../../functions/domain/access-policy.ts';
import type { Channel, IssuedCreationCode } from '../../functions/domain/creation.ts';
import { ConditionsRefused } from '../../functions/domain/errors.ts';
import {
  MAX_CODE_ATTEMPTS,
  SOURCE_MAX_FAILURES,
  accountAdmits,
  accountOpensAt,
  sourceAdmits,
  sourceOpensAt,
  sourceWindowIndex,
  type AccountReservation,
  type Challenge,
  type Login,
  type LoginActor,
  type NewLogin,
  type Reserved,
  type SourceReservation,
} from '../../functions/domain/login.ts';
import type { FanOutMessage, OutboxMessage, Template } from '../../functions/domain/notifications.ts';
import type {
  Clock,
  CreationReports,
  DataKey,
  HashPurpose,
  Hasher,
  KeyRing,
  LedgerEntry,
  LogAttributes,
  Logger,
  Random,
  Transactions,
  WrappedKey,
  Write,
} from '../../functions/domain/ports.ts';
import type { Authorization, Contact, EmergencyAccess, Identity, NewRecord, NotificationView, Representative, StoredRecord } from '../../functions/domain/records.ts';
import { isMinorOn } from '../../functions/domain/dates.ts';
import { newDmpId, newEventId, newLoginId } from '../../functions/domain/identifiers.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { type SmsBudgetKind, type SmsWindow, windowOf } from '../../functions/domain/sms-budget.ts';
import {
  EMERGENCY_NOTICE,
  type Idempotency,
  type Logins,
  type Lookup,
  type Notifications,
  type Page,
  type Records,
  type SettingsChange,
  type SmsBudgets,
  type Standings,
  type StoredResponse,
  type Traces,
} from '../../functions/domain/stores.ts';
import type { StoredDocument } from '../../functions/domain/documents.ts';
import type { Trace, TraceView } from '../../functions/domain/trace.ts';
import type { Config } from '../../functions/platform/config.ts';
import { adultIdentity, randomIns, randomMobile } from './fixtures.ts';

// ── Transactions ─────────────────────────────────────────────────────────────────────────────────

/** A part of a transaction as the fakes make it. */
interface FakeWrite extends Write {
  /** The table item it touches, as the adapter's keys name it (REC#<dmpId>|META...). */
  readonly item: string;
  /** Its condition, on the state before the transaction. */
  check(): boolean;
  apply(): void;
}

/** A part: its condition (none: always true) and its effect (none: a condition check only). */
export const part = (label: string, item: string, o: { check?: () => boolean; apply?: () => void }): FakeWrite => ({
  label,
  item,
  check: o.check ?? (() => true),
  apply: o.apply ?? (() => {}),
});

const asFake = (write: Write): FakeWrite => {
  if (!('check' in write)) throw new TypeError(`write ${write.label} was not made by a fake store`);
  return write as FakeWrite;
};

export const rec = (dmpId: string, sk: string): string => `REC#${dmpId}|${sk}`;
export const pro = (dmpId: string, professionalId: string): string => `${dmpId}|${professionalId}`;
const epochSeconds = (d: Date): number => Math.floor(d.getTime() / 1000);

/** An outbox item: a message, a fan-out to an audience, or the log of an SMS sent directly. */
interface FakeNotification {
  dmpId: string;
  id: string;
  at: string;
  kind: 'message' | 'fan-out' | 'sent-log';
  template: Template;
  channel: 'sms' | 'professional';
  /** The recipient of a message (sealed at rest by the real outbox). */
  to?: string | undefined;
  params?: Record<string, string> | undefined;
  audience?: string | undefined;
  except?: string | undefined;
  status: NotificationView['status'];
  sentAt?: string | undefined;
}

/** A document version's item (test/support/fake-documents.ts writes them): what the store reads, and when it was deleted. */
export interface FakeDocument extends StoredDocument {
  deletedAt?: string | undefined;
}

interface StoredTrace extends TraceView {
  dmpId: string;
  sk: string;
}

// ── The state ────────────────────────────────────────────────────────────────────────────────────

/** Everything the fake stores hold, as plain maps (keys: `dmpId|professionalId` where two ids). */
class World {
  readonly records = new Map<string, StoredRecord>();
  readonly ins = new Map<string, string>();
  readonly creationCodes = new Map<string, IssuedCreationCode & { createdBy: string }>();
  readonly ledger: { finess: string; month: string; dmpId: string; createdAt: string; amountCents: number }[] = [];
  readonly retention = new Map<string, string>();
  readonly authorizations = new Map<string, Authorization & { source: string }>();
  readonly emergencies = new Map<string, { mode: EmergencyMode; at: string; until: string; reason?: Uint8Array | undefined }>();
  readonly seen = new Map<string, string>();
  readonly emergencyNotices = new Map<string, string>();
  readonly logins = new Map<string, Login>();
  readonly loginRefs = new Map<string, { dmpId: string; loginId: string; actor: LoginActor }>();
  readonly locks = new Map<string, { failures: number; lastFailureAt?: string | undefined }>();
  readonly sources = new Map<string, Map<number, number>>();
  readonly challenges = new Map<string, Challenge & { usedAt?: Date | undefined }>();
  readonly idempotency = new Map<string, { requestHash: string; dmpId: string; keyVersion: number; sealed: Uint8Array; ttl: number }>();
  readonly traceItems: StoredTrace[] = [];
  readonly outbox: FakeNotification[] = [];
  readonly smsCounters = new Map<string, number>();
  /** Document versions' items (`dmpId|documentId`): their labels are what traces.documentLabels reads. */
  readonly documents = new Map<string, FakeDocument>();
  /** The uniqueIds deposited in each record (`dmpId|uniqueId`), and the document that claimed each. */
  readonly documentUids = new Map<string, string>();
  /** Documents' content in chunks, by the chunk's item (REC#<dmpId>|CHUNK#<documentId>#<n>), in clear. */
  readonly chunks = new Map<string, Buffer>();
  /** Deposits writing their chunks, by their intent's item (REC#<dmpId>|UPLOAD#<documentId>). */
  readonly uploads = new Map<string, 'uploading'>();
  /** The labels of each committed transaction, in order. */
  readonly commits: string[][] = [];
  private readonly concurrent: (() => void)[] = [];

  /** Runs `change` just before the next transaction is checked: a concurrent request that landed first. */
  beforeNextCommit(change: () => void): void {
    this.concurrent.push(change);
  }

  /** A transaction (TransactWriteItems): what a concurrent request does first lands before it is checked. */
  commit(writes: readonly Write[]): void {
    this.concurrent.shift()?.();
    this.settle(writes);
    this.commits.push(writes.map((w) => w.label));
  }

  /** A single conditional write outside any transaction (PutItem), refused as a transaction part would be. */
  put(write: Write): void {
    this.settle([write]);
  }

  private settle(writes: readonly Write[]): void {
    const parts = writes.map(asFake);
    if (parts.length > 100) throw new Error(`${parts.length} writes in one transaction, at most 100`);
    const items = parts.map((p) => p.item);
    const twice = items.find((item, i) => items.indexOf(item) !== i);
    if (twice) throw new Error(`Transaction request cannot include multiple operations on one item (${twice})`);
    const refused = parts.filter((p) => !p.check()).map((p) => p.label);
    if (refused.length > 0) throw new ConditionsRefused(refused);
    for (const p of parts) p.apply();
  }

  /** A record's traces, in the order they were written (the access log sorts them by instant, then by random id). */
  traces(dmpId: string): StoredTrace[] {
    return this.traceItems.filter((t) => t.dmpId === dmpId);
  }

  /** A record's outbox, in the order it was written. */
  notifications(dmpId: string): FakeNotification[] {
    return this.outbox.filter((n) => n.dmpId === dmpId);
  }

  /** The record as it stands (not a copy): a test changes it to play a concurrent request. */
  record(dmpId: string): StoredRecord {
    const r = this.records.get(dmpId);
    if (!r) throw new Error(`no record ${dmpId}`);
    return r;
  }
}

// ── Keys, hashes, time, randomness, logs ─────────────────────────────────────────────────────────

/** Stands for KMS (adapters/keyring.ts): real AES-256 data keys, wrapped by a fixed master key bound to the record. */
class FakeKeyRing implements KeyRing {
  private readonly master = randomBytes(32);
  /** The records whose key a failed creation dropped. */
  readonly forgotten: string[] = [];

  async generate(dmpId: string): Promise<{ key: DataKey; wrapped: WrappedKey }> {
    const material = randomBytes(32);
    const ciphertext = seal({ dmpId, version: 1, material: this.master }, 'KMS', 'data-key', material);
    return { key: { dmpId, version: 1, material: Buffer.from(material) }, wrapped: { ciphertext, masterKeyId: 'fake-master-key', version: 1 } };
  }

  async unwrap(dmpId: string, wrapped: WrappedKey): Promise<DataKey> {
    return { dmpId, version: wrapped.version, material: open({ dmpId, version: 1, material: this.master }, 'KMS', 'data-key', wrapped.ciphertext) };
  }

  /** No cache: every key is unwrapped again. */
  cached(_dmpId: string): DataKey | undefined {
    return undefined;
  }

  forget(dmpId: string): void {
    this.forgotten.push(dmpId);
  }
}

/** Stands for the keyed hasher (adapters/keyed-hash.ts): HMAC-SHA256 with a fixed test key per purpose. */
const fakeHasher: Hasher = {
  hash: async (purpose: HashPurpose, value: string) => createHmac('sha256', `unit-test-key/${purpose}`).update(value, 'utf8').digest('base64url'),
};

class FakeClock implements Clock {
  private t: number;
  constructor(start: string) {
    this.t = Date.parse(start);
  }
  now(): Date {
    return new Date(this.t);
  }
  advance(ms: number): void {
    this.t += ms;
  }
}

const fakeRandom: Random = { bytes: (n) => randomBytes(n) };

/** Keeps what use cases log, to check that it says what happened and holds no personal data. */
class FakeLogger implements Logger {
  readonly lines: { level: string; message: string; attributes?: LogAttributes | undefined }[] = [];
  debug(message: string, attributes?: LogAttributes): void {
    this.lines.push({ level: 'debug', message, attributes });
  }
  info(message: string, attributes?: LogAttributes): void {
    this.lines.push({ level: 'info', message, attributes });
  }
  warn(message: string, attributes?: LogAttributes): void {
    this.lines.push({ level: 'warn', message, attributes });
  }
  error(message: string, attributes?: LogAttributes): void {
    this.lines.push({ level: 'error', message, attributes });
  }
}

/** Stands for the SMS sender over SNS (adapters/sms.ts): keeps the messages; `failNext` makes the next send throw. */
class FakeSms extends SmsSender {
  readonly sent: { to: string; message: string }[] = [];
  failNext = false;
  constructor() {
    // The SNS client is never called.
    super(new SNSClient({ region: 'eu-west-3' }), 'DMP');
  }
  override async send(to: string, message: string): Promise<string | undefined> {
    if (this.failNext) {
      this.failNext = false;
      throw new Error('SNS unavailable');
    }
    this.sent.push({ to, message });
    return `msg-${this.sent.length}`;
  }
}

/** Stands for the session signer over a KMS key (adapters/sessions.ts): keeps the claims, returns an opaque token. */
class FakeSessions extends SessionSigner {
  readonly issued: SessionClaims[] = [];
  constructor(clock: Clock) {
    // The KMS client is never called.
    super(new KMSClient({ region: 'eu-west-3' }), { keyId: 'fake-session-key', issuer: 'https://dmp.test', audience: 'dmp-api' }, clock, () => 'id');
  }
  override async issue(claims: SessionClaims): Promise<{ accessToken: string; expiresIn: number }> {
    this.issued.push(claims);
    return { accessToken: `session.${this.issued.length}`, expiresIn: 900 };
  }
}

// ── Stores ───────────────────────────────────────────────────────────────────────────────────────

class FakeTransactions implements Transactions {
  private readonly world: World;
  constructor(world: World) {
    this.world = world;
  }
  async commit(writes: readonly Write[]): Promise<void> {
    this.world.commit(writes);
  }
}

const TRACE_SK = /^TRACE#[0-9T:.Z-]{24}#[a-z2-7]{12}$/;
const OUTBOX_SK = /^OUTBOX#[0-9T:.Z-]{24}#[a-z2-7]{12}$/;

/** One page, newest first, of items sorted by a sort key, after the cursor's key; the cursor is the last key read. */
const pageOf = <T extends { sk: string }>(items: T[], limit: number, cursor: string | undefined, shape: RegExp): { read: T[]; nextCursor: string | null } => {
  const after = cursor === undefined ? undefined : decodeCursor(cursor, shape);
  const rest = items.sort((a, b) => b.sk.localeCompare(a.sk)).filter((i) => after === undefined || i.sk < after);
  const read = rest.slice(0, limit);
  return { read, nextCursor: rest.length > limit ? encodeCursor(read.at(-1)!.sk) : null };
};

class FakeTraces implements Traces {
  private readonly world: World;
  constructor(world: World) {
    this.world = world;
  }

  private stored(dmpId: string, trace: Trace, at: Date, id: string, sortedAt: Date = at): StoredTrace {
    return {
      dmpId,
      sk: `TRACE#${sortedAt.toISOString()}#${id}`,
      at: at.toISOString(),
      actor: { kind: trace.actor.kind, ...(trace.actor.id ? { id: trace.actor.id } : {}), ...(trace.actor.profession ? { profession: trace.actor.profession } : {}) },
      action: trace.action,
      mode: trace.mode,
      ...(trace.documentId ? { documentId: trace.documentId } : {}),
      ...(trace.subjectId ? { subjectId: trace.subjectId } : {}),
      ...(trace.hiddenFrom ? { hiddenFrom: trace.hiddenFrom } : {}),
      outcome: trace.outcome ?? 'allowed',
      ...(trace.requestId ? { requestId: trace.requestId } : {}),
      ...(trace.code ? { code: trace.code } : {}),
    };
  }

  private exists(t: StoredTrace): boolean {
    return this.world.traceItems.some((x) => x.dmpId === t.dmpId && x.sk === t.sk);
  }

  write(dmpId: string, trace: Trace, at: Date, id: string): Write {
    const t = this.stored(dmpId, trace, at, id);
    return part('trace', rec(dmpId, t.sk), { check: () => !this.exists(t), apply: () => this.world.traceItems.push(t) });
  }

  async append(dmpId: string, trace: Trace, at: Date, id: string): Promise<void> {
    this.world.put(this.write(dmpId, trace, at, id));
  }

  /** One per actor, record, action and minute: its key is the minute's and the actor's and action's (adapters/trace-store.ts). */
  async refusal(dmpId: string, trace: Trace & { actor: { id: string } }, at: Date): Promise<boolean> {
    const minute = new Date(Math.floor(at.getTime() / 60_000) * 60_000);
    const slot = createHmac('sha256', 'slot').update(`${trace.actor.kind}\n${trace.actor.id}\n${trace.action}`).digest();
    const id = Array.from(slot.subarray(0, 12), (b) => 'abcdefghijklmnopqrstuvwxyz234567'[b % 32]).join('');
    const t = this.stored(dmpId, { ...trace, outcome: 'refused' }, at, id, minute);
    if (this.exists(t)) return false;
    this.world.traceItems.push(t);
    return true;
  }

  /** As the Query does: `limit` traces read, then `only` filters them (a page may hold fewer). */
  async page(dmpId: string, limit: number, cursor: string | undefined, only?: { kind: string; id: string }): Promise<Page<TraceView>> {
    const { read, nextCursor } = pageOf(
      this.world.traceItems.filter((t) => t.dmpId === dmpId),
      limit,
      cursor,
      TRACE_SK,
    );
    const items = read.filter((t) => !only || (t.actor.kind === only.kind && t.actor.id === only.id)).map(({ dmpId: _d, sk: _s, ...view }) => view);
    return { items, nextCursor };
  }

  async documentLabels(dmpId: string, documentIds: readonly string[]): Promise<Map<string, DocumentLabels>> {
    const found = new Map<string, DocumentLabels>();
    for (const id of documentIds) {
      const doc = this.world.documents.get(pro(dmpId, id));
      if (doc) found.set(id, { ...doc.labels });
    }
    return found;
  }
}

class FakeNotifications implements Notifications {
  private readonly world: World;
  constructor(world: World) {
    this.world = world;
  }

  private put(label: string, n: FakeNotification): Write {
    const sk = `OUTBOX#${n.at}#${n.id}`;
    return part(label, rec(n.dmpId, sk), {
      check: () => !this.world.outbox.some((o) => o.dmpId === n.dmpId && o.at === n.at && o.id === n.id),
      apply: () => this.world.outbox.push(n),
    });
  }

  message(key: DataKey, message: OutboxMessage, at: Date, id: string): Write {
    return this.put('notification', {
      dmpId: key.dmpId,
      id,
      at: at.toISOString(),
      kind: 'message',
      template: message.template,
      channel: message.channel ?? 'sms',
      to: message.to,
      params: message.params,
      status: 'pending',
    });
  }

  fanOut(key: DataKey, message: FanOutMessage, at: Date, id: string): Write {
    return this.put('notification', {
      dmpId: key.dmpId,
      id,
      at: at.toISOString(),
      kind: 'fan-out',
      template: message.template,
      channel: 'professional',
      audience: message.audience,
      except: message.except,
      params: message.params,
      status: 'pending',
    });
  }

  sentLog(dmpId: string, template: Template, at: Date, id: string): Write {
    return this.put('sent-log', { dmpId, id, at: at.toISOString(), kind: 'sent-log', template, channel: 'sms', status: 'sent', sentAt: at.toISOString() });
  }
}

const budgetLabel = (kind: SmsBudgetKind, window: SmsWindow): string => `sms-budget:${kind}:${window.name}`;

class FakeSmsBudgets implements SmsBudgets {
  private readonly world: World;
  constructor(world: World) {
    this.world = world;
  }

  spendWrites(dmpId: string, kind: SmsBudgetKind, windows: readonly SmsWindow[], now: Date): Write[] {
    return windows.map((w) => {
      const counter = rec(dmpId, `SMS#${kind}#${w.name}#${windowOf(w, now).start.toISOString()}`);
      return part(budgetLabel(kind, w), counter, {
        check: () => (this.world.smsCounters.get(counter) ?? 0) < w.max,
        apply: () => this.world.smsCounters.set(counter, (this.world.smsCounters.get(counter) ?? 0) + 1),
      });
    });
  }

  exhausted(error: unknown, kind: SmsBudgetKind, windows: readonly SmsWindow[], now: Date): Date | undefined {
    if (!(error instanceof ConditionsRefused)) return undefined;
    const full = windows.filter((w) => error.labels.has(budgetLabel(kind, w)));
    return full.length === 0 ? undefined : new Date(Math.max(...full.map((w) => windowOf(w, now).end.getTime())));
  }

  emergencyNoticeWrite(dmpId: string, professionalId: string, now: Date, cutoff: Date, _ttl: Date): Write {
    const k = pro(dmpId, professionalId);
    return part(EMERGENCY_NOTICE, rec(dmpId, `PRO#${professionalId}#NOTICE`), {
      check: () => {
        const last = this.world.emergencyNotices.get(k);
        return last === undefined || last <= cutoff.toISOString();
      },
      apply: () => this.world.emergencyNotices.set(k, now.toISOString()),
    });
  }
}

class FakeStandings implements Standings {
  private readonly world: World;
  constructor(world: World) {
    this.world = world;
  }

  async standing(dmpId: string, professionalId: string): Promise<ProfessionalStanding> {
    const k = pro(dmpId, professionalId);
    const a = this.world.authorizations.get(k);
    const e = this.world.emergencies.get(k);
    const seenAt = this.world.seen.get(k);
    const noticeAt = this.world.emergencyNotices.get(k);
    return {
      ...(a ? { relation: { status: a.status, attendingPhysician: a.attendingPhysician, expiresAt: a.expiresAt }, since: a.since } : {}),
      ...(e ? { emergency: { mode: e.mode, until: e.until } } : {}),
      ...(seenAt ? { seenAt } : {}),
      ...(noticeAt ? { emergencyNoticeAt: noticeAt } : {}),
    };
  }

  decisionWrite(dmpId: string, professionalId: string, status: Relation['status'], attendingPhysician: boolean, since: string): Write {
    return part('authorization', rec(dmpId, `PRO#${professionalId}`), {
      apply: () =>
        this.world.authorizations.set(pro(dmpId, professionalId), {
          professionalId,
          status,
          attendingPhysician: status === 'authorized' && attendingPhysician,
          since,
          source: 'patient',
        }),
    });
  }

  notBlockedCheck(dmpId: string, professionalId: string): Write {
    return part('not-blocked', rec(dmpId, `PRO#${professionalId}`), { check: () => this.world.authorizations.get(pro(dmpId, professionalId))?.status !== 'blocked' });
  }

  removeAuthorizationWrite(dmpId: string, professionalId: string): Write {
    const k = pro(dmpId, professionalId);
    return part('authorization', rec(dmpId, `PRO#${professionalId}`), { check: () => this.world.authorizations.has(k), apply: () => this.world.authorizations.delete(k) });
  }

  emergencyWrite(key: DataKey, professionalId: string, mode: EmergencyMode, reason: string | undefined, at: Date, until: Date): Write {
    const sk = `PRO#${professionalId}#EMERGENCY`;
    return part('emergency', rec(key.dmpId, sk), {
      apply: () =>
        this.world.emergencies.set(pro(key.dmpId, professionalId), {
          mode,
          at: at.toISOString(),
          until: until.toISOString(),
          reason: reason ? seal(key, sk, 'reason', Buffer.from(reason, 'utf8')) : undefined,
        }),
    });
  }

  seenWrite(dmpId: string, professionalId: string, at: Date): Write {
    const k = pro(dmpId, professionalId);
    return part('seen', rec(dmpId, `PRO#${professionalId}#SEEN`), { check: () => !this.world.seen.has(k), apply: () => this.world.seen.set(k, at.toISOString()) });
  }
}

class FakeLogins implements Logins {
  private readonly world: World;
  /** Sources this process saw refused, until when (LoginStore's SeenLocks). */
  private readonly refusedSources = new Map<string, Date>();
  constructor(world: World) {
    this.world = world;
  }

  async get(loginId: string): Promise<Login | undefined> {
    const l = this.world.logins.get(loginId);
    return l ? { ...l } : undefined;
  }

  async ofRecord(dmpId: string): Promise<{ loginId: string; actor: LoginActor }[]> {
    return [...this.world.loginRefs.values()].filter((r) => r.dmpId === dmpId).map(({ loginId, actor }) => ({ loginId, actor }));
  }

  sourceRefusedUntil(sourceHash: string, now: Date): Date | undefined {
    const until = this.refusedSources.get(sourceHash);
    return until && until > now ? until : undefined;
  }

  /** Counted only when the lock schedule admits one more attempt now (accountAdmits is the rule the store's condition spells out). */
  async reserveAccount(loginId: string, now: Date): Promise<Reserved<AccountReservation>> {
    const lock = this.world.locks.get(loginId);
    const last = lock?.lastFailureAt ? new Date(lock.lastFailureAt) : undefined;
    if (lock && !accountAdmits(lock.failures, last, now)) {
      const opens = accountOpensAt(lock.failures, last);
      return { refusedUntil: opens && opens > now ? opens : new Date(now.getTime() + 1000) };
    }
    this.world.locks.set(loginId, { failures: (lock?.failures ?? 0) + 1, lastFailureAt: now.toISOString() });
    return { reserved: { loginId, at: now.toISOString(), before: { failures: lock?.failures ?? 0, lastFailureAt: lock?.lastFailureAt } } };
  }

  /** As it was when nothing was counted since; else one less; nothing once a completed login cleared it. */
  async releaseAccount(r: AccountReservation): Promise<void> {
    const lock = this.world.locks.get(r.loginId);
    if (!lock) return;
    if (lock.failures === r.before.failures + 1 && lock.lastFailureAt === r.at) {
      this.world.locks.set(r.loginId, { failures: r.before.failures, lastFailureAt: r.before.lastFailureAt });
    } else if (lock.failures > 0) lock.failures -= 1;
  }

  async reserveSource(sourceHash: string, now: Date): Promise<Reserved<SourceReservation>> {
    const window = sourceWindowIndex(now);
    const windows = this.world.sources.get(sourceHash) ?? new Map<number, number>();
    this.world.sources.set(sourceHash, windows);
    const previous = windows.get(window - 1) ?? 0;
    let current = windows.get(window) ?? 0;
    if (current < SOURCE_MAX_FAILURES) {
      windows.delete(window - 2);
      windows.set(window, ++current);
      const reservation = { sourceHash, window, stale: [...windows.keys()].filter((w) => w < window - 1) };
      if (sourceAdmits(previous, current, now)) return { reserved: reservation };
      await this.releaseSource(reservation);
      current -= 1;
    }
    const until = sourceOpensAt(previous, current, now);
    this.refusedSources.set(sourceHash, until);
    return { refusedUntil: until };
  }

  async releaseSource(r: SourceReservation): Promise<void> {
    const windows = this.world.sources.get(r.sourceHash);
    const count = windows?.get(r.window) ?? 0;
    if (!windows || count <= 0) return;
    windows.set(r.window, count - 1);
    for (const w of r.stale) windows.delete(w);
  }

  challengePut(c: Omit<Challenge, 'attempts' | 'createdAt'>, now: Date): Write {
    return part('challenge', `CHAL#${c.challengeId}`, {
      check: () => !this.world.challenges.has(c.challengeId),
      apply: () => this.world.challenges.set(c.challengeId, { ...c, attempts: 0, createdAt: now }),
    });
  }

  async attempt(challengeId: string, now: Date): Promise<Challenge | undefined> {
    const c = this.world.challenges.get(challengeId);
    if (!c || c.attempts >= MAX_CODE_ATTEMPTS || c.expiresAt <= now || c.usedAt) return undefined;
    c.attempts += 1;
    const { usedAt: _unused, ...challenge } = c;
    return { ...challenge };
  }

  challengeUse(challengeId: string, now: Date): Write {
    return part('challenge', `CHAL#${challengeId}`, {
      check: () => {
        const c = this.world.challenges.get(challengeId);
        return c !== undefined && c.usedAt === undefined;
      },
      apply: () => {
        this.world.challenges.get(challengeId)!.usedAt = now;
      },
    });
  }

  clearFailuresWrite(loginId: string): Write {
    return part('lock', `LOCK#${loginId}`, { apply: () => this.world.locks.delete(loginId) });
  }

  passwordChange(loginId: string, checkedHash: string, newHash: string, _now: Date): Write {
    return part('login', `LOGIN#${loginId}`, {
      check: () => this.world.logins.get(loginId)?.passwordHash === checkedHash,
      apply: () => Object.assign(this.world.logins.get(loginId)!, { passwordHash: newHash, mustChangePassword: false }),
    });
  }

  loginPuts(dmpId: string, login: NewLogin, _now: Date): Write[] {
    return [
      part('login', `LOGIN#${login.loginId}`, { check: () => !this.world.logins.has(login.loginId), apply: () => this.world.logins.set(login.loginId, { ...login, dmpId }) }),
      part('login-ref', rec(dmpId, `LOGINREF#${login.loginId}`), {
        apply: () => this.world.loginRefs.set(pro(dmpId, login.loginId), { dmpId, loginId: login.loginId, actor: login.actor }),
      }),
    ];
  }

  loginDeletes(dmpId: string, loginId: string): Write[] {
    return [
      part('login-delete', `LOGIN#${loginId}`, { apply: () => this.world.logins.delete(loginId) }),
      part('login-delete', rec(dmpId, `LOGINREF#${loginId}`), { apply: () => this.world.loginRefs.delete(pro(dmpId, loginId)) }),
    ];
  }
}

class FakeIdempotency implements Idempotency {
  private readonly world: World;
  constructor(world: World) {
    this.world = world;
  }

  async lookup(scope: string, key: string, requestHash: string, now: Date): Promise<Lookup> {
    const itemName = `IDEM#${scope}#${key}`;
    const entry = this.world.idempotency.get(itemName);
    if (!entry || entry.ttl <= epochSeconds(now)) return { kind: 'none' };
    if (entry.requestHash !== requestHash) return { kind: 'mismatch' };
    return { kind: 'replay', dmpId: entry.dmpId, keyVersion: entry.keyVersion, sealed: entry.sealed, itemName };
  }

  open(key: DataKey, lookup: Extract<Lookup, { kind: 'replay' }>): StoredResponse {
    return openJson<StoredResponse>(key, lookup.itemName, 'response', lookup.sealed);
  }

  put(scope: string, key: string, requestHash: string, dataKey: DataKey, response: StoredResponse, now: Date): Write {
    const itemName = `IDEM#${scope}#${key}`;
    return part('idempotency', itemName, {
      check: () => (this.world.idempotency.get(itemName)?.ttl ?? 0) <= epochSeconds(now),
      apply: () =>
        this.world.idempotency.set(itemName, {
          requestHash,
          dmpId: dataKey.dmpId,
          keyVersion: dataKey.version,
          sealed: sealJson(dataKey, itemName, 'response', response),
          ttl: epochSeconds(now) + 24 * 3600,
        }),
    });
  }
}

class FakeRecords implements Records, CreationReports {
  private readonly world: World;
  /** The parts of a creation that other stores make. */
  private readonly parts: { traces: FakeTraces; notifications: FakeNotifications; logins: FakeLogins };
  constructor(world: World, parts: { traces: FakeTraces; notifications: FakeNotifications; logins: FakeLogins }) {
    this.world = world;
    this.parts = parts;
  }

  /** Everything a creation writes, in one transaction, under the record store's conditions (one DMP per INS, an unused code...). */
  async create(key: DataKey, wrapped: WrappedKey, r: NewRecord): Promise<void> {
    const createdAt = r.createdAt.toISOString();
    const w = this.world;
    const stored: StoredRecord = {
      dmpId: r.dmpId,
      status: 'active',
      revision: 1,
      insHash: r.insHash,
      channel: r.channel,
      createdAt,
      createdBy: r.createdBy,
      minor: r.minor,
      emergencyAccess: { ...r.emergencyAccess },
      sessionEnds: { passwordChangedAt: {} },
      wrappedKey: wrapped,
      sealed: {
        identity: sealJson(key, 'META', 'identity', r.identity),
        contact: sealJson(key, 'META', 'contact', r.contact),
        representatives: sealJson(key, 'META', 'representatives', r.representatives),
      },
    };
    const parts: Write[] = [
      part('record', rec(r.dmpId, 'META'), { check: () => !w.records.has(r.dmpId), apply: () => w.records.set(r.dmpId, stored) }),
      part('key', rec(r.dmpId, 'KEY'), { check: () => !w.records.has(r.dmpId) }),
      part('ins', `INS#${r.insHash}`, { check: () => !w.ins.has(r.insHash), apply: () => w.ins.set(r.insHash, r.dmpId) }),
      ...r.logins.flatMap((l) => this.parts.logins.loginPuts(r.dmpId, l, r.createdAt)),
    ];
    const professionalId = r.authorizedProfessional;
    if (professionalId) {
      parts.push(
        part('authorization', rec(r.dmpId, `PRO#${professionalId}`), {
          apply: () =>
            w.authorizations.set(pro(r.dmpId, professionalId), { professionalId, status: 'authorized', attendingPhysician: false, since: createdAt, source: 'creation' }),
        }),
      );
    }
    const ledger = r.ledger;
    if (ledger) {
      parts.push(
        part('ledger', `PHARM#${ledger.finess}#${ledger.month}|DMP#${r.dmpId}`, {
          check: () => !w.ledger.some((e) => e.dmpId === r.dmpId),
          apply: () => w.ledger.push({ ...ledger, dmpId: r.dmpId, createdAt, amountCents: 100 }),
        }),
      );
    }
    const code = r.creationCode;
    if (code) {
      parts.push(
        part('creation-code', `CCODE#${code.hash}`, {
          check: () => {
            const c = w.creationCodes.get(code.hash);
            return c !== undefined && c.usedAt === undefined && c.insHash === code.insHash && c.expiresAt > createdAt;
          },
          apply: () => {
            w.creationCodes.get(code.hash)!.usedAt = createdAt;
          },
        }),
      );
    }
    parts.push(this.parts.traces.write(r.dmpId, r.trace.trace, r.createdAt, r.trace.id));
    for (const n of r.notifications) parts.push(this.parts.notifications.message(key, n.message, r.createdAt, n.id));
    parts.push(...(r.extra ?? []));
    w.commit(parts);
  }

  async dmpIdByInsHash(insHash: string): Promise<string | undefined> {
    return this.world.ins.get(insHash);
  }

  /** A copy, as a read is: what a later write changes does not change what was read. */
  async load(dmpId: string): Promise<StoredRecord | undefined> {
    const r = this.world.records.get(dmpId);
    return r ? structuredClone(r) : undefined;
  }

  async authorizations(dmpId: string): Promise<Authorization[]> {
    return [...this.world.authorizations.entries()].filter(([k]) => k.startsWith(`${dmpId}|`)).map(([, { source: _s, ...a }]) => ({ ...a }));
  }

  async putCreationCode(hash: string, insHash: string, _createdAt: Date, expiresAt: Date, createdBy: string): Promise<void> {
    const code = { insHash, expiresAt: expiresAt.toISOString(), createdBy, usedAt: undefined };
    this.world.commit([part('creation-code', `CCODE#${hash}`, { check: () => !this.world.creationCodes.has(hash), apply: () => this.world.creationCodes.set(hash, code) })]);
  }

  async creationCode(hash: string): Promise<IssuedCreationCode | undefined> {
    const c = this.world.creationCodes.get(hash);
    return c ? { insHash: c.insHash, expiresAt: c.expiresAt, usedAt: c.usedAt } : undefined;
  }

  async ledger(finess: string, month: string): Promise<LedgerEntry[]> {
    return this.world.ledger.filter((e) => e.finess === finess && e.month === month).map(({ dmpId, createdAt, amountCents }) => ({ dmpId, createdAt, amountCents }));
  }

  async creationsOn(day: string): Promise<Channel[]> {
    return [...this.world.records.values()].filter((r) => r.createdAt.startsWith(day)).map((r) => r.channel);
  }

  /** The META item changes under a condition on it (every change of a record has one). */
  private metaWrite(dmpId: string, condition: (r: StoredRecord) => boolean, change: (r: StoredRecord) => void, label = 'record'): Write {
    return part(label, rec(dmpId, 'META'), {
      check: () => {
        const r = this.world.records.get(dmpId);
        return r !== undefined && condition(r);
      },
      apply: () => change(this.world.record(dmpId)),
    });
  }

  closeWrites(dmpId: string, closedAt: Date, retainUntil: Date): Write[] {
    return [
      this.metaWrite(
        dmpId,
        (r) => r.status === 'active',
        (r) => {
          Object.assign(r, { status: 'closed', revision: r.revision + 1, closedAt: closedAt.toISOString(), retainUntil: retainUntil.toISOString() });
          r.sessionEnds.closedAt = closedAt.getTime();
        },
      ),
      part('retention', rec(dmpId, 'RETAIN'), { apply: () => this.world.retention.set(dmpId, retainUntil.toISOString()) }),
    ];
  }

  reactivateWrites(dmpId: string): Write[] {
    return [
      this.metaWrite(
        dmpId,
        (r) => r.status === 'closed',
        (r) => Object.assign(r, { status: 'active', revision: r.revision + 1, closedAt: undefined, retainUntil: undefined }),
      ),
      part('key', rec(dmpId, 'KEY'), { check: () => this.world.records.has(dmpId) }),
      part('retention', rec(dmpId, 'RETAIN'), { apply: () => this.world.retention.delete(dmpId) }),
    ];
  }

  activeCheck(dmpId: string): Write {
    return this.metaWrite(
      dmpId,
      (r) => r.status === 'active',
      () => {},
      'record-active',
    );
  }

  /** Never over a block; keeps what the patient set (attending physician), renews an expired one. */
  authorizationWrite(dmpId: string, professionalId: string, now: Date, source: 'creation' | 'reactivation' | 'consultation'): Write {
    const k = pro(dmpId, professionalId);
    return part('authorization', rec(dmpId, `PRO#${professionalId}`), {
      check: () => this.world.authorizations.get(k)?.status !== 'blocked',
      apply: () => {
        const before = this.world.authorizations.get(k);
        this.world.authorizations.set(k, {
          professionalId,
          status: 'authorized',
          attendingPhysician: before?.attendingPhysician ?? false,
          since: before?.since ?? now.toISOString(),
          source: before?.source ?? source,
        });
      },
    });
  }

  reissueWrite(dmpId: string, now: Date): Write {
    return this.metaWrite(
      dmpId,
      () => true,
      (r) => {
        r.minor = false;
        r.sessionEnds.credentialsReissuedAt = now.getTime();
      },
    );
  }

  passwordChangedWrite(dmpId: string, loginId: string, now: Date): Write {
    return this.metaWrite(
      dmpId,
      () => true,
      (r) => {
        r.sessionEnds.passwordChangedAt = { ...r.sessionEnds.passwordChangedAt, [loginId]: now.getTime() };
      },
    );
  }

  settingsWrite(dmpId: string, revision: number, change: SettingsChange): Write {
    return this.metaWrite(
      dmpId,
      (r) => r.revision === revision && r.status === 'active',
      (r) => {
        r.revision += 1;
        if (change.emergencyAccess) r.emergencyAccess = { ...change.emergencyAccess };
        if (change.vaccinationReminders !== undefined) r.vaccinationReminders = change.vaccinationReminders;
        if (change.contact) r.sealed.contact = change.contact;
        if (change.pendingMobile) r.pendingMobile = { ...change.pendingMobile, expiresAt: change.pendingMobile.expiresAt.toISOString(), attempts: 0 };
        else if (change.pendingMobile === null) r.pendingMobile = undefined;
      },
    );
  }

  async attemptPendingMobile(dmpId: string, pendingId: string, maxAttempts: number, now: Date): Promise<boolean> {
    const p = this.world.records.get(dmpId)?.pendingMobile;
    if (!p || p.id !== pendingId || p.attempts >= maxAttempts || p.expiresAt <= now.toISOString()) return false;
    p.attempts += 1;
    return true;
  }

  /** What was sent to the patient (SMS), newest first. */
  async notifications(dmpId: string, limit: number, cursor: string | undefined): Promise<Page<NotificationView>> {
    const sms = this.world.outbox.filter((n) => n.dmpId === dmpId && n.channel === 'sms').map((n) => ({ ...n, sk: `OUTBOX#${n.at}#${n.id}` }));
    const { read, nextCursor } = pageOf(sms, limit, cursor, OUTBOX_SK);
    return { items: read.map((n) => ({ id: n.id, at: n.at, reason: n.template, status: n.status, ...(n.sentAt ? { sentAt: n.sentAt } : {}) })), nextCursor };
  }
}

// ── Wiring ───────────────────────────────────────────────────────────────────────────────────────

const CONFIG: Config = {
  region: 'eu-west-3',
  tableName: 'unit',
  dataKeyId: 'fake-master-key',
  issuers: [],
  allowedOrigin: 'https://www.dmp.fr',
  smsSenderId: 'DMP',
  checkResponses: true,
};

export interface Seeded {
  dmpId: string;
  ins: string;
  identity: Identity;
  contact: Contact;
  /** The patient's login (none for a minor's record) and a session of it, authenticated at the seeding. */
  loginId: string;
  patient: Extract<Actor, { kind: 'patient' }>;
  /** A minor's representatives, with their logins. */
  representatives: Representative[];
}

export interface SeedOptions {
  identity?: Identity;
  contact?: Contact;
  representatives?: Omit<Representative, 'loginId'>[];
  emergencyAccess?: EmergencyAccess;
  /** A professional authorised from the creation (as when a professional creates the record). */
  authorizedProfessional?: string;
  /** The logins' password hash (hashPassword), when a test logs in; by default one no password matches. */
  passwordHash?: string;
}

export interface Fakes {
  deps: AuthDeps;
  /**
   * A record as an agent's creation leaves it, written through the fake record store without the
   * use case (no password hashing: scrypt is slow by design). The creation use case itself is
   * tested in records-use-cases.test.ts.
   */
  seed(o?: SeedOptions): Promise<Seeded>;
  world: World;
  clock: FakeClock;
  keyRing: FakeKeyRing;
  logger: FakeLogger;
  sms: FakeSms;
  sessions: FakeSessions;
}

/** Dependencies for any capability's use cases (AuthDeps is the widest: CryptoDeps and logins, SMS, sessions), all fakes over one World. */
export const fakeDeps = (start = '2026-11-24T10:00:00.000Z'): Fakes => {
  const world = new World();
  const clock = new FakeClock(start);
  const keyRing = new FakeKeyRing();
  const logger = new FakeLogger();
  const sms = new FakeSms();
  const sessions = new FakeSessions(clock);
  const traces = new FakeTraces(world);
  const notifications = new FakeNotifications(world);
  const logins = new FakeLogins(world);
  const deps: AuthDeps = {
    config: CONFIG,
    clock,
    random: fakeRandom,
    logger,
    tokens: new TokenVerifier([], clock),
    records: new FakeRecords(world, { traces, notifications, logins }),
    transactions: new FakeTransactions(world),
    traces,
    notifications,
    smsBudgets: new FakeSmsBudgets(world),
    access: new FakeStandings(world),
    keyRing,
    hasher: fakeHasher,
    idempotency: new FakeIdempotency(world),
    logins,
    sms,
    sessions,
  };
  const bytes = (n: number) => fakeRandom.bytes(n);
  const seed = async (o: SeedOptions = {}): Promise<Seeded> => {
    const now = clock.now();
    const dmpId = newDmpId(bytes);
    const ins = randomIns();
    const identity = o.identity ?? adultIdentity();
    const contact = o.contact ?? { mobile: randomMobile() };
    const representatives = (o.representatives ?? []).map((r) => ({ ...r, loginId: newLoginId(bytes) }));
    const minor = isMinorOn(identity.birthDate, now);
    const loginId = newLoginId(bytes);
    const passwordHash = o.passwordHash ?? 'scrypt$32768$8$1$none$none';
    const { key, wrapped } = await keyRing.generate(dmpId);
    await deps.records.create(key, wrapped, {
      dmpId,
      channel: 'agent',
      createdAt: now,
      createdBy: 'agent:seed',
      consentInformedAt: now,
      minor,
      emergencyAccess: o.emergencyAccess ?? { breakGlass: true, regulation: true },
      identity,
      contact,
      representatives,
      logins: [
        ...(minor ? [] : [{ loginId, actor: 'patient' as const, passwordHash, mustChangePassword: true }]),
        ...representatives.map((r) => ({ loginId: r.loginId, actor: 'representative' as const, passwordHash, mustChangePassword: true })),
      ],
      insHash: await fakeHasher.hash('ins', ins),
      authorizedProfessional: o.authorizedProfessional,
      notifications: [],
      trace: { trace: { actor: { kind: 'agent', id: 'seed' }, action: 'record.create', mode: 'normal', outcome: 'allowed' }, id: newEventId(bytes) },
    });
    return { dmpId, ins, identity, contact, loginId, representatives, patient: { kind: 'patient', dmpId, loginId, authenticatedAt: now.getTime() } };
  };
  return { deps, world, clock, keyRing, logger, sms, sessions, seed };
};

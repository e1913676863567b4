/**
 * The stores' ports: what the use cases ask of persistence, in the domain's own types. The
 * DynamoDB adapters implement them (functions/adapters/*-store.ts); unit tests give in-memory fakes
 * (test/support/fakes.ts). A method named `...Write` or `...Check` makes one part of an action's
 * transaction (Write) and writes nothing itself: the use case commits the parts together
 * (Transactions), so an action and its trace, notifications and conditions land all or none.
 */
import type { DocumentLabels, DocumentStatus, EmergencyMode, ProfessionalStanding, Relation } from './access-policy.ts';
import type { IssuedCreationCode } from './creation.ts';
import type { NewDocument, OpenedDocument, StoredDocument } from './documents.ts';
import type { AccountReservation, Challenge, Login, LoginActor, NewLogin, Reserved, SourceReservation } from './login.ts';
import type { FanOutMessage, OutboxMessage, Template } from './notifications.ts';
import type { DataKey, WrappedKey, Write } from './ports.ts';
import type { Authorization, EmergencyAccess, NewRecord, NotificationView, StoredRecord } from './records.ts';
import type { SmsBudgetKind, SmsWindow } from './sms-budget.ts';
import type { Trace, TraceView } from './trace.ts';

/** One page of a list, newest first, and the opaque cursor of the next one (null: the last page). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A change of a record's settings: the emergency modes, the sealed contact, the mobile awaiting its code. */
export interface SettingsChange {
  emergencyAccess?: EmergencyAccess | undefined;
  vaccinationReminders?: boolean | undefined;
  contact?: Uint8Array | undefined;
  pendingMobile?: { id: string; sealed: Uint8Array; codeHash: string; expiresAt: Date } | null | undefined;
}

export interface Records {
  /** A new record and everything its creation writes, in one transaction (ConditionsRefused names a broken invariant). */
  create(key: DataKey, wrapped: WrappedKey, record: NewRecord): Promise<void>;
  dmpIdByInsHash(insHash: string): Promise<string | undefined>;
  load(dmpId: string): Promise<StoredRecord | undefined>;
  authorizations(dmpId: string): Promise<Authorization[]>;
  putCreationCode(hash: string, insHash: string, createdAt: Date, expiresAt: Date, createdBy: string): Promise<void>;
  creationCode(hash: string): Promise<IssuedCreationCode | undefined>;
  closeWrites(dmpId: string, closedAt: Date, retainUntil: Date): Write[];
  reactivateWrites(dmpId: string): Write[];
  /** The record is still active (label `record-active`). */
  activeCheck(dmpId: string): Write;
  authorizationWrite(dmpId: string, professionalId: string, now: Date, source: 'creation' | 'reactivation' | 'consultation'): Write;
  reissueWrite(dmpId: string, now: Date): Write;
  passwordChangedWrite(dmpId: string, loginId: string, now: Date): Write;
  /** Refused (label `revision`) when the record changed since `revision`. */
  settingsWrite(dmpId: string, revision: number, change: SettingsChange): Write;
  /** Counts one attempt at the pending mobile's code: false once they are spent or it is gone. */
  attemptPendingMobile(dmpId: string, pendingId: string, maxAttempts: number, now: Date): Promise<boolean>;
  notifications(dmpId: string, limit: number, cursor: string | undefined): Promise<Page<NotificationView>>;
}

/** Professionals' standing on records: authorizations and blocks, emergency accesses, first accesses. */
export interface Standings {
  standing(dmpId: string, professionalId: string): Promise<ProfessionalStanding>;
  decisionWrite(dmpId: string, professionalId: string, status: Relation['status'], attendingPhysician: boolean, since: string): Write;
  /** The professional is still not blocked (label `not-blocked`). */
  notBlockedCheck(dmpId: string, professionalId: string): Write;
  removeAuthorizationWrite(dmpId: string, professionalId: string): Write;
  emergencyWrite(key: DataKey, professionalId: string, mode: EmergencyMode, reason: string | undefined, at: Date, until: Date): Write;
  /** The professional's first access (label `seen`: refused when another request was first). */
  seenWrite(dmpId: string, professionalId: string, at: Date): Write;
}

/** Logins, their attempt counters and their one-time-code challenges. */
export interface Logins {
  get(loginId: string): Promise<Login | undefined>;
  ofRecord(dmpId: string): Promise<{ loginId: string; actor: LoginActor }[]>;
  /** Until when this process already knows the source is refused (no call). */
  sourceRefusedUntil(sourceHash: string, now: Date): Date | undefined;
  reserveAccount(loginId: string, now: Date): Promise<Reserved<AccountReservation>>;
  releaseAccount(reservation: AccountReservation): Promise<void>;
  reserveSource(sourceHash: string, now: Date): Promise<Reserved<SourceReservation>>;
  releaseSource(reservation: SourceReservation): Promise<void>;
  challengePut(challenge: Omit<Challenge, 'attempts' | 'createdAt'>, now: Date): Write;
  /** Counts one attempt at a challenge's code; the challenge as it stands, or nothing when spent, used or gone. */
  attempt(challengeId: string, now: Date): Promise<Challenge | undefined>;
  challengeUse(challengeId: string, now: Date): Write;
  clearFailuresWrite(loginId: string): Write;
  passwordChange(loginId: string, checkedHash: string, newHash: string, now: Date): Write;
  loginPuts(dmpId: string, login: NewLogin, now: Date): Write[];
  loginDeletes(dmpId: string, loginId: string): Write[];
}

/** The first response to an idempotency key, sealed with the record's key; a replay answers it again. */
export interface Idempotency {
  lookup(scope: string, key: string, requestHash: string, now: Date): Promise<Lookup>;
  open(key: DataKey, lookup: Extract<Lookup, { kind: 'replay' }>): StoredResponse;
  /** Records the response (label `idempotency`: refused when the key was taken meanwhile). */
  put(scope: string, key: string, requestHash: string, dataKey: DataKey, response: StoredResponse, now: Date): Write;
}

/** The access log: every access's trace, in the record's partition. */
export interface Traces {
  /** A trace as a part of the action's transaction (label `trace`). */
  write(dmpId: string, trace: Trace, at: Date, id: string): Write;
  /** A trace on its own (a read's). */
  append(dmpId: string, trace: Trace, at: Date, id: string): Promise<void>;
  /** A refusal's trace: at most one per actor, record, action and minute (false: this minute's exists). */
  refusal(dmpId: string, trace: Trace & { actor: { id: string } }, at: Date): Promise<boolean>;
  /** One page newest first; `only` keeps one actor's own actions. */
  page(dmpId: string, limit: number, cursor: string | undefined, only?: { kind: string; id: string }): Promise<Page<TraceView>>;
  /** The current labels of documents that traces name (absent: the document no longer exists). */
  documentLabels(dmpId: string, documentIds: readonly string[]): Promise<Map<string, DocumentLabels>>;
}

/** Notifications as parts of the action that causes them; the outbox sends them later. */
export interface Notifications {
  /** One message (label `notification`), its recipient sealed with the record's key. */
  message(key: DataKey, message: OutboxMessage, at: Date, id: string): Write;
  /** One message to each member of an audience, as one write whatever their number (label `notification`). */
  fanOut(key: DataKey, message: FanOutMessage, at: Date, id: string): Write;
  /** An SMS sent directly (a login code), logged for the patient's list of notifications (label `sent-log`). */
  sentLog(dmpId: string, template: Template, at: Date, id: string): Write;
}

/** The label of the write that records a professional's emergency notice. */
export const EMERGENCY_NOTICE = 'emergency-notice';

/** SMS counted per record in windows: one more is refused once a window is full. */
export interface SmsBudgets {
  /** One more SMS of this kind, in each window (refused, labelled, when one is full). */
  spendWrites(dmpId: string, kind: SmsBudgetKind, windows: readonly SmsWindow[], now: Date): Write[];
  /** Whether a refused transaction was refused by these counters: until when. */
  exhausted(error: unknown, kind: SmsBudgetKind, windows: readonly SmsWindow[], now: Date): Date | undefined;
  /**
   * That the professional's emergency access was told to the patient now (label EMERGENCY_NOTICE):
   * refused when another notice of this professional landed after `cutoff`.
   */
  emergencyNoticeWrite(dmpId: string, professionalId: string, now: Date, cutoff: Date, ttl: Date): Write;
}

export interface StoredResponse {
  status: number;
  body: unknown;
}

export type Lookup = { kind: 'none' } | { kind: 'mismatch' } | { kind: 'replay'; dmpId: string; keyVersion: number; sealed: Uint8Array; itemName: string };

/** A record's documents: their versions' items, sealed facts and titles, and their content in chunks. */
export interface Documents {
  get(dmpId: string, documentId: string): Promise<StoredDocument | undefined>;
  /** One page of a record's document versions, newest first, after an opaque cursor; `more` when the Query stopped short. */
  page(dmpId: string, cursor: string | undefined, evaluate?: number): Promise<{ items: StoredDocument[]; more: boolean }>;
  /** The opaque cursor that goes on after this document. */
  cursorAt(documentId: string): string;
  /** The sealed facts of care opened with the record's key: what the access policy weighs. */
  openDocument(key: DataKey, doc: StoredDocument): OpenedDocument;
  openTitle(key: DataKey, doc: StoredDocument): string;
  readContent(key: DataKey, doc: StoredDocument): Promise<Buffer>;
  /** Writes the content's chunks ahead of the commit; what the commit must include (label `upload`). */
  stageChunks(key: DataKey, doc: NewDocument, now: Date): Promise<Write[]>;
  /** The commit of a new version: its item (label `document`), its unique id's claim, what was staged. */
  commitWrites(key: DataKey, doc: NewDocument, staged: readonly Write[], titleWords: string[]): Write[];
  supersedeWrites(dmpId: string, previous: StoredDocument, labels: DocumentLabels): Write[];
  labelsWrites(dmpId: string, doc: StoredDocument, labels: DocumentLabels, status: DocumentStatus): Write[];
  deleteWrites(dmpId: string, doc: StoredDocument, at: Date): Write[];
  /** Removes what a refused deposit staged. */
  discardStaged(dmpId: string, documentId: string, chunks: number): Promise<void>;
}

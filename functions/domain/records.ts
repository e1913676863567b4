/**
 * A record as the use cases see it: its data, sealed parts included (opened with the record's data
 * key), and what a creation writes. The record store (adapters/record-store.ts) keeps it.
 */
import type { Channel } from './creation.ts';
import type { NewLogin, SessionEnds } from './login.ts';
import type { OutboxMessage } from './notifications.ts';
import type { WrappedKey, Write } from './ports.ts';
import type { Trace } from './trace.ts';

export interface Identity {
  familyName: string;
  givenNames: string;
  birthDate: string;
  sex: 'F' | 'M' | 'U';
}

export interface Contact {
  mobile?: string | undefined;
  email?: string | undefined;
}

export interface Representative {
  familyName: string;
  givenNames: string;
  relationship: string;
  mobile?: string | undefined;
  loginId: string;
}

export interface EmergencyAccess {
  breakGlass: boolean;
  regulation: boolean;
}

/** A login created with the record: the same items as a login issued later (newLoginPuts). */
export type LoginToCreate = NewLogin;

export interface NewRecord {
  dmpId: string;
  channel: Channel;
  createdAt: Date;
  createdBy: string;
  /** When the person was informed and gave express consent (as the creator declared it). */
  consentInformedAt: Date;
  minor: boolean;
  emergencyAccess: EmergencyAccess;
  identity: Identity;
  contact: Contact;
  representatives: Representative[];
  logins: LoginToCreate[];
  insHash: string;
  /** The creating professional holds the patient's consent: an authorization from the start. */
  authorizedProfessional?: string | undefined;
  ledger?: { finess: string; month: string } | undefined;
  creationCode?: { hash: string; insHash: string } | undefined;
  notifications: { message: OutboxMessage; id: string }[];
  /** The creation's own trace. */
  trace: { trace: Trace; id: string };
  /** Extra parts of the same transaction (the idempotency record). */
  extra?: Write[];
}

/** A notification sent (or to send) to the patient, as the patient reads it. */
export interface NotificationView {
  id: string;
  at: string;
  reason: string;
  status: 'pending' | 'sent' | 'failed' | 'dropped';
  sentAt?: string;
}

export interface PendingMobile {
  id: string;
  sealed: Uint8Array;
  codeHash: string;
  expiresAt: string;
  attempts: number;
}

export interface StoredRecord {
  dmpId: string;
  status: 'active' | 'closed';
  /** Optimistic concurrency for changes of the sealed parts. */
  revision: number;
  insHash?: string | undefined;
  pendingMobile?: PendingMobile | undefined;
  channel: Channel;
  createdAt: string;
  createdBy: string;
  closedAt?: string | undefined;
  retainUntil?: string | undefined;
  minor: boolean;
  emergencyAccess: EmergencyAccess;
  /** Whether the holders get SMS reminders of vaccinations due (absent: yes). */
  vaccinationReminders?: boolean | undefined;
  /** When its holders' sessions ended (reissue, password changes, closure). */
  sessionEnds: SessionEnds;
  wrappedKey: WrappedKey;
  sealed: { identity: Uint8Array; contact: Uint8Array; representatives: Uint8Array };
}

export interface Authorization {
  professionalId: string;
  status: 'authorized' | 'blocked';
  attendingPhysician: boolean;
  since: string;
  expiresAt?: string | undefined;
}

/**
 * What every access leaves behind, for the patient to read (docs/ARCHITECTURE.md: "every access
 * leaves a trace"): who, when, what, in which mode. Ids only: a professional's RPPS/ADELI id and
 * profession, an agent's id, never a name.
 */
import type { AccessMode } from './access-policy.ts';
import type { Actor } from './actor.ts';

export type TraceAction =
  | 'record.create'
  | 'record.read'
  | 'record.search'
  | 'record.close'
  | 'record.reactivate'
  | 'settings.update'
  | 'session.open'
  | 'password.change'
  | 'credentials.reissue'
  | 'document.deposit'
  | 'document.list'
  | 'document.read'
  | 'document.update'
  | 'document.delete'
  | 'document.reveal'
  | 'authorization.grant'
  | 'authorization.block'
  | 'authorization.remove'
  | 'access.consent'
  | 'access.emergency'
  | 'access-log.read'
  /** The Assurance Maladie's sync added lines to the reimbursement history (one per patient and batch). */
  | 'claims.update'
  | 'claims.read'
  /** The care team drawn from the history and the deposits (GET …/care-team). */
  | 'claims.care-team'
  /** The medication review drawn from the history (GET …/medication-review). */
  | 'claims.medication-review'
  /** The patient masked or unmasked the reimbursement history from professionals. */
  | 'claims.visibility'
  /** The emergency summary (GET …/emergency-summary): profile, wishes, vaccinations, treatments, latest letters. */
  | 'emergency-summary.read'
  /** A keyword search across the record (GET …/search): what it found is weighed item by item under the policy. */
  | 'record.keyword-search'
  /** The health profile (blood group, allergies, conditions, treatments, height, weight) read or written. */
  | 'profile.read'
  | 'profile.update'
  /** The advance directives and the trusted person read or written. */
  | 'wishes.read'
  | 'wishes.update'
  /** A vaccination recorded (POST …/vaccinations), and the vaccination record read (the list, what is due). */
  | 'vaccinations.record'
  | 'vaccinations.read'
  | 'vaccinations.due'
  /** A holder paired a device (its credential writes measurements to the record), listed or revoked them. */
  | 'device.pair'
  | 'device.list'
  | 'device.revoke'
  /** Measurements written by a device or a holder (one trace per request), and read. */
  | 'measurements.write'
  | 'measurements.read';

export interface TraceActor {
  /** `system`: a scheduled job (the one-month reveal of a document). */
  kind: Actor['kind'] | 'system';
  id?: string;
  profession?: string;
}

export interface Trace {
  actor: TraceActor;
  action: TraceAction;
  mode: AccessMode;
  documentId?: string;
  /** A professional the action concerns (an authorization the patient changed). */
  subjectId?: string;
  /**
   * The document was hidden from the patient (and so from representatives) or from
   * representatives only when the action happened: their access log shows the action, not the
   * document's id.
   */
  hiddenFrom?: 'patient' | 'representatives';
  /** Whether the action was done or refused (traces written before refusals were traced: done). */
  outcome?: TraceOutcome;
  /** The request that did or was refused the action (its X-Request-Id), to correlate with the API's logs. */
  requestId?: string;
  /** A refusal's code (`blocked`, `no-authorization`, `patient-opposed`, …): never more than the code. */
  code?: string;
}

export type TraceOutcome = 'allowed' | 'refused';

export const traceActor = (actor: Actor): TraceActor => {
  switch (actor.kind) {
    case 'professional':
      return { kind: 'professional', id: actor.id, profession: actor.profession };
    case 'agent':
      return { kind: 'agent', id: actor.id };
    case 'insurer':
      return { kind: 'insurer', id: actor.id };
    case 'device':
      return { kind: 'device', id: actor.id };
    case 'patient':
      return { kind: 'patient', id: actor.dmpId };
    case 'representative':
      return { kind: 'representative', id: actor.loginId };
    case 'anonymous':
      // Online self-service creation: the insured person, before any login exists.
      return { kind: 'anonymous' };
  }
};

export interface TraceView {
  at: string;
  actor: { kind: Trace['actor']['kind']; id?: string; profession?: string };
  action: string;
  mode: Trace['mode'];
  documentId?: string;
  subjectId?: string;
  hiddenFrom?: Trace['hiddenFrom'];
  outcome: TraceOutcome;
  requestId?: string;
  code?: string;
}

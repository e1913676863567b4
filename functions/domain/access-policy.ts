/**
 * The access policy: the one place that decides who may know of and read a record and its
 * documents, deposit, change labels, delete, declare an access (normal or emergency) and read the
 * access log. Handlers ask it; none re-implements a piece of it. Pure: the facts (the record, the
 * professional's standing on it, the document, the matrix) and the instant are passed in.
 *
 * Precedence, from the strongest:
 *   1. A closed record is closed to professionals (404: they may not know it exists).
 *   2. A professional the patient blocked is refused everything: reads, deposits, emergency modes.
 *   3. A deleted document is gone for everyone, in every version.
 *   4. Patients and representatives see their own record only, minus what is invisible to them.
 *   5. The author of a document always sees it (unless blocked).
 *   6. Otherwise a professional reads in a mode: `normal` with a valid authorization, or an
 *      emergency mode (`break-glass`, `regulation`) that the patient did not oppose; then the
 *      profession matrix (class, or a type's exception) must allow the document, and a document
 *      masked by the patient is seen only by attending physicians.
 *
 * Labels and deletion are the document's, not a version's: every version of a document (its set,
 * chained by new versions) carries the labels of the newest one and is deleted with it, so the
 * facts of an earlier version are its document's, and a version is decided on them like any
 * other. They change through the newest version only: a superseded version refuses a label change
 * or a deletion (409), its document's current version takes them.
 */
import type { Actor } from './actor.ts';
import type { AccessMatrix } from './reference-data.ts';
import { PHARMACIST } from './reference-data.ts';

/** How a professional accesses a record: in the ordinary way, or in one of the two emergency modes. */
export type AccessMode = 'normal' | 'break-glass' | 'regulation';
export type EmergencyMode = Exclude<AccessMode, 'normal'>;
export const REGULATOR_ROLE = 'regulator';
/** An emergency access lasts this long; the professional declares it again afterwards. */
export const EMERGENCY_ACCESS_MS = 12 * 3600_000;

export interface RecordFacts {
  dmpId: string;
  status: 'active' | 'closed';
  /** The patient's non-opposition to each emergency mode (true: allowed). */
  emergencyAccess?: { breakGlass: boolean; regulation: boolean } | undefined;
  minor?: boolean | undefined;
}

/** A professional's authorization on a record, as the patient (or a consultation) set it. */
export interface Relation {
  status: 'authorized' | 'blocked';
  /**
   * The attending physician (médecin traitant) is the patient's choice, made by the patient or a
   * legal representative (PUT .../professionals/{id}); a professional never names himself (see
   * decideAccessRequest), and no consultation, creation or reactivation sets or clears it. The
   * médecin traitant the insurer has on file is a second source, not wired yet: when it is, it
   * belongs here too, read beside the patient's choice, which stands over it.
   */
  attendingPhysician: boolean;
  expiresAt?: string | undefined;
}

/** An emergency access a professional declared (POST .../access), until it lapses. */
export interface EmergencyGrant {
  mode: EmergencyMode;
  until: string;
}

/** Everything the policy knows of a professional on a record. */
export interface Standing {
  relation?: Relation | undefined;
  emergency?: EmergencyGrant | undefined;
}

export interface DocumentLabels {
  maskedToProfessionals: boolean;
  invisibleToPatient: boolean;
  invisibleToRepresentatives: boolean;
}

export type DocumentStatus = 'current' | 'archived' | 'superseded' | 'deleted';

/**
 * A version of a document as the policy weighs it. `labels` are the document's (those of its
 * newest version, carried by every version), and `status` is `deleted` once the document is.
 */
export interface DocumentFacts {
  classCode: string;
  typeCode: string;
  status: DocumentStatus;
  author: { kind: 'professional' | 'patient' | 'representative'; id: string };
  labels: DocumentLabels;
}

export type SearchAuthorization = 'VALIDE' | 'NON_EXISTE' | 'INTERDIT' | 'EXPIRE';

export type Denial = { allow: false; answer: 'forbidden' | 'not-found' | 'conflict' | 'refused'; code: string; reason: string };
export type Allowed = { allow: true; mode: AccessMode };
/** Every decision of the policy has this shape: allowed in a mode (some carry more, such as a scope), or a denial. */
export type Decision = Allowed | Denial;

const allow = (mode: AccessMode = 'normal'): Decision => ({ allow: true, mode });
const deny = (answer: Denial['answer'], code: string, reason: string): Denial => ({ allow: false, answer, code, reason });

const NOT_FOUND = deny('not-found', 'not-found', 'No such record.');
const DOCUMENT_NOT_FOUND = deny('not-found', 'not-found', 'No such document.');
const BLOCKED = deny('forbidden', 'blocked', 'The patient has blocked you from this record.');
/** The insurer's sync writes the reimbursed-care history and nothing else: it reads nothing of a record. */
const INSURER_WRITES_ONLY = deny('forbidden', 'insurer-writes-only', 'The Assurance Maladie’s sync writes the reimbursement history only; it reads nothing.');

/** A paired device writes measurements to its own record and nothing else. */
const DEVICE_WRITES_ONLY = deny('forbidden', 'device-writes-measurements-only', 'A device credential writes measurements to its record and nothing else.');

/** What a professional's relation to a record amounts to at an instant. */
export const authorizationState = (relation: Relation | undefined, now: Date): SearchAuthorization => {
  if (!relation) return 'NON_EXISTE';
  if (relation.status === 'blocked') return 'INTERDIT';
  if (relation.expiresAt !== undefined && Date.parse(relation.expiresAt) <= now.getTime()) return 'EXPIRE';
  return 'VALIDE';
};

/** A valid authorization that names the professional attending physician. */
export const isAttendingPhysician = (relation: Relation | undefined, now: Date): boolean => authorizationState(relation, now) === 'VALIDE' && relation?.attendingPhysician === true;

/** Finding the DMP of an INS: professionals and agents (what the search then reports is searchAuthorization). */
export const decideRecordSearch = (actor: Actor): Decision =>
  actor.kind === 'professional' || actor.kind === 'agent' ? allow() : deny('forbidden', 'search-not-allowed', 'Only professionals and agents search records.');

/** The authorization a search reports to its caller. */
export const searchAuthorization = (actor: Actor, record: RecordFacts, relation: Relation | undefined, now: Date): SearchAuthorization => {
  if (actor.kind !== 'professional') return 'NON_EXISTE';
  if (record.status === 'closed') return 'INTERDIT';
  return authorizationState(relation, now);
};

const opposed = (record: RecordFacts, mode: EmergencyMode): boolean =>
  mode === 'break-glass' ? record.emergencyAccess?.breakGlass === false : record.emergencyAccess?.regulation === false;

const isOwnRecord = (actor: Actor, record: RecordFacts): boolean => (actor.kind === 'patient' || actor.kind === 'representative') && actor.dmpId === record.dmpId;

/**
 * A professional's access to the record as a whole, and in which mode: a valid authorization
 * (normal), else a declared emergency access still running, of a mode the patient does not oppose
 * (now: an opposition set after the declaration ends it) and, for regulation, by a regulator.
 */
const professionalAccess = (actor: Extract<Actor, { kind: 'professional' }>, record: RecordFacts, standing: Standing, now: Date): Decision => {
  if (record.status === 'closed') return NOT_FOUND;
  const state = authorizationState(standing.relation, now);
  if (state === 'INTERDIT') return BLOCKED;
  if (state === 'VALIDE') return allow('normal');
  const emergency = standing.emergency;
  if (emergency && Date.parse(emergency.until) > now.getTime() && !opposed(record, emergency.mode) && (emergency.mode === 'break-glass' || actor.role === REGULATOR_ROLE)) {
    return allow(emergency.mode);
  }
  return deny(
    'forbidden',
    state === 'EXPIRE' ? 'authorization-expired' : 'no-authorization',
    state === 'EXPIRE' ? 'Your authorization on this record has expired.' : 'You are not authorised on this record.',
  );
};

/** May this actor read the record's administrative part (identity, contact, settings), in which mode? */
export const decideRecordRead = (actor: Actor, record: RecordFacts, standing: Standing, now: Date): Decision => {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      return isOwnRecord(actor, record) ? allow() : NOT_FOUND;
    case 'professional':
      return professionalAccess(actor, record, standing, now);
    case 'agent':
      return deny('forbidden', 'agents-do-not-read', 'Agents do not read records.');
    case 'insurer':
      return INSURER_WRITES_ONLY;
    case 'device':
      return DEVICE_WRITES_ONLY;
    case 'anonymous':
      return NOT_FOUND;
  }
};

/** May the profession read a document of this class and type, by the matrix (type exceptions first)? */
export const matrixAllows = (matrix: AccessMatrix, profession: string, classCode: string, typeCode: string): boolean => {
  const exception = matrix.exceptions.find((e) => e.typeCode === typeCode);
  if (exception) return exception.readableBy.includes(profession);
  const classes = matrix.read[profession];
  return classes !== undefined && (classes.includes('*') || classes.includes(classCode));
};

/** Is the actor the author of the document (a patient's document belongs to its record's holders)? */
export const isAuthor = (actor: Actor, record: RecordFacts, doc: Pick<DocumentFacts, 'author'>): boolean => {
  if (actor.kind === 'professional') return doc.author.kind === 'professional' && doc.author.id === actor.id;
  return isOwnRecord(actor, record) && (doc.author.kind === 'patient' || doc.author.kind === 'representative');
};

/**
 * Who may read which documents of a record: the record-level facts are weighed once, and the
 * returned function decides each document (a listing asks it for every item of its page).
 */
export const documentReader = (actor: Actor, record: RecordFacts, standing: Standing, now: Date, matrix: AccessMatrix): ((doc: DocumentFacts) => Decision) => {
  switch (actor.kind) {
    case 'patient':
    case 'representative': {
      if (!isOwnRecord(actor, record)) return () => NOT_FOUND;
      const representative = actor.kind === 'representative';
      return (doc) => {
        if (doc.status === 'deleted' || doc.labels.invisibleToPatient) return DOCUMENT_NOT_FOUND;
        if (representative && doc.labels.invisibleToRepresentatives) return DOCUMENT_NOT_FOUND;
        return allow();
      };
    }
    case 'professional': {
      if (record.status === 'closed') return () => NOT_FOUND;
      const access = professionalAccess(actor, record, standing, now);
      if (!access.allow && access.code === 'blocked') return () => BLOCKED;
      const attending = isAttendingPhysician(standing.relation, now);
      return (doc) => {
        if (doc.status === 'deleted') return DOCUMENT_NOT_FOUND;
        if (doc.author.kind === 'professional' && doc.author.id === actor.id) return allow(access.allow ? access.mode : 'normal');
        if (!access.allow) return access;
        if (!matrixAllows(matrix, actor.profession, doc.classCode, doc.typeCode)) return DOCUMENT_NOT_FOUND;
        if (doc.labels.maskedToProfessionals && !attending) return DOCUMENT_NOT_FOUND;
        return access;
      };
    }
    case 'agent':
      return () => deny('forbidden', 'agents-do-not-read', 'Agents do not read documents.');
    case 'insurer':
      return () => INSURER_WRITES_ONLY;
    case 'device':
      return () => DEVICE_WRITES_ONLY;
    case 'anonymous':
      return () => NOT_FOUND;
  }
};

/**
 * Listing a record's documents at all (each document is then decided by documentReader): a
 * professional without access lists only the documents it deposited itself.
 */
export const decideDocumentListing = (actor: Actor, record: RecordFacts, standing: Standing, now: Date): Decision => {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      return isOwnRecord(actor, record) ? allow() : NOT_FOUND;
    case 'professional': {
      const access = professionalAccess(actor, record, standing, now);
      if (access.allow || access.code === 'blocked' || access.answer === 'not-found') return access;
      return allow('normal');
    }
    case 'agent':
      return deny('forbidden', 'agents-do-not-read', 'Agents do not read documents.');
    case 'insurer':
      return INSURER_WRITES_ONLY;
    case 'device':
      return DEVICE_WRITES_ONLY;
    case 'anonymous':
      return NOT_FOUND;
  }
};

/** One document: the same decision as in a listing. */
export const decideDocumentRead = (actor: Actor, record: RecordFacts, standing: Standing, doc: DocumentFacts, now: Date, matrix: AccessMatrix): Decision =>
  documentReader(actor, record, standing, now, matrix)(doc);

/** Classes no one deposits through this API: reimbursement data comes from the Assurance Maladie. */
export const PATIENT_CLASS = '90';
export const REIMBURSEMENT_CLASS = '60';

/**
 * A deposit: professionals need no authorization (but not when blocked); the patient and
 * representatives deposit patient documents (class 90) on their own record. Labels: the patient
 * masks, the author hides from the patient or from representatives (a minor's record only).
 */
export const decideDeposit = (actor: Actor, record: RecordFacts, standing: Standing, classCode: string, labels: DocumentLabels, now: Date): Decision => {
  if (labels.invisibleToPatient && labels.maskedToProfessionals) {
    return deny('refused', 'contradictory-labels', 'A document cannot be both invisible to the patient and masked to professionals.');
  }
  if (classCode === REIMBURSEMENT_CLASS) return deny('refused', 'reserved-class', 'Reimbursement data comes from the Assurance Maladie, not from deposits.');
  switch (actor.kind) {
    case 'professional': {
      if (record.status === 'closed') return NOT_FOUND;
      if (authorizationState(standing.relation, now) === 'INTERDIT') return BLOCKED;
      if (classCode === PATIENT_CLASS) return deny('refused', 'patient-class', 'Class 90 documents are deposited by the patient.');
      if (labels.maskedToProfessionals) return deny('forbidden', 'label-not-yours', 'Only the patient masks a document from professionals.');
      if (labels.invisibleToRepresentatives && !record.minor) {
        return deny('refused', 'not-a-minor', 'Only a minor’s document can be invisible to legal representatives.');
      }
      return allow();
    }
    case 'patient':
    case 'representative':
      if (!isOwnRecord(actor, record)) return NOT_FOUND;
      if (record.status === 'closed') return deny('conflict', 'record-closed', 'The record is closed: it is read-only until it is reactivated.');
      if (classCode !== PATIENT_CLASS) return deny('refused', 'patient-class', 'The patient deposits class 90 documents only.');
      if (labels.invisibleToPatient || labels.invisibleToRepresentatives) {
        return deny('forbidden', 'label-not-yours', 'Only a professional author hides a document from the patient or representatives.');
      }
      return allow();
    case 'agent':
      return deny('forbidden', 'agents-do-not-deposit', 'Agents do not deposit documents.');
    case 'insurer':
      return INSURER_WRITES_ONLY;
    case 'device':
      return DEVICE_WRITES_ONLY;
    case 'anonymous':
      return NOT_FOUND;
  }
};

export interface LabelChange {
  maskedToProfessionals?: boolean | undefined;
  invisibleToPatient?: false | undefined;
  visibleToRepresentatives?: true | undefined;
  archived?: boolean | undefined;
}

/**
 * A change of a document's labels or archive state. The caller must see the document first; then:
 * the patient (or a representative) masks and unmasks; the author reveals to the patient, or
 * (irreversibly) to representatives; the author or the patient archives. The labels are the whole
 * document's: they change through its current version, never through a superseded one.
 */
export const decideDocumentChange = (actor: Actor, record: RecordFacts, standing: Standing, doc: DocumentFacts, change: LabelChange, now: Date, matrix: AccessMatrix): Decision => {
  const read = decideDocumentRead(actor, record, standing, doc, now, matrix);
  if (!read.allow) return read;
  const holder = isOwnRecord(actor, record);
  const author = isAuthor(actor, record, doc);
  if (holder && record.status === 'closed') return deny('conflict', 'record-closed', 'The record is closed: it is read-only until it is reactivated.');
  if (change.maskedToProfessionals !== undefined && !holder) return deny('forbidden', 'label-not-yours', 'Only the patient masks or unmasks a document.');
  if (change.invisibleToPatient !== undefined && !(author && actor.kind === 'professional')) {
    return deny('forbidden', 'label-not-yours', 'Only the author reveals a document to the patient.');
  }
  if (change.visibleToRepresentatives !== undefined && !(author && actor.kind === 'professional')) {
    return deny('forbidden', 'label-not-yours', 'Only the author reveals a document to legal representatives.');
  }
  if (change.archived !== undefined && !author && !holder) return deny('forbidden', 'not-author', 'Only the author or the patient archives a document.');
  if (doc.status === 'superseded') {
    return deny('conflict', 'superseded', 'This version was replaced: its labels and archive state are its document’s, changed through its current version.');
  }
  const masked = change.maskedToProfessionals ?? doc.labels.maskedToProfessionals;
  const invisible = change.invisibleToPatient ?? doc.labels.invisibleToPatient;
  if (masked && invisible) return deny('refused', 'contradictory-labels', 'A document cannot be both invisible to the patient and masked to professionals.');
  return read;
};

/**
 * Logical deletion: the author only (the patient, for the documents the patient deposited). It
 * deletes the whole document, every version: through its current version, never a superseded one.
 */
export const decideDocumentDelete = (actor: Actor, record: RecordFacts, standing: Standing, doc: DocumentFacts, now: Date, matrix: AccessMatrix): Decision => {
  const read = decideDocumentRead(actor, record, standing, doc, now, matrix);
  if (!read.allow) return read;
  if (!isAuthor(actor, record, doc)) return deny('forbidden', 'not-author', 'Only the author deletes a document.');
  if (isOwnRecord(actor, record) && record.status === 'closed') return deny('conflict', 'record-closed', 'The record is closed: it is read-only until it is reactivated.');
  if (doc.status === 'superseded') {
    return deny('conflict', 'superseded', 'This version was replaced: a document is deleted whole, every version, through its current version.');
  }
  return read;
};

/**
 * A new version keeps the patient's mask: its author cannot lift it by replacing the document. The
 * labels it gets become the document's, every earlier version's too.
 */
export const inheritedLabels = (previous: Pick<DocumentFacts, 'labels'>, requested: DocumentLabels): DocumentLabels =>
  previous.labels.maskedToProfessionals ? { ...requested, maskedToProfessionals: true } : requested;

/**
 * A new version: by the author of the one it replaces, which must still be current or archived;
 * the labels it asks for, with the mask it inherits, must not contradict each other. A version
 * that is missing, deleted or hidden from the caller gets the same answer: no such document.
 */
export const decideReplace = (
  actor: Actor,
  record: RecordFacts,
  standing: Standing,
  previous: DocumentFacts | undefined,
  now: Date,
  matrix: AccessMatrix,
  requested: DocumentLabels = { maskedToProfessionals: false, invisibleToPatient: false, invisibleToRepresentatives: false },
): Decision => {
  // A version the caller may not see answers as one that does not exist, whatever hides it.
  if (!previous) return DOCUMENT_NOT_FOUND;
  const read = decideDocumentRead(actor, record, standing, previous, now, matrix);
  if (!read.allow) return DOCUMENT_NOT_FOUND;
  if (!isAuthor(actor, record, previous)) return deny('forbidden', 'not-author', 'Only the author of a document deposits its new version.');
  if (previous.status === 'superseded') return deny('conflict', 'superseded', 'This version was already replaced.');
  const labels = inheritedLabels(previous, requested);
  if (labels.maskedToProfessionals && labels.invisibleToPatient) {
    return deny('refused', 'contradictory-labels', 'The patient masked this document: its new version cannot be invisible to the patient.');
  }
  return read;
};

export interface AccessRequest {
  mode: AccessMode;
  patientConsent?: true | undefined;
  /** Accepted for compatibility: `true` is refused, `false` changes nothing (the patient's choice stands). */
  attendingPhysician?: boolean | undefined;
  reason?: string | undefined;
}

/**
 * A professional declares an access (POST .../access): consent given at the consultation
 * (normal), break-glass (a reason, and the patient's non-opposition), or regulation (a SAMU
 * Centre 15 regulator, and the patient's non-opposition). A blocked professional is refused in
 * every mode. No declaration names its professional attending physician: that is the patient's
 * choice (see Relation), so asking for it is refused in every mode.
 */
export const decideAccessRequest = (actor: Actor, record: RecordFacts, standing: Standing, request: AccessRequest, now: Date): Decision => {
  if (actor.kind !== 'professional') return deny('forbidden', 'professionals-only', 'Only professionals declare an access.');
  if (record.status === 'closed') return NOT_FOUND;
  const state = authorizationState(standing.relation, now);
  if (state === 'INTERDIT') return BLOCKED;
  if (request.attendingPhysician === true) {
    return deny(
      'forbidden',
      'attending-physician-is-the-patients-choice',
      'The patient (or a legal representative) names the attending physician; a professional cannot name himself.',
    );
  }
  switch (request.mode) {
    case 'normal':
      if (request.patientConsent === true) return allow('normal');
      if (state === 'VALIDE') return allow('normal');
      return deny(
        'forbidden',
        state === 'EXPIRE' ? 'authorization-expired' : 'no-authorization',
        'You are not authorised on this record: record the patient’s consent (patientConsent: true).',
      );
    case 'break-glass':
      if (!request.reason?.trim()) return deny('refused', 'reason-required', 'Break-glass access needs a reason.');
      if (opposed(record, 'break-glass')) return deny('forbidden', 'patient-opposed', 'The patient opposed break-glass access.');
      return allow('break-glass');
    case 'regulation':
      if (actor.role !== REGULATOR_ROLE) return deny('forbidden', 'not-a-regulator', 'Regulation access is for SAMU Centre 15 regulating doctors.');
      if (opposed(record, 'regulation')) return deny('forbidden', 'patient-opposed', 'The patient opposed access by the SAMU regulation.');
      return allow('regulation');
  }
};

/** Which traces of the access log the actor reads: all of them, or only its own actions. */
export type LogScope = (Allowed & { scope: 'all' | 'own' }) | Denial;

export const decideAccessLogRead = (actor: Actor, record: RecordFacts, standing: Standing, now: Date): LogScope => {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      return isOwnRecord(actor, record) ? { allow: true, mode: 'normal', scope: 'all' } : NOT_FOUND;
    case 'professional':
      if (record.status === 'closed') return NOT_FOUND;
      // Blocked is blocked: not even the professional's own entries, as for every other read.
      if (authorizationState(standing.relation, now) === 'INTERDIT') return BLOCKED;
      return { allow: true, mode: 'normal', scope: isAttendingPhysician(standing.relation, now) ? 'all' : 'own' };
    case 'agent':
      return { allow: true, mode: 'normal', scope: 'own' };
    case 'insurer':
      return INSURER_WRITES_ONLY;
    case 'device':
      return DEVICE_WRITES_ONLY;
    case 'anonymous':
      return NOT_FOUND;
  }
};

/**
 * Whether an access-log reader sees the id of the document a trace names: not the patient (nor a
 * representative) when the document was hidden from the patient at the time, nor a representative
 * when it was hidden from representatives. The action itself is shown either way.
 */
export const showsTracedDocument = (actor: Actor, hiddenFrom: 'patient' | 'representatives' | undefined): boolean => {
  if (hiddenFrom === 'patient') return actor.kind !== 'patient' && actor.kind !== 'representative';
  if (hiddenFrom === 'representatives') return actor.kind !== 'representative';
  return true;
};

/**
 * Whether an access-log reader sees a trace at all. A trace about a document that was hidden from
 * the reader when it was written shows only once the document's current labels (`current`, those
 * of its item now; undefined when it is gone) show it to the reader: until the document is
 * revealed, nothing in the log tells that it exists; then its history shows, id included.
 */
export const showsTrace = (actor: Actor, hiddenFrom: 'patient' | 'representatives' | undefined, current: DocumentLabels | undefined): boolean => {
  if (showsTracedDocument(actor, hiddenFrom)) return true;
  if (!current || current.invisibleToPatient) return false;
  return !(actor.kind === 'representative' && current.invisibleToRepresentatives);
};

/**
 * What only the record's holders do (the patient, or a representative, on their own record):
 * manage the list of professionals, close the record, change its settings, read its
 * notifications. Any other record answers 404, whether it exists or not.
 */
export const decideHolderAction = (actor: Actor, record: RecordFacts): Decision => {
  if (!isOwnRecord(actor, record)) return NOT_FOUND;
  return allow();
};

/**
 * Reactivating a closed record: its holders, an agent, or a professional the patient has not
 * blocked (the express consent of the person is the lifecycle's rule).
 */
export const decideReactivation = (actor: Actor, record: RecordFacts, standing: Standing, now: Date): Decision => {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      return decideHolderAction(actor, record);
    case 'professional':
      return authorizationState(standing.relation, now) === 'INTERDIT' ? BLOCKED : allow();
    case 'agent':
      return allow();
    case 'insurer':
      return INSURER_WRITES_ONLY;
    case 'device':
      return DEVICE_WRITES_ONLY;
    case 'anonymous':
      return NOT_FOUND;
  }
};

/** New patient credentials are issued at a CPAM desk, by an agent who checked the person's identity. */
export const decideCredentialsReissue = (actor: Actor): Decision =>
  actor.kind === 'agent' ? allow() : deny('forbidden', 'agents-only', 'New credentials are issued at a CPAM desk.');

/** A pharmacy's remuneration ledger: its own pharmacists and the Assurance Maladie's agents. */
export const decideLedgerRead = (actor: Actor, finess: string): Decision => {
  if (actor.kind === 'agent') return allow();
  if (actor.kind === 'professional' && actor.profession === PHARMACIST && actor.structure === finess) return allow();
  return deny('forbidden', 'not-this-pharmacy', 'Only a pharmacist of this pharmacy or an agent may read its creations.');
};

/** The reimbursed-care history's type code in the matrix (class 60, REIMBURSEMENT_CLASS). */
export const REIMBURSEMENT_TYPE = 'REMB';

/** Only the Assurance Maladie's sync writes the reimbursed-care history. */
export const decideClaimsWrite = (actor: Actor): Decision =>
  actor.kind === 'insurer' ? allow() : deny('forbidden', 'insurer-only', 'Only the Assurance Maladie’s sync writes the reimbursement history.');

/** What the patient decided about the history as a whole. */
export interface ClaimsSettings {
  /** Hidden from every professional but the attending physician(s). */
  maskedToProfessionals: boolean;
}

/**
 * Reading the reimbursed-care history, under the policy of documents: the record's holders (a
 * representative without the lines a minor keeps confidential: claimLineVisible); a professional
 * in a mode (a valid authorization, or an emergency access the patient did not oppose), whose
 * profession may read class 60 in the matrix, and, when the patient masked the history, only an
 * attending physician. Blocked is blocked; a closed record is closed to professionals.
 */
export const decideClaimsRead = (actor: Actor, record: RecordFacts, standing: Standing, settings: ClaimsSettings, now: Date, matrix: AccessMatrix): Decision => {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      return isOwnRecord(actor, record) ? allow() : NOT_FOUND;
    case 'professional': {
      const access = professionalAccess(actor, record, standing, now);
      if (!access.allow) return access;
      if (!matrixAllows(matrix, actor.profession, REIMBURSEMENT_CLASS, REIMBURSEMENT_TYPE)) {
        return deny('forbidden', 'profession-not-allowed', 'Your profession may not read the reimbursement history.');
      }
      if (settings.maskedToProfessionals && !isAttendingPhysician(standing.relation, now)) {
        return deny('forbidden', 'masked-by-patient', 'The patient has masked the reimbursement history from professionals other than the attending physician.');
      }
      return access;
    }
    case 'agent':
      return deny('forbidden', 'agents-do-not-read', 'Agents do not read the reimbursement history.');
    case 'insurer':
      return INSURER_WRITES_ONLY;
    case 'device':
      return DEVICE_WRITES_ONLY;
    case 'anonymous':
      return NOT_FOUND;
  }
};

/**
 * Whether a line's own flags can hide it from this reader (claimLineVisible): a representative only.
 * For any other reader allowed by decideClaimsRead, every line is shown without opening it.
 */
export const claimLineCanHide = (actor: Actor): boolean => actor.kind === 'representative';

/** A line of the history a reader allowed by decideClaimsRead sees: not a confidential line for a representative. */
export const claimLineVisible = (actor: Actor, line: { confidential?: boolean | undefined }): boolean => !(claimLineCanHide(actor) && line.confidential === true);

/** Masking or unmasking the whole history: the record's holders, while the record is active. */
export const decideClaimsMask = (actor: Actor, record: RecordFacts): Decision => {
  if (!isOwnRecord(actor, record)) return NOT_FOUND;
  if (record.status === 'closed') return deny('conflict', 'record-closed', 'The record is closed: it is read-only until it is reactivated.');
  return allow();
};

export interface ProfessionalStanding extends Standing {
  /** When the professional first accessed the record (absent: never, the next access is the first). */
  seenAt?: string | undefined;
  /** Since when the authorization (or block) holds. */
  since?: string | undefined;
  /** When the professional's last emergency access was told to the patient (absent: never). */
  emergencyNoticeAt?: string | undefined;
}

/**
 * The patient's own health data, kind by kind. Each kind is read under a row of the profession
 * matrix, as a document of that class and type would be (no new row in the data):
 *   - the health profile (blood group, allergies, conditions, declared treatments, height,
 *     weight) is summary data, class 11 (synthèse), type 60591-5: every profession reads it;
 *   - advance directives and the trusted person fall under the EXPPAT_3 exception (doctors,
 *     midwives, nurses), whatever their class;
 *   - vaccinations are class 45, type 11369-6 (vaccination history);
 *   - measurements from devices or the patient are patient data, class 90.
 */
export type HealthKind = 'profile' | 'wishes' | 'vaccinations' | 'measurements';

export const HEALTH_KINDS: Readonly<Record<HealthKind, { classCode: string; typeCode: string; display: string }>> = {
  profile: { classCode: '11', typeCode: '60591-5', display: 'the health profile' },
  wishes: { classCode: PATIENT_CLASS, typeCode: 'EXPPAT_3', display: 'the advance directives and the trusted person' },
  vaccinations: { classCode: '45', typeCode: '11369-6', display: 'the vaccination record' },
  measurements: { classCode: PATIENT_CLASS, typeCode: 'MESURES', display: 'the measurements' },
};

/** May the profession read this kind of health data, by the matrix (as a document of its class and type)? */
export const matrixAllowsHealth = (matrix: AccessMatrix, profession: string, kind: HealthKind): boolean =>
  matrixAllows(matrix, profession, HEALTH_KINDS[kind].classCode, HEALTH_KINDS[kind].typeCode);

/**
 * Reading a kind of health data: the record's holders; a professional in a mode (a valid
 * authorization, or an emergency access the patient did not oppose), not blocked, whose profession
 * reads the kind's row of the matrix. A closed record is closed to professionals.
 */
export const decideHealthRead = (actor: Actor, record: RecordFacts, standing: Standing, kind: HealthKind, now: Date, matrix: AccessMatrix): Decision => {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      return isOwnRecord(actor, record) ? allow() : NOT_FOUND;
    case 'professional': {
      const access = professionalAccess(actor, record, standing, now);
      if (!access.allow) return access;
      if (!matrixAllowsHealth(matrix, actor.profession, kind)) {
        return deny('forbidden', 'profession-not-allowed', `Your profession may not read ${HEALTH_KINDS[kind].display}.`);
      }
      return access;
    }
    case 'agent':
      return deny('forbidden', 'agents-do-not-read', 'Agents do not read health data.');
    case 'insurer':
      return INSURER_WRITES_ONLY;
    case 'device':
      return DEVICE_WRITES_ONLY;
    case 'anonymous':
      return NOT_FOUND;
  }
};

const RECORD_CLOSED = deny('conflict', 'record-closed', 'The record is closed: it is read-only until it is reactivated.');

/**
 * Writing a kind of health data (every entry then carries its author and source):
 *   - profile: the record's holders; a professional who may read it (decideHealthRead) adds
 *     entries marked as its own;
 *   - wishes: the patient only, and an adult (advance directives are for adults);
 *   - vaccinations: the record's holders (declared), or a professional not blocked, as for a
 *     deposit (the vaccinator needs no authorization);
 *   - measurements: the record's holders, or a device paired with this record.
 * A closed record is read-only (409 to its holders, 404 to everyone else).
 */
export const decideHealthWrite = (actor: Actor, record: RecordFacts, standing: Standing, kind: HealthKind, now: Date, matrix: AccessMatrix): Decision => {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      if (!isOwnRecord(actor, record)) return NOT_FOUND;
      if (record.status === 'closed') return RECORD_CLOSED;
      if (kind === 'wishes') {
        if (actor.kind === 'representative') return deny('forbidden', 'patient-only', 'Only the patient writes advance directives and names a trusted person.');
        if (record.minor) return deny('refused', 'adults-only', 'Advance directives are written by adults.');
      }
      return allow();
    case 'professional': {
      if (record.status === 'closed') return NOT_FOUND;
      if (kind === 'vaccinations') return authorizationState(standing.relation, now) === 'INTERDIT' ? BLOCKED : allow();
      if (kind === 'profile') return decideHealthRead(actor, record, standing, kind, now, matrix);
      const read = decideHealthRead(actor, record, standing, kind, now, matrix);
      if (!read.allow && (read.code === 'blocked' || read.answer === 'not-found')) return read;
      return deny('forbidden', 'patient-writes', `Only the patient writes ${HEALTH_KINDS[kind].display}.`);
    }
    case 'device':
      if (kind !== 'measurements') return DEVICE_WRITES_ONLY;
      if (actor.dmpId !== record.dmpId) return deny('forbidden', 'device-not-for-this-record', 'This device is paired with another record.');
      if (record.status === 'closed') return RECORD_CLOSED;
      return allow();
    case 'agent':
      return deny('forbidden', 'agents-do-not-write', 'Agents do not write health data.');
    case 'insurer':
      return INSURER_WRITES_ONLY;
    case 'anonymous':
      return NOT_FOUND;
  }
};

/**
 * Pairing a device with a record (its credential then writes measurements there, decideHealthWrite):
 * the record's holders, while the record is active (409 once closed: read-only). Listing and
 * revoking the record's devices are holder actions (decideHolderAction), revoking even once the
 * record is closed: taking a credential back never needs the record open.
 */
export const decideDevicePairing = (actor: Actor, record: RecordFacts): Decision => {
  if (!isOwnRecord(actor, record)) return NOT_FOUND;
  if (record.status === 'closed') return RECORD_CLOSED;
  return allow();
};

/**
 * The access policy: the one place that decides who may know of and read a record. Handlers ask
 * it; none re-implements a piece of it. Pure: the relation and the instant are passed in.
 *
 * This first slice covers the record itself; documents, visibility labels, emergency modes and the
 * profession matrix extend it (same module) as the documents capability arrives.
 */
import type { Actor } from './actor.ts';
import { PHARMACIST } from './reference-data.ts';

export interface RecordFacts {
  dmpId: string;
  status: 'active' | 'closed';
}

export interface Relation {
  status: 'authorized' | 'blocked';
  attendingPhysician: boolean;
  expiresAt?: string | undefined;
}

export type SearchAuthorization = 'VALIDE' | 'NON_EXISTE' | 'INTERDIT' | 'EXPIRE';

export type Decision = { allow: true } | { allow: false; answer: 'forbidden' | 'not-found'; reason: string };

const allow: Decision = { allow: true };
const deny = (answer: 'forbidden' | 'not-found', reason: string): Decision => ({ allow: false, answer, reason });

/** What a professional's relation to a record amounts to at an instant. */
export const authorizationState = (relation: Relation | undefined, now: Date): SearchAuthorization => {
  if (!relation) return 'NON_EXISTE';
  if (relation.status === 'blocked') return 'INTERDIT';
  if (relation.expiresAt !== undefined && Date.parse(relation.expiresAt) <= now.getTime()) return 'EXPIRE';
  return 'VALIDE';
};

/** The authorization a search reports to its caller. */
export const searchAuthorization = (actor: Actor, record: RecordFacts, relation: Relation | undefined, now: Date): SearchAuthorization => {
  if (actor.kind !== 'professional') return 'NON_EXISTE';
  if (record.status === 'closed') return 'INTERDIT';
  return authorizationState(relation, now);
};

/** May this actor read the record's administrative part (identity, contact, settings)? */
export const decideRecordRead = (actor: Actor, record: RecordFacts, relation: Relation | undefined, now: Date): Decision => {
  switch (actor.kind) {
    case 'patient':
    case 'representative':
      return actor.dmpId === record.dmpId ? allow : deny('not-found', 'another record');
    case 'professional': {
      if (record.status === 'closed') return deny('not-found', 'closed records are invisible to professionals');
      const state = authorizationState(relation, now);
      if (state === 'VALIDE') return allow;
      return deny('forbidden', state === 'INTERDIT' ? 'blocked by the patient' : state === 'EXPIRE' ? 'authorization expired' : 'no authorization');
    }
    case 'agent':
      return deny('forbidden', 'agents do not read records');
    case 'anonymous':
      return deny('not-found', 'anonymous');
  }
};

/** A pharmacy's remuneration ledger: its own pharmacists and the Assurance Maladie's agents. */
export const decideLedgerRead = (actor: Actor, finess: string): Decision => {
  if (actor.kind === 'agent') return allow;
  if (actor.kind === 'professional' && actor.profession === PHARMACIST && actor.structure === finess) return allow;
  return deny('forbidden', 'not a pharmacist of this pharmacy');
};

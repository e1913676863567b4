/**
 * The record's lifecycle: active → closed (read-only, invisible to professionals, kept ten years)
 * → active again on reactivation, or destroyed once the ten years are over. Pure.
 */
import type { Actor } from './actor.ts';
import { addYears } from './dates.ts';
import { refuse } from './errors.ts';

export type RecordStatus = 'active' | 'closed';
export const RETENTION_YEARS = 10;

export const retainUntil = (closedAt: Date): Date => addYears(closedAt, RETENTION_YEARS);

/** May the retention job destroy a record now? Only a closed one whose ten years are over. */
export const isDueForDestruction = (r: { status: string; retainUntil?: string | undefined }, now: Date): boolean =>
  r.status === 'closed' && r.retainUntil !== undefined && Date.parse(r.retainUntil) <= now.getTime();

export const assertOpenForChange = (status: RecordStatus): void => {
  if (status === 'closed') refuse('conflict', 'record-closed', 'The record is closed: it is read-only until it is reactivated.');
};

export const assertClosable = (status: RecordStatus): void => {
  if (status === 'closed') refuse('conflict', 'already-closed', 'The record is already closed.');
};

/**
 * Reactivation: the patient (or a representative) decides alone; a professional or an agent acts
 * only with the person's express consent, given in person.
 */
export const assertReactivation = (actor: Actor, status: RecordStatus, consent: { expressConsent: boolean } | undefined): void => {
  if (status === 'active') refuse('conflict', 'already-active', 'The record is active.');
  if ((actor.kind === 'professional' || actor.kind === 'agent') && consent?.expressConsent !== true) {
    refuse('refused', 'express-consent-required', 'A record is reactivated by a professional or an agent only with the express consent of the person.');
  }
};

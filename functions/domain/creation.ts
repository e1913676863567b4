/**
 * Rules of DMP creation: who creates through which channel, express consent, minors and their
 * legal representatives, what the online channel needs. Pure: the clock is passed in.
 */
import type { Actor } from './actor.ts';
import { isMinorOn } from './dates.ts';
import { refuse } from './errors.ts';
import { PHARMACIST } from './reference-data.ts';

export type Channel = 'pharmacy' | 'professional' | 'agent' | 'online';
export const CHANNELS: readonly Channel[] = ['pharmacy', 'professional', 'agent', 'online'];

export interface CreationRequest {
  identity: { birthDate: string };
  contact?: { mobile?: string; email?: string };
  consent: { expressConsent: boolean; informedAt?: string | undefined };
  representatives?: readonly unknown[];
  creationCode?: string;
  password?: string;
}

export interface CreationPlan {
  channel: Channel;
  minor: boolean;
  /** The pharmacy whose remuneration ledger gets the 1 € entry. */
  pharmacyFiness?: string;
}

/** Clocks of the creating software and ours may differ a little. */
const CLOCK_SKEW_MS = 5 * 60_000;

export const channelOf = (actor: Actor): Channel => {
  switch (actor.kind) {
    case 'professional':
      return actor.profession === PHARMACIST && actor.structure ? 'pharmacy' : 'professional';
    case 'agent':
      return 'agent';
    case 'anonymous':
      return 'online';
    default:
      return refuse('forbidden', 'creator-not-allowed', 'This caller may not create a DMP.');
  }
};

export const planCreation = (actor: Actor, request: CreationRequest, now: Date): CreationPlan => {
  const channel = channelOf(actor);
  if (request.consent.expressConsent !== true) {
    refuse('refused', 'express-consent-required', 'A DMP is created only with the express consent of the person.');
  }
  if (request.consent.informedAt !== undefined && Date.parse(request.consent.informedAt) > now.getTime() + CLOCK_SKEW_MS) {
    refuse('invalid', 'consent-in-future', 'consent.informedAt is in the future.');
  }
  if (request.identity.birthDate > now.toISOString().slice(0, 10)) {
    refuse('invalid', 'birth-date-in-future', 'identity.birthDate is in the future.');
  }
  const minor = isMinorOn(request.identity.birthDate, now);
  if (channel === 'online') {
    if (minor) refuse('forbidden', 'minor-online', "A minor's DMP is created by a health professional or at a CPAM desk, not online.");
    if (!request.creationCode || !request.password) {
      refuse('invalid', 'online-credentials-required', 'Online creation needs creationCode and password.');
    }
    if (!request.contact?.mobile) {
      refuse('invalid', 'online-mobile-required', 'Online creation needs contact.mobile, where login codes are sent.');
    }
  } else if (request.creationCode !== undefined || request.password !== undefined) {
    refuse('invalid', 'online-only-fields', 'creationCode and password are for the online channel only.');
  }
  if (minor && (request.representatives?.length ?? 0) === 0) {
    refuse('refused', 'minor-without-representative', "A minor's DMP needs at least one legal representative.");
  }
  const plan: CreationPlan = { channel, minor };
  if (channel === 'pharmacy' && actor.kind === 'professional') plan.pharmacyFiness = actor.structure;
  return plan;
};

/** An online creation code as issued: bound to one INS (its keyed hash), single use, until it expires. */
export interface IssuedCreationCode {
  insHash: string;
  expiresAt: string;
  usedAt?: string | undefined;
}

/**
 * Whether a creation code opens an online creation for this INS: issued, unused, unexpired and
 * bound to this very INS — the conditions the creation transaction itself sets on the code.
 */
export const creationCodeOpens = (code: IssuedCreationCode | undefined, insHash: string, now: Date): boolean =>
  code !== undefined && code.usedAt === undefined && code.insHash === insHash && code.expiresAt > now.toISOString();

/**
 * The profile and the wishes as a reader gets them: a representative's id (a login id, half of a
 * credential) is shown to the record's holders only; anyone else sees that a representative
 * recorded the element, not which one.
 */
import type { Actor } from '#domain/actor';
import { isRecordHolder } from '#domain/actor';
import type { HealthProfile, HealthWishes, Provenance } from './rules.ts';

/** The ETag of a profile's version (`"v0"`: never written). */
export const etagOf = (version: number): string => `"v${version}"`;

const shown =
  (holder: boolean) =>
  <T extends Provenance>(element: T): T | Omit<T, 'author'> => {
    if (holder || element.source !== 'representative') return element;
    const { author: _hidden, ...rest } = element;
    return rest;
  };

export const profileView = (actor: Actor, profile: HealthProfile, version: number) => {
  const show = shown(isRecordHolder(actor));
  return {
    version,
    ...(profile.updatedAt ? { updatedAt: profile.updatedAt } : {}),
    ...(profile.bloodGroup ? { bloodGroup: show(profile.bloodGroup) } : {}),
    ...(profile.height ? { height: show(profile.height) } : {}),
    ...(profile.weight ? { weight: show(profile.weight) } : {}),
    allergies: profile.allergies.map(show),
    conditions: profile.conditions.map(show),
    treatments: profile.treatments.map(show),
  };
};

export const wishesView = (wishes: HealthWishes | undefined) => (wishes ? { declared: true, ...wishes } : { declared: false });

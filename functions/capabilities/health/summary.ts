/**
 * What the emergency summary reads of the health data: the profile and the wishes of a record, in
 * one Query (their items are keyed side by side: store.ts), opened with the record's data key.
 * The caller decides first, part by part: the profile under decideHealthRead(…, 'profile', …), the
 * wishes under decideHealthRead(…, 'wishes', …) (only the professions of the EXPPAT_3 exception),
 * shows each part only when allowed, traces its read, and shows it through views.ts (profileView,
 * wishesView), which keeps a representative's id from anyone but the record's holders.
 */
import type { DataKey } from '#domain/ports';
import type { HealthStore } from './store.ts';
import { EMPTY_PROFILE, type HealthProfile, type HealthWishes } from './rules.ts';

export interface HealthData {
  profile: HealthProfile;
  /** The profile's version (0: never written, and the profile is empty). */
  version: number;
  /** Undefined when the patient wrote none. */
  wishes: HealthWishes | undefined;
}

export const readHealthData = async (deps: { health: HealthStore }, dmpId: string, key: DataKey): Promise<HealthData> => {
  if (key.dmpId !== dmpId) throw new Error('the data key is another record’s');
  const { profile, wishes } = await deps.health.both(dmpId);
  return {
    profile: profile.sealed ? deps.health.openProfile(key, profile.sealed) : EMPTY_PROFILE,
    version: profile.version,
    wishes: wishes ? deps.health.openWishes(key, wishes) : undefined,
  };
};

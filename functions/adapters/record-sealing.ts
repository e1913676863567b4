/**
 * A record's sealed parts (identity, contact, representatives), opened with its data key: no call,
 * only AES-GCM (envelope.ts). The record store seals them at creation; use cases open them here.
 */
import { isMinorOn } from '#domain/dates';
import type { DataKey } from '#domain/ports';
import type { Contact, Identity, Representative, StoredRecord } from '#domain/records';
import { openJson } from './envelope.ts';

/** The item the sealed parts belong to (their seal is bound to it). */
const META = 'META';

/** Opens the sealed parts of a record with its data key. */
export const openRecord = (key: DataKey, r: StoredRecord) => ({
  identity: openJson<Identity>(key, META, 'identity', r.sealed.identity),
  contact: openJson<Contact>(key, META, 'contact', r.sealed.contact),
  representatives: openJson<Representative[]>(key, META, 'representatives', r.sealed.representatives),
});

/**
 * Who hears of what happens to a record by SMS: its mobile, and a minor's representatives. Minor
 * on the day, by the birth date: the `minor` flag stays set from the creation until a desk reissues
 * the credentials, and the former representatives must not hear of an adult's record meanwhile.
 */
export const holderMobiles = (key: DataKey, record: StoredRecord, now: Date): string[] => {
  const { identity, contact, representatives } = openRecord(key, record);
  const mobiles = [contact.mobile, ...(isMinorOn(identity.birthDate, now) ? representatives.map((r) => r.mobile) : [])];
  return [...new Set(mobiles.filter((m): m is string => !!m))];
};

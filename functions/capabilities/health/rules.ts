/**
 * The rules of the health profile and of the advance directives, pure (the instant, the birth date
 * and the new ids are passed in):
 *   - a PUT sends the whole profile, content only; an element whose content did not change keeps
 *     its provenance (who recorded it, when), a new or changed one gets the writer's;
 *   - the patient and representatives write everything: they add, change and remove any element;
 *   - a professional adds entries (allergies, conditions, treatments) marked as its own, and
 *     changes or removes only the entries it recorded itself: every other element must come back
 *     exactly as it is (403 otherwise, naming each element at fault);
 *   - every day (since, the directives' date) is neither in the future nor before the birth date.
 */
import { randomString } from '#domain/identifiers';

export const ABO = ['A', 'B', 'AB', 'O'] as const;
export const RH = ['+', '-'] as const;
export const ALLERGY_CATEGORIES = ['food', 'medication', 'environment', 'other'] as const;
export const CRITICALITIES = ['low', 'high', 'unable-to-assess'] as const;
/** Entries of each list at most: the sealed profile stays well under DynamoDB's item limit. */
export const MAX_ENTRIES = 50;
/** Plausible ranges, from a premature newborn to the tallest and heaviest adults on record. */
export const HEIGHT_CM = { min: 20, max: 260 } as const;
export const WEIGHT_KG = { min: 0.2, max: 650 } as const;

/** An entry's id: 16 random base32 characters (opaque, unique within the record). */
export const ENTRY_ID = /^[a-z2-7]{16}$/;
export const newEntryId = (bytes: (n: number) => Uint8Array): string => randomString(bytes, 'abcdefghijklmnopqrstuvwxyz234567', 16);

export type Source = 'patient' | 'representative' | 'professional';

/** Who recorded an element, and when. */
export interface Provenance {
  source: Source;
  author: { id: string; profession?: string | undefined };
  recordedAt: string;
}

export interface AllergyContent {
  substance: string;
  category: (typeof ALLERGY_CATEGORIES)[number];
  reaction?: string | undefined;
  criticality: (typeof CRITICALITIES)[number];
}
export interface ConditionContent {
  text: string;
  since?: string | undefined;
}
export interface TreatmentContent {
  medication: string;
  dosage?: string | undefined;
  since?: string | undefined;
}
export interface BloodGroup {
  abo: (typeof ABO)[number];
  rh: (typeof RH)[number];
}

export type Entry<C> = C & Provenance & { id: string };

/** The profile as it is stored (sealed whole) and read. */
export interface HealthProfile {
  bloodGroup?: (BloodGroup & Provenance) | undefined;
  height?: ({ cm: number } & Provenance) | undefined;
  weight?: ({ kg: number } & Provenance) | undefined;
  allergies: Entry<AllergyContent>[];
  conditions: Entry<ConditionContent>[];
  treatments: Entry<TreatmentContent>[];
  /** When it was last written (absent: never). */
  updatedAt?: string | undefined;
}

export const EMPTY_PROFILE: HealthProfile = { allergies: [], conditions: [], treatments: [] };

/** A profile as a PUT sends it: content only, and the id of each entry already recorded. */
export interface ProfileInput {
  bloodGroup?: BloodGroup | undefined;
  height?: { cm: number } | undefined;
  weight?: { kg: number } | undefined;
  allergies: (AllergyContent & { id?: string | undefined })[];
  conditions: (ConditionContent & { id?: string | undefined })[];
  treatments: (TreatmentContent & { id?: string | undefined })[];
}

/** Who writes: the caller as a source, its id (the patient's dmpId, a representative's login id, a professional's id). */
export interface Writer {
  source: Source;
  id: string;
  profession?: string | undefined;
}

export interface FieldError {
  path: string;
  message: string;
}

/** The outcome of a PUT: the profile to store, or why it is refused (422: ids that are not the list's; 403: elements a professional may not touch). */
export type Merged = { ok: true; profile: HealthProfile } | { ok: false; refusal: 'invalid' | 'not-yours'; errors: FieldError[] };

const ALLERGY_FIELDS = ['substance', 'category', 'reaction', 'criticality'] as const;
const CONDITION_FIELDS = ['text', 'since'] as const;
const TREATMENT_FIELDS = ['medication', 'dosage', 'since'] as const;

/** The content of an element, its listed fields only (provenance and id left out), absent fields dropped. */
const contentOf = <C extends object>(value: C, fields: readonly (keyof C)[]): C => {
  const out: Partial<C> = {};
  for (const f of fields) if (value[f] !== undefined) out[f] = value[f];
  return out as C;
};

const sameContent = <C extends object>(a: C | undefined, b: C | undefined, fields: readonly (keyof C)[]): boolean => {
  if (a === undefined || b === undefined) return a === b;
  return fields.every((f) => a[f] === b[f]);
};

const provenanceOf = (writer: Writer, now: string): Provenance => ({
  source: writer.source,
  author: { id: writer.id, ...(writer.profession ? { profession: writer.profession } : {}) },
  recordedAt: now,
});

const isOwn = (writer: Writer, p: Provenance): boolean => writer.source === 'professional' && p.source === 'professional' && p.author.id === writer.id;

/**
 * The new profile a PUT makes of the current one, or why it is refused. `newId` gives the ids of
 * new entries.
 */
export const mergeProfile = (current: HealthProfile, body: ProfileInput, writer: Writer, now: string, newId: () => string): Merged => {
  const invalid: FieldError[] = [];
  const notYours: FieldError[] = [];
  const professional = writer.source === 'professional';
  const stamp = provenanceOf(writer, now);

  const list = <C extends object>(
    name: 'allergies' | 'conditions' | 'treatments',
    was: Entry<C>[],
    sent: (C & { id?: string | undefined })[],
    fields: readonly (keyof C)[],
  ): Entry<C>[] => {
    const byId = new Map(was.map((e) => [e.id, e]));
    const seen = new Set<string>();
    const out: Entry<C>[] = [];
    sent.forEach((item, index) => {
      const content = contentOf(item as C, fields);
      if (item.id === undefined) {
        out.push({ ...content, ...stamp, id: newId() });
        return;
      }
      const existing = byId.get(item.id);
      if (!existing || seen.has(item.id)) {
        invalid.push({ path: `body.${name}.${index}.id`, message: existing ? 'this id is sent twice' : `no entry of ${name} has this id` });
        return;
      }
      seen.add(item.id);
      if (sameContent(contentOf(existing as C, fields), content, fields)) {
        out.push(existing);
        return;
      }
      if (professional && !isOwn(writer, existing)) notYours.push({ path: `body.${name}.${index}`, message: 'a professional changes only the entries it recorded itself' });
      out.push({ ...content, ...stamp, id: item.id });
    });
    for (const e of was) {
      if (!seen.has(e.id) && professional && !isOwn(writer, e)) {
        notYours.push({ path: `body.${name}`, message: `entry ${e.id} is missing: a professional removes only the entries it recorded itself` });
      }
    }
    return out;
  };

  const scalar = <V extends object>(name: 'bloodGroup' | 'height' | 'weight', was: (V & Provenance) | undefined, sent: V | undefined, fields: readonly (keyof V)[]) => {
    if (sameContent(was === undefined ? undefined : contentOf(was as V, fields), sent === undefined ? undefined : contentOf(sent, fields), fields)) return was;
    if (professional) notYours.push({ path: `body.${name}`, message: 'only the patient or a representative sets it' });
    return sent === undefined ? undefined : { ...contentOf(sent, fields), ...stamp };
  };

  const profile: HealthProfile = {
    bloodGroup: scalar<BloodGroup>('bloodGroup', current.bloodGroup, body.bloodGroup, ['abo', 'rh']),
    height: scalar<{ cm: number }>('height', current.height, body.height, ['cm']),
    weight: scalar<{ kg: number }>('weight', current.weight, body.weight, ['kg']),
    allergies: list<AllergyContent>('allergies', current.allergies, body.allergies, ALLERGY_FIELDS),
    conditions: list<ConditionContent>('conditions', current.conditions, body.conditions, CONDITION_FIELDS),
    treatments: list<TreatmentContent>('treatments', current.treatments, body.treatments, TREATMENT_FIELDS),
    updatedAt: now,
  };
  if (invalid.length > 0) return { ok: false, refusal: 'invalid', errors: invalid };
  if (notYours.length > 0) return { ok: false, refusal: 'not-yours', errors: notYours };
  return { ok: true, profile };
};

/**
 * The days of a request that are in the future or before the birth date, by their path: `days`
 * maps a path (body.conditions.0.since…) to a day (YYYY-MM-DD), `today` is the server's day.
 */
export const daysOutOfRange = (days: readonly [path: string, day: string | undefined][], birthDate: string, today: string): FieldError[] =>
  days.flatMap(([path, day]): FieldError[] => {
    if (day === undefined) return [];
    if (day > today) return [{ path, message: 'a day not in the future' }];
    if (day < birthDate) return [{ path, message: 'a day not before the birth date' }];
    return [];
  });

/** The days of a profile as a PUT sends them, by path. */
export const profileDays = (body: ProfileInput): [string, string | undefined][] => [
  ...body.conditions.map((c, i): [string, string | undefined] => [`body.conditions.${i}.since`, c.since]),
  ...body.treatments.map((t, i): [string, string | undefined] => [`body.treatments.${i}.since`, t.since]),
];

/** The advance directives and the trusted person, as stored (sealed whole) and read. */
export interface HealthWishes {
  advanceDirectives: {
    exist: boolean;
    writtenOn?: string | undefined;
    originalKeptAt?: string | undefined;
    documentId?: string | undefined;
  };
  trustedPerson?: { familyName: string; givenNames: string; relationship: string; mobile: string } | undefined;
  /** Always the patient (advance directives are the patient's own): the dmpId as its id. */
  source: 'patient';
  author: { id: string };
  recordedAt: string;
}

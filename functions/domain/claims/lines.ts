/**
 * A line of the reimbursed-care history (historique des remboursements, class 60) as the Assurance
 * Maladie sends it, and the checks one line must pass before it is stored. Pure: the day of
 * reference is passed in; the code systems, their patterns, the categories and what each category
 * needs come from data/claims-codes.json.
 *
 * A line that fails a check is refused alone: the check names the field (its path within the line)
 * and a reason written for the insurer's software. A reason never repeats the value it refuses: no
 * code, label or identifier of care goes into an answer or a log.
 */
import claimsCodes from '../../../data/claims-codes.json' with { type: 'json' };
import { FINESS, PROFESSIONAL_ID } from '../identifiers.ts';
import { isValidIns } from '../ins.ts';
import { isProfessionCode } from '../reference-data.ts';

export const CLAIM_CATEGORIES = ['medication', 'vaccination', 'device', 'stay', 'act', 'dental', 'imaging', 'lab'] as const;
export type ClaimCategory = (typeof CLAIM_CATEGORIES)[number];

/** How long a line stays in the history after its date of care (data: `historyMonths`). */
export const HISTORY_MONTHS: number = claimsCodes.historyMonths;

export interface Prescriber {
  /** IdNat_PS of the prescriber. */
  id: string;
  /** TRE_G15 profession code. */
  profession: string;
  specialty?: string | undefined;
}

export interface Performer {
  id?: string | undefined;
  /** The structure (FINESS) that delivered or performed the care. */
  finess: string;
  name?: string | undefined;
}

/** One reimbursed item of care, as validated. */
export interface ClaimLine {
  /** The insurer's own id of the line, unique on its side: a re-sent line has the same one. */
  sourceId: string;
  category: ClaimCategory;
  /** Day of care, or of delivery for medicines and vaccines (YYYY-MM-DD). */
  date: string;
  codeSystem: string;
  code: string;
  display: string;
  /** ATC, 3 characters (medicines). */
  atcGroup?: string | undefined;
  /** ATC, 7 characters: the vaccine's valence, or a medicine's substance (the medication-risk rules match 5–7 character prefixes). */
  atcValence?: string | undefined;
  activeComponents?: string[] | undefined;
  quantity?: number | undefined;
  prescriber?: Prescriber | undefined;
  performer?: Performer | undefined;
  /** Care a minor keeps from the legal representatives. */
  confidential?: boolean | undefined;
}

export type LineCheck = { ok: true; line: ClaimLine } | { ok: false; path: string; reason: string };

interface CodeSystem {
  pattern: RegExp;
}
interface Category {
  codeSystems: readonly string[];
  needs: readonly string[];
}

const CODE_SYSTEMS = new Map<string, CodeSystem>(Object.entries(claimsCodes.codeSystems).map(([name, s]) => [name, { pattern: new RegExp(s.pattern) }]));
const CATEGORIES = new Map<string, Category>(
  Object.entries(claimsCodes.categories).map(([name, c]) => [name, { codeSystems: c.codeSystems, needs: 'needs' in c ? (c.needs as string[]) : [] }]),
);
const pattern = (system: string): RegExp => {
  const found = CODE_SYSTEMS.get(system);
  if (!found) throw new Error(`claims-codes.json lacks the ${system} code system`);
  return found.pattern;
};
const ATC_GROUP = pattern('ATC_GROUP');
const ATC_VALENCE = pattern('ATC_VALENCE');
const ACTIVE_COMPONENT = pattern('ACTIVE_COMPONENT');

/** The code systems a line may name (the ATC and substance systems qualify lines, they do not code them). */
export const LINE_CODE_SYSTEMS: readonly string[] = [...new Set([...CATEGORIES.values()].flatMap((c) => c.codeSystems))];

export const SOURCE_ID = /^[A-Za-z0-9._:-]{1,64}$/;
const SPECIALTY = /^[A-Za-z0-9_-]{1,16}$/;
const DAY = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/;
export const MAX_DISPLAY = 255;
export const MAX_ACTIVE_COMPONENTS = 20;
export const MAX_QUANTITY = 10_000;
/** The most patients one batch holds (the HTTP route's limit; the bulk import cuts its files into such batches). */
export const MAX_PATIENTS_PER_BATCH = 500;
/** The sync's id of a batch. */
export const BATCH_ID = /^[A-Za-z0-9._:-]{1,64}$/;
/** A patient entry holds at most this many lines (the body limit bounds a batch as a whole). */
export const MAX_LINES_PER_PATIENT = 5_000;

const LINE_FIELDS = new Set([
  'sourceId',
  'category',
  'date',
  'codeSystem',
  'code',
  'display',
  'atcGroup',
  'atcValence',
  'activeComponents',
  'quantity',
  'prescriber',
  'performer',
  'confidential',
]);
/** Fields that qualify a medicine or a vaccine, and nothing else. */
const FIELDS_OF: Record<string, readonly ClaimCategory[]> = {
  atcGroup: ['medication'],
  atcValence: ['medication', 'vaccination'],
  activeComponents: ['medication'],
};

/** A day YYYY-MM-DD shifted by whole months (Date.UTC rolls a day past the month's end over). */
export const addMonths = (day: string, months: number): string => {
  const [y, m, d] = day.split('-').map(Number) as [number, number, number];
  return new Date(Date.UTC(y, m - 1 + months, d)).toISOString().slice(0, 10);
};

const isCalendarDay = (day: string): boolean => DAY.test(day) && new Date(`${day}T00:00:00Z`).toISOString().slice(0, 10) === day;

/** The first day of care the history keeps on `today`: a line is kept while its date is after today minus HISTORY_MONTHS. */
export const historyStart = (today: string): string => addMonths(today, -HISTORY_MONTHS);

/** When a line leaves the history: its date plus HISTORY_MONTHS, 00:00 UTC (the table's TTL, and the filter of every read). */
export const expiresAt = (date: string): Date => new Date(`${addMonths(date, HISTORY_MONTHS)}T00:00:00Z`);

type Fail = { ok: false; path: string; reason: string };
const fail = (path: string, reason: string): Fail => ({ ok: false, path, reason });
const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isText = (v: unknown, max: number): v is string => typeof v === 'string' && v.length >= 1 && v.length <= max && !/[\u0000-\u001F\u007F-\u009F]/.test(v) && v.isWellFormed();

const checkPrescriber = (v: unknown): Fail | Prescriber => {
  if (!isObject(v)) return fail('prescriber', 'an object { id, profession, specialty? }');
  for (const k of Object.keys(v)) if (!['id', 'profession', 'specialty'].includes(k)) return fail(`prescriber.${k.slice(0, 40)}`, 'not a field of a prescriber');
  if (typeof v.id !== 'string' || !PROFESSIONAL_ID.test(v.id)) return fail('prescriber.id', 'an IdNat_PS: 8 + 11-digit RPPS, or 0 + 9-digit ADELI');
  if (typeof v.profession !== 'string' || !isProfessionCode(v.profession)) return fail('prescriber.profession', 'a TRE_G15 profession code');
  if (v.specialty !== undefined && (typeof v.specialty !== 'string' || !SPECIALTY.test(v.specialty)))
    return fail('prescriber.specialty', 'a specialty code: 1 to 16 letters, digits, _ or -');
  return { id: v.id, profession: v.profession, ...(v.specialty !== undefined ? { specialty: v.specialty } : {}) };
};

const checkPerformer = (v: unknown): Fail | Performer => {
  if (!isObject(v)) return fail('performer', 'an object { id?, finess, name? }');
  for (const k of Object.keys(v)) if (!['id', 'finess', 'name'].includes(k)) return fail(`performer.${k.slice(0, 40)}`, 'not a field of a performer');
  if (v.id !== undefined && (typeof v.id !== 'string' || !PROFESSIONAL_ID.test(v.id))) return fail('performer.id', 'an IdNat_PS: 8 + 11-digit RPPS, or 0 + 9-digit ADELI');
  if (typeof v.finess !== 'string' || !FINESS.test(v.finess)) return fail('performer.finess', 'a FINESS number: 9 characters');
  if (v.name !== undefined && !isText(v.name, MAX_DISPLAY)) return fail('performer.name', `text of 1 to ${MAX_DISPLAY} characters, no control characters`);
  return { finess: v.finess, ...(v.id !== undefined ? { id: v.id } : {}), ...(v.name !== undefined ? { name: v.name } : {}) };
};

/**
 * Checks one line of a batch on `today` (YYYY-MM-DD, UTC): its shape, its category and code
 * system, the code against its system's pattern, what its category needs, and its date (not in
 * the future, not older than the history keeps). The first fault found is the answer.
 */
export const checkLine = (raw: unknown, today: string): LineCheck => {
  if (!isObject(raw)) return fail('', 'a line is an object');
  for (const k of Object.keys(raw)) if (!LINE_FIELDS.has(k)) return fail(k.slice(0, 40), 'not a field of a claim line');
  if (typeof raw.sourceId !== 'string' || !SOURCE_ID.test(raw.sourceId)) return fail('sourceId', 'the insurer’s line id: 1 to 64 letters, digits, . _ : or -');
  if (typeof raw.category !== 'string' || !CATEGORIES.has(raw.category)) return fail('category', `an unknown category: one of ${CLAIM_CATEGORIES.join(', ')}`);
  const category = raw.category as ClaimCategory;
  const rules = CATEGORIES.get(category) as Category;
  if (typeof raw.date !== 'string' || !isCalendarDay(raw.date)) return fail('date', 'a calendar day YYYY-MM-DD');
  if (raw.date > today) return fail('date', 'a date in the future');
  if (raw.date <= historyStart(today)) return fail('date', `older than the ${HISTORY_MONTHS} months the history keeps`);
  if (typeof raw.codeSystem !== 'string' || !LINE_CODE_SYSTEMS.includes(raw.codeSystem)) return fail('codeSystem', 'an unknown code system');
  if (!rules.codeSystems.includes(raw.codeSystem)) return fail('codeSystem', `not a code system of this category: one of ${rules.codeSystems.join(', ')}`);
  if (typeof raw.code !== 'string' || !pattern(raw.codeSystem).test(raw.code)) return fail('code', 'the code does not match its code system’s pattern');
  if (!isText(raw.display, MAX_DISPLAY)) return fail('display', `text of 1 to ${MAX_DISPLAY} characters, no control characters`);
  for (const [field, categories] of Object.entries(FIELDS_OF)) {
    if (raw[field] !== undefined && !categories.includes(category)) return fail(field, `not a field of this category (only ${categories.join(', ')})`);
  }
  if (raw.atcGroup !== undefined && (typeof raw.atcGroup !== 'string' || !ATC_GROUP.test(raw.atcGroup))) return fail('atcGroup', 'an ATC group: 3 characters');
  if (raw.atcValence !== undefined && (typeof raw.atcValence !== 'string' || !ATC_VALENCE.test(raw.atcValence))) return fail('atcValence', 'an ATC code of 7 characters');
  let activeComponents: string[] | undefined;
  if (raw.activeComponents !== undefined) {
    const list = raw.activeComponents;
    if (!Array.isArray(list) || list.length < 1 || list.length > MAX_ACTIVE_COMPONENTS) return fail('activeComponents', `a list of 1 to ${MAX_ACTIVE_COMPONENTS} substance codes`);
    const bad = list.findIndex((c) => typeof c !== 'string' || !ACTIVE_COMPONENT.test(c));
    if (bad >= 0) return fail(`activeComponents.${bad}`, 'a substance code: 1 to 7 digits');
    activeComponents = list as string[];
  }
  if (raw.quantity !== undefined && (typeof raw.quantity !== 'number' || !Number.isInteger(raw.quantity) || raw.quantity < 1 || raw.quantity > MAX_QUANTITY)) {
    return fail('quantity', `a whole number from 1 to ${MAX_QUANTITY}`);
  }
  let prescriber: Prescriber | undefined;
  if (raw.prescriber !== undefined) {
    const p = checkPrescriber(raw.prescriber);
    if ('ok' in p) return p;
    prescriber = p;
  }
  let performer: Performer | undefined;
  if (raw.performer !== undefined) {
    const p = checkPerformer(raw.performer);
    if ('ok' in p) return p;
    performer = p;
  }
  if (raw.confidential !== undefined && typeof raw.confidential !== 'boolean') return fail('confidential', 'true or false');
  for (const need of rules.needs) {
    if (need === 'finess' ? performer === undefined : raw[need] === undefined) {
      return fail(need === 'finess' ? 'performer.finess' : need, `required for a line of this category`);
    }
  }
  return {
    ok: true,
    line: {
      sourceId: raw.sourceId,
      category,
      date: raw.date,
      codeSystem: raw.codeSystem,
      code: raw.code,
      display: raw.display,
      ...(raw.atcGroup !== undefined ? { atcGroup: raw.atcGroup as string } : {}),
      ...(raw.atcValence !== undefined ? { atcValence: raw.atcValence as string } : {}),
      ...(activeComponents ? { activeComponents } : {}),
      ...(raw.quantity !== undefined ? { quantity: raw.quantity as number } : {}),
      ...(prescriber ? { prescriber } : {}),
      ...(performer ? { performer } : {}),
      ...(raw.confidential !== undefined ? { confidential: raw.confidential as boolean } : {}),
    },
  };
};

export type PatientCheck = { ok: true; ins: string; lines: readonly unknown[] } | Fail;

/** A patient entry of a batch, `{ ins, lines }`, before its lines are checked one by one. */
export const checkPatient = (raw: unknown): PatientCheck => {
  if (!isObject(raw)) return fail('', 'a patient entry is an object { ins, lines }');
  for (const k of Object.keys(raw)) if (k !== 'ins' && k !== 'lines') return fail(k.slice(0, 40), 'not a field of a patient entry');
  if (typeof raw.ins !== 'string' || !isValidIns(raw.ins)) return fail('ins', 'an INS: 15 characters whose key matches');
  if (!Array.isArray(raw.lines) || raw.lines.length > MAX_LINES_PER_PATIENT) return fail('lines', `a list of at most ${MAX_LINES_PER_PATIENT} lines`);
  return { ok: true, ins: raw.ins, lines: raw.lines };
};

/**
 * The vaccination record: the vaccinations a professional or the record's holders recorded, and
 * those the reimbursed-care history knows of (a `vaccination` line: a vaccine delivered by a
 * pharmacy), merged into one list without counting the same vaccination twice. Pure: the entries
 * and lines are passed in.
 *
 * A claims line and a recorded vaccination are the same vaccination when
 *   - they name the same vaccine: the same CIP13 presentation code, or the same ATC valence (the
 *     recorded entry's code when it is coded by valence, or the valence given beside its CIP13;
 *     the line's `atcValence`), and
 *   - the recorded date is the delivery date or up to MATCH_DAYS days after it (a vaccine is
 *     delivered, then administered; it is never administered before it is delivered).
 * Each line matches at most one recorded entry and each entry at most one line: lines oldest
 * first, each takes the earliest recorded entry still free in its window (ties by id), so the
 * result does not depend on the order the entries and lines were read in. The recorded entry is
 * the one listed (it says who vaccinated, the lot and the dose); the matched line is left out.
 */
import claimsCodes from '../../../data/claims-codes.json' with { type: 'json' };

export const VACCINE_CODE_SYSTEMS = ['CIP13', 'ATC_VALENCE'] as const;
export type VaccineCodeSystem = (typeof VACCINE_CODE_SYSTEMS)[number];

/** The code patterns of data/claims-codes.json (the claims history codes vaccines the same way). */
export const VACCINE_CODE_PATTERNS: Readonly<Record<VaccineCodeSystem, RegExp>> = {
  CIP13: new RegExp(claimsCodes.codeSystems.CIP13.pattern),
  ATC_VALENCE: new RegExp(claimsCodes.codeSystems.ATC_VALENCE.pattern),
};

/** Who the history's lines are written by: the Assurance Maladie's feed (data/claims-codes.json `author`). */
export const CLAIMS_AUTHOR_ID: string = claimsCodes.author.code;

/** How many days after a delivery a recorded vaccination may be the administration of that delivery. */
export const MATCH_DAYS = 90;

export interface Vaccine {
  name: string;
  codeSystem: VaccineCodeSystem;
  code: string;
  /** The ATC valence (7 characters) beside a CIP13 code, when known. */
  atcValence?: string | undefined;
}

export type RecordedSource = 'patient' | 'representative' | 'professional';
export type VaccinationSource = RecordedSource | 'claims';

export interface Author {
  kind: 'patient' | 'representative' | 'professional' | 'insurer';
  id: string;
  profession?: string | undefined;
}

/** Who vaccinated: the recording professional (from its token), or what the holders declared. */
export type Vaccinator = { kind: 'professional'; id: string; profession: string } | { kind: 'declared'; name: string };

/** A vaccination as recorded (sealed whole in the record's partition). */
export interface RecordedVaccination {
  id: string;
  /** Day of the vaccination (YYYY-MM-DD). */
  date: string;
  vaccine: Vaccine;
  lotNumber?: string | undefined;
  /** The dose's rank in its series (1, 2, 3…). */
  doseNumber: number;
  vaccinator?: Vaccinator | undefined;
  nextBoosterDate?: string | undefined;
  source: RecordedSource;
  author: Author;
  recordedAt: string;
}

/** A `vaccination` line of the reimbursed-care history, as this record reads it. */
export interface ClaimDelivery {
  lineId: string;
  /** The delivery day: the administration day is unknown. */
  date: string;
  code: string;
  display: string;
  atcValence?: string | undefined;
  confidential?: boolean | undefined;
}

export type VaccinationEntry =
  | (RecordedVaccination & { dateKind: 'administration' })
  | { id: string; source: 'claims'; author: Author; dateKind: 'delivery'; date: string; vaccine: Vaccine };

/** The ATC valence a vaccine is known by, if any. */
export const atcOf = (v: Pick<Vaccine, 'codeSystem' | 'code' | 'atcValence'>): string | undefined => (v.codeSystem === 'ATC_VALENCE' ? v.code : v.atcValence);

/** The same vaccine: the same CIP13 code, or the same ATC valence. */
export const sameVaccine = (a: Pick<Vaccine, 'codeSystem' | 'code' | 'atcValence'>, b: Pick<Vaccine, 'codeSystem' | 'code' | 'atcValence'>): boolean => {
  if (a.codeSystem === 'CIP13' && b.codeSystem === 'CIP13' && a.code === b.code) return true;
  const atc = atcOf(a);
  return atc !== undefined && atc === atcOf(b);
};

/** A claims line's vaccine: its CIP13 presentation, and its valence. */
export const deliveredVaccine = (line: ClaimDelivery): Vaccine => ({
  name: line.display,
  codeSystem: 'CIP13',
  code: line.code,
  ...(line.atcValence !== undefined ? { atcValence: line.atcValence } : {}),
});

const DAY_MS = 86_400_000;
const dayNumber = (day: string): number => Date.parse(`${day}T00:00:00Z`) / DAY_MS;

/** Whether a vaccination recorded on `recorded` may be the administration of a delivery on `delivered`. */
export const withinMatchWindow = (delivered: string, recorded: string): boolean => {
  const days = dayNumber(recorded) - dayNumber(delivered);
  return days >= 0 && days <= MATCH_DAYS;
};

const byDateThenId =
  <T extends { date: string }>(id: (t: T) => string) =>
  (a: T, b: T) =>
    a.date === b.date ? (id(a) < id(b) ? -1 : id(a) > id(b) ? 1 : 0) : a.date < b.date ? -1 : 1;

/** The lines a recorded entry stands for (see the matching rule above), by line id → entry id. */
export const matchDeliveries = (recorded: readonly RecordedVaccination[], deliveries: readonly ClaimDelivery[]): Map<string, string> => {
  const entries = [...recorded].sort(byDateThenId((e) => e.id));
  const lines = [...deliveries].sort(byDateThenId((l) => l.lineId));
  const taken = new Set<string>();
  const matches = new Map<string, string>();
  for (const line of lines) {
    const vaccine = deliveredVaccine(line);
    const entry = entries.find((e) => !taken.has(e.id) && withinMatchWindow(line.date, e.date) && sameVaccine(e.vaccine, vaccine));
    if (!entry) continue;
    taken.add(entry.id);
    matches.set(line.lineId, entry.id);
  }
  return matches;
};

/**
 * The one list: every recorded vaccination, and each claims line no recorded entry stands for,
 * newest first (by date; on the same day recorded entries first, then by id).
 */
export const mergeVaccinations = (recorded: readonly RecordedVaccination[], deliveries: readonly ClaimDelivery[]): VaccinationEntry[] => {
  const matched = matchDeliveries(recorded, deliveries);
  const entries: VaccinationEntry[] = [
    ...recorded.map((e) => ({ ...e, dateKind: 'administration' as const })),
    ...deliveries
      .filter((l) => !matched.has(l.lineId))
      .map((l) => ({
        id: l.lineId,
        source: 'claims' as const,
        author: { kind: 'insurer' as const, id: CLAIMS_AUTHOR_ID },
        dateKind: 'delivery' as const,
        date: l.date,
        vaccine: deliveredVaccine(l),
      })),
  ];
  return entries.sort(newestFirst);
};

const rank = (e: { source: VaccinationSource }): number => (e.source === 'claims' ? 1 : 0);

/** Newest first: by date, then recorded before claims-derived, then by id (a total order: the list's pages follow it). */
export const newestFirst = (a: Pick<VaccinationEntry, 'date' | 'source' | 'id'>, b: Pick<VaccinationEntry, 'date' | 'source' | 'id'>): number => {
  if (a.date !== b.date) return a.date < b.date ? 1 : -1;
  if (rank(a) !== rank(b)) return rank(a) - rank(b);
  return a.id < b.id ? -1 : a.id > b.id ? 1 : 0;
};

/** A field of a recorded vaccination that breaks a rule, named by its path in the request body. */
export interface FieldFault {
  path: string;
  message: string;
}

/**
 * The rules a vaccination's dates keep, on `today` (UTC) for a person born on `birthDate`: not in
 * the future, not before the birth date, and a booster after the vaccination. Each fault names its
 * field; none repeats a value.
 */
export const checkDates = (v: { date: string; nextBoosterDate?: string | undefined }, facts: { today: string; birthDate: string }): FieldFault[] => {
  const faults: FieldFault[] = [];
  if (v.date > facts.today) faults.push({ path: 'body.date', message: 'a vaccination date is not in the future' });
  if (v.date < facts.birthDate) faults.push({ path: 'body.date', message: 'a vaccination date is not before the birth date' });
  if (v.nextBoosterDate !== undefined && v.nextBoosterDate <= v.date) faults.push({ path: 'body.nextBoosterDate', message: 'the next booster comes after the vaccination date' });
  return faults;
};

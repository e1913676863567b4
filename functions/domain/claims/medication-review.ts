/**
 * The medication review: the medicines dispensed over the last days of the reimbursed-care history
 * (the rules' `windowDays`, 90), grouped by substance, and the alerts that the rules of
 * data/medication-alerts.json raise on them. Pure: the lines, the birth date, the instant and the
 * rules are passed in; the rules stay data (reference-data.ts loads them), this module only knows
 * how each kind of rule reads.
 *
 * Definitions the rules rely on:
 * - The window: the `windowDays` calendar days ending today (UTC), today included: with 90, a
 *   review on 1 December looks at 3 September to 1 December. Only `medication` lines dated in it
 *   count; a line dated after today (which the push API refuses anyway) does not.
 * - A line's substances: its active components (insurer codes); a line without any stands for one
 *   substance, its product code. A combination product belongs to each of its components.
 * - A line's ATC: the most specific code known, `atcValence` (7 characters) if the insurer sent it,
 *   else `atcGroup` (3). A rule's ATC prefix matches a line when that code starts with it. A prefix
 *   longer than the known code cannot match: a line known only by its 3-character group (N05) does
 *   not satisfy a 5-character prefix (N05BA), since the group does not say which subgroup it is.
 * - A line's cover: the days from its date on during which the patient is taken to be on it,
 *   `coverDays` × the boxes dispensed: a quantity q above one box covers round(coverDays × q) days,
 *   a line without quantity (or with one box or less: a box started) `coverDays`. Cover past today
 *   changes nothing, since every line of the window starts by today.
 * - At the same time: the covers of the lines overlap on at least one day.
 */
import { ageOn, isoDate } from '../dates.ts';
import type { MedicationAlertRuleData, MedicationAlertRules } from '../reference-data.ts';

export type ClaimCategory = 'medication' | 'vaccination' | 'device' | 'stay' | 'act' | 'dental' | 'imaging' | 'lab';

/** A line of the reimbursed-care history, as the rules read it. */
export interface ClaimLineFacts {
  lineId: string;
  category: ClaimCategory;
  /** Day of care or delivery, YYYY-MM-DD. */
  date: string;
  code: string;
  display: string;
  /** ATC group, 3 characters (N02). */
  atcGroup?: string | undefined;
  /** Full ATC code, 7 characters (N05BA01), when the insurer sends it. */
  atcValence?: string | undefined;
  activeComponents?: readonly string[] | undefined;
  /** Boxes dispensed, for a medicine. */
  quantity?: number | undefined;
  prescriber?: { id: string; profession: string; specialty?: string | undefined } | undefined;
  performer?: { id?: string | undefined; finess: string; name?: string | undefined } | undefined;
  confidential?: boolean | undefined;
}

export type Severity = 'high' | 'medium' | 'low' | 'info';

/** A substance dispensed in the window, with the lines that dispensed it. */
export interface ReviewedMedicine {
  /** The active component's code, or the product code of lines that name no component. */
  substance: string;
  groupedBy: 'active-component' | 'product-code';
  /** The name of the product dispensed last. */
  display: string;
  /** Oldest dispensation first. */
  lineIds: string[];
  firstDispensed: string;
  lastDispensed: string;
  /** Boxes dispensed in the window (a line without quantity counts one box, as for its cover). */
  quantity: number;
  prescriberIds: string[];
}

export interface MedicationAlert {
  ruleId: string;
  title: string;
  severity: Severity;
  kind: string;
  /** The lines that raised it, oldest first. */
  lineIds: string[];
  /** For a rule about one substance (redundancy): which one (a medicine's `substance`). */
  substance?: string;
}

/** A rule of the data that the review could not apply (unknown kind, missing or malformed field): reported, never thrown. */
export interface SkippedRule {
  ruleId: string;
  kind: string;
  reason: string;
}

export interface MedicationReview {
  window: { from: string; to: string };
  medicines: ReviewedMedicine[];
  alerts: MedicationAlert[];
  skippedRules: SkippedRule[];
  rulesVersion: string;
}

export interface ReviewContext {
  /** YYYY-MM-DD; undefined when unknown (the age rules are then skipped and reported). */
  birthDate: string | undefined;
  now: Date;
  rules: MedicationAlertRules;
}

// ---------------------------------------------------------------------------------------------
// Rules, read from the data
// ---------------------------------------------------------------------------------------------

type Rule = { id: string; title: string; severity: Severity; order: number } & (
  | { kind: 'combination'; all: string[][] }
  | { kind: 'same-class'; classes: string[]; atLeast: number }
  | { kind: 'age'; minAge: number; any: string[] }
  | { kind: 'count'; atLeast: number }
  | { kind: 'redundancy'; prescribersAtLeast: number }
);

const SEVERITY_RANK: Record<Severity, number> = { high: 0, medium: 1, low: 2, info: 3 };
const isSeverity = (s: string): s is Severity => Object.hasOwn(SEVERITY_RANK, s);
const isPrefixList = (v: unknown): v is string[] => Array.isArray(v) && v.length > 0 && v.every((p) => typeof p === 'string' && p.length > 0);
const isCount = (v: unknown): v is number => typeof v === 'number' && Number.isInteger(v) && v >= 1;

/** A rule of the data as the review applies it, or why it cannot. */
const readRule = (raw: MedicationAlertRuleData, order: number): Rule | string => {
  if (!isSeverity(raw.severity)) return `unknown severity ${raw.severity}`;
  const base = { id: raw.id, title: raw.title, severity: raw.severity, order };
  switch (raw.kind) {
    case 'combination':
      return Array.isArray(raw.all) && raw.all.length >= 2 && raw.all.every(isPrefixList)
        ? { ...base, kind: 'combination', all: raw.all }
        : 'all: two groups of ATC prefixes or more';
    case 'same-class':
      return isPrefixList(raw.classes) && isCount(raw.atLeast)
        ? { ...base, kind: 'same-class', classes: raw.classes, atLeast: raw.atLeast }
        : 'classes: ATC prefixes; atLeast: a count';
    case 'age':
      return isPrefixList(raw.any) && isCount(raw.minAge) ? { ...base, kind: 'age', any: raw.any, minAge: raw.minAge } : 'any: ATC prefixes; minAge: whole years';
    case 'count':
      return isCount(raw.atLeast) ? { ...base, kind: 'count', atLeast: raw.atLeast } : 'atLeast: a count';
    case 'redundancy':
      return isCount(raw.prescribersAtLeast) ? { ...base, kind: 'redundancy', prescribersAtLeast: raw.prescribersAtLeast } : 'prescribersAtLeast: a count';
    default:
      return 'unknown kind';
  }
};

// ---------------------------------------------------------------------------------------------
// Dispensations: a line of the window with its cover and substances
// ---------------------------------------------------------------------------------------------

const DAY_MS = 86_400_000;
/** Days since 1970-01-01 of a YYYY-MM-DD day: cover arithmetic in whole days. */
const dayNumber = (day: string): number => Math.floor(Date.parse(`${day}T00:00:00Z`) / DAY_MS);

interface Dispensation {
  line: ClaimLineFacts;
  /** First and last day covered (day numbers, inclusive). */
  start: number;
  end: number;
  /** Substance keys: `c:` + component code, or `p:` + product code. */
  substances: string[];
}

const boxes = (quantity: number | undefined): number => (quantity !== undefined && Number.isFinite(quantity) && quantity > 1 ? quantity : 1);

const substancesOf = (line: ClaimLineFacts): string[] =>
  line.activeComponents && line.activeComponents.length > 0 ? [...new Set(line.activeComponents)].sort().map((c) => `c:${c}`) : [`p:${line.code}`];

const dispensation = (line: ClaimLineFacts, coverDays: number): Dispensation => {
  const start = dayNumber(line.date);
  return { line, start, end: start + Math.max(1, Math.round(coverDays * boxes(line.quantity))) - 1, substances: substancesOf(line) };
};

/** Code-unit order: the same on every runtime and locale, unlike localeCompare. */
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);
/** Oldest first, then by line id: the order of every list the review returns, whatever the input order. */
const byDateThenId = (a: ClaimLineFacts, b: ClaimLineFacts): number => compare(a.date, b.date) || compare(a.lineId, b.lineId);

/** The line's most specific known ATC code matches the prefix (a prefix longer than that code cannot: see the header). */
const matchesAtc = (line: ClaimLineFacts, prefixes: readonly string[]): boolean => {
  const atc = line.atcValence ?? line.atcGroup;
  return atc !== undefined && prefixes.some((prefix) => atc.startsWith(prefix));
};

/**
 * The dispensations that take part in a concurrent set satisfying `holds`: those covering a day on
 * which the dispensations covering that day satisfy it. `holds` must be monotone (still true with
 * more dispensations), so looking at the first day of each cover is enough: on any day, the
 * dispensations covering it also cover the latest first day before it.
 */
const concurrent = (ds: readonly Dispensation[], holds: (covering: readonly Dispensation[]) => boolean): Dispensation[] => {
  const taking = new Set<Dispensation>();
  for (const day of new Set(ds.map((d) => d.start))) {
    const covering = ds.filter((d) => d.start <= day && day <= d.end);
    if (holds(covering)) for (const d of covering) taking.add(d);
  }
  return ds.filter((d) => taking.has(d));
};

const distinctCount = <T>(values: Iterable<T>): number => new Set(values).size;
const ids = (ds: readonly Dispensation[]): string[] => ds.map((d) => d.line.lineId);

// ---------------------------------------------------------------------------------------------
// Each kind of rule: the dispensations that raise it (one alert each entry), none if it does not hold
// ---------------------------------------------------------------------------------------------

interface Raised {
  dispensations: Dispensation[];
  substance?: string;
}

const applyRule = (rule: Rule, ds: readonly Dispensation[], age: number | undefined): Raised[] => {
  switch (rule.kind) {
    case 'combination': {
      // Every group has a dispensation matching one of its prefixes, all covering a common day. A
      // line counts for every group its ATC matches (the groups of the data do not overlap).
      const candidates = ds.filter((d) => rule.all.some((group) => matchesAtc(d.line, group)));
      const taking = concurrent(candidates, (covering) => rule.all.every((group) => covering.some((d) => matchesAtc(d.line, group))));
      return taking.length > 0 ? [{ dispensations: taking }] : [];
    }
    case 'same-class': {
      // At least `atLeast` distinct substances of the listed classes at the same time. Substances,
      // not classes: the titles speak of two anticoagulants, two benzodiazepines, and two of one
      // class (alprazolam and bromazepam, both N05BA) are as much the risk as two of two classes;
      // the same substance dispensed again (a renewal) is not.
      const candidates = ds.filter((d) => matchesAtc(d.line, rule.classes));
      const taking = concurrent(candidates, (covering) => distinctCount(covering.flatMap((d) => d.substances)) >= rule.atLeast);
      return taking.length > 0 ? [{ dispensations: taking }] : [];
    }
    case 'age': {
      // The patient's age today: the review is about what is taken now, whatever the age at the dispensation.
      if (age === undefined || age < rule.minAge) return [];
      const taking = ds.filter((d) => matchesAtc(d.line, rule.any));
      return taking.length > 0 ? [{ dispensations: taking }] : [];
    }
    case 'count':
      // Distinct substances over the whole window, at the same time or not.
      return distinctCount(ds.flatMap((d) => d.substances)) >= rule.atLeast ? [{ dispensations: [...ds] }] : [];
    case 'redundancy': {
      // One alert per substance that `prescribersAtLeast` distinct prescribers prescribed with
      // covers overlapping; a line without prescriber does not count.
      const raised: Raised[] = [];
      for (const substance of [...new Set(ds.flatMap((d) => d.substances))].sort()) {
        const prescribed = ds.filter((d) => d.line.prescriber !== undefined && d.substances.includes(substance));
        const taking = concurrent(prescribed, (covering) => distinctCount(covering.map((d) => d.line.prescriber!.id)) >= rule.prescribersAtLeast);
        if (taking.length > 0) raised.push({ dispensations: taking, substance: substance.slice(2) });
      }
      return raised;
    }
  }
};

// ---------------------------------------------------------------------------------------------
// The review
// ---------------------------------------------------------------------------------------------

const medicinesOf = (ds: readonly Dispensation[]): ReviewedMedicine[] => {
  const groups = new Map<string, Dispensation[]>();
  for (const d of ds) {
    for (const s of d.substances) {
      const group = groups.get(s);
      if (group) group.push(d);
      else groups.set(s, [d]);
    }
  }
  const medicines = [...groups].map(([key, group]): ReviewedMedicine => {
    const last = group.at(-1)!;
    return {
      substance: key.slice(2),
      groupedBy: key.startsWith('c:') ? 'active-component' : 'product-code',
      display: last.line.display,
      lineIds: ids(group),
      firstDispensed: group[0]!.line.date,
      lastDispensed: last.line.date,
      quantity: group.reduce((n, d) => n + (d.line.quantity ?? 1), 0),
      prescriberIds: [...new Set(group.flatMap((d) => (d.line.prescriber ? [d.line.prescriber.id] : [])))].sort(),
    };
  });
  // The latest dispensed first; then by grouping and code, so that the order never depends on the input's.
  return medicines.sort((a, b) => compare(b.lastDispensed, a.lastDispensed) || compare(a.groupedBy, b.groupedBy) || compare(a.substance, b.substance));
};

export const medicationReview = (lines: readonly ClaimLineFacts[], { birthDate, now, rules }: ReviewContext): MedicationReview => {
  const to = isoDate(now);
  const from = isoDate(new Date((dayNumber(to) - rules.windowDays + 1) * DAY_MS));
  const ds = lines
    .filter((l) => l.category === 'medication' && l.date >= from && l.date <= to)
    .sort(byDateThenId)
    .map((l) => dispensation(l, rules.coverDays));
  // A birth date that does not read as one (NaN years) counts as unknown, never as any age.
  const years = birthDate === undefined ? Number.NaN : ageOn(birthDate, now);
  const age = Number.isFinite(years) ? years : undefined;

  const skippedRules: SkippedRule[] = [];
  const alerts: (MedicationAlert & { order: number })[] = [];
  for (const [order, raw] of rules.rules.entries()) {
    const rule = readRule(raw, order);
    if (typeof rule === 'string') {
      skippedRules.push({ ruleId: raw.id, kind: raw.kind, reason: rule });
      continue;
    }
    if (rule.kind === 'age' && age === undefined) {
      skippedRules.push({ ruleId: rule.id, kind: rule.kind, reason: 'birth date unknown' });
      continue;
    }
    for (const raised of applyRule(rule, ds, age)) {
      alerts.push({
        ruleId: rule.id,
        title: rule.title,
        severity: rule.severity,
        kind: rule.kind,
        lineIds: ids(raised.dispensations),
        ...(raised.substance !== undefined ? { substance: raised.substance } : {}),
        order,
      });
    }
  }
  // The most severe first, then in the order of the data (and per substance, in code order, as raised).
  alerts.sort((a, b) => SEVERITY_RANK[a.severity] - SEVERITY_RANK[b.severity] || a.order - b.order);

  return {
    window: { from, to },
    medicines: medicinesOf(ds),
    alerts: alerts.map(({ order: _order, ...alert }) => alert),
    skippedRules,
    rulesVersion: rules.version,
  };
};

/**
 * What vaccinations are due, from the doses a record knows of (recorded, and delivered according
 * to the claims history), the birth date and the day. Pure: the calendar is data
 * (data/vaccination-calendar.json, loaded by reference-data.ts), the day is passed in.
 *
 * Two sources of due items:
 *   - explicit boosters: a dose recorded with a next booster date is due on that date, until a
 *     later dose of the same vaccine (entries.ts sameVaccine) is known;
 *   - the calendar's boosters, computed from the birth date:
 *       * at fixed ages (`atAges`, dtp): each age's booster is due on that birthday, and its window
 *         runs from `toleranceYears` before to `toleranceYears` after it. A dose of one of the
 *         booster's vaccines (its ATC valence starts with one of the calendar's prefixes) dated
 *         from the window's opening until the next age's window opens satisfies it (a late dose
 *         catches it up). Listed: the booster of the latest age whose window has opened, unless
 *         satisfied, and the booster of the next age;
 *       * every year from an age (`fromAge`, `everyYear`, influenza): each season (from
 *         `fromMonthDay` to `toMonthDay`, over the new year) in which the person is `fromAge` or
 *         older on its last day is due on its first day, and a dose dated in the season satisfies
 *         it. Listed: the season under way, unless satisfied, and the next season due.
 *     While an explicit booster is pending for one of a calendar booster's vaccines, that
 *     booster's calendar items are left out: the vaccinator's date takes precedence.
 * Doses are recognised by their ATC valence for the calendar (a dose coded by CIP13 alone counts
 * for its explicit booster only).
 *
 * Reminders are sent REMINDER_LEAD_DAYS days before an item's due date, plus a spread of a few days
 * chosen per record and item by the caller (so that the reminder queue's clear dates give no birth
 * date or booster date to the day), once per item: the caller keeps which items were reminded.
 */
import { vaccinationCalendar, type CalendarBooster, type VaccinationCalendar } from '../reference-data.ts';
import { atcOf, sameVaccine, type Vaccine } from './entries.ts';

/** A dose the record knows of: recorded (with its booster date, if any) or delivered (claims). */
export interface Dose {
  id: string;
  date: string;
  vaccine: Vaccine;
  nextBoosterDate?: string | undefined;
}

export interface DueItem {
  /** Stable: `dtp-65`, `influenza-2031`, `booster-<vaccination id>` (what a reminder is sent once for). */
  id: string;
  kind: 'calendar' | 'booster';
  /** The calendar booster's id (`dtp`, `influenza`). */
  boosterId?: string | undefined;
  display: string;
  dueDate: string;
  /** Days (inclusive) in which a dose satisfies it; an explicit booster's is its date alone. */
  window: { from: string; to: string };
  /** The recorded vaccination whose booster date this is. */
  vaccinationId?: string | undefined;
}

export type DueStatus = 'upcoming' | 'due' | 'overdue';

export interface DueInput {
  birthDate: string;
  doses: readonly Dose[];
  /** YYYY-MM-DD, UTC. */
  today: string;
}

const ymd = (day: string): [number, number, number] => day.split('-').map(Number) as [number, number, number];
const iso = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

/** A day shifted by whole years (29 February of a common year rolls over to 1 March, as ages are counted). */
export const addYearsToDay = (day: string, years: number): string => {
  const [y, m, d] = ymd(day);
  return iso(Date.UTC(y + years, m - 1, d));
};

export const addDaysToDay = (day: string, days: number): string => {
  const [y, m, d] = ymd(day);
  return iso(Date.UTC(y, m - 1, d + days));
};

const matches = (booster: CalendarBooster, dose: Dose): boolean => {
  const atc = atcOf(dose.vaccine);
  return atc !== undefined && booster.atc.some((prefix) => atc.startsWith(prefix));
};

/** A calendar booster's items: those listed, and the one that follows the last of them (for the reminders' scheduling). */
interface CalendarItems {
  listed: DueItem[];
  following?: DueItem | undefined;
}

const atAges = (booster: CalendarBooster, ages: readonly number[], input: DueInput): CalendarItems => {
  const tolerance = booster.toleranceYears ?? 0;
  const milestones = ages.map((age) => ({
    age,
    due: addYearsToDay(input.birthDate, age),
    from: addYearsToDay(input.birthDate, age - tolerance),
    to: addYearsToDay(input.birthDate, age + tolerance),
  }));
  const doses = input.doses.filter((d) => matches(booster, d));
  const item = (i: number): DueItem => {
    const m = milestones[i]!;
    return { id: `${booster.id}-${m.age}`, kind: 'calendar', boosterId: booster.id, display: booster.display, dueDate: m.due, window: { from: m.from, to: m.to } };
  };
  const satisfied = (i: number): boolean => {
    const until = milestones[i + 1]?.from;
    return doses.some((d) => d.date >= milestones[i]!.from && (until === undefined || d.date < until));
  };
  const current = milestones.findLastIndex((m) => m.from <= input.today);
  const next = milestones.findIndex((m) => m.from > input.today);
  return {
    listed: [...(current >= 0 && !satisfied(current) ? [item(current)] : []), ...(next >= 0 ? [item(next)] : [])],
    following: next >= 0 && next + 1 < milestones.length ? item(next + 1) : undefined,
  };
};

const everyYear = (booster: CalendarBooster, fromAge: number, season: { fromMonthDay: string; toMonthDay: string }, input: DueInput): CalendarItems => {
  const seasonOf = (year: number) => ({
    from: `${year}-${season.fromMonthDay}`,
    to: `${season.toMonthDay < season.fromMonthDay ? year + 1 : year}-${season.toMonthDay}`,
  });
  const of = addYearsToDay(input.birthDate, fromAge);
  const eligible = (year: number): boolean => of <= seasonOf(year).to;
  const doses = input.doses.filter((d) => matches(booster, d));
  const item = (year: number): DueItem => {
    const window = seasonOf(year);
    return { id: `${booster.id}-${year}`, kind: 'calendar', boosterId: booster.id, display: booster.display, dueDate: window.from, window };
  };
  const thisYear = ymd(input.today)[0];
  const current = [thisYear - 1, thisYear].find((y) => seasonOf(y).from <= input.today && input.today <= seasonOf(y).to);
  let next = thisYear;
  while (seasonOf(next).from <= input.today || !eligible(next)) next++;
  const satisfied = (year: number): boolean => doses.some((d) => d.date >= seasonOf(year).from && d.date <= seasonOf(year).to);
  return { listed: [...(current !== undefined && eligible(current) && !satisfied(current) ? [item(current)] : []), item(next)], following: item(next + 1) };
};

const calendarItems = (booster: CalendarBooster, input: DueInput): CalendarItems => {
  if (booster.atAges) return atAges(booster, booster.atAges, input);
  if (booster.fromAge !== undefined && booster.everyYear) return everyYear(booster, booster.fromAge, booster.everyYear, input);
  return { listed: [] };
};

/**
 * Explicit boosters still pending: a dose's booster date, unless a later dose of the same vaccine
 * is known. Two doses of the same vaccine on the same day with the same booster date give one item.
 */
const explicitBoosters = (input: DueInput): { item: DueItem; dose: Dose }[] => {
  const pending = input.doses
    .filter((d): d is Dose & { nextBoosterDate: string } => d.nextBoosterDate !== undefined)
    .filter((d) => !input.doses.some((later) => later.date > d.date && sameVaccine(later.vaccine, d.vaccine)))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  const kept: Dose[] = [];
  for (const d of pending) if (!kept.some((k) => k.nextBoosterDate === d.nextBoosterDate && sameVaccine(k.vaccine, d.vaccine))) kept.push(d);
  return kept.map((dose) => ({
    dose,
    item: {
      id: `booster-${dose.id}`,
      kind: 'booster',
      display: dose.vaccine.name,
      dueDate: dose.nextBoosterDate as string,
      window: { from: dose.nextBoosterDate as string, to: dose.nextBoosterDate as string },
      vaccinationId: dose.id,
    },
  }));
};

const byDueDate = (a: DueItem, b: DueItem): number => (a.dueDate !== b.dueDate ? (a.dueDate < b.dueDate ? -1 : 1) : a.id < b.id ? -1 : a.id > b.id ? 1 : 0);

/**
 * The due items (`items`, by due date), and what the reminders' scheduling keeps in view beside
 * them (`ahead`): the calendar items an explicit booster takes precedence over (they come back once
 * it is satisfied, possibly by a dose the scheduling does not hear of, a delivery in the claims
 * history), and each calendar booster's item after its last listed one (next year's influenza,
 * listed only once this year's season has begun, is reminded before it begins).
 */
export const dueSchedule = (input: DueInput, calendar: VaccinationCalendar = vaccinationCalendar): { items: DueItem[]; ahead: DueItem[] } => {
  const explicit = explicitBoosters(input);
  const items: DueItem[] = explicit.map((e) => e.item);
  const ahead: DueItem[] = [];
  for (const booster of calendar.boosters) {
    const { listed, following } = calendarItems(booster, input);
    const overridden = explicit.some((e) => matches(booster, e.dose));
    (overridden ? ahead : items).push(...listed);
    if (following) ahead.push(following);
  }
  return { items: items.sort(byDueDate), ahead: ahead.sort(byDueDate) };
};

/** The due items on `input.today`, by due date. */
export const dueItems = (input: DueInput, calendar: VaccinationCalendar = vaccinationCalendar): DueItem[] => dueSchedule(input, calendar).items;

/** Before its window: upcoming; in it: due; past it: overdue. */
export const dueStatus = (item: DueItem, today: string): DueStatus => (today < item.window.from ? 'upcoming' : today <= item.window.to ? 'due' : 'overdue');

/** How long before a due date its reminder is sent (plus the spread). */
export const REMINDER_LEAD_DAYS = 30;
/** The spread added to the lead: 0 to REMINDER_SPREAD_DAYS − 1 days, per record and item. */
export const REMINDER_SPREAD_DAYS = 7;

/** The day an item's reminder is due, for a spread of `spreadDays`. */
export const reminderDay = (item: DueItem, spreadDays: number): string => addDaysToDay(item.dueDate, -(REMINDER_LEAD_DAYS + spreadDays));

export interface ReminderState {
  /** Whether this item's reminder was sent already. */
  reminded: (itemId: string) => boolean;
  /** The item's spread, 0 to REMINDER_SPREAD_DAYS − 1 (the same every time for a record and item). */
  spread: (itemId: string) => number;
}

/** The items whose reminder is due on `today` and not sent yet (late ones included: a reminder is never skipped for being late). */
export const remindersDue = (items: readonly DueItem[], today: string, state: ReminderState): DueItem[] =>
  items.filter((i) => !state.reminded(i.id) && reminderDay(i, state.spread(i.id)) <= today);

/** The first day after `today` on which a reminder of these items falls due, if any. */
export const nextReminderDay = (items: readonly DueItem[], today: string, state: ReminderState): string | undefined => {
  const days = items
    .filter((i) => !state.reminded(i.id))
    .map((i) => reminderDay(i, state.spread(i.id)))
    .filter((d) => d > today)
    .sort();
  return days[0];
};

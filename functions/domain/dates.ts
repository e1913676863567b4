/** Calendar helpers on UTC dates (YYYY-MM-DD). Pure: the caller passes the instant. */

export const isoDate = (d: Date): string => d.toISOString().slice(0, 10);
export const isoMonth = (d: Date): string => d.toISOString().slice(0, 7);

/** Completed years between a birth date (YYYY-MM-DD) and a day. */
export const ageOn = (birthDate: string, on: Date): number => {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  const years = on.getUTCFullYear() - y;
  const beforeBirthday = on.getUTCMonth() + 1 < m || (on.getUTCMonth() + 1 === m && on.getUTCDate() < d);
  return beforeBirthday ? years - 1 : years;
};

export const MAJORITY_AGE = 18;
export const isMinorOn = (birthDate: string, on: Date): boolean => ageOn(birthDate, on) < MAJORITY_AGE;

/** The instant a person born on this day (YYYY-MM-DD) comes of age: the 18th birthday, 00:00 UTC (29 February: 1 March). */
export const adulthood = (birthDate: string): Date => {
  const [y, m, d] = birthDate.split('-').map(Number) as [number, number, number];
  // Date.UTC rolls 29 February of a common year over to 1 March, as ageOn counts it.
  return new Date(Date.UTC(y + MAJORITY_AGE, m - 1, d));
};

/** ISO 8601 week label of a UTC day, e.g. 2026-W47. */
export const isoWeek = (day: string): string => {
  const date = new Date(`${day}T00:00:00Z`);
  const weekday = date.getUTCDay() || 7; // Monday = 1 … Sunday = 7
  const thursday = new Date(date.getTime() + (4 - weekday) * 86_400_000);
  const yearStart = Date.UTC(thursday.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((thursday.getTime() - yearStart) / 86_400_000 + 1) / 7);
  return `${thursday.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
};

/** Every UTC day from `from` to `to` inclusive. */
export const daysBetween = (from: string, to: string): string[] => {
  const days: string[] = [];
  for (let t = Date.parse(`${from}T00:00:00Z`); t <= Date.parse(`${to}T00:00:00Z`); t += 86_400_000) {
    days.push(isoDate(new Date(t)));
  }
  return days;
};

export const addYears = (instant: Date, years: number): Date => {
  const d = new Date(instant.getTime());
  d.setUTCFullYear(d.getUTCFullYear() + years);
  return d;
};

/** First and last day (YYYY-MM-DD) of a month YYYY-MM. */
export const monthBounds = (month: string): { first: string; last: string } => {
  const [y, m] = month.split('-').map(Number) as [number, number];
  const last = new Date(Date.UTC(y, m, 0));
  return { first: `${month}-01`, last: isoDate(last) };
};

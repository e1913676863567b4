/**
 * How many SMS an action may cause, so that nobody can use the service to pump messages: a new
 * mobile's confirmation code goes to a number the caller chooses, an emergency access tells the
 * patient. Counted per record (and per professional for emergencies), in fixed windows. Login
 * codes are not counted here: their own limits are the login's (domain/login.ts), and a patient
 * must be able to log in whatever was throttled.
 */

/** A cap: at most `max` in each window of `ms`, windows aligned on the epoch (UTC hours, days). */
export interface SmsWindow {
  /** Short name, part of the counter's key. */
  name: string;
  ms: number;
  max: number;
}

/** What is counted. */
export type SmsBudgetKind = 'mobile-code' | 'emergency';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;

/** Confirmation codes sent to new mobiles, per record: 3 an hour, 5 a day. */
export const MOBILE_CODE_WINDOWS: readonly SmsWindow[] = [
  { name: 'H', ms: HOUR_MS, max: 3 },
  { name: 'D', ms: DAY_MS, max: 5 },
];

/** Emergency accesses told to the patient, per record, whoever declared them: 5 a day. */
export const EMERGENCY_NOTICE_WINDOWS: readonly SmsWindow[] = [{ name: 'D', ms: DAY_MS, max: 5 }];

/** One professional's emergency accesses are told to the patient at most once in 12 hours. */
export const EMERGENCY_NOTICE_PER_PROFESSIONAL_MS = 12 * HOUR_MS;

/** The window of `now`: its start (the counter's identity) and its end (when it resets). */
export const windowOf = (window: SmsWindow, now: Date): { start: Date; end: Date } => {
  const start = Math.floor(now.getTime() / window.ms) * window.ms;
  return { start: new Date(start), end: new Date(start + window.ms) };
};

/**
 * Whether an emergency access declared now is told to the patient: not when the professional's
 * previous emergency access still runs (the declaration renews it), nor when the professional's
 * last emergency was told less than 12 hours ago. The access is granted and traced either way.
 */
export const emergencyNoticeDue = (previous: { until: string } | undefined, lastNoticeAt: string | undefined, now: Date): boolean => {
  if (previous && new Date(previous.until).getTime() > now.getTime()) return false;
  return !lastNoticeAt || new Date(lastNoticeAt).getTime() + EMERGENCY_NOTICE_PER_PROFESSIONAL_MS <= now.getTime();
};

/** The instant before which a professional's last notice no longer stands in the way of a new one. */
export const emergencyNoticeCutoff = (now: Date): Date => new Date(now.getTime() - EMERGENCY_NOTICE_PER_PROFESSIONAL_MS);

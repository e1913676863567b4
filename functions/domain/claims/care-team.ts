/**
 * The care team: the professionals and structures who prescribed or performed reimbursed care
 * over the last 12 months, or deposited documents, one entry each, with what the patient decided
 * about each professional, so that the patient can authorise or block from it. Pure: the lines,
 * deposits, decisions and instant are passed in.
 *
 * Who is who:
 * - a line's prescriber is a professional, by its id;
 * - a line's performer is a professional when the line names one (`performer.id`), else the
 *   structure (pharmacy, laboratory, hospital) by its FINESS number: a line names one performer,
 *   so it counts for the professional and not also for the structure where he worked;
 * - a document's author is a professional, by its id.
 * The insurer's professional ids and the token ids are taken to be one identifier space.
 *
 * The caller passes only what its reader may see: the lines a minor keeps from the representatives
 * (`confidential`) are left out before, for them.
 */
import { authorizationState, type Relation } from '../access-policy.ts';
import { addYears, isoDate } from '../dates.ts';

/** What the care team reads of a claim line (a ClaimLineFacts has it). */
export interface CareLine {
  /** Day of care or delivery, YYYY-MM-DD. */
  date: string;
  prescriber?: { id: string; profession: string; specialty?: string | undefined } | undefined;
  performer?: { id?: string | undefined; finess: string; name?: string | undefined } | undefined;
}

/** A document deposited by a professional. */
export interface CareDeposit {
  authorId: string;
  /** The author's profession when known (a deposit's item may not say it in clear). */
  profession?: string | undefined;
  specialty?: string | undefined;
  /** Instant (ISO 8601, UTC) or day of the deposit: its day is its first 10 characters. */
  depositedAt: string;
}

/** The patient's decision on a professional, as the record stores it (RecordStore.authorizations gives these). */
export type CareDecision = Relation & { professionalId: string };

export interface CareTeamInput {
  lines: readonly CareLine[];
  deposits: readonly CareDeposit[];
  decisions: readonly CareDecision[];
}

export type CareRole = 'prescriber' | 'performer' | 'author';
/** The patient's decision on a professional, now: an authorization past its expiry is `expired`; none: `none`. */
export type CareAuthorization = 'authorized' | 'blocked' | 'expired' | 'none';

interface MemberBase {
  id: string;
  /** First and last day (YYYY-MM-DD) of care or deposit in the 12 months. */
  firstDate: string;
  lastDate: string;
  /** Lines and deposits in the 12 months naming it (a line naming a professional twice counts once). */
  count: number;
  /** In the order prescriber, performer, author. */
  roles: CareRole[];
}

export type CareTeamMember =
  | (MemberBase & {
      kind: 'professional';
      /** Profession (TRE_G15) and specialty codes the lines and deposits gave, sorted. */
      professions: string[];
      specialties: string[];
      authorization: CareAuthorization;
      attendingPhysician: boolean;
    })
  | (MemberBase & {
      kind: 'structure';
      /** The name the lines gave it last, if any. */
      name?: string;
    });

/** The window of the care team: from this day 12 months ago to today (UTC), both included. */
export const careTeamWindow = (now: Date): { from: string; to: string } => ({ from: isoDate(addYears(now, -1)), to: isoDate(now) });

const ROLE_ORDER: readonly CareRole[] = ['prescriber', 'performer', 'author'];
const compare = (a: string, b: string): number => (a < b ? -1 : a > b ? 1 : 0);

interface Tally {
  kind: 'professional' | 'structure';
  id: string;
  days: string[];
  roles: Set<CareRole>;
  professions: Set<string>;
  specialties: Set<string>;
  /** The structure's name, with the day it was given (the latest wins). */
  name?: { day: string; value: string };
}

/** A member an event names, in one role. */
interface Mention {
  kind: Tally['kind'];
  id: string;
  role: CareRole;
  profession?: string | undefined;
  specialty?: string | undefined;
  name?: string | undefined;
}

/** Who a line names: its prescriber, and its performer (the professional if named, else the structure). */
const lineMentions = ({ prescriber, performer }: CareLine): Mention[] => {
  const mentions: Mention[] = [];
  if (prescriber) mentions.push({ kind: 'professional', id: prescriber.id, role: 'prescriber', profession: prescriber.profession, specialty: prescriber.specialty });
  if (performer?.id) mentions.push({ kind: 'professional', id: performer.id, role: 'performer' });
  else if (performer) mentions.push({ kind: 'structure', id: performer.finess, role: 'performer', name: performer.name });
  return mentions;
};

/** What the patient's decision on a professional amounts to at `now`, as the access policy reads it. */
const standing = (decision: CareDecision | undefined, now: Date): { authorization: CareAuthorization; attendingPhysician: boolean } => {
  const state = authorizationState(decision, now);
  const authorization: CareAuthorization = state === 'VALIDE' ? 'authorized' : state === 'INTERDIT' ? 'blocked' : state === 'EXPIRE' ? 'expired' : 'none';
  return { authorization, attendingPhysician: authorization === 'authorized' && decision?.attendingPhysician === true };
};

export const careTeam = (input: CareTeamInput, now: Date): CareTeamMember[] => {
  const { from, to } = careTeamWindow(now);
  const tallies = new Map<string, Tally>();

  /** Notes one event (a line or a deposit) of a day for each member it names, once per member. */
  const note = (day: string, mentions: readonly Mention[]) => {
    if (day < from || day > to) return;
    const counted = new Set<string>();
    for (const m of mentions) {
      const key = `${m.kind}:${m.id}`;
      let tally = tallies.get(key);
      if (!tally) tallies.set(key, (tally = { kind: m.kind, id: m.id, days: [], roles: new Set(), professions: new Set(), specialties: new Set() }));
      if (!counted.has(key)) {
        counted.add(key);
        tally.days.push(day);
      }
      tally.roles.add(m.role);
      if (m.profession) tally.professions.add(m.profession);
      if (m.specialty) tally.specialties.add(m.specialty);
      // The latest name wins; on one day, the greatest, so that the input order does not matter.
      if (m.name && (!tally.name || day > tally.name.day || (day === tally.name.day && m.name > tally.name.value))) tally.name = { day, value: m.name };
    }
  };
  for (const line of input.lines) note(line.date, lineMentions(line));
  for (const d of input.deposits) note(d.depositedAt.slice(0, 10), [{ kind: 'professional', id: d.authorId, role: 'author', profession: d.profession, specialty: d.specialty }]);

  const decisions = new Map(input.decisions.map((d) => [d.professionalId, d]));
  const members = [...tallies.values()].map((t): CareTeamMember => {
    const days = t.days.sort();
    const base: MemberBase = { id: t.id, firstDate: days[0]!, lastDate: days.at(-1)!, count: days.length, roles: ROLE_ORDER.filter((r) => t.roles.has(r)) };
    if (t.kind === 'structure') return { kind: 'structure', ...base, ...(t.name ? { name: t.name.value } : {}) };
    return { kind: 'professional', ...base, professions: [...t.professions].sort(), specialties: [...t.specialties].sort(), ...standing(decisions.get(t.id), now) };
  });
  // The latest first, then by id (a professional before a structure of the same id).
  return members.sort((a, b) => compare(b.lastDate, a.lastDate) || compare(a.id, b.id) || compare(a.kind, b.kind));
};

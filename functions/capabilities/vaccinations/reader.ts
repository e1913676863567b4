/**
 * The vaccinations of a record, for whoever has opened it: the recorded ones (one Query of the
 * record's partition) and those the reimbursed-care history knows of (its `vaccination` lines, read
 * through the claims capability's store: its Query, page after page, newest first), merged without
 * duplicates (domain/vaccinations/entries.ts). The list (GET …/vaccinations), what is due, the
 * reminders and the emergency summary all read them here.
 *
 * The claims-derived part follows the claims policy, not the vaccination record's: `claimsPart`
 * says what of it a caller sees (decideClaimsRead: the matrix's class 60, the patient's mask;
 * representatives without the lines a minor keeps confidential).
 */
import { claimLineVisible, decideClaimsRead, type RecordFacts, type Standing } from '#domain/access-policy';
import type { Actor } from '#domain/actor';
import type { ClaimLine } from '#domain/claims/lines';
import type { DataKey } from '#domain/ports';
import type { AccessMatrix } from '#domain/reference-data';
import { mergeVaccinations, type ClaimDelivery, type VaccinationEntry } from '#domain/vaccinations/entries';
import type { ClaimStore } from '../claims/store.ts';
import type { VaccinationStore } from './store.ts';

/** What of the history's vaccination lines a reader gets: none, all, or all but the lines a minor keeps confidential. */
export type ClaimsPart = 'none' | 'all' | 'not-confidential';

/**
 * The claims-derived part a caller sees on a record it may read the vaccinations of, by the claims
 * policy: none when decideClaimsRead refuses (a profession that may not read class 60, the patient's
 * mask, …); a representative's without confidential lines (claimLineVisible).
 */
export const claimsPart = (actor: Actor, subject: { record: RecordFacts; standing: Standing }, maskedToProfessionals: boolean, now: Date, matrix: AccessMatrix): ClaimsPart => {
  if (!decideClaimsRead(actor, subject.record, subject.standing, { maskedToProfessionals }, now, matrix).allow) return 'none';
  return claimLineVisible(actor, { confidential: true }) ? 'all' : 'not-confidential';
};

/** What reading a record's vaccinations needs: its own store and the claims capability's. */
export interface VaccinationReaderDeps {
  vaccinations: Pick<VaccinationStore, 'entries'>;
  claims: Pick<ClaimStore, 'page' | 'open' | 'cursorAt'>;
}

/** The history's `vaccination` lines among lines already opened, as deliveries (the emergency summary reads the history once for all its parts). */
export const deliveriesOf = (lines: readonly (Pick<ClaimLine, 'category' | 'date' | 'code' | 'display' | 'atcValence' | 'confidential'> & { lineId: string })[]): ClaimDelivery[] =>
  lines
    .filter((line) => line.category === 'vaccination')
    .map((line) => ({
      lineId: line.lineId,
      date: line.date,
      code: line.code,
      display: line.display,
      ...(line.atcValence !== undefined ? { atcValence: line.atcValence } : {}),
      ...(line.confidential !== undefined ? { confidential: line.confidential } : {}),
    }));

/** The history's `vaccination` lines of a record, not expired at `now`, opened with its key (every page of the claims store's Query). */
export const vaccinationDeliveries = async (claims: VaccinationReaderDeps['claims'], key: DataKey, now: Date): Promise<ClaimDelivery[]> => {
  const deliveries: ClaimDelivery[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await claims.page(key.dmpId, { cursor, now });
    deliveries.push(
      ...deliveriesOf(
        page.items.map((item) => {
          const { lineId, line } = claims.open(key, item);
          return { ...line, lineId };
        }),
      ),
    );
    const last = page.items.at(-1);
    if (!page.more || !last) return deliveries;
    cursor = claims.cursorAt(last.sk);
  }
};

/** The recorded vaccinations and the deliveries a caller sees (ClaimsPart), merged without duplicates, newest first. */
export const mergeShown = (recorded: Parameters<typeof mergeVaccinations>[0], deliveries: readonly ClaimDelivery[], part: ClaimsPart): VaccinationEntry[] =>
  mergeVaccinations(recorded, part === 'none' ? [] : part === 'not-confidential' ? deliveries.filter((d) => d.confidential !== true) : deliveries);

/**
 * A record's vaccinations, newest first: the recorded ones and the claims-derived ones of
 * `claims` (see ClaimsPart), without duplicates. For a caller that opened the record through the
 * access policy (the key is the record's): one Query of the record's vaccinations, beside the
 * claims store's Query when claims are wanted (a page of 200 lines: one for most records).
 */
export const readVaccinations = async (deps: VaccinationReaderDeps, dmpId: string, key: DataKey, opts: { now: Date; claims: ClaimsPart }): Promise<VaccinationEntry[]> => {
  if (key.dmpId !== dmpId) throw new Error('the key is another record’s');
  const [recorded, deliveries] = await Promise.all([deps.vaccinations.entries(key), opts.claims === 'none' ? [] : vaccinationDeliveries(deps.claims, key, opts.now)]);
  return mergeShown(recorded, deliveries, opts.claims);
};

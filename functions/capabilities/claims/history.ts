/**
 * The lines of a record's history between two days, opened with the record's key, for the reads
 * that compute over a window (the care team, the medication review) rather than list a page: every
 * page of the store's Query, newest first. The window bounds what is read (12 months, 90 days).
 */
import { decideClaimsRead } from '#domain/access-policy';
import type { ClaimLineFacts } from '#domain/claims/medication-review';
import type { DataKey } from '#domain/ports';
import type { Trace } from '#domain/trace';
import type { Call } from '#http/define-capability';
import { accessRecord, type Subject } from '../common.ts';
import type { ClaimsDeps } from './deps.ts';
import type { ClaimLine } from '#domain/claims/lines';
import type { ClaimStore, StoredClaim } from './store.ts';

type ClaimsPage = Awaited<ReturnType<ClaimStore['page']>>;

/**
 * One page of the lines a caller sees, newest first (GET …/claims, and FHIR's MedicationDispense
 * over the same lines): from `first` (the store's page, perhaps asked beside the record), lines
 * `shown` rejects are skipped and the next Query page read, at most `maxQueries` of them. A cursor
 * only when one more line the caller sees follows the page (as the documents' listing), or where
 * the reading stopped.
 */
export const visibleLines = async (
  claims: ClaimStore,
  key: DataKey,
  opts: { first: Promise<ClaimsPage>; next: (cursor: string) => Promise<ClaimsPage>; shown: (line: ClaimLine) => boolean; limit: number; maxQueries: number },
): Promise<{ lines: (StoredClaim & { sk: string })[]; nextCursor: string | null }> => {
  const lines: (StoredClaim & { sk: string })[] = [];
  let current = await opts.first;
  for (let pages = 1; ; pages++) {
    let following = false;
    for (const item of current.items) {
      const claim = claims.open(key, item);
      if (!opts.shown(claim.line)) continue;
      if (lines.length === opts.limit) {
        following = true;
        break;
      }
      lines.push({ ...claim, sk: item.sk });
    }
    const lastShown = lines.at(-1);
    if (following && lastShown) return { lines, nextCursor: claims.cursorAt(lastShown.sk) };
    const lastRead = current.items.at(-1);
    if (!current.more || !lastRead) return { lines, nextCursor: null };
    if (pages === opts.maxQueries) return { lines, nextCursor: claims.cursorAt(lastRead.sk) };
    current = await opts.next(claims.cursorAt(lastRead.sk));
  }
};

/**
 * The record opened for a read of the history, by the history's decision (the patient's mask of
 * it read first): refused reads are answered and traced as `action` by accessRecord.
 */
export const openHistory = async (deps: ClaimsDeps, call: Call, dmpId: string, action: Trace['action'], masked: Promise<boolean> = deps.claims.masked(dmpId)) => {
  const maskedToProfessionals = await masked;
  return accessRecord(deps, call, dmpId, ({ record, standing }: Subject, at: Date) => decideClaimsRead(call.actor, record, standing, { maskedToProfessionals }, at, deps.matrix), {
    action,
  });
};

/** The lines dated `from` to `to` (YYYY-MM-DD, both included) that have not expired at `now`, as the rules read them. */
export const linesBetween = async (deps: ClaimsDeps, key: DataKey, from: string, to: string, now: Date): Promise<ClaimLineFacts[]> => {
  const lines: ClaimLineFacts[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await deps.claims.page(key.dmpId, { from, to, cursor, now });
    for (const item of page.items) {
      const { lineId, line } = deps.claims.open(key, item);
      lines.push({ ...line, lineId });
    }
    const last = page.items.at(-1);
    if (!page.more || !last) return lines;
    cursor = deps.claims.cursorAt(last.sk);
  }
};

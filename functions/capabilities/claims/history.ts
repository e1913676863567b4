/**
 * The lines of a record's history between two days, opened with the record's key, for the reads
 * that compute over a window (the care team, the medication review) rather than list a page: every
 * page of the store's Query, newest first. The window bounds what is read (12 months, 90 days).
 */
import type { ClaimLineFacts } from '#domain/claims/medication-review';
import type { DataKey } from '#domain/ports';
import type { ClaimsDeps } from './deps.ts';

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

/**
 * The keyword search of one record, for the REST route (use-cases.ts) and for any interface that
 * offers the same search (FHIR `_content` / `_text`):
 *
 *   1. the query's words are normalised as the index normalised the record's (domain/search/words.ts);
 *   2. the record is opened by the policy of a document listing (decideDocumentListing: the holders,
 *      a professional with access, or without access for the documents it deposited itself; a
 *      blocked professional is refused, and the refusal traced);
 *   3. the postings of every word are read (one BatchGetItem of their lists: beside the record's
 *      own read when the record's key is in memory, after it otherwise) and intersected: the items
 *      holding every word, in the search's order (ranking.ts); kinds the policy closes to the
 *      caller as a whole (the history, a kind of health data under the matrix) are dropped before
 *      anything else is read;
 *   4. only the candidates a page needs are read as they are now, and of each only what its decision
 *      reads (one BatchGetItem; a measured code's latest value, one Query), each weighed by its own
 *      read's rule: documentReader (matrix, masks, labels, deleted) on current and archived
 *      documents, decideHealthRead on the profile, vaccinations and measurements. A document's
 *      postings carry the access facts the index job read (status, labels, class, type, author);
 *      every change of a version's status or labels marks it in the change's own transaction
 *      (documents/store.ts), so a version without a mark is as it was indexed, and is weighed on
 *      its postings: only its mark's key is read (not found). A marked version, or one indexed
 *      before postings carried these facts, is read as it is now. A line of the
 *      history is read only for a representative, the one caller a line's own flag refuses
 *      (claimLineVisible: a confidential line); for any other caller the history was decided as a
 *      whole in step 3, and the line's posting (label and date) is shown unless the line expired.
 *      An item the caller may not see is left out, and nothing counts it;
 *   5. the search is traced as a read once allowed, the trace written beside the reads of step 4
 *      and awaited before anything is returned.
 */
import {
  claimLineCanHide,
  claimLineVisible,
  decideClaimsRead,
  decideDocumentListing,
  decideHealthRead,
  documentReader,
  type Decision,
  type DocumentFacts,
  type HealthKind,
} from '#domain/access-policy';
import { bin, type Item } from '#adapters/attributes';
import { expiresAt } from '#domain/claims/lines';
import { decodeCursor, encodeCursor } from '#adapters/cursor';
import { openJson } from '#adapters/envelope';
import { RecordIndexKey } from '#adapters/search-index';
import type { DataKey } from '#domain/ports';
import type { Trace } from '#domain/trace';
import type { RecordedVaccination } from '#domain/vaccinations/entries';
import { measurementDefinition } from '#domain/measurements';
import { documentStateOf } from '#domain/search/postings';
import { words } from '#domain/search/words';
import type { Call } from '#http/define-capability';
import { HttpProblem } from '#platform/problem';
import { toDocumentState } from '../documents/store.ts';
import { accessRecord, traceRead, type RecordAccess } from '../common.ts';
import type { SearchDeps } from './deps.ts';
import { changedMarkSk, itemSk } from './items.ts';
import { following, matchAll, parseQuery, positionOf, positionText, POSITION_SHAPE, within, type Match, type Position } from './ranking.ts';
import type { SearchKindName } from './schemas.ts';

/** What a search asks: the query's text, and the filters and page of the route's query string. */
export interface SearchRequest {
  q: string;
  /** Only these kinds (all when absent). */
  kinds?: readonly SearchKindName[] | undefined;
  /** Days (YYYY-MM-DD), both included. */
  from?: string | undefined;
  to?: string | undefined;
  limit: number;
  cursor?: string | undefined;
}

/** One item found, as the caller may see it. */
export interface SearchHit {
  kind: SearchKindName;
  id: string;
  date: string;
  title: string;
  field: string;
}

export interface SearchPage {
  items: SearchHit[];
  nextCursor: string | null;
}

/**
 * Reads of candidates one page makes at most: one in the common case, more only past candidates
 * the caller does not see (or that changed since they were indexed); a page cut short by it ends
 * with a cursor, as a listing's does.
 */
export const MAX_CANDIDATE_READS = 8;

/** The query's terms, or a 400 naming the query's fault. */
const termsOf = (q: string) => {
  const terms = parseQuery(q.trim(), words);
  if ('fault' in terms) throw new HttpProblem(400, 'The query does not match the contract.', { errors: [{ path: 'query.q', message: terms.fault }] });
  return terms;
};

/** The kinds of health data each kind of result is read under. */
const HEALTH: Partial<Record<SearchKindName, HealthKind>> = { profile: 'profile', vaccination: 'vaccinations', measurement: 'measurements' };

/** The title of a profile element, found by its id in the profile as it is now (absent: it was removed). */
const profileElement = (deps: SearchDeps, key: DataKey, sealed: Uint8Array, id: string): string | undefined => {
  const profile = deps.health.openProfile(key, sealed);
  return profile.allergies.find((e) => e.id === id)?.substance ?? profile.conditions.find((e) => e.id === id)?.text ?? profile.treatments.find((e) => e.id === id)?.medication;
};

/** The words' lists read with the record's key in memory, or undefined when it is not (read after the record then). */
const earlyPostings = (deps: SearchDeps, dmpId: string, words: readonly string[]) => {
  const cached = deps.keyRing.cached(dmpId);
  if (!cached) return undefined;
  const postings = deps.searchIndex.postingsOfWords(new RecordIndexKey(cached), words).catch(() => undefined);
  return { key: cached, postings };
};

/**
 * Searches a record for a caller: the page of matching items the caller may see, and the cursor of
 * the next one. `action` is the trace's (and a refusal's); an interface of its own (FHIR) passes
 * the one its reads are traced with.
 */
export const searchRecord = async (deps: SearchDeps, call: Call, dmpId: string, request: SearchRequest, action: Trace['action'] = 'record.keyword-search'): Promise<SearchPage> => {
  const terms = termsOf(request.q);
  const start: Position | undefined = request.cursor === undefined ? undefined : positionOf(decodeCursor(request.cursor, POSITION_SHAPE));
  // The history's mask is read beside the record (one round trip); used only if the search is allowed.
  const masked = deps.claims.masked(dmpId);
  masked.catch(() => undefined);
  // With the record's key in memory, the words' lists are read beside the record too: used only
  // once the search is allowed, and only if the record's key is still that one.
  const early = earlyPostings(deps, dmpId, terms.words);
  const opened = await accessRecord(deps, call, dmpId, ({ record, standing }, now) => decideDocumentListing(call.actor, record, standing, now), { action });
  // No access without its trace: written beside the reads that follow, awaited before anything is returned.
  const traced = traceRead(deps, call, dmpId, action, { mode: opened.decision.mode }, opened);
  traced.catch(() => undefined);
  const now = deps.clock.now();
  const key = await opened.key();

  // Each kind's decision on the record as a whole, once.
  const claims = decideClaimsRead(call.actor, opened.record, opened.standing, { maskedToProfessionals: await masked }, now, deps.matrix);
  const health = (kind: HealthKind): Decision => decideHealthRead(call.actor, opened.record, opened.standing, kind, now, deps.matrix);
  const open = new Set<string>(['document', ...(claims.allow ? ['claim'] : []), ...Object.entries(HEALTH).flatMap(([k, h]) => (health(h).allow ? [k] : []))]);
  const kinds = new Set([...(request.kinds ?? open)].filter((k) => open.has(k)));

  // The cache hands the same key to the record's opening while it holds it: another key, read again.
  const postings = (early?.key === key ? await early.postings : undefined) ?? (await deps.searchIndex.postingsOfWords(new RecordIndexKey(key), terms.words));
  const candidates = within(following(matchAll(terms, postings), start), { kinds, from: request.from, to: request.to });

  const readable = documentReader(call.actor, opened.record, opened.standing, now, deps.matrix);
  const shown: { match: Match; hit: SearchHit }[] = [];
  let read = 0;
  for (let round = 0; round < MAX_CANDIDATE_READS && read < candidates.length && shown.length <= request.limit; round++) {
    const batch = candidates.slice(read, read + request.limit + 1 - shown.length);
    read += batch.length;
    shown.push(...(await weigh(deps, opened, key, batch, readable, now, call)));
  }
  let nextCursor: string | null = null;
  if (shown.length > request.limit) {
    // One more item the caller sees follows the page: the next page starts after its last one.
    shown.length = request.limit;
    const last = shown.at(-1);
    if (last) nextCursor = encodeCursor(positionText(last.match));
  } else if (read < candidates.length) {
    // Cut short past candidates the caller does not see: the next page goes on from the last one read.
    const last = candidates[read - 1];
    if (last) nextCursor = encodeCursor(positionText(last));
  }
  await traced;
  return { items: shown.map((s) => s.hit), nextCursor };
};

/** The candidates of one read, as they are now, those the caller may see (in the search's order). */
const weigh = async (
  deps: SearchDeps,
  opened: RecordAccess,
  key: DataKey,
  batch: readonly Match[],
  readable: ReturnType<typeof documentReader>,
  now: Date,
  call: Call,
): Promise<{ match: Match; hit: SearchHit }[]> => {
  const dmpId = opened.record.dmpId;
  // A line of the history is read only for a reader its own flag can refuse it to.
  const linesRead = claimLineCanHide(call.actor);
  // A document whose postings carry its access facts: its change mark is looked up (a key not
  // found, in the common case) rather than the document itself.
  const indexed = new Map(batch.flatMap((m) => (m.kind === 'document' ? [[m.id, documentStateOf(m.state)] as const] : [])).filter(([, f]) => f !== undefined));
  const sks = batch
    .filter((m) => m.kind !== 'claim' || linesRead)
    .map((m) => (indexed.has(m.id) && m.kind === 'document' ? changedMarkSk(dmpId, m.id) : itemSk(dmpId, m.kind, m.id)))
    .filter((sk): sk is string => sk !== undefined);
  const measured = batch.filter((m) => m.kind === 'measurement').map((m) => m.id);
  const [items, latest] = await Promise.all([
    sks.length > 0 ? deps.searchItems.get(dmpId, sks) : new Map<string, Item>(),
    Promise.all(measured.map(async (code) => [code, (await deps.measurements.page(key, { codes: [code], limit: 1 })).items.length > 0] as const)),
  ]);
  // A marked version changed since it was indexed: it is read as it is now.
  const marked = [...indexed.keys()].filter((id) => items.has(changedMarkSk(dmpId, id)));
  for (const id of marked) indexed.delete(id);
  const markedSks = marked.flatMap((id) => itemSk(dmpId, 'document', id) ?? []);
  const reread = markedSks.length > 0 ? await deps.searchItems.get(dmpId, markedSks) : new Map<string, Item>();
  const measuredNow = new Map(latest);
  const hits: { match: Match; hit: SearchHit }[] = [];
  for (const m of batch) {
    const sk = itemSk(dmpId, m.kind, m.id);
    const item = sk === undefined ? undefined : (items.get(sk) ?? reread.get(sk));
    const title = titleIfShown(deps, key, m, sk, item, { readable, now, call, measuredNow, linesRead, indexed });
    if (title !== undefined) hits.push({ match: m, hit: { kind: m.kind as SearchKindName, id: m.id, date: m.date, title, field: m.field } });
  }
  return hits;
};

/** The title to show of a candidate when the caller may see it as it is now, else undefined. */
const titleIfShown = (
  deps: SearchDeps,
  key: DataKey,
  m: Match,
  sk: string | undefined,
  item: Item | undefined,
  ctx: {
    readable: ReturnType<typeof documentReader>;
    now: Date;
    call: Call;
    measuredNow: ReadonlyMap<string, boolean>;
    linesRead: boolean;
    /** Documents unchanged since indexed, by id: their access facts as their postings carry them. */
    indexed: ReadonlyMap<string, DocumentFacts | undefined>;
  },
): string | undefined => {
  switch (m.kind) {
    case 'document': {
      // Unmarked, a version's status and labels are those it was deposited with, which the index read.
      const facts = ctx.indexed.get(m.id) ?? (item ? deps.documents.openState(key, m.id, toDocumentState(item)) : undefined);
      if (!facts) return undefined;
      // Current and archived documents; a superseded version is found through its current one.
      if (facts.status !== 'current' && facts.status !== 'archived') return undefined;
      // The title is the version's own (no change of a document touches it): the posting's.
      return ctx.readable(facts).allow ? m.title : undefined;
    }
    case 'claim': {
      // Expired lines stay until DynamoDB's TTL (written from the line's date) deletes them: every read leaves them out.
      const expired = (date: string) => expiresAt(date).getTime() <= ctx.now.getTime();
      // Only a representative is refused a line by the line itself (a confidential one). For every
      // other caller the history decides as a whole (decided above, on the record as it is now) and
      // the posting is the line: its label and date, indexed from the line's last change.
      if (!ctx.linesRead) return expired(m.date) ? undefined : m.title;
      const sealed = item && bin(item, 'line');
      if (!sk || !sealed) return undefined;
      const { line } = deps.claims.open(key, { sk, sealed });
      return !expired(line.date) && claimLineVisible(ctx.call.actor, line) ? line.display : undefined;
    }
    case 'vaccination': {
      const sealed = item && bin(item, 'entry');
      if (!sk || !sealed) return undefined;
      return openJson<RecordedVaccination>(key, sk, 'entry', sealed).vaccine.name;
    }
    case 'profile': {
      const sealed = item && bin(item, 'profile');
      return sealed ? profileElement(deps, key, sealed, m.id) : undefined;
    }
    case 'measurement':
      return ctx.measuredNow.get(m.id) ? (measurementDefinition(m.id)?.display ?? m.title) : undefined;
    default:
      return undefined;
  }
};

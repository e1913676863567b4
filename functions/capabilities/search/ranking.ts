/**
 * The keyword search's rules, pure: what a query asks (its words, its quoted phrases), which items
 * match (every word, in any of the item's fields), in which order (items where each quoted phrase's
 * words stand side by side first, then newest first), and where a page stops (a cursor on that
 * order). Nothing here reads the table or decides access: the reader (reader.ts) gives the
 * postings of each word and weighs each candidate under the access policy.
 */

/** What the index says of one word in one item's field (functions/adapters/search-index.ts). */
export interface PostingLike {
  kind: string;
  id: string;
  date: string;
  title: string;
  field: string;
  positions: number[];
  /** A document's access facts as indexed (domain/search/postings.ts), opaque here. */
  state?: unknown;
}

/** At most this many distinct words in a query: a handful, so that a search stays a handful of reads. */
export const MAX_QUERY_WORDS = 8;
/** At most this many characters in a query. */
export const MAX_QUERY_LENGTH = 200;

/** What a query asks for: every word (distinct, normalised) and each quoted phrase's words, in order. */
export interface Terms {
  words: string[];
  phrases: string[][];
}

/** A query refused, and why (the route answers 400 with it). */
export interface QueryFault {
  fault: string;
}

/** Characters that stand for "anything" in other search engines: a query of nothing else asks for everything. */
const WILDCARD_ONLY = /^[\s"*%?_.]*$/u;

/**
 * The terms of a query, normalised with the index's own `words` so that a word of the query and a
 * word of the record compare. Refused: a query of wildcards only, one with no word the index
 * would hold, one of more than MAX_QUERY_WORDS distinct words. A quote left open runs to the end.
 */
export const parseQuery = (q: string, words: (text: string) => string[]): Terms | QueryFault => {
  if (WILDCARD_ONLY.test(q)) return { fault: 'a query of wildcards only matches nothing: name the words to find (wildcards are not supported)' };
  const all = [...new Set(words(q.replaceAll('"', ' ')))];
  if (all.length === 0) return { fault: 'the query holds no searchable word' };
  if (all.length > MAX_QUERY_WORDS) return { fault: `a query holds at most ${MAX_QUERY_WORDS} distinct words` };
  const quoted = q.split('"').filter((_, i) => i % 2 === 1);
  const phrases = quoted.map((p) => words(p)).filter((p) => p.length > 1);
  return { words: all, phrases };
};

/** One item that holds every word of a query. */
export interface Match {
  kind: string;
  id: string;
  date: string;
  title: string;
  /** The field that matched: the one holding a quoted phrase side by side, else the one holding the most words. */
  field: string;
  /** Each quoted phrase of the query stands side by side, in order, in one field of the item (always true without phrases). */
  adjacent: boolean;
  /** A document's access facts as its postings carry them (the reader decides whether to trust them). */
  state?: unknown;
}

const itemKey = (p: { kind: string; id: string }): string => `${p.kind}\u0000${p.id}`;

/** Whether `phrase`'s words stand side by side, in order, in `field` (positions of each word in each field). */
const sideBySide = (phrase: readonly string[], at: Map<string, Map<string, Set<number>>>, field: string): boolean => {
  const first = at.get(phrase[0] ?? '')?.get(field);
  if (!first) return false;
  for (const start of first) {
    if (
      phrase.every(
        (w, i) =>
          at
            .get(w)
            ?.get(field)
            ?.has(start + i) === true,
      )
    )
      return true;
  }
  return false;
};

/**
 * The items holding every word (the intersection of the words' postings, by kind and id), each
 * with its field and whether its phrases stand side by side, in the search's order (`compare`).
 */
export const matchAll = (terms: Terms, postings: ReadonlyMap<string, readonly PostingLike[]>): Match[] => {
  const lists = terms.words.map((w) => postings.get(w) ?? []);
  // From the rarest word: the intersection never grows past its smallest list.
  const order = lists.map((l, i) => ({ l, i })).sort((a, b) => a.l.length - b.l.length);
  let candidates: Set<string> | undefined;
  for (const { l } of order) {
    const here = new Set(l.map(itemKey));
    candidates = candidates ? new Set([...candidates].filter((k) => here.has(k))) : here;
    if (candidates.size === 0) return [];
  }
  if (!candidates) return [];
  // Per candidate: word → field → positions.
  const found = new Map<string, { first: PostingLike; at: Map<string, Map<string, Set<number>>> }>();
  terms.words.forEach((word, i) => {
    for (const p of lists[i] ?? []) {
      const k = itemKey(p);
      if (!candidates.has(k)) continue;
      let entry = found.get(k);
      if (!entry) {
        entry = { first: p, at: new Map() };
        found.set(k, entry);
      }
      const fields = entry.at.get(word) ?? new Map<string, Set<number>>();
      entry.at.set(word, fields);
      const positions = fields.get(p.field) ?? new Set<number>();
      for (const n of p.positions) positions.add(n);
      fields.set(p.field, positions);
    }
  });
  const matches: Match[] = [];
  for (const { first, at } of found.values()) {
    const fields = [...new Set([...at.values()].flatMap((f) => [...f.keys()]))];
    const phraseFields = terms.phrases.map((phrase) => fields.find((f) => sideBySide(phrase, at, f)));
    const adjacent = phraseFields.every((f) => f !== undefined);
    const wordsIn = (f: string) => terms.words.filter((w) => at.get(w)?.has(f)).length;
    const busiest = fields.reduce((best, f) => (wordsIn(f) > wordsIn(best) ? f : best), fields[0] ?? first.field);
    matches.push({
      kind: first.kind,
      id: first.id,
      date: first.date,
      title: first.title,
      field: phraseFields.find((f) => f !== undefined) ?? busiest,
      adjacent,
      ...(first.state === undefined ? {} : { state: first.state }),
    });
  }
  return matches.sort(compare);
};

/** A place in the search's order: phrases side by side first, then the newest, then by kind and id. */
export interface Position {
  adjacent: boolean;
  date: string;
  kind: string;
  id: string;
}

/** The search's order (negative: `a` comes first). */
export const compare = (a: Position, b: Position): number => {
  if (a.adjacent !== b.adjacent) return a.adjacent ? -1 : 1;
  if (a.date !== b.date) return a.date > b.date ? -1 : 1;
  if (a.kind !== b.kind) return a.kind < b.kind ? -1 : 1;
  if (a.id !== b.id) return a.id > b.id ? -1 : 1;
  return 0;
};

/** A position as a cursor's text, and back (the cursor helpers encode it and check its shape). */
export const positionText = (p: Position): string => `${p.adjacent ? 1 : 0}|${p.date}|${p.kind}|${p.id}`;
export const POSITION_SHAPE = /^[01]\|[0-9]{4}-[0-9]{2}-[0-9]{2}[0-9T:.Z+-]{0,20}\|(?:document|claim|profile|vaccination|measurement)\|[A-Za-z0-9_.:#~-]{1,300}$/;
export const positionOf = (text: string): Position => {
  const [adjacent = '0', date = '', kind = '', ...id] = text.split('|');
  return { adjacent: adjacent === '1', date, kind, id: id.join('|') };
};

/** The matches after a position (a cursor's), in order. */
export const following = (matches: readonly Match[], position: Position | undefined): Match[] => (position ? matches.filter((m) => compare(m, position) > 0) : [...matches]);

/** The matches of the wanted kinds dated within [from, to] (days, both included; a match's date may be an instant). */
export const within = (matches: readonly Match[], f: { kinds?: ReadonlySet<string> | undefined; from?: string | undefined; to?: string | undefined }): Match[] =>
  matches.filter((m) => (!f.kinds || f.kinds.has(m.kind)) && (!f.from || m.date.slice(0, 10) >= f.from) && (!f.to || m.date.slice(0, 10) <= f.to));

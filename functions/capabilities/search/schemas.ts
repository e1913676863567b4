/** The keyword search's query and answer. */
import * as z from 'zod/mini';
import { Day, PageCursor, PageLimit, text } from '#http/schemas';
import { SEARCH_KINDS, type SearchKind } from '#domain/search/postings';
import { words } from '#domain/search/words';
import { MAX_QUERY_LENGTH, MAX_QUERY_WORDS, parseQuery } from './ranking.ts';

/** The kinds of items a search finds (the index's kinds, domain/search/postings.ts), as a tuple for the answer's enum. */
export { SEARCH_KINDS };
export type SearchKindName = SearchKind;

/** `kind`: one or more of the index's kinds, comma-separated (a kind the index does not hold is refused). */
const KINDS = new RegExp(`^(?:${SEARCH_KINDS.join('|')})(?:,(?:${SEARCH_KINDS.join('|')}))*$`);

export const SearchQuery = z.lazy(() =>
  z
    .strictObject({
      q: text(MAX_QUERY_LENGTH).check(
        z.meta({
          description: `The words to find, all of them (at most ${MAX_QUERY_WORDS} distinct words, ${MAX_QUERY_LENGTH} characters): case, accents, elisions and simple plurals do not matter, medical codes are matched whole; a "quoted phrase" ranks first the items where its words stand side by side. No wildcards.`,
        }),
      ),
      kind: z.optional(
        z
          .string()
          .check(
            z.regex(KINDS, `kinds are ${SEARCH_KINDS.join(', ')} (comma-separated)`),
            z.meta({ description: `Only these kinds, comma-separated: ${SEARCH_KINDS.join(', ')}` }),
          ),
      ),
      from: z.optional(Day.check(z.meta({ description: 'Items dated on or after this day' }))),
      to: z.optional(Day.check(z.meta({ description: 'Items dated on or before this day' }))),
      limit: z.optional(PageLimit),
      cursor: z.optional(PageCursor),
    })
    .check(z.refine((s) => !s.from || !s.to || s.from <= s.to, { message: '`from` is after `to`', path: ['from'] })),
);

/** What the search refuses in a query (wildcards only, no searchable word, too many words), by its own rules (ranking.ts). */
export const queryFault = (q: string): string | undefined => {
  const terms = parseQuery(q.trim(), words);
  return 'fault' in terms ? terms.fault : undefined;
};

/**
 * Several parameters' words as one query (FHIR `_content` and `_text` given together: every word
 * of both); a quote one leaves open is closed at its end, so that no phrase runs into the next.
 */
export const joinedWords = (...parts: (string | undefined)[]): string | undefined => {
  const given = parts.filter((p): p is string => p !== undefined);
  return given.length === 0 ? undefined : given.map((p) => (p.split('"').length % 2 === 0 ? `${p}"` : p)).join(' ');
};

/**
 * Words to find as another interface's parameter takes them (FHIR `_content`, `_text`): this
 * search's query, checked by its own rules when the request is read, so that a refusal names that
 * parameter.
 */
export const SearchWords = z.lazy(() =>
  text(MAX_QUERY_LENGTH).check(
    z.superRefine((q, ctx) => {
      const fault = queryFault(q);
      if (fault) ctx.addIssue({ code: 'custom', message: fault });
    }),
    z.meta({
      description: `Words to find, all of them (at most ${MAX_QUERY_WORDS} distinct words, ${MAX_QUERY_LENGTH} characters), as the record’s keyword search finds them: case, accents, elisions and simple plurals do not matter; no wildcards`,
    }),
  ),
);

export const SearchHit = z.lazy(() =>
  z.strictObject({
    kind: z.enum(SEARCH_KINDS),
    id: z
      .string()
      .check(z.meta({ description: 'The item’s id as its own route names it: a documentId, a claims lineId, a vaccination id, a measurement’s LOINC code, a profile entry id' })),
    date: z.string().check(z.meta({ description: 'The item’s day (or instant): of service, of care, of vaccination, of the latest measurement' })),
    title: z.string().check(z.meta({ description: 'Its title or label' })),
    field: z.string().check(z.meta({ description: 'The field the words were found in (title, text, label, code…)' })),
  }),
);

export const SearchResults = z.lazy(() => z.strictObject({ items: z.array(SearchHit), nextCursor: z.nullable(z.string()) }));

/**
 * The keyword search's rules, on postings built here (no index, no table): the query's terms and
 * its refusals, the intersection of several words, the ranking of phrases side by side, the order
 * and the cursor's positions, and the filters.
 */
import { safeParse } from 'zod/mini';
import { describe, expect, it } from 'vitest';
import { joinedWords, queryFault, SearchWords } from '../../functions/capabilities/search/schemas.ts';
import { words } from '../../functions/domain/search/words.ts';
import {
  MAX_QUERY_WORDS,
  POSITION_SHAPE,
  following,
  compare,
  matchAll,
  parseQuery,
  positionOf,
  positionText,
  within,
  type Match,
  type PostingLike,
  type Terms,
} from '../../functions/capabilities/search/ranking.ts';

const terms = (q: string): Terms => {
  const t = parseQuery(q, words);
  if ('fault' in t) throw new Error(t.fault);
  return t;
};

/** The postings of a few items, as the index would give them for each word. */
const index = (items: { kind: string; id: string; date: string; fields: Record<string, string> }[]): Map<string, PostingLike[]> => {
  const byWord = new Map<string, PostingLike[]>();
  for (const item of items) {
    for (const [field, text] of Object.entries(item.fields)) {
      const ws = words(text);
      const at = new Map<string, number[]>();
      ws.forEach((w, i) => {
        at.set(w, [...(at.get(w) ?? []), i]);
      });
      for (const [w, positions] of at) {
        byWord.set(w, [...(byWord.get(w) ?? []), { kind: item.kind, id: item.id, date: item.date, title: item.fields.title ?? item.id, field, positions }]);
      }
    }
  }
  return byWord;
};

const ids = (ms: Match[]) => ms.map((m) => m.id);

const ITEMS = index([
  { kind: 'document', id: 'd1', date: '2024-01-10', fields: { title: 'Scanner thorax', text: 'Scanner du thorax sans injection, pas d’anomalie.' } },
  { kind: 'document', id: 'd2', date: '2025-03-01', fields: { title: 'Compte rendu', text: 'Thorax normal. Un scanner est prévu.' } },
  { kind: 'document', id: 'd3', date: '2023-05-05', fields: { title: 'Scanner cérébral', text: 'Rien à signaler.' } },
  { kind: 'claim', id: 'c1', date: '2025-06-01', fields: { label: 'AMOXICILLINE 1 G CPR', code: '3400930000000' } },
  { kind: 'profile', id: 'p1', date: '2022-01-01', fields: { substance: 'Allergie à l’amoxicilline' } },
]);

describe('the query', () => {
  it('keeps the distinct normalised words and the quoted phrases', () => {
    const t = terms('"Scanner Thorax" scanners l’allergie');
    expect(t.words).toEqual(words('scanner thorax allergie'));
    expect(t.phrases).toEqual([words('scanner thorax')]);
  });

  it('refuses wildcards only, no searchable word, and more than a handful of words', () => {
    for (const q of ['*', '%', '?', ' * % ? ', '"*"', '__']) expect(parseQuery(q, words)).toHaveProperty('fault');
    expect(parseQuery('le la les', words)).toEqual({ fault: 'the query holds no searchable word' });
    const many = Array.from({ length: MAX_QUERY_WORDS + 1 }, (_, i) => `mot${'x'.repeat(i + 1)}ab`).join(' ');
    expect(words(many)).toHaveLength(MAX_QUERY_WORDS + 1);
    expect(parseQuery(many, words)).toHaveProperty('fault');
    // The same word repeated counts once.
    expect(parseQuery(Array.from({ length: 20 }, () => 'thorax').join(' '), words)).toEqual({ words: ['thorax'], phrases: [] });
  });

  it('runs a quote left open to the end', () => {
    expect(terms('allergie "scanner thorax').phrases).toEqual([words('scanner thorax')]);
  });
});

describe('matching', () => {
  it('finds one word in every field of every kind, newest first', () => {
    expect(ids(matchAll(terms('amoxicilline'), ITEMS))).toEqual(['c1', 'p1']);
    expect(matchAll(terms('amoxicilline'), ITEMS).map((m) => m.field)).toEqual(['label', 'substance']);
    expect(ids(matchAll(terms('scanner'), ITEMS))).toEqual(['d2', 'd1', 'd3']);
  });

  it('several words: only the items holding all of them, in any field', () => {
    expect(ids(matchAll(terms('scanner thorax'), ITEMS))).toEqual(['d2', 'd1']);
    expect(ids(matchAll(terms('scanner amoxicilline'), ITEMS))).toEqual([]);
    expect(ids(matchAll(terms('scanner inconnu'), ITEMS))).toEqual([]);
  });

  it('a quoted phrase ranks first the items where its words stand side by side, in order', () => {
    const ms = matchAll(terms('"scanner thorax"'), ITEMS);
    // d1 holds "scanner thorax" in its title (d2, newer, holds both words apart).
    expect(ids(ms)).toEqual(['d1', 'd2']);
    expect(ms.map((m) => [m.adjacent, m.field])).toEqual([
      [true, 'title'],
      [false, 'text'],
    ]);
    // Out of order is not side by side.
    expect(matchAll(terms('"thorax scanner"'), ITEMS).map((m) => m.adjacent)).toEqual([false, false]);
    // Without quotes, newest first.
    expect(ids(matchAll(terms('scanner thorax'), ITEMS))).toEqual(['d2', 'd1']);
  });

  it('a code matches whole', () => {
    expect(ids(matchAll(terms('3400930000000'), ITEMS))).toEqual(['c1']);
    expect(ids(matchAll(terms('340093'), ITEMS))).toEqual([]);
  });
});

describe('pages and filters', () => {
  it('positions round-trip through the cursor shape, and order the matches strictly', () => {
    const ms = matchAll(terms('"scanner thorax"'), ITEMS);
    for (const m of ms) {
      const text = positionText(m);
      expect(POSITION_SHAPE.test(text)).toBe(true);
      expect(compare(positionOf(text), m)).toBe(0);
    }
    expect(ids(following(ms, positionOf(positionText(ms[0] as Match))))).toEqual(['d2']);
    expect(following(ms, positionOf(positionText(ms[1] as Match)))).toEqual([]);
    expect(POSITION_SHAPE.test('0|2024-01-01|secret|x')).toBe(false);
  });

  it('filters by kind and by day, both included', () => {
    const ms = matchAll(terms('amoxicilline'), ITEMS);
    expect(ids(within(ms, { kinds: new Set(['profile']) }))).toEqual(['p1']);
    expect(ids(within(ms, { from: '2025-06-01' }))).toEqual(['c1']);
    expect(ids(within(ms, { to: '2022-01-01' }))).toEqual(['p1']);
    expect(ids(within(ms, { from: '2022-01-02', to: '2025-05-31' }))).toEqual([]);
  });
});

describe('words of other parameters (FHIR _content, _text): the query the search takes', () => {
  it('joins several parameters’ words, closing a quote one leaves open so that no phrase runs into the next', () => {
    expect(joinedWords(undefined, undefined)).toBeUndefined();
    expect(joinedWords('hémoglobine', undefined)).toBe('hémoglobine');
    expect(joinedWords('"bilan sanguin', 'glyquée')).toBe('"bilan sanguin" glyquée');
    expect(joinedWords('"bilan sanguin"', 'glyquée')).toBe('"bilan sanguin" glyquée');
    const joined = parseQuery(joinedWords('"bilan sanguin', 'glyquée') ?? '', words);
    expect(joined).toEqual({ words: words('bilan sanguin glyquée'), phrases: [words('bilan sanguin')] });
  });

  it('refuses by the search’s own rules, and a refusal of each parameter names it', () => {
    expect(queryFault('bilan sanguin')).toBeUndefined();
    expect(queryFault('* %')).toMatch(/wildcards/);
    expect(queryFault(Array.from({ length: 9 }, (_, i) => `mot${i}`).join(' '))).toMatch(/at most/);
    const refused = safeParse(SearchWords, '**');
    expect(refused.success).toBe(false);
    expect(safeParse(SearchWords, 'bilan').success).toBe(true);
  });
});

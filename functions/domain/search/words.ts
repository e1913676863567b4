/**
 * The words of a text as the keyword index sees them, the same for what is indexed and for what is
 * searched, so that « l'Allergie », « allergies » and « ALLERGIE » all find one another.
 *
 * A text is cut into candidates (letters and digits, joined by an inner hyphen, dot, slash or
 * apostrophe). An elided article or pronoun in front of an apostrophe (l', d', qu', jusqu'…) is
 * dropped. A candidate holding a digit is a code (LOINC 4548-4, ATC J01CA04, CIP 3400930000000,
 * HbA1c, a date): kept whole, only lower-cased and stripped of accents. Any other candidate is
 * split at its hyphens, dots and slashes into words, each lower-cased, stripped of accents,
 * ligatures spelt out (œ → oe, æ → ae), and reduced by simple French plural and feminine endings
 * (-s, -x, -aux → -al, -euse → -eux, -ive → -if, -ienne → -ien, -elle → -el, -ère → -er, -e),
 * applied until none applies, so that the reduction of a reduced word is itself. Very common
 * words (articles, prepositions, pronouns) and single letters are left out: they would sit in every
 * document's index and tell nothing. A word's index in the result is its position (phrases).
 */

/** Elided forms dropped in front of an apostrophe. */
const ELIDED = new Set(['l', 'd', 'j', 'm', 'n', 's', 't', 'c', 'qu', 'jusqu', 'lorsqu', 'puisqu', 'quoiqu', 'presqu']);

/** Words too common to be worth a token (compared before and after reduction). */
const STOP = new Set(
  [
    'le',
    'la',
    'les',
    'un',
    'une',
    'des',
    'du',
    'de',
    'au',
    'aux',
    'et',
    'ou',
    'en',
    'a',
    'dans',
    'par',
    'pour',
    'sur',
    'avec',
    'sans',
    'ce',
    'ces',
    'cet',
    'cette',
    'se',
    'sa',
    'son',
    'ses',
    'il',
    'elle',
    'ils',
    'elles',
    'on',
    'ne',
    'pas',
    'que',
    'qui',
    'est',
    'sont',
    'the',
    'of',
    'and',
    'to',
    'in',
  ].map((w) => w.normalize('NFD')),
);

/** Words longer than this are left out (no useful word or code is that long; bounds an item's size). */
const MAX_WORD = 64;

const CANDIDATE = /[\p{L}\p{N}]+(?:[-./'’][\p{L}\p{N}]+)*/gu;
const HAS_DIGIT = /\p{N}/u;

/** Lower case, accents removed, ligatures spelt out. */
const fold = (s: string): string => s.toLowerCase().replace(/œ/g, 'oe').replace(/æ/g, 'ae').normalize('NFKD').replace(/\p{M}/gu, '').toLowerCase();

/** One reduction step, or the word unchanged when none applies. Each step shortens the word. */
const step = (w: string): string => {
  if (w.length < 4) return w;
  if (w.endsWith('aux')) return `${w.slice(0, -3)}al`;
  if (/(?:au|eu|ou)x$/.test(w)) return w.slice(0, -1);
  if (w.endsWith('s') && !w.endsWith('ss')) return w.slice(0, -1);
  if (w.endsWith('euse')) return `${w.slice(0, -4)}eux`;
  if (w.endsWith('ive')) return `${w.slice(0, -3)}if`;
  if (w.endsWith('ienne')) return `${w.slice(0, -5)}ien`;
  if (w.endsWith('elle')) return `${w.slice(0, -4)}el`;
  if (w.endsWith('ere')) return `${w.slice(0, -3)}er`;
  if (w.endsWith('e')) return w.slice(0, -1);
  return w;
};

/** Reduced until no step applies: the reduction of a reduced word is itself. */
const reduce = (w: string): string => {
  let current = w;
  for (;;) {
    const next = step(current);
    if (next === current) return current;
    current = next;
  }
};

const wordOf = (folded: string): string | undefined => {
  if (folded.length > MAX_WORD || STOP.has(folded)) return undefined;
  const reduced = reduce(folded);
  if (reduced.length < 2 || STOP.has(reduced)) return undefined;
  return reduced;
};

/** The normalised words of a text, in order (a word's index is its position). */
export const words = (text: string): string[] => {
  const out: string[] = [];
  // Folded first, whole: what is cut below is already lower case and without accents.
  for (const [candidate] of fold(text).matchAll(CANDIDATE)) {
    const parts = candidate.split(/['’]/);
    const first = parts[0];
    if (parts.length > 1 && first !== undefined && ELIDED.has(first)) parts.shift();
    for (const part of parts) {
      if (HAS_DIGIT.test(part)) {
        if (part.length <= MAX_WORD) out.push(part);
        continue;
      }
      for (const piece of part.split(/[-./]/)) {
        const word = piece === '' ? undefined : wordOf(piece);
        if (word !== undefined) out.push(word);
      }
    }
  }
  return out;
};

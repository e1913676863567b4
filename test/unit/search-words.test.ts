/**
 * The words of the keyword index (functions/domain/search/words.ts): French normalisation (case,
 * accents, ligatures, elision, simple plural and feminine endings), medical codes kept whole,
 * positions in order. Properties over generated French-like text, and examples.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { postingsOf, MAX_POSITIONS } from '../../functions/domain/search/postings.ts';
import { words } from '../../functions/domain/search/words.ts';

const LETTERS = 'abcdefghijklmnopqrstuvwxyzàâäçéèêëîïôöùûüÿœæ';
const word = fc.string({ unit: fc.constantFrom(...LETTERS), minLength: 1, maxLength: 14 });
const code = fc.oneof(
  fc.stringMatching(/^[0-9]{3,5}-[0-9]$/), // LOINC
  fc.stringMatching(/^[A-Z][0-9]{2}[A-Z]{2}[0-9]{2}$/), // ATC
  fc.stringMatching(/^3400[0-9]{9}$/), // CIP13
);
const separator = fc.constantFrom(' ', ', ', '. ', ' ; ', '\n', ' (', ') ', ' « ', ' » ', " l'", " d'", " qu'", ' l’');
const text = fc
  .array(fc.tuple(fc.oneof({ weight: 4, arbitrary: word }, { weight: 1, arbitrary: code }), separator), { maxLength: 30 })
  .map((parts) => parts.map(([w, s]) => w + s).join(''));

describe('words', () => {
  it('is idempotent: the words of the words are the words', () => {
    fc.assert(
      fc.property(text, (t) => {
        expect(words(words(t).join(' '))).toEqual(words(t));
      }),
    );
  });

  it('ignores case and accents', () => {
    fc.assert(
      fc.property(text, (t) => {
        const bare = t.normalize('NFD').replace(/\p{M}/gu, '');
        expect(words(t.toUpperCase())).toEqual(words(t));
        expect(words(bare)).toEqual(words(t));
      }),
    );
  });

  it('drops an elided article or pronoun: « l’allergie » is « allergie »', () => {
    fc.assert(
      fc.property(word, fc.constantFrom("l'", 'l’', "d'", "qu'", "jusqu'", 'L’', "D'"), (w, elision) => {
        expect(words(`${elision}${w}`)).toEqual(words(w));
      }),
    );
    expect(words("L'allergie à l’amoxicilline d'Hélène")).toEqual(['allergi', 'amoxicillin', 'helen']);
  });

  it('takes simple plurals and feminines to one word', () => {
    const same = [
      ['allergie', 'allergies', 'Allergies', 'ALLERGIE'],
      ['médical', 'médicaux', 'médicale', 'médicales'],
      ['positif', 'positive', 'positifs', 'positives'],
      ['douloureux', 'douloureuse', 'douloureuses'],
      ['infirmier', 'infirmière', 'infirmières'],
      ['chronique', 'chroniques'],
      ['œdème', 'oedeme', 'Œdèmes'],
    ];
    for (const forms of same) expect(new Set(forms.flatMap((f) => words(f))), forms.join(' ')).toHaveProperty('size', 1);
    expect(words('scanner thorax')).toEqual(words('Scanners Thorax'));
  });

  it('keeps medical codes whole, lower case', () => {
    expect(words('LOINC 4548-4, ATC J01CA04, CIP 3400930000000, HbA1c à 7,2 %')).toEqual(['loinc', '4548-4', 'atc', 'j01ca04', 'cip', '3400930000000', 'hba1c', '7', '2']);
    fc.assert(
      fc.property(code, (c) => {
        expect(words(`le code ${c}.`)).toEqual(['cod', c.toLowerCase()]);
      }),
    );
  });

  it('gives each word its position, and leaves out very common words and single letters', () => {
    expect(words('Le scanner du thorax a été fait')).toEqual(['scanner', 'thorax', 'ete', 'fait']);
    expect(words('')).toEqual([]);
    expect(words('— … ! ?')).toEqual([]);
    expect(words('x'.repeat(65))).toEqual([]);
  });
});

describe('postingsOf', () => {
  it('gives one posting per distinct word and field, with its positions in the field', () => {
    const { postings, complete } = postingsOf('document', [
      { id: 'd1', date: '2026-11-20', title: 'Scanner thorax', field: 'title', text: 'Scanner thorax' },
      { id: 'd1', date: '2026-11-20', title: 'Scanner thorax', field: 'text', text: 'Un scanner du thorax, puis un autre scanner.' },
    ]);
    expect(complete).toBe(true);
    expect(postings.map((p) => [p.word, p.fieldIndex, p.posting.field, p.posting.positions])).toEqual([
      ['scanner', 0, 'title', [0]],
      ['thorax', 0, 'title', [1]],
      ['scanner', 1, 'text', [0, 4]],
      ['thorax', 1, 'text', [1]],
      ['pui', 1, 'text', [2]],
      ['autr', 1, 'text', [3]],
    ]);
  });

  it('bounds the positions of a word', () => {
    const { postings } = postingsOf('document', [{ id: 'd', date: 'd', title: 't', field: 'text', text: 'allergie '.repeat(500) }]);
    expect(postings).toHaveLength(1);
    expect(postings[0]?.posting.positions).toHaveLength(MAX_POSITIONS);
  });
});

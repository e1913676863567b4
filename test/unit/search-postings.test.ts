/**
 * A document's access facts as its postings carry them (domain/search/postings.ts): what the index
 * job writes reads back as the very facts the access policy decides on, and anything else a list
 * could hold (an older posting, a damaged one) reads as none, so that the search reads the
 * document itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { DocumentFacts } from '../../functions/domain/access-policy.ts';
import { documentStateOf, documentStateTuple, postingsOf } from '../../functions/domain/search/postings.ts';

const facts = fc.record({
  status: fc.constantFrom('current', 'archived', 'superseded', 'deleted'),
  labels: fc.record({ maskedToProfessionals: fc.boolean(), invisibleToPatient: fc.boolean(), invisibleToRepresentatives: fc.boolean() }),
  classCode: fc.string({ maxLength: 12 }),
  typeCode: fc.string({ maxLength: 12 }),
  author: fc.record({ kind: fc.constantFrom('professional', 'patient', 'representative'), id: fc.string({ maxLength: 40 }) }),
}) satisfies fc.Arbitrary<DocumentFacts>;

describe('a document’s access facts in its postings', () => {
  it('read back exactly as written, through the JSON a list is sealed as', () => {
    fc.assert(
      fc.property(facts, (f) => {
        expect(documentStateOf(JSON.parse(JSON.stringify(documentStateTuple(f))))).toEqual(f);
      }),
    );
  });

  it('each label is its own flag, in a fixed order', () => {
    const f: DocumentFacts = {
      status: 'archived',
      labels: { maskedToProfessionals: true, invisibleToPatient: false, invisibleToRepresentatives: true },
      classCode: '11',
      typeCode: '11488-4',
      author: { kind: 'patient', id: 'p1' },
    };
    expect(documentStateTuple(f)).toEqual(['archived', '101', '11', '11488-4', 'patient', 'p1']);
  });

  it('none, when a posting carries none or not in this shape', () => {
    for (const t of [
      undefined,
      null,
      'current',
      {},
      [],
      ['current', '000', '11', '11488-4', 'professional'],
      ['current', '000', '11', '11488-4', 'professional', 'x', 'extra'],
      ['open', '000', '11', '11488-4', 'professional', 'x'],
      ['current', '0001', '11', '11488-4', 'professional', 'x'],
      ['current', '0a0', '11', '11488-4', 'professional', 'x'],
      ['current', '000', '11', '11488-4', 'insurer', 'x'],
      ['current', '000', 11, '11488-4', 'professional', 'x'],
    ]) {
      expect(documentStateOf(t), JSON.stringify(t)).toBeUndefined();
    }
  });

  it('every posting of a source carries the facts of its fields, and only a document’s', () => {
    const state = documentStateTuple({
      status: 'current',
      labels: { maskedToProfessionals: false, invisibleToPatient: true, invisibleToRepresentatives: false },
      classCode: '11',
      typeCode: 't',
      author: { kind: 'professional', id: '1' },
    });
    const doc = postingsOf('document', [
      { id: 'd', date: '2026-01-01', title: 'Bilan', field: 'title', text: 'Bilan sanguin', state },
      { id: 'd', date: '2026-01-01', title: 'Bilan', field: 'text', text: 'glycémie normale', state },
    ]);
    expect(doc.postings).toHaveLength(4);
    expect(doc.postings.every((p) => p.posting.state === state)).toBe(true);
    const line = postingsOf('claim', [{ id: 'l', date: '2026-01-01', title: 'X', field: 'display', text: 'amoxicilline' }]);
    expect(line.postings[0]?.posting).not.toHaveProperty('state');
  });
});

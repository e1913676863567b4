/**
 * What the keyword index holds, before it is made blind (adapters/search-index.ts): a source (a
 * document, a claims line, the health profile, a vaccination, a measured code) gives fields of
 * text; each normalised word of a field becomes one posting, which says where a reader finds the
 * item and where the word stands in the field. Pure.
 */
import type { DocumentFacts, DocumentStatus } from '../access-policy.ts';
import { DOCUMENT_AUTHOR_KINDS } from '../documents.ts';
import { words } from './words.ts';

/** The kinds of items the index holds (and a search may be narrowed to). */
export const SEARCH_KINDS = ['document', 'claim', 'profile', 'vaccination', 'measurement'] as const;
export type SearchKind = (typeof SEARCH_KINDS)[number];

/** One normalised word in one field of one item: where the reader finds the item, and where the word stands. */
export interface Posting {
  kind: SearchKind;
  /** The id a reader fetches the item with (documentId, claims line id, vaccination id, measurement code, profile entry id). */
  id: string;
  /** The item's date (YYYY-MM-DD or an instant), for ordering and date filters. */
  date: string;
  /** The item's title or label, as a result shows it. */
  title: string;
  /** The field the word is in: title, text, display, code, allergies.substance… */
  field: string;
  /** The word's positions in that field (its indexes in words(field's text)). */
  positions: number[];
  /** A document's access facts as the index job read them (documentStateOf reads them back). */
  state?: DocumentStateTuple;
}

/**
 * A document's access facts in a posting, compact (every posting of the document carries them):
 * status, labels as three 0/1 flags (masked to professionals, invisible to the patient, to
 * representatives), class and type codes, author kind and id.
 */
export type DocumentStateTuple = [status: DocumentStatus, labels: string, classCode: string, typeCode: string, authorKind: DocumentFacts['author']['kind'], authorId: string];

const STATUSES: readonly string[] = ['current', 'archived', 'superseded', 'deleted'] satisfies DocumentStatus[];
const AUTHOR_KINDS: readonly string[] = DOCUMENT_AUTHOR_KINDS;
const flag = (b: boolean) => (b ? '1' : '0');

export const documentStateTuple = (d: DocumentFacts): DocumentStateTuple => [
  d.status,
  `${flag(d.labels.maskedToProfessionals)}${flag(d.labels.invisibleToPatient)}${flag(d.labels.invisibleToRepresentatives)}`,
  d.classCode,
  d.typeCode,
  d.author.kind,
  d.author.id,
];

/** The access facts a posting carries, or undefined when it carries none (or not in this shape). */
export const documentStateOf = (t: unknown): DocumentFacts | undefined => {
  if (!Array.isArray(t) || t.length !== 6 || !t.every((v) => typeof v === 'string')) return undefined;
  const [status, labels, classCode, typeCode, kind, id] = t as string[];
  if (!STATUSES.includes(status ?? '') || !/^[01]{3}$/.test(labels ?? '') || !AUTHOR_KINDS.includes(kind ?? '')) return undefined;
  return {
    status: status as DocumentStatus,
    labels: { maskedToProfessionals: labels?.[0] === '1', invisibleToPatient: labels?.[1] === '1', invisibleToRepresentatives: labels?.[2] === '1' },
    classCode: classCode ?? '',
    typeCode: typeCode ?? '',
    author: { kind: kind as DocumentFacts['author']['kind'], id: id ?? '' },
  };
};

/** A field of text of one item of a source (the health profile gives several items). */
export interface SourceField {
  id: string;
  date: string;
  title: string;
  field: string;
  text: string;
  /** A document's access facts when it was read (documentStateTuple), carried by each of its postings. */
  state?: DocumentStateTuple;
}

/** A posting to write, with its word and the ordinal of its field within the source (part of its key). */
export interface IndexedWord {
  word: string;
  fieldIndex: number;
  posting: Posting;
}

/** Positions kept per posting: enough to rank adjacent words first, and a bounded item size. */
export const MAX_POSITIONS = 64;
/**
 * Postings of one source at most (distinct words of all its fields): a source's manifest lists
 * them in one item, under DynamoDB's item limit; a longer text is indexed up to there.
 */
export const MAX_POSTINGS_PER_SOURCE = 6000;

/** The postings of a source's fields: one per distinct word of each field, in the order met. */
export const postingsOf = (kind: SearchKind, fields: readonly SourceField[]): { postings: IndexedWord[]; complete: boolean } => {
  const postings: IndexedWord[] = [];
  let complete = true;
  fields.forEach((f, fieldIndex) => {
    const byWord = new Map<string, IndexedWord>();
    words(f.text).forEach((word, position) => {
      const known = byWord.get(word);
      if (known) {
        if (known.posting.positions.length < MAX_POSITIONS) known.posting.positions.push(position);
        return;
      }
      if (postings.length >= MAX_POSTINGS_PER_SOURCE) {
        complete = false;
        return;
      }
      const posting: IndexedWord = {
        word,
        fieldIndex,
        posting: { kind, id: f.id, date: f.date, title: f.title, field: f.field, positions: [position], ...(f.state ? { state: f.state } : {}) },
      };
      byWord.set(word, posting);
      postings.push(posting);
    });
  });
  return { postings, complete };
};

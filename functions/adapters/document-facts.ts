/**
 * A document version's facts of care (type and class codes, service date, content type, author),
 * sealed together in one attribute (`facts`) of its metadata item with the record's data key, bound
 * to the item (its sort key, DOC#<documentId>) and the attribute: the documents store seals and
 * opens them, and the care team opens them to see who deposited (adapters/deposits.ts).
 */
import { DOCUMENT_AUTHOR_KINDS, type DocumentAuthor } from '#domain/documents';
import type { DataKey } from '#domain/ports';
import { openJson, SealedValueError, sealJson } from './envelope.ts';

export interface DocumentFactsOfCare {
  typeCode: string;
  classCode: string;
  serviceDate: string;
  contentType: string;
  author: DocumentAuthor;
}

const AUTHOR_KINDS: readonly string[] = DOCUMENT_AUTHOR_KINDS;

/** Seals exactly the facts of care (whatever else `facts` carries, such as a new document's content, stays out). */
export const sealFacts = (key: DataKey, itemSk: string, facts: DocumentFactsOfCare): Uint8Array =>
  sealJson(key, itemSk, 'facts', {
    typeCode: facts.typeCode,
    classCode: facts.classCode,
    serviceDate: facts.serviceDate,
    contentType: facts.contentType,
    author: { kind: facts.author.kind, id: facts.author.id, ...(facts.author.profession ? { profession: facts.author.profession } : {}) },
  });

/** The facts of one item, opened; a foreign or incomplete seal throws SealedValueError. */
export const openFacts = (key: DataKey, itemSk: string, sealed: Uint8Array): DocumentFactsOfCare => {
  const f = openJson<Partial<DocumentFactsOfCare>>(key, itemSk, 'facts', sealed);
  const a = f.author;
  const complete = [f.typeCode, f.classCode, f.serviceDate, f.contentType, a?.id].every((v) => typeof v === 'string');
  if (!complete || !a || !AUTHOR_KINDS.includes(a.kind)) throw new SealedValueError('sealed facts incomplete');
  return {
    typeCode: f.typeCode as string,
    classCode: f.classCode as string,
    serviceDate: f.serviceDate as string,
    contentType: f.contentType as string,
    author: { kind: a.kind, id: a.id, ...(typeof a.profession === 'string' ? { profession: a.profession } : {}) },
  };
};

/**
 * FHIR logical ids of the DMP's data. A FHIR id is 1 to 64 of [A-Za-z0-9-.], a record's id
 * (dmpId) is base64url ([A-Za-z0-9_-]): a Patient's id is its dmpId with `_` written `.` (a
 * character no dmpId holds, so the mapping goes both ways). A document lives in its record: a
 * DocumentReference's id (and its content's, the Binary's) is the document's id, a `-`, then the
 * record's Patient id, so that a read finds the record without an index and a document of one
 * record is never found under another's id.
 */
import { DMP_ID } from '../identifiers.ts';
import { DOCUMENT_ID } from '../documents.ts';

export const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

export const patientId = (dmpId: string): string => dmpId.replaceAll('_', '.');

/** The record of a Patient id, or undefined when the id cannot be one. */
export const dmpIdOf = (id: string): string | undefined => {
  if (!FHIR_ID.test(id)) return undefined;
  const dmpId = id.replaceAll('.', '_');
  return DMP_ID.test(dmpId) ? dmpId : undefined;
};

const DOCUMENT_ID_LENGTH = 25;

export const documentResourceId = (dmpId: string, documentId: string): string => `${documentId}-${patientId(dmpId)}`;

/** The record and document of a DocumentReference (or Binary) id, or undefined when the id cannot be one. */
export const documentOf = (id: string): { dmpId: string; documentId: string } | undefined => {
  if (!FHIR_ID.test(id) || id[DOCUMENT_ID_LENGTH] !== '-') return undefined;
  const documentId = id.slice(0, DOCUMENT_ID_LENGTH);
  const dmpId = dmpIdOf(id.slice(DOCUMENT_ID_LENGTH + 1));
  return DOCUMENT_ID.test(documentId) && dmpId ? { dmpId, documentId } : undefined;
};

/** A reference to a Patient as a search parameter or a `subject` gives it: `Patient/<id>`, or the id alone. */
export const dmpIdOfReference = (reference: string): string | undefined => {
  const m = /^(?:Patient\/)?([^/]+)$/.exec(reference);
  return m?.[1] ? dmpIdOf(m[1]) : undefined;
};

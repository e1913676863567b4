/**
 * The DMP's data as FHIR R4 resources, and a deposited DocumentReference as the documents' deposit:
 * pure mappings, no access decision (the use cases that produce the data decided already).
 *
 * - Patient: the record's identity (names, birth date, sex), its status as `active`.
 * - DocumentReference (MHD): the document's type (LOINC, or urn:dmp:document-type for the DMP's
 *   own codes), class (TRE_A03) as category, title as description, day of care as
 *   context.period.start, deposit instant as date, author, status (an archived document is
 *   `current` with the tag `archived`: FHIR has no archived state), the version it replaces as
 *   relatesTo, its labels as meta.security and securityLabel (system urn:dmp:document-label), its
 *   content as an attachment whose url is its Binary.
 * - Binary: the content, base64, with the DocumentReference as its securityContext.
 */
import type { Attachment, Binary, Coding, DocumentReference, Patient, Practitioner, Reference, RelatedPerson } from '@medplum/fhirtypes';
import type { DocumentLabels } from '#domain/access-policy';
import { documentResourceId, documentOf, dmpIdOfReference, patientId } from '#domain/fhir/ids';
import type { Identity } from '#domain/records';
import { documentType } from '#domain/reference-data';
import type { DocumentReferenceBody } from './schemas.ts';

export const LOINC = 'http://loinc.org';
export const DMP_DOCUMENT_TYPE = 'urn:dmp:document-type';
/** The class codes of document types (TRE_A03, ASIP Santé). */
const CLASS_CODE_SYSTEM = 'urn:oid:1.2.250.1.213.1.1.4.1';
/** The DMP's labels of a document, as FHIR security labels. */
export const LABEL_SYSTEM = 'urn:dmp:document-label';
const STATUS_TAG_SYSTEM = 'urn:dmp:document-status';
/** A health professional's national id (IdNat_PS). */
const PROFESSIONAL_ID_SYSTEM = 'urn:oid:1.2.250.1.71.4.2.1';

const LABEL_CODES = {
  maskedToProfessionals: 'masked-to-professionals',
  invisibleToPatient: 'invisible-to-patient',
  invisibleToRepresentatives: 'invisible-to-representatives',
} as const satisfies Record<keyof DocumentLabels, string>;

const LOINC_CODE = /^[0-9]{1,7}-[0-9]$/;

export const typeCoding = (typeCode: string): Coding => {
  const display = documentType(typeCode)?.display;
  return { system: LOINC_CODE.test(typeCode) ? LOINC : DMP_DOCUMENT_TYPE, code: typeCode, ...(display ? { display } : {}) };
};

const GENDER = { F: 'female', M: 'male', U: 'unknown' } as const;

export const patientResource = (dmpId: string, active: boolean, identity: Identity): Patient => ({
  resourceType: 'Patient',
  id: patientId(dmpId),
  active,
  name: [{ use: 'official', family: identity.familyName, given: identity.givenNames.split(/\s+/).filter((g) => g.length > 0) }],
  gender: GENDER[identity.sex],
  birthDate: identity.birthDate,
});

/** A document as /v1 shows it (GET …/documents and …/documents/{id}): what the DocumentReference is made of. */
export interface DocumentView {
  documentId: string;
  version: number;
  typeCode: string;
  classCode: string;
  title: string;
  serviceDate: string;
  depositedAt: string;
  author: { kind: 'professional' | 'patient' | 'representative'; id: string; profession?: string | undefined };
  status: 'current' | 'archived' | 'superseded';
  visibility: DocumentLabels;
  size: number;
  contentType: string;
  replaces?: string | undefined;
}

const labelCodings = (labels: DocumentLabels): Coding[] =>
  (Object.keys(LABEL_CODES) as (keyof DocumentLabels)[]).filter((k) => labels[k]).map((k) => ({ system: LABEL_SYSTEM, code: LABEL_CODES[k] }));

const authorReference = (dmpId: string, author: DocumentView['author']): Reference<Patient | Practitioner | RelatedPerson> => {
  if (author.kind === 'patient') return { reference: `Patient/${patientId(dmpId)}` };
  // A representative's id is a login id (half of a credential): never in a resource.
  if (author.kind === 'representative') return { type: 'RelatedPerson', display: 'Legal representative' };
  return { type: 'Practitioner', identifier: { system: PROFESSIONAL_ID_SYSTEM, value: author.id } };
};

export const documentReference = (baseUrl: string, dmpId: string, doc: DocumentView): DocumentReference => {
  const id = documentResourceId(dmpId, doc.documentId);
  const security = labelCodings(doc.visibility);
  const attachment: Attachment = { contentType: doc.contentType, url: `${baseUrl}/Binary/${id}`, size: doc.size, title: doc.title };
  return {
    resourceType: 'DocumentReference',
    id,
    meta: {
      versionId: String(doc.version),
      ...(security.length > 0 ? { security } : {}),
      ...(doc.status === 'archived' ? { tag: [{ system: STATUS_TAG_SYSTEM, code: 'archived' }] } : {}),
    },
    status: doc.status === 'superseded' ? 'superseded' : 'current',
    type: { coding: [typeCoding(doc.typeCode)] },
    category: [{ coding: [{ system: CLASS_CODE_SYSTEM, code: doc.classCode }] }],
    subject: { reference: `Patient/${patientId(dmpId)}` },
    date: doc.depositedAt,
    author: [authorReference(dmpId, doc.author)],
    description: doc.title,
    ...(security.length > 0 ? { securityLabel: [{ coding: security }] } : {}),
    ...(doc.replaces ? { relatesTo: [{ code: 'replaces', target: { reference: `DocumentReference/${documentResourceId(dmpId, doc.replaces)}` } }] } : {}),
    content: [{ attachment }],
    context: { period: { start: doc.serviceDate } },
  };
};

export const binaryResource = (dmpId: string, documentId: string, contentType: string, data: string): Binary => {
  const id = documentResourceId(dmpId, documentId);
  return { resourceType: 'Binary', id, contentType, securityContext: { reference: `DocumentReference/${id}` }, data };
};

/** A deposit as POST /v1/records/{dmpId}/documents takes it, or why the DocumentReference cannot be one. */
export type DepositOf = { ok: true; dmpId: string; body: Record<string, unknown> } | { ok: false; expression: string; message: string };

const CODE_LABELS = new Map<string, keyof DocumentLabels>(Object.entries(LABEL_CODES).map(([label, code]) => [code, label as keyof DocumentLabels]));

export const depositOf = (resource: DocumentReferenceBody): DepositOf => {
  const dmpId = dmpIdOfReference(resource.subject.reference);
  if (!dmpId) return { ok: false, expression: 'DocumentReference.subject', message: 'not a Patient of this server' };
  const coding = resource.type.coding.find((c) => c.system === undefined || c.system === LOINC || c.system === DMP_DOCUMENT_TYPE);
  if (!coding) return { ok: false, expression: 'DocumentReference.type', message: `a coding of ${LOINC} or ${DMP_DOCUMENT_TYPE} is required` };
  const labels: Partial<DocumentLabels> = {};
  for (const c of [...(resource.meta?.security ?? []), ...(resource.securityLabel ?? []).flatMap((l) => l.coding)]) {
    const label = c.system === LABEL_SYSTEM ? CODE_LABELS.get(c.code) : undefined;
    if (!label) return { ok: false, expression: 'DocumentReference.securityLabel', message: `only the labels of ${LABEL_SYSTEM} are understood` };
    labels[label] = true;
  }
  let replaces: string | undefined;
  const target = resource.relatesTo?.[0]?.target.reference;
  if (target) {
    const doc = documentOf(target.slice('DocumentReference/'.length));
    if (!doc || doc.dmpId !== dmpId) return { ok: false, expression: 'DocumentReference.relatesTo', message: 'not a document of the subject’s record' };
    replaces = doc.documentId;
  }
  const [content] = resource.content;
  if (!content) return { ok: false, expression: 'DocumentReference.content', message: 'one content is required' };
  return {
    ok: true,
    dmpId,
    body: {
      typeCode: coding.code,
      title: resource.description,
      serviceDate: resource.context.period.start,
      contentType: content.attachment.contentType,
      content: content.attachment.data,
      ...(resource.masterIdentifier ? { uniqueId: resource.masterIdentifier.value } : {}),
      ...(replaces ? { replaces } : {}),
      ...(Object.keys(labels).length > 0 ? { visibility: labels } : {}),
    },
  };
};

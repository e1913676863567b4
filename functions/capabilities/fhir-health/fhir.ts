/**
 * What the FHIR mappers of the health data share: the patient's reference, FHIR ids made of this
 * API's ids, references to who recorded an element (by the identifiers France uses for
 * professionals), the code systems, and the searchset Bundle. Pure: no I/O.
 */
import type { Bundle, Coding, Device, Patient, Practitioner, Reference, RelatedPerson, Resource } from '@medplum/fhirtypes';
import claimsCodes from '../../../data/claims-codes.json' with { type: 'json' };
import { patientId } from '#domain/fhir/ids';

export const LOINC = 'http://loinc.org';
export const UCUM = 'http://unitsofmeasure.org';
export const ATC = 'http://www.whocc.no/atc';
/** The national identifier of health professionals (IdNat_PS: RPPS, ADELI). */
export const IDNAT_PS = 'urn:oid:1.2.250.1.71.4.2.1';
/** FINESS, the national identifier of health structures. */
export const FINESS = 'urn:oid:1.2.250.1.71.4.2.2';
/** This API's own code systems and identifiers (actors, trace actions, access modes) under one URN. */
export const DMP_SYSTEM = 'urn:dmp';

/** The code systems of the reimbursement history (CIP13, UCD…), as their OIDs (data/claims-codes.json). */
export const codeSystemUri = (name: string): string | undefined => {
  if (name === 'ATC_VALENCE' || name === 'ATC_GROUP') return ATC;
  const oid = (claimsCodes.codeSystems as Record<string, { oid: string | null } | undefined>)[name]?.oid;
  return oid ? `urn:oid:${oid}` : undefined;
};

/** A code of a named system as a Coding; a system without a known URI keeps its code alone. */
export const coding = (system: string, code: string, display?: string): Coding => {
  const uri = codeSystemUri(system);
  return { ...(uri ? { system: uri } : {}), code, ...(display !== undefined ? { display } : {}) };
};

export const patientRef = (dmpId: string): Reference<Patient> => ({ reference: `Patient/${patientId(dmpId)}` });

/** A professional, by its national identifier (IdNat_PS). */
export const practitionerRef = (id: string, display = 'Professionnel de santé'): Reference<Practitioner> => ({
  type: 'Practitioner',
  identifier: { system: IDNAT_PS, value: id },
  display,
});

/** A paired device, by this API's id of it when shown. */
export const deviceRef = (id: string | undefined): Reference<Device> => ({
  type: 'Device',
  ...(id ? { identifier: { system: `${DMP_SYSTEM}:device`, value: id } } : {}),
  display: 'Appareil connecté',
});

/**
 * A FHIR id (`[A-Za-z0-9\-.]{1,64}`) of this API's id: its ids are base64url or base32, so `_`
 * becomes `.` (which none of them holds: ids stay distinct), behind a prefix naming its kind.
 */
export const fhirId = (prefix: string, id: string): string => `${prefix}-${id.replaceAll('_', '.')}`.slice(0, 64);

/**
 * Who recorded something, as this API shows it to the reader: the patient, a professional by
 * IdNat_PS, a representative by its login id (shown to the record's holders only: otherwise the
 * reference says a representative, not which one).
 */
export const personRef = (kind: 'patient' | 'representative' | 'professional', id: string | undefined, dmpId: string): Reference<Patient | Practitioner | RelatedPerson> => {
  if (kind === 'patient') return patientRef(dmpId);
  if (kind === 'professional' && id) return practitionerRef(id);
  if (kind === 'professional') return { type: 'Practitioner', display: 'Professionnel de santé' };
  return { type: 'RelatedPerson', ...(id ? { identifier: { system: `${DMP_SYSTEM}:representative`, value: id } } : {}), display: 'Représentant légal' };
};

/** The provenance of a health profile element (its source and author, as the profile's view shows them) as a reference. */
export const sourceRef = (element: { source: 'patient' | 'representative' | 'professional'; author?: { id: string } | undefined }, dmpId: string) =>
  personRef(element.source, element.author?.id, dmpId);

/** A page of search results as a searchset Bundle, with its self link and, when more follow, its next link. */
export const searchset = (resources: readonly Resource[], links: { self: string; next?: string | undefined }): Bundle => ({
  resourceType: 'Bundle',
  type: 'searchset',
  link: [{ relation: 'self', url: links.self }, ...(links.next !== undefined ? [{ relation: 'next', url: links.next }] : [])],
  entry: resources.map((resource) => ({ resource, search: { mode: 'match' } })),
});

/**
 * The advance directives (directives anticipées, Code de la santé publique L1111-11) as a FHIR
 * Consent of scope `adr`, from the wishes as their reader gets them (health/views.ts wishesView).
 * Only directives the patient says exist make a Consent: "no directives" and the trusted person
 * are not consents to anything.
 */
import type { Consent } from '@medplum/fhirtypes';
import type { wishesView } from '../health/views.ts';
import { fhirId, LOINC, patientRef } from './fhir.ts';
import { documentResourceId } from '#domain/fhir/ids';

type WishesView = ReturnType<typeof wishesView>;

export const advanceDirectiveConsent = (dmpId: string, w: WishesView): Consent | undefined => {
  if (!w.declared || !('advanceDirectives' in w) || !w.advanceDirectives?.exist) return undefined;
  const d = w.advanceDirectives;
  return {
    resourceType: 'Consent',
    id: fhirId('adr', dmpId),
    status: 'active',
    scope: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentscope', code: 'adr', display: 'Advanced Care Directive' }] },
    category: [
      { coding: [{ system: LOINC, code: '59284-0', display: 'Patient Consent' }] },
      { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/consentcategorycodes', code: 'acd', display: 'Advance Directive' }] },
    ],
    patient: patientRef(dmpId),
    ...(d.writtenOn !== undefined ? { dateTime: d.writtenOn } : {}),
    performer: [patientRef(dmpId)],
    // The directives' document in the record, or else where the paper original is kept.
    ...(d.documentId !== undefined
      ? { sourceReference: { reference: `DocumentReference/${documentResourceId(dmpId, d.documentId)}` } }
      : d.originalKeptAt !== undefined
        ? { sourceAttachment: { title: `Original : ${d.originalKeptAt}` } }
        : {}),
    policyRule: { text: 'Code de la santé publique, article L1111-11 (directives anticipées)' },
  };
};

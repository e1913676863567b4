/**
 * A medicine line of the reimbursement history as a FHIR MedicationDispense: the pharmacy's
 * delivery of a product (CIP13 or UCD, with its ATC class) on a day, in a quantity, by a structure
 * (FINESS). MedicationDispense rather than ExplanationOfBenefit: a line says what was handed over
 * and when, which is what a reader of the history (a doctor reconciling treatments) looks for;
 * the history holds none of what an ExplanationOfBenefit requires (the insurer's adjudication,
 * amounts, the claim's insurance and provider), which would have to be made up.
 *
 * A line a minor keeps from the representatives is labelled restricted (meta.security R) for the
 * record's holders, as GET …/claims shows the flag to them only; others never get such lines.
 */
import type { MedicationDispense } from '@medplum/fhirtypes';
import type { ClaimLine } from '#domain/claims/lines';
import { ATC, coding, FINESS, fhirId, patientRef, practitionerRef } from './fhir.ts';

export const medicationDispense = (dmpId: string, lineId: string, line: ClaimLine, holder: boolean): MedicationDispense => {
  const medication = {
    coding: [
      coding(line.codeSystem, line.code, line.display),
      ...(line.atcValence !== undefined ? [{ system: ATC, code: line.atcValence }] : line.atcGroup !== undefined ? [{ system: ATC, code: line.atcGroup }] : []),
    ],
    text: line.display,
  };
  return {
    resourceType: 'MedicationDispense',
    id: fhirId('claim', lineId),
    ...(holder && line.confidential === true
      ? { meta: { security: [{ system: 'http://terminology.hl7.org/CodeSystem/v3-Confidentiality', code: 'R', display: 'restricted' }] } }
      : {}),
    // The prescription is not in the history, only its prescriber: a contained request names it.
    ...(line.prescriber
      ? {
          contained: [
            {
              resourceType: 'MedicationRequest' as const,
              id: 'prescription',
              status: 'unknown' as const,
              intent: 'order' as const,
              medicationCodeableConcept: medication,
              subject: patientRef(dmpId),
              requester: practitionerRef(line.prescriber.id, 'Prescripteur'),
            },
          ],
          authorizingPrescription: [{ reference: '#prescription' }],
        }
      : {}),
    status: 'completed',
    medicationCodeableConcept: medication,
    subject: patientRef(dmpId),
    ...(line.performer
      ? {
          performer: [
            {
              actor: {
                type: 'Organization',
                identifier: { system: FINESS, value: line.performer.finess },
                ...(line.performer.name !== undefined ? { display: line.performer.name } : {}),
              },
            },
          ],
        }
      : {}),
    ...(line.quantity !== undefined ? { quantity: { value: line.quantity } } : {}),
    whenHandedOver: line.date,
  };
};

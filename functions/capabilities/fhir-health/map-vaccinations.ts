/**
 * The vaccination record as FHIR Immunization, from a vaccination as its reader gets it
 * (vaccinations/views.ts vaccinationView), and what is due as ImmunizationRecommendation (one a
 * due item, as GET …/vaccinations/due lists them).
 *
 * A vaccination recorded by its vaccinator is a primary source; one the holders declared, or a
 * delivery of the reimbursement history (whose date is the delivery's, not the administration's),
 * is not, and says where it comes from (the patient's recall, a written record).
 */
import type { Immunization, ImmunizationRecommendation, Practitioner, Reference } from '@medplum/fhirtypes';
import type { vaccinationView } from '../vaccinations/views.ts';
import type { DueItem, DueStatus } from '#domain/vaccinations/due';
import { ATC, coding, fhirId, LOINC, patientRef, practitionerRef } from './fhir.ts';

type VaccinationView = ReturnType<ReturnType<typeof vaccinationView>>;

const ORIGIN = 'http://terminology.hl7.org/CodeSystem/immunization-origin';

const vaccineCode = (v: VaccinationView['vaccine']) => ({
  coding: [coding(v.codeSystem, v.code, v.name), ...(v.atcValence !== undefined ? [{ system: ATC, code: v.atcValence }] : [])],
  text: v.name,
});

export const immunization = (dmpId: string, v: VaccinationView): Immunization => {
  const base: Immunization = {
    resourceType: 'Immunization',
    id: fhirId('vaccination', v.id),
    status: 'completed',
    vaccineCode: vaccineCode(v.vaccine),
    patient: patientRef(dmpId),
    occurrenceDateTime: v.date,
  };
  if (v.source === 'claims') {
    return {
      ...base,
      primarySource: false,
      reportOrigin: { coding: [{ system: ORIGIN, code: 'record', display: 'Written Record' }], text: 'Historique des remboursements' },
      note: [{ text: 'Date de délivrance du vaccin (la date d’administration n’est pas connue)' }],
    };
  }
  const vaccinator: Reference<Practitioner> | undefined =
    'vaccinator' in v && v.vaccinator !== undefined
      ? v.vaccinator.kind === 'professional'
        ? practitionerRef(v.vaccinator.id, 'Vaccinateur')
        : { display: v.vaccinator.name }
      : undefined;
  return {
    ...base,
    ...('recordedAt' in v && v.recordedAt !== undefined ? { recorded: v.recordedAt } : {}),
    primarySource: v.source === 'professional',
    ...(v.source !== 'professional' ? { reportOrigin: { coding: [{ system: ORIGIN, code: 'recall', display: 'Parent/Guardian/Patient Recall' }] } } : {}),
    ...('lotNumber' in v && v.lotNumber !== undefined ? { lotNumber: v.lotNumber } : {}),
    ...(vaccinator
      ? { performer: [{ function: { coding: [{ system: 'http://terminology.hl7.org/CodeSystem/v2-0443', code: 'AP', display: 'Administering Provider' }] }, actor: vaccinator }] }
      : {}),
    ...('doseNumber' in v && v.doseNumber !== undefined ? { protocolApplied: [{ doseNumberPositiveInt: v.doseNumber }] } : {}),
  };
};

/** A due item as GET …/vaccinations/due answers it: the domain's, with its status today. */
export type DueView = DueItem & { status: DueStatus };

const STATUS = 'http://terminology.hl7.org/CodeSystem/immunization-recommendation-status';

/**
 * A due item as an ImmunizationRecommendation made `today`. FHIR's forecast statuses know `due`
 * and `overdue`: an upcoming item is `due` on its due date (its dateCriterion), and says upcoming
 * in its description. The vaccine of a booster is the vaccination's it follows, when shown.
 */
export const immunizationRecommendation = (dmpId: string, item: DueView, today: string, vaccine?: VaccinationView['vaccine']): ImmunizationRecommendation => ({
  resourceType: 'ImmunizationRecommendation',
  id: fhirId('due', item.id),
  patient: patientRef(dmpId),
  date: today,
  recommendation: [
    {
      vaccineCode: [vaccine ? vaccineCode(vaccine) : { text: item.display }],
      forecastStatus: { coding: [{ system: STATUS, code: item.status === 'overdue' ? 'overdue' : 'due' }], text: item.status },
      dateCriterion: [
        { code: { coding: [{ system: LOINC, code: '30980-7', display: 'Date vaccine due' }] }, value: item.dueDate },
        { code: { coding: [{ system: LOINC, code: '30981-5', display: 'Earliest date to give' }] }, value: item.window.from },
        { code: { coding: [{ system: LOINC, code: '59777-3', display: 'Latest date to give immunization' }] }, value: item.window.to },
      ],
      description: item.kind === 'calendar' ? `${item.display} (calendrier vaccinal)` : item.display,
      ...(item.vaccinationId !== undefined ? { supportingImmunization: [{ reference: `Immunization/${fhirId('vaccination', item.vaccinationId)}` }] } : {}),
    },
  ],
});

/**
 * THE place where the health data's FHIR resources (AllergyIntolerance, Condition, Immunization,
 * ImmunizationRecommendation, Observation, Consent, AuditEvent, MedicationDispense) join
 * Patient/$everything: the fhir-health capability's reader (fhir-health/reader.ts,
 * `readClinicalResources(deps, call, dmpId)`, deciding each part's access itself) is called here.
 * Until it is wired, $everything holds the Patient and the documents only.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Call } from '#http/define-capability';
import type { FhirDeps } from './deps.ts';

export const clinicalResources = async (_deps: FhirDeps, _call: Call, _dmpId: string): Promise<Resource[]> => [];

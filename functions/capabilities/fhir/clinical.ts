/**
 * THE place where the health data's FHIR resources (AllergyIntolerance, Condition, Immunization,
 * ImmunizationRecommendation, Observation, Consent, AuditEvent, MedicationDispense) join
 * Patient/$everything: the fhir-health capability's reader, which decides (and traces) each part's
 * access itself and leaves out what the caller may not see.
 */
import type { Resource } from '@medplum/fhirtypes';
import type { Call } from '#http/define-capability';
import { readClinicalResources } from '../fhir-health/reader.ts';
import type { FhirDeps } from './deps.ts';

export const clinicalResources = (deps: FhirDeps, call: Call, dmpId: string): Promise<Resource[]> => readClinicalResources(deps, call, dmpId);

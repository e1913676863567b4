/**
 * The health profile's allergies and conditions as FHIR AllergyIntolerance and Condition, from the
 * profile as its reader gets it (health/views.ts profileView: a representative's id to the
 * record's holders only). Every entry is active: the profile keeps what is known, not a history of
 * resolutions (a condition of the past says so in its text and onset).
 */
import type { AllergyIntolerance, Condition } from '@medplum/fhirtypes';
import type { profileView } from '../health/views.ts';
import { fhirId, patientRef, sourceRef } from './fhir.ts';

type ProfileView = ReturnType<typeof profileView>;
type AllergyView = ProfileView['allergies'][number];
type ConditionView = ProfileView['conditions'][number];

const CLINICAL = 'http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical';

export const allergyIntolerance = (dmpId: string, a: AllergyView): AllergyIntolerance => ({
  resourceType: 'AllergyIntolerance',
  id: fhirId('allergy', a.id),
  clinicalStatus: { coding: [{ system: CLINICAL, code: 'active' }] },
  // FHIR's categories are food, medication, environment and biologic: `other` is left uncategorised.
  ...(a.category !== 'other' ? { category: [a.category] } : {}),
  criticality: a.criticality,
  code: { text: a.substance },
  patient: patientRef(dmpId),
  recordedDate: a.recordedAt,
  recorder: sourceRef(a, dmpId),
  ...(a.reaction !== undefined ? { reaction: [{ manifestation: [{ text: a.reaction }] }] } : {}),
});

export const condition = (dmpId: string, c: ConditionView): Condition => ({
  resourceType: 'Condition',
  id: fhirId('condition', c.id),
  code: { text: c.text },
  subject: patientRef(dmpId),
  ...(c.since !== undefined ? { onsetDateTime: c.since } : {}),
  recordedDate: c.recordedAt,
  recorder: sourceRef(c, dmpId),
});

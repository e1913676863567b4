/**
 * A measurement as a FHIR Observation: its LOINC code, its value as a UCUM quantity (blood
 * pressure, 85354-9, as its systolic and diastolic components), the instant it was measured, and
 * who entered it: a paired device (Observation.device) or a holder of the record (performer).
 */
import type { Observation } from '@medplum/fhirtypes';
import type { RecordedMeasurement } from '#domain/measurements';
import { measurementDefinition } from '#domain/measurements';
import { deviceRef, fhirId, LOINC, patientRef, personRef, UCUM } from './fhir.ts';

/** A measurement as its reader gets it (as GET …/measurements shows it): a representative's id to the record's holders only. */
export interface MeasurementView {
  measurementId: string;
  code: string;
  unit: string;
  value?: number | undefined;
  components?: readonly { code: string; value: number }[] | undefined;
  effectiveAt: string;
  author: { kind: RecordedMeasurement['source']; id?: string | undefined };
  deviceId?: string | undefined;
  recordedAt: string;
}

const CATEGORY = 'http://terminology.hl7.org/CodeSystem/observation-category';

/** The observation category of each code of data/measurements.json: vital signs unless said otherwise. */
const CATEGORY_OF: Readonly<Record<string, { code: string; display: string }>> = {
  '2339-0': { code: 'laboratory', display: 'Laboratory' },
  '41950-7': { code: 'activity', display: 'Activity' },
  '72514-3': { code: 'survey', display: 'Survey' },
};
const VITAL_SIGNS = { code: 'vital-signs', display: 'Vital Signs' };

const quantity = (value: number, unit: string) => ({ value, unit, system: UCUM, code: unit });

export const observation = (dmpId: string, m: MeasurementView): Observation => {
  const definition = measurementDefinition(m.code);
  const category = CATEGORY_OF[m.code] ?? VITAL_SIGNS;
  const entered = m.author.kind === 'device' ? { device: deviceRef(m.deviceId ?? m.author.id) } : { performer: [personRef(m.author.kind, m.author.id, dmpId)] };
  return {
    resourceType: 'Observation',
    id: fhirId('measurement', m.measurementId),
    status: 'final',
    category: [{ coding: [{ system: CATEGORY, ...category }] }],
    code: { coding: [{ system: LOINC, code: m.code, ...(definition ? { display: definition.display } : {}) }] },
    subject: patientRef(dmpId),
    effectiveDateTime: m.effectiveAt,
    issued: m.recordedAt,
    ...entered,
    ...(m.author.kind !== 'device' && m.deviceId !== undefined ? { device: deviceRef(m.deviceId) } : {}),
    ...(m.value !== undefined ? { valueQuantity: quantity(m.value, m.unit) } : {}),
    ...(m.components
      ? {
          component: m.components.map((c) => {
            const display = definition?.components?.find((d) => d.code === c.code)?.display;
            return { code: { coding: [{ system: LOINC, code: c.code, ...(display ? { display } : {}) }] }, valueQuantity: quantity(c.value, m.unit) };
          }),
        }
      : {}),
  };
};

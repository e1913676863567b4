/**
 * Reference data from the repository's data/ folder, loaded as data (bundled as JSON by esbuild,
 * imported as JSON by Node): document types with their classes, profession codes, the default
 * access matrix, the medication-alert rules, the vaccination calendar's boosters, the measurements a
 * device or the patient may record.
 */
import documentTypes from '../../data/document-types.json' with { type: 'json' };
import professions from '../../data/professions.json' with { type: 'json' };
import accessMatrix from '../../data/access-matrix.json' with { type: 'json' };
import medicationAlerts from '../../data/medication-alerts.json' with { type: 'json' };
import vaccinationCalendarData from '../../data/vaccination-calendar.json' with { type: 'json' };
import measurements from '../../data/measurements.json' with { type: 'json' };

export interface DocumentType {
  typeCode: string;
  display: string;
  classCode: string;
}

const typesByCode = new Map<string, DocumentType>(documentTypes.types.map((t) => [t.typeCode, t]));
const professionCodes = new Set<string>(professions.professions.map((p) => p.code));

export const documentType = (typeCode: string): DocumentType | undefined => typesByCode.get(typeCode);
export const isProfessionCode = (code: string): boolean => professionCodes.has(code);
export const PHARMACIST = '21';

export interface AccessMatrix {
  read: Record<string, string[]>;
  exceptions: { typeCode: string; readableBy: string[] }[];
}
export const defaultAccessMatrix: AccessMatrix = accessMatrix;

/**
 * The medication-alert rules of data/medication-alerts.json, as the file holds them: the fields of a
 * rule beyond its id, title, severity and kind depend on its kind, and the medication review
 * (domain/claims/medication-review.ts) reads and checks them, skipping a kind it does not know.
 */
export interface MedicationAlertRuleData {
  id: string;
  title: string;
  severity: string;
  kind: string;
  readonly [field: string]: unknown;
}
export interface MedicationAlertRules {
  version: string;
  /** Days one dispensation covers (its quantity may say more). */
  coverDays: number;
  /** Days of dispensations the review looks at, ending today. */
  windowDays: number;
  rules: readonly MedicationAlertRuleData[];
}
export const medicationAlertRules: MedicationAlertRules = medicationAlerts;

/**
 * A booster of data/vaccination-calendar.json whose due dates follow from age alone: at fixed ages
 * (`atAges`, give or take `toleranceYears`), or every year in a season from an age (`fromAge`,
 * `everyYear`: month-days, the window running over the new year when `toMonthDay` comes first).
 * Vaccines are recognised by ATC valence prefixes.
 */
export interface CalendarBooster {
  id: string;
  display: string;
  atc: readonly string[];
  atAges?: readonly number[];
  toleranceYears?: number;
  fromAge?: number;
  everyYear?: { fromMonthDay: string; toMonthDay: string };
}
export interface VaccinationCalendar {
  boosters: readonly CalendarBooster[];
}
export const vaccinationCalendar: VaccinationCalendar = vaccinationCalendarData;
/** A part of a measurement that has several (systolic and diastolic of a blood pressure). */
export interface MeasurementComponentDefinition {
  code: string;
  display: string;
  min: number;
  max: number;
}

/**
 * A measurement of data/measurements.json (LOINC code, UCUM unit): either one value within
 * [min, max], or components, each within its own range (a blood pressure), as the file holds it.
 */
export interface MeasurementDefinition {
  code: string;
  display: string;
  unit: string;
  min?: number;
  max?: number;
  components?: readonly MeasurementComponentDefinition[];
}
export const measurementDefinitions: readonly MeasurementDefinition[] = measurements.measurements;

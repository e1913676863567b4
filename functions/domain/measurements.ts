/**
 * Health measurements from connected devices and from the patient (data/measurements.json: LOINC
 * codes, UCUM units, plausible ranges), and the checks a measurement must pass before anything of
 * its batch is stored. Pure: the instant of reference and the patient's birth date are passed in.
 *
 * A measurement that fails a check names the field at fault by its path in the request body
 * (`measurements[3].value`, `measurements[0].components[1].code`) with a reason written for the
 * device's software; a reason never repeats the value it refuses (no code or value of care goes
 * into an answer or a log).
 */
import { randomString } from './identifiers.ts';
import { measurementDefinitions, type MeasurementDefinition } from './reference-data.ts';

/** The most measurements one request carries (a device's backlog is sent in several batches). */
export const MAX_MEASUREMENTS_PER_BATCH = 100;
/** A device's clock may run a little ahead of ours: an instant up to this far in the future is taken. */
export const CLOCK_TOLERANCE_MS = 5 * 60_000;
/** A paired device's id: 20 characters of lowercase base32 (100 random bits). */
export const DEVICE_ID = /^[a-z2-7]{20}$/;
/**
 * A paired device's credential starts with this (adapters/device-credentials.ts has the rest of its
 * format): the pipeline and the API's authorizer tell it from a JWT (which starts with `eyJ`) by it.
 */
export const DEVICE_CREDENTIAL_PREFIX = 'dmpdev_';
export const isDeviceCredential = (token: string): boolean => token.startsWith(DEVICE_CREDENTIAL_PREFIX);
/** No measurement is dated before this, whatever the birth date says. */
const FIRST_INSTANT = Date.UTC(1900, 0, 1);
/** At most this many faults are listed in one answer (the first ones, in the order of the batch). */
const MAX_FAULTS = 50;

const BY_CODE = new Map<string, MeasurementDefinition>(measurementDefinitions.map((d) => [d.code, d]));

/** The codes of data/measurements.json, in the file's order. */
export const MEASUREMENT_CODES: readonly string[] = measurementDefinitions.map((d) => d.code);
export const measurementDefinition = (code: string): MeasurementDefinition | undefined => BY_CODE.get(code);

/** One measurement as checked: a value, or the code's components, each once and in the file's order. */
export interface Measurement {
  code: string;
  unit: string;
  value?: number | undefined;
  components?: { code: string; value: number }[] | undefined;
  /** The instant of the measurement, in UTC to the millisecond: YYYY-MM-DDTHH:mm:ss.sssZ. */
  effectiveAt: string;
  /** The paired device that took it (a device's own measurements always name it). */
  deviceId?: string | undefined;
}

/** Who entered a measurement: a paired device, or a holder of the record by hand (or relaying a device). */
export type MeasurementSource = 'device' | 'patient' | 'representative';

/** A measurement as it is stored (sealed) and read back: with its source and author. */
export interface RecordedMeasurement extends Measurement {
  source: MeasurementSource;
  /** The device's id, the patient's dmpId, the representative's login id. */
  author: { kind: MeasurementSource; id: string };
  recordedAt: string;
}

export interface FieldFault {
  path: string;
  reason: string;
}

export type BatchCheck = { ok: true; measurements: Measurement[] } | { ok: false; faults: FieldFault[] };

const FIELDS = new Set(['code', 'unit', 'value', 'components', 'effectiveAt', 'deviceId']);
const COMPONENT_FIELDS = new Set(['code', 'value']);

const INSTANT = /^([0-9]{4})-([0-9]{2})-([0-9]{2})T([0-9]{2}):([0-9]{2}):([0-9]{2})(?:\.([0-9]{1,9}))?(?:Z|([+-])([0-9]{2}):([0-9]{2}))$/;

const daysIn = (year: number, month: number): number => new Date(Date.UTC(year, month, 0)).getUTCDate();

/**
 * An RFC 3339 instant (`Z` or an offset; fractions of a second beyond the millisecond dropped), or
 * undefined when it is not one or names a day the calendar has not (30 February).
 */
export const parseInstant = (text: string): Date | undefined => {
  const m = INSTANT.exec(text);
  if (!m) return undefined;
  const [year, month, day, hour, minute, second] = m.slice(1, 7).map(Number) as [number, number, number, number, number, number];
  if (year < 1900 || month < 1 || month > 12 || day < 1 || day > daysIn(year, month) || hour > 23 || minute > 59 || second > 59) return undefined;
  const millis = m[7] ? Number(m[7].slice(0, 3).padEnd(3, '0')) : 0;
  let t = Date.UTC(year, month - 1, day, hour, minute, second, millis);
  if (m[8]) {
    const [offsetHours, offsetMinutes] = [Number(m[9]), Number(m[10])];
    if (offsetHours > 23 || offsetMinutes > 59) return undefined;
    t -= (m[8] === '+' ? 1 : -1) * (offsetHours * 60 + offsetMinutes) * 60_000;
  }
  return new Date(t);
};

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
const isNumber = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
/** A client's field name in a path: bounded, printable. */
const fieldName = (name: string): string => name.slice(0, 40).replace(/[^\x20-\x7e]/g, '?');

export interface CheckContext {
  now: Date;
  /** The patient's birth date (YYYY-MM-DD): nothing is measured before it. */
  birthDate?: string | undefined;
}

/** The faults of one raw measurement (empty: valid), and the measurement when it is. */
export const checkMeasurement = (raw: unknown, at: string, ctx: CheckContext): { faults: FieldFault[]; measurement?: Measurement } => {
  const faults: FieldFault[] = [];
  const fault = (field: string, reason: string) => faults.push({ path: field ? `${at}.${field}` : at, reason });
  if (!isObject(raw)) {
    fault('', 'a measurement is an object { code, unit, value | components, effectiveAt, deviceId? }');
    return { faults };
  }
  for (const name of Object.keys(raw)) if (!FIELDS.has(name)) fault(fieldName(name), 'unknown field');

  const definition = typeof raw.code === 'string' ? BY_CODE.get(raw.code) : undefined;
  if (!definition) fault('code', 'not a measurement code of the list (data/measurements.json)');
  if (typeof raw.unit !== 'string') fault('unit', 'the UCUM unit is required');
  else if (definition && raw.unit !== definition.unit) fault('unit', 'not the unit of this code (data/measurements.json)');

  let effectiveAt: string | undefined;
  if (typeof raw.effectiveAt !== 'string') fault('effectiveAt', 'an instant (RFC 3339, e.g. 2026-11-20T07:30:00Z) is required');
  else {
    const instant = parseInstant(raw.effectiveAt);
    if (!instant) fault('effectiveAt', 'not an instant (RFC 3339, e.g. 2026-11-20T07:30:00Z)');
    else if (instant.getTime() > ctx.now.getTime() + CLOCK_TOLERANCE_MS) fault('effectiveAt', 'in the future');
    else if (instant.getTime() < FIRST_INSTANT || (ctx.birthDate !== undefined && instant.getTime() < Date.parse(`${ctx.birthDate}T00:00:00Z`))) {
      fault('effectiveAt', 'before the patient was born');
    } else effectiveAt = instant.toISOString();
  }

  if (raw.deviceId !== undefined && (typeof raw.deviceId !== 'string' || !DEVICE_ID.test(raw.deviceId))) fault('deviceId', 'not a device id');

  let value: number | undefined;
  let components: { code: string; value: number }[] | undefined;
  if (definition?.components) {
    if (raw.value !== undefined) fault('value', 'this code takes components, not a value');
    components = checkComponents(raw.components, definition, fault);
  } else if (definition) {
    if (raw.components !== undefined) fault('components', 'this code takes a value, not components');
    if (!isNumber(raw.value)) fault('value', 'a number is required');
    else if (outOfRange(raw.value, definition)) fault('value', 'outside the plausible range of this code (data/measurements.json)');
    else value = raw.value;
  }
  if (faults.length > 0 || !definition || effectiveAt === undefined) return { faults };
  return {
    faults,
    measurement: {
      code: definition.code,
      unit: definition.unit,
      ...(value !== undefined ? { value } : {}),
      ...(components ? { components } : {}),
      effectiveAt,
      ...(typeof raw.deviceId === 'string' ? { deviceId: raw.deviceId } : {}),
    },
  };
};

const outOfRange = (value: number, range: { min?: number | undefined; max?: number | undefined }): boolean =>
  (range.min !== undefined && value < range.min) || (range.max !== undefined && value > range.max);

/** Each component of the code once, each value in its range; in the file's order. */
const checkComponents = (raw: unknown, definition: MeasurementDefinition, fault: (field: string, reason: string) => void): { code: string; value: number }[] | undefined => {
  const expected = definition.components ?? [];
  if (!Array.isArray(raw)) {
    fault('components', 'a list of { code, value }, one per component of this code, is required');
    return undefined;
  }
  const found = new Map<string, number>();
  let faulty = false;
  raw.forEach((c, j) => {
    const at = `components[${j}]`;
    if (!isObject(c)) {
      fault(at, 'a component is an object { code, value }');
      faulty = true;
      return;
    }
    for (const name of Object.keys(c)) {
      if (!COMPONENT_FIELDS.has(name)) {
        fault(`${at}.${fieldName(name)}`, 'unknown field');
        faulty = true;
      }
    }
    const part = typeof c.code === 'string' ? expected.find((e) => e.code === c.code) : undefined;
    if (!part) {
      fault(`${at}.code`, 'not a component of this code (data/measurements.json)');
      faulty = true;
    } else if (found.has(part.code)) {
      fault(`${at}.code`, 'this component is given twice');
      faulty = true;
    }
    if (!isNumber(c.value)) {
      fault(`${at}.value`, 'a number is required');
      faulty = true;
    } else if (part && outOfRange(c.value, part)) {
      fault(`${at}.value`, 'outside the plausible range of this component (data/measurements.json)');
      faulty = true;
    }
    if (part && isNumber(c.value)) found.set(part.code, c.value);
  });
  if (faulty) return undefined;
  if (expected.some((e) => !found.has(e.code))) {
    fault('components', 'each component of this code is required once');
    return undefined;
  }
  return expected.map((e) => ({ code: e.code, value: found.get(e.code) as number }));
};

/**
 * A batch: every measurement checked, and either all of them valid or the faults of all of them
 * (the first MAX_FAULTS): one faulty measurement and nothing of the batch is stored.
 */
export const checkMeasurements = (raw: readonly unknown[], ctx: CheckContext): BatchCheck => {
  const measurements: Measurement[] = [];
  const faults: FieldFault[] = [];
  raw.forEach((item, i) => {
    const checked = checkMeasurement(item, `measurements[${i}]`, ctx);
    if (checked.measurement) measurements.push(checked.measurement);
    faults.push(...checked.faults);
  });
  return faults.length > 0 ? { ok: false, faults: faults.slice(0, MAX_FAULTS) } : { ok: true, measurements };
};

/** A new paired device's id (DEVICE_ID). */
export const newDeviceId = (bytes: (n: number) => Uint8Array): string => randomString(bytes, 'abcdefghijklmnopqrstuvwxyz234567', 20);

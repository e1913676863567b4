/**
 * Examples for the OpenAPI document, built from each schema (its JSON Schema, as the document
 * shows it) with realistic samples for the values this API names: identifiers, codes, dates. An
 * example is kept only if the route's own zod schema accepts it (exampleFor), so the reference
 * never shows a body the API would refuse or could not answer. The samples are made up: no real
 * person's INS, name or phone number.
 */
import { type $ZodType, safeParse } from 'zod/v4/core';

type Json = Record<string, unknown>;

/** The samples a field of that name takes, tried in order against its schema (pattern, format, length). */
const BY_NAME: Readonly<Record<string, readonly string[]>> = {
  // A valid INS (key 37) of no one: a made-up order number.
  ins: ['285037501234537'],
  dmpId: ['Kq3v9xT2mB7wLp4z'],
  documentId: ['01jdk3m8v6w9qz2x4y7b5c8n0'],
  replaces: ['01jdk2r7s5t8v1w3x6y9z0a2b'],
  professionalId: ['810001234567'],
  id: ['810001234567', 'mfrggzdfmztwq2lk', '750712184'],
  items: ['810001234567'],
  finess: ['750712184'],
  deviceId: ['mfrggzdfmztwq2lkmfrg'],
  loginId: ['28503750123'],
  challengeId: ['c9Yt4kWq2ZbN7xRe'],
  creationCode: ['K7Q2M9X4T1P8W3Z6'],
  code: ['482913', '3400934998331', 'HBQK002', '29463-7', 'http://loinc.org|29463-7'],
  atcValence: ['J07BB02'],
  lotNumber: ['X4F27B'],
  batchId: ['cnam-2026-03-14-0001'],
  uniqueId: ['1.2.250.1.213.1.1.9^20260314093000'],
  typeCode: ['11488-4'],
  familyName: ['Martin'],
  givenNames: ['Jeanne Marie'],
  mobile: ['+33612345678'],
  email: ['jeanne.martin@example.fr'],
  title: ['Compte rendu de consultation'],
  reason: ['Demande de la personne'],
  substance: ['Pénicilline'],
  reaction: ['Urticaire'],
  text: ['Asthme léger'],
  medication: ['Salbutamol'],
  dosage: ['2 bouffées si besoin'],
  relationship: ['Sœur'],
  name: ['Paul Martin'],
  vaccinator: ['Dr Durand'],
  originalKeptAt: ['Chez le médecin traitant'],
  cursor: ['eyJrIjoiMDFqZGszbTh2NiJ9'],
  nextCursor: ['eyJrIjoiMDFqZGszbTh2NiJ9'],
  birthDate: ['1975-03-14'],
  password: ['Correct-Cheval-Batterie-7'],
  currentPassword: ['Correct-Cheval-Batterie-7'],
  newPassword: ['Agrafe-Horizon-Lanterne-4'],
  provisionalPassword: ['Kx7-Rq2-Mv9-Tz4'],
  accessToken: ['eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJLcTN2OXhUMm1CN3dMcDR6In0.c2lnbmF0dXJl'],
  credential: ['dmpdev_mfrggzdfmztwq2lkmfrggzdfmztwq2lk'],
  contentType: ['application/pdf'],
  // The first bytes of a PDF, base64.
  content: ['JVBERi0xLjcKJcfsj6IK'],
  q: ['compte rendu'],
  action: ['document.read'],
  requestId: ['5b0e9a3c-8f1d-4e27-b6a4-2d9c7e1f0a53'],
  path: ['lines.0.code'],
  lineId: ['cnam-2026-03-14-0001-1'],
  lineIds: ['cnam-2026-03-14-0001-1'],
  codeSystem: ['CIP13'],
  display: ['Amoxicilline 500 mg, gélule'],
  atcGroup: ['J01CA'],
  activeComponents: ['Amoxicilline'],
  specialty: ['Médecine générale'],
  specialties: ['Médecine générale'],
  profession: ['Médecin'],
  professions: ['Médecin'],
  ruleId: ['same-active-component'],
  rulesVersion: ['2026-01'],
  boosterId: ['dtp-adult-25'],
  vaccinationId: ['mfrggzdfmztwq2lk'],
  measurementId: ['mfrggzdfmztwq2lk'],
  unit: ['kg'],
  classCode: ['11'],
  limit: ['20'],
  month: ['2026-03'],
  sex: ['F'],
  // FHIR search parameters (/fhir): a record as the patient's id, a page size, a page's cursor, a date prefix.
  patient: ['Kq3v9xT2mB7wLp4z', 'Patient/Kq3v9xT2mB7wLp4z'],
  _count: ['20'],
  // FHIR's word searches (DocumentReference): words of the documents' titles and text.
  _content: ['compte rendu'],
  _text: ['compte rendu'],
  _cursor: ['o50', 'eyJrIjoiMDFqZGszbTh2NiJ9'],
  status: ['current'],
  kind: ['document'],
  date: ['ge2026-01-01', '2026-03-14'],
  type: ['11488-4', 'http://loinc.org|11488-4', 'Practitioner'],
};

/** Samples any string field may take, once its own name's are exhausted. */
const ANY_STRING = ['2026-03-14T09:30:00Z', '2026-03-14', '2026-03', '810001234567', '750712184', '01jdk3m8v6w9qz2x4y7b5c8n0', 'Kq3v9xT2mB7wLp4z', '482913', 'exemple'];

const FORMATS: Readonly<Record<string, string>> = {
  date: '2026-03-14',
  'date-time': '2026-03-14T09:30:00Z',
  email: 'jeanne.martin@example.fr',
  uri: 'https://www.dmp.fr/',
};

/**
 * A schema's pattern as JavaScript reads it. JSON Schema patterns are ECMA-262 regular expressions,
 * but a pattern generated from a RegExp written without the `u` flag may escape characters (`\-`,
 * `\|`) that the `u` flag refuses: such a pattern is read as it was written.
 */
const patternOf = (source: string): RegExp => {
  try {
    return new RegExp(source, 'u');
  } catch {
    return new RegExp(source);
  }
};

const fits = (value: string, schema: Json): boolean => {
  if (typeof schema.pattern === 'string' && !patternOf(schema.pattern).test(value)) return false;
  if (typeof schema.minLength === 'number' && value.length < schema.minLength) return false;
  if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) return false;
  return true;
};

const stringSample = (schema: Json, name: string | undefined): string => {
  const format = typeof schema.format === 'string' ? FORMATS[schema.format] : undefined;
  const named = name ? (BY_NAME[name] ?? []) : [];
  // A free text of no known name: a word, rather than a sample made for another field.
  const others = schema.pattern === undefined && format === undefined ? ['exemple'] : ANY_STRING;
  const candidates = [...named, ...(format ? [format] : []), ...others];
  return candidates.find((c) => fits(c, schema)) ?? 'x'.repeat(Math.max(1, Number(schema.minLength ?? 1)));
};

/** Which of several types or branches to show: the first that is not null. */
const notNull = (branches: Json[]): Json | undefined => branches.find((b) => b.type !== 'null') ?? branches[0];

/**
 * A value of a JSON Schema (as zod writes them: objects, arrays, anyOf/oneOf, enum, const,
 * patterns and formats), with every property when `full`, the required ones only otherwise.
 */
export const sampleOf = (schema: Json, full: boolean, name?: string): unknown => {
  if (Array.isArray(schema.examples) && schema.examples.length > 0) return schema.examples[0];
  if ('const' in schema) return schema.const;
  if (Array.isArray(schema.enum)) return schema.enum[0];
  for (const key of ['anyOf', 'oneOf'] as const) {
    const branches = schema[key];
    if (Array.isArray(branches)) return sampleOf(notNull(branches as Json[]) ?? {}, full, name);
  }
  if (Array.isArray(schema.allOf)) return Object.assign({}, ...(schema.allOf as Json[]).map((s) => sampleOf(s, full, name)));
  const type = Array.isArray(schema.type) ? (schema.type.find((t) => t !== 'null') as string | undefined) : (schema.type as string | undefined);
  switch (type) {
    case 'object': {
      const properties = (schema.properties ?? {}) as Record<string, Json>;
      const required = new Set((schema.required ?? []) as string[]);
      return Object.fromEntries(
        Object.entries(properties)
          .filter(([key]) => full || required.has(key))
          .map(([key, s]) => [key, sampleOf(s, full, key)]),
      );
    }
    case 'array': {
      const item = sampleOf((schema.items ?? {}) as Json, full, name);
      return Array.from({ length: Math.max(1, Number(schema.minItems ?? 1)) }, () => item);
    }
    case 'string':
      return stringSample(schema, name);
    case 'integer':
    case 'number':
      return typeof schema.minimum === 'number' ? Math.max(schema.minimum, 1) : typeof schema.exclusiveMinimum === 'number' ? schema.exclusiveMinimum + 1 : 1;
    case 'boolean':
      return true;
    default:
      return null;
  }
};

/**
 * An example of `zodSchema` built from its JSON Schema: every property if the zod schema accepts
 * that, else the required ones only; undefined if it accepts neither (the reference then shows
 * the schema alone, and the document's test names the route).
 */
export const exampleFor = (zodSchema: $ZodType, jsonSchema: Json): unknown => {
  for (const full of [true, false]) {
    const candidate = sampleOf(jsonSchema, full);
    if (safeParse(zodSchema, candidate).success) return candidate;
  }
  return undefined;
};

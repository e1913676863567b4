/** The FHIR R4 views of the health data: their part of the route manifest, and what their function needs. */
import type { CapabilityManifest } from '#http/capability';
import type { Route } from '#http/route';
import * as s from './schemas.ts';

const SEARCHSET =
  'A searchset Bundle; `_count` entries a page (1 to 100, 50 by default) and a `next` link while more follow. Unknown parameters are refused (400), as `handling=strict`.';
const HOLDERS = 'The record’s holders';
const PROFILE_READERS = `${HOLDERS}; professionals who may read the health profile (GET …/profile: an authorization or an emergency access the patient did not oppose, not blocked, a profession reading class 11).`;
const VACCINATION_READERS = `${HOLDERS}; professionals who may read the vaccination record (GET …/vaccinations: class 45). The reimbursement history’s deliveries count only for callers who may read the history (class 60, the patient’s mask).`;
const CALLERS = ['patient', 'representative', 'professional'] as const;
const bundle = (what: string) => ({ 200: { description: what, schema: s.SearchBundle, contentType: 'application/fhir+json' } });

export const FHIR_HEALTH_ROUTES = [
  {
    id: 'searchAllergyIntolerance',
    method: 'GET',
    path: '/fhir/AllergyIntolerance',
    capability: 'fhir-health',
    fhir: { type: 'AllergyIntolerance', interaction: 'search-type', searchParams: { patient: 'reference' } },
    callers: CALLERS,
    summary: 'FHIR AllergyIntolerance: the health profile’s allergies and intolerances; every read is traced as a read of the profile',
    description: `${PROFILE_READERS} ${SEARCHSET}`,
    query: s.PatientSearch,
    responses: bundle('The allergies'),
    errors: [404],
  },
  {
    id: 'searchCondition',
    method: 'GET',
    path: '/fhir/Condition',
    capability: 'fhir-health',
    fhir: { type: 'Condition', interaction: 'search-type', searchParams: { patient: 'reference' } },
    callers: CALLERS,
    summary: 'FHIR Condition: the health profile’s conditions and history; every read is traced as a read of the profile',
    description: `${PROFILE_READERS} ${SEARCHSET}`,
    query: s.PatientSearch,
    responses: bundle('The conditions'),
    errors: [404],
  },
  {
    id: 'searchImmunization',
    method: 'GET',
    path: '/fhir/Immunization',
    capability: 'fhir-health',
    fhir: { type: 'Immunization', interaction: 'search-type', searchParams: { patient: 'reference' } },
    callers: CALLERS,
    summary: 'FHIR Immunization: recorded vaccinations and the reimbursement history’s deliveries, newest first; traced as a read of the vaccination record',
    description: `${VACCINATION_READERS} A delivery is not a primary source and its date is the delivery’s. ${SEARCHSET}`,
    query: s.PatientSearch,
    responses: bundle('The vaccinations'),
    errors: [404],
  },
  {
    id: 'searchImmunizationRecommendation',
    method: 'GET',
    path: '/fhir/ImmunizationRecommendation',
    capability: 'fhir-health',
    fhir: { type: 'ImmunizationRecommendation', interaction: 'search-type', searchParams: { patient: 'reference' } },
    callers: CALLERS,
    summary: 'FHIR ImmunizationRecommendation: what is due (boosters given by vaccinators, the calendar’s), one a due item; traced as GET …/vaccinations/due',
    description: `${VACCINATION_READERS} An upcoming item is \`due\` on its due date (dateCriterion 30980-7, its window 30981-5 to 59777-3). ${SEARCHSET}`,
    query: s.PatientSearch,
    responses: bundle('The due items'),
    errors: [404],
  },
  {
    id: 'searchObservation',
    method: 'GET',
    path: '/fhir/Observation',
    capability: 'fhir-health',
    fhir: { type: 'Observation', interaction: 'search-type', searchParams: { patient: 'reference', code: 'token', date: 'date', _content: 'string', _text: 'string' } },
    callers: CALLERS,
    summary: 'FHIR Observation: the measurements (LOINC codes, UCUM units; blood pressure with its components), newest first; traced as a read of the measurements',
    description: `${HOLDERS}; professionals who may read the measurements (GET …/measurements: class 90). \`code\`: one LOINC code’s series; \`date\`: one day or instant, or a bound (\`ge\`, \`gt\`, \`le\`, \`lt\`); \`_content\` and \`_text\` (the same; both given, every word of both): words of the measurement’s name or code, as the record’s keyword search finds them (traced as one too), combined with \`code\` and \`date\`; a parameter is given once. ${SEARCHSET}`,
    query: s.ObservationSearch,
    responses: bundle('The measurements'),
    errors: [404],
  },
  {
    id: 'searchConsent',
    method: 'GET',
    path: '/fhir/Consent',
    capability: 'fhir-health',
    fhir: { type: 'Consent', interaction: 'search-type', searchParams: { patient: 'reference' } },
    callers: CALLERS,
    summary: 'FHIR Consent: the advance directives (scope adr), when the patient wrote some; traced as a read of the wishes',
    description: `${HOLDERS}; professionals of the professions that may read advance directives (GET …/wishes: the EXPPAT_3 exception, doctors, midwives, nurses). Directives the patient says do not exist make no Consent. ${SEARCHSET}`,
    query: s.PatientSearch,
    responses: bundle('The advance directives'),
    errors: [404],
  },
  {
    id: 'searchAuditEvent',
    method: 'GET',
    path: '/fhir/AuditEvent',
    capability: 'fhir-health',
    fhir: { type: 'AuditEvent', interaction: 'search-type', searchParams: { patient: 'reference' } },
    callers: ['patient', 'representative', 'professional', 'agent'],
    summary: 'FHIR AuditEvent: the access log, refusals included, newest first',
    description: `As GET …/access-log: all of it for the record’s holders and attending physicians, their own actions for anyone else; a refusal is outcome 4 with its code. ${SEARCHSET}`,
    query: s.PatientSearch,
    responses: bundle('The access log'),
    errors: [404],
  },
  {
    id: 'searchMedicationDispense',
    method: 'GET',
    path: '/fhir/MedicationDispense',
    capability: 'fhir-health',
    fhir: { type: 'MedicationDispense', interaction: 'search-type', searchParams: { patient: 'reference' } },
    callers: CALLERS,
    summary: 'FHIR MedicationDispense: the medicines of the reimbursement history, newest first; traced as a read of the history',
    description: `As GET …/claims (its medication lines): ${HOLDERS}; professionals whose profession reads class 60, unless the patient masked the history; representatives without the lines a minor keeps confidential. ${SEARCHSET}`,
    query: s.PatientSearch,
    responses: bundle('The medicines dispensed'),
    errors: [404],
  },
] as const satisfies readonly Route[];

/** The FHIR views of the health data: their routes and what their function needs. */
export const FHIR_HEALTH = {
  name: 'fhir-health',
  routes: FHIR_HEALTH_ROUTES,
  function: {
    description: 'DMP FHIR R4 views of the health data: allergies, conditions, vaccinations, due boosters, measurements, advance directives, access log, medicines dispensed',
    memorySize: 512,
    // Reads only, through the other capabilities' stores: the record and the caller's standing, the
    // profile and wishes, vaccinations, measurements, the history's lines and the access log are
    // Queries, the history's mask and the labels of traced documents GetItem / BatchGetItem. A
    // read's trace is a PutItem; a professional's first access, a transaction that updates its
    // standing (seen) and puts the patient's notice in the outbox under a condition. Observation's
    // _content and _text read what the keyword search function reads (search/routes.ts: postings
    // by Query, candidates by BatchGetItem), all among these.
    items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem', 'Query'],
    dataKey: [{ operations: ['Decrypt'], contexts: ['record'] }],
    sessions: 'verify',
    // The history's lines are listed newest first through its index (gsi2), then read by key.
    claimsIndexQuery: true,
  },
} as const satisfies CapabilityManifest;

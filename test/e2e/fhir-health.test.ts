/**
 * The FHIR views of the health data over HTTP: each search for the patient and an authorised
 * doctor (every resource through the FHIR R4 validator), the same refusals as the /v1 reads for an
 * unauthorised professional and for a profession the matrix excludes, what the patient masked or a
 * minor keeps confidential never shown, the reads traced as their /v1 reads, paging by the next
 * link, and the searches' 4xx answers.
 */
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { withFhirHealth } from '../../functions/capabilities/fhir-health/deps.ts';
import { readClinicalResources } from '../../functions/capabilities/fhir-health/reader.ts';
import { batchId, daysAgo, medicationLine, pushBatch, sourceId } from '../support/claims.ts';
import { accessLog } from '../support/documents.ts';
import { adultIdentity, canary, minorBirthDate, randomMobile, randomRpps, recordBody } from '../support/fixtures.ts';
import { validateFhir } from '../support/fhir-validate.ts';
import { profileBody, wishesBody, writeOnCurrent, writeWishes } from '../support/health.ts';
import { bloodPressure, minutesAgo, postMeasurements, weight } from '../support/measurements.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { type Answer, startTestApi, type TestApi } from '../support/runtime.ts';
import { patientId } from '#domain/fhir/ids';

let api: TestApi;
let doctorId: string;
let doctor: string;
let insurer: string;
beforeAll(async () => {
  // The validator indexes the FHIR definitions on first use (seconds): done before the runtime
  // starts, so that no request waits on it with a keep-alive connection the server closes meanwhile.
  validateFhir({ resourceType: 'Basic', code: { text: 'warm-up' } });
  api = await startTestApi();
  doctorId = randomRpps();
  doctor = await api.professional({ professionalId: doctorId });
  insurer = await api.insurer();
});
afterAll(() => api?.stop());

const TYPES = ['AllergyIntolerance', 'Condition', 'Immunization', 'ImmunizationRecommendation', 'Observation', 'Consent', 'AuditEvent', 'MedicationDispense'] as const;
type FhirType = (typeof TYPES)[number];

/** The /v1 read each FHIR search is decided as. */
const V1: Record<FhirType, string> = {
  AllergyIntolerance: 'profile',
  Condition: 'profile',
  Immunization: 'vaccinations',
  ImmunizationRecommendation: 'vaccinations/due',
  Observation: 'measurements',
  Consent: 'wishes',
  AuditEvent: 'access-log',
  MedicationDispense: 'claims',
};

const search = (type: string, query: string, token: string) => api.call('GET', `/fhir/${type}?${query}`, { token });

/** A search's Bundle, checked: 200, FHIR's JSON media type, a valid searchset, each resource valid and of the searched type. */
const bundleOf = async (type: FhirType, dmpId: string, token: string, extra = ''): Promise<Bundle> => {
  const res = await search(type, `patient=${dmpId}${extra}`, token);
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  expect(res.headers.get('content-type')).toContain('application/fhir+json');
  const bundle = validateFhir(res.body as Bundle);
  expect(bundle.type).toBe('searchset');
  for (const entry of bundle.entry ?? []) {
    expect(entry.resource?.resourceType).toBe(type);
    validateFhir(entry.resource as Resource);
  }
  return bundle;
};
const resources = async <R = any>(type: FhirType, dmpId: string, token: string, extra = ''): Promise<R[]> =>
  ((await bundleOf(type, dmpId, token, extra)).entry ?? []).map((e) => e.resource as R);

/** The status, and for a refusal its problem type and code: what must be the same as the /v1 read's. */
/** The problem types that only name a status (no code of their own): an OperationOutcome carries no code then. */
const SLUGS: Record<number, string> = { 400: 'invalid-request', 401: 'unauthenticated', 403: 'forbidden', 404: 'not-found', 409: 'conflict', 422: 'refused' };

/**
 * What a refusal says, on either interface: its status and its code (a /v1 problem document's
 * `code`; a FHIR OperationOutcome carries the same code in its issue's details, and nothing else).
 */
const refusal = (a: Answer) => {
  if (a.status < 400) return { status: a.status };
  if (a.body?.resourceType === 'OperationOutcome') return { status: a.status, fhir: true, code: a.body.issue?.[0]?.details?.coding?.[0]?.code };
  // A problem document's type is urn:dmp:problem:<code> (the code, or the status's slug).
  const type = typeof a.body?.type === 'string' ? (a.body.type as string) : '';
  const code = type.startsWith('urn:dmp:problem:') ? type.slice('urn:dmp:problem:'.length) : undefined;
  return { status: a.status, fhir: false, code: code === SLUGS[a.status] ? undefined : code };
};
/** A /fhir refusal is an OperationOutcome saying what the /v1 one says. */
const sameRefusal = (fhir: Answer, v1: Answer, what: string) => expect(refusal(fhir), what).toEqual({ ...refusal(v1), ...(v1.status >= 400 ? { fhir: true } : {}) });

const authorize = async (dmpId: string, token: string, professionalId: string) => {
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: { status: 'authorized' } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

/**
 * A record with a profile and advance directives (the patient's), a vaccination recorded by the
 * doctor with its booster date, a medicine and a vaccine delivered (the history), a weight and a
 * blood pressure (the patient's).
 */
const fullRecord = async () => {
  const p = await newPatient(api, doctor);
  const { token } = await activeSession(api, p);
  const profile = profileBody();
  await writeOnCurrent(api, p.dmpId, token, () => profile);
  const wishes = wishesBody();
  expect((await writeWishes(api, p.dmpId, token, wishes)).status).toBe(200);
  const recorded = await api.call('POST', `/v1/records/${p.dmpId}/vaccinations`, {
    token: doctor,
    body: { date: daysAgo(30), vaccine: { name: 'Revaxis', codeSystem: 'ATC_VALENCE', code: 'J07CA01' }, lotNumber: 'N-77/2', doseNumber: 1, nextBoosterDate: daysAgo(-400) },
  });
  expect(recorded.status, JSON.stringify(recorded.body)).toBe(201);
  const medicine = medicationLine({ date: daysAgo(10), display: `DOLIPRANE ${canary('Med')}` });
  const flu = {
    sourceId: sourceId(),
    category: 'vaccination',
    date: daysAgo(40),
    codeSystem: 'CIP13',
    code: '3400930000120',
    display: 'VACCIN GRIPPAL',
    atcValence: 'J07BB02',
    quantity: 1,
  };
  expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [medicine, flu] }] })).body.lines.accepted).toBe(2);
  expect((await postMeasurements(api, token, p.dmpId, [weight({ effectiveAt: minutesAgo(30) }), bloodPressure({ effectiveAt: minutesAgo(20) })])).status).toBe(200);
  return { p, token, profile, wishes, medicine, vaccinationId: recorded.body.id as string };
};

describe('FHIR searches of the health data', () => {
  it('give the patient and an authorised doctor every kind, as valid FHIR R4, traced as the /v1 reads', async () => {
    const r = await fullRecord();
    for (const token of [r.token, doctor]) {
      const [allergy] = await resources('AllergyIntolerance', r.p.dmpId, token);
      expect(allergy).toMatchObject({
        code: { text: r.profile.allergies[0]?.substance },
        criticality: 'high',
        category: ['food'],
        patient: { reference: `Patient/${patientId(r.p.dmpId)}` },
      });
      expect(allergy.reaction[0].manifestation[0].text).toBe(r.profile.allergies[0]?.reaction);
      const [condition] = await resources('Condition', r.p.dmpId, token);
      expect(condition).toMatchObject({ code: { text: r.profile.conditions[0]?.text }, onsetDateTime: '1990-05-01' });

      const immunizations = await resources('Immunization', r.p.dmpId, token);
      expect(immunizations.map((i) => [i.occurrenceDateTime, i.primarySource])).toEqual([
        [daysAgo(30), true],
        [daysAgo(40), false],
      ]);
      expect(immunizations[0]).toMatchObject({ lotNumber: 'N-77/2', performer: [{ actor: { identifier: { value: doctorId } } }] });
      const recommendations = await resources('ImmunizationRecommendation', r.p.dmpId, token);
      const booster = recommendations.find((x) => x.id === `due-booster-${r.vaccinationId}`);
      expect(booster.recommendation[0]).toMatchObject({
        dateCriterion: [{ value: daysAgo(-400) }, {}, {}],
        supportingImmunization: [{ reference: `Immunization/vaccination-${r.vaccinationId}` }],
      });

      const observations = await resources('Observation', r.p.dmpId, token);
      expect(observations.map((o) => o.code.coding[0].code)).toEqual(['85354-9', '29463-7']);
      expect(observations[0].component.map((c: any) => c.valueQuantity.value)).toEqual([120, 80]);
      expect(observations[1].valueQuantity).toEqual({ value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' });

      const [consent] = await resources('Consent', r.p.dmpId, token);
      expect(consent).toMatchObject({ status: 'active', scope: { coding: [{ code: 'adr' }] }, dateTime: '2024-02-10' });
      const [dispense] = await resources('MedicationDispense', r.p.dmpId, token);
      expect(dispense).toMatchObject({ whenHandedOver: daysAgo(10), medicationCodeableConcept: { text: r.medicine.display }, quantity: { value: 2 } });
      expect(await resources('MedicationDispense', r.p.dmpId, token)).toHaveLength(1);
    }
    // The doctor's reads are in the patient's log as the /v1 reads would be, and in the AuditEvents.
    const log = (await accessLog(api, r.token, r.p.dmpId)).filter((t) => t.actor.id === doctorId && t.action.endsWith('.read'));
    expect(new Set(log.map((t) => t.action))).toEqual(new Set(['profile.read', 'vaccinations.read', 'measurements.read', 'wishes.read', 'claims.read']));
    const events = await resources('AuditEvent', r.p.dmpId, r.token, '&_count=100');
    expect(events.filter((e) => e.agent[0].who?.identifier?.value === doctorId && e.subtype[0].code === 'wishes.read')).toHaveLength(1);
    expect(events.find((e) => e.subtype[0].code === 'vaccinations.due')).toMatchObject({ action: 'R', outcome: '0' });
  });

  it('refuse an unauthorised professional as the /v1 reads do, and show the refusals as failed AuditEvents', async () => {
    const r = await fullRecord();
    const strangerId = randomRpps();
    const stranger = await api.professional({ professionalId: strangerId });
    for (const type of TYPES) {
      const fhir = await search(type, `patient=${r.p.dmpId}`, stranger);
      const v1 = await api.call('GET', `/v1/records/${r.p.dmpId}/${V1[type]}`, { token: stranger });
      sameRefusal(fhir, v1, type);
      if (type !== 'AuditEvent') expect(fhir.status, type).toBe(403);
      expect(JSON.stringify(fhir.body)).not.toContain(r.profile.allergies[0]?.substance);
    }
    const refused = (await resources('AuditEvent', r.p.dmpId, r.token, '&_count=100')).filter((e) => e.agent[0].who?.identifier?.value === strangerId);
    expect(refused.length).toBeGreaterThan(0);
    expect(refused.every((e) => e.outcome === '4' && e.outcomeDesc === 'no-authorization')).toBe(true);
  });

  it('refuse a profession what the matrix keeps from it, as the /v1 reads do, and give it the rest', async () => {
    const r = await fullRecord();
    // A physiotherapist (70) reads the profile and the measurements, not the wishes, vaccinations (45) nor the history (60).
    const physioId = randomRpps();
    const physio = await api.professional({ professionalId: physioId, profession: '70' });
    await authorize(r.p.dmpId, r.token, physioId);
    for (const type of TYPES) {
      const fhir = await search(type, `patient=${r.p.dmpId}`, physio);
      const v1 = await api.call('GET', `/v1/records/${r.p.dmpId}/${V1[type]}`, { token: physio });
      sameRefusal(fhir, v1, type);
      if (fhir.status !== 200) {
        expect(JSON.stringify(fhir.body)).not.toContain(r.medicine.display);
        expect(JSON.stringify(fhir.body)).not.toContain(r.wishes.advanceDirectives.originalKeptAt);
      }
    }
    expect((await search('Consent', `patient=${r.p.dmpId}`, physio)).status).toBe(403);
    expect((await search('MedicationDispense', `patient=${r.p.dmpId}`, physio)).status).toBe(403);
    expect((await search('Immunization', `patient=${r.p.dmpId}`, physio)).status).toBe(403);
    expect(await resources('AllergyIntolerance', r.p.dmpId, physio)).toHaveLength(1);
  });

  it('never show what the patient masked, what a minor keeps confidential, nor a representative’s id to a professional', async () => {
    const r = await fullRecord();
    expect((await api.call('PUT', `/v1/records/${r.p.dmpId}/claims/visibility`, { token: r.token, body: { maskedToProfessionals: true } })).status).toBe(200);
    const masked = await search('MedicationDispense', `patient=${r.p.dmpId}`, doctor);
    sameRefusal(masked, await api.call('GET', `/v1/records/${r.p.dmpId}/claims`, { token: doctor }), 'the masked history');
    expect(JSON.stringify(masked.body)).not.toContain(r.medicine.display);
    // The history's vaccine delivery leaves the doctor's Immunization list too (as GET …/vaccinations).
    expect((await resources('Immunization', r.p.dmpId, doctor)).map((i) => i.primarySource)).toEqual([true]);
    expect(await resources('MedicationDispense', r.p.dmpId, r.token)).toHaveLength(1);

    // A minor's record, with a representative in session.
    const repMobile = randomMobile();
    const body = recordBody({
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile: repMobile }],
    });
    const created = await api.call('POST', '/v1/records', { token: doctor, body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const rep = created.body.representatives[0];
    const minor = {
      dmpId: created.body.dmpId as string,
      representativeLoginId: rep.loginId as string,
      representativeToken: (await activeSession(api, { dmpId: created.body.dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile: repMobile })).token,
    };
    const secret = medicationLine({ confidential: true, display: `SECRET ${canary('Med')}` });
    const open = medicationLine();
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: body.ins, lines: [secret, open] }] })).body.lines.accepted).toBe(2);
    const seenByRep = await resources('MedicationDispense', minor.dmpId, minor.representativeToken);
    expect(seenByRep.map((d) => d.medicationCodeableConcept.text)).toEqual([open.display]);
    expect(JSON.stringify(seenByRep)).not.toContain(secret.display);
    // The doctor sees both; the restricted label is the holders' concern only (as GET …/claims shows the flag).
    const seenByDoctor = await resources('MedicationDispense', minor.dmpId, doctor);
    expect(seenByDoctor).toHaveLength(2);
    expect(seenByDoctor.every((d) => d.meta === undefined)).toBe(true);
    // A weight the representative entered: its login id to the record's holders only.
    expect((await postMeasurements(api, minor.representativeToken, minor.dmpId, [weight({ value: 30 })])).status).toBe(200);
    const [own] = await resources('Observation', minor.dmpId, minor.representativeToken);
    expect(own.performer[0].identifier.value).toBe(minor.representativeLoginId);
    const [seen] = await resources('Observation', minor.dmpId, doctor);
    expect(seen.performer).toEqual([{ type: 'RelatedPerson', display: 'Représentant légal' }]);
    expect(JSON.stringify(seen)).not.toContain(minor.representativeLoginId);
  });
});

describe('paging and filters', () => {
  it('pages Observations by the next link, filters by code and date', async () => {
    const p = await newPatient(api, doctor);
    const { token } = await activeSession(api, p);
    const series = [50, 40, 30, 20, 10].map((m, i) => weight({ value: 70 + i, effectiveAt: minutesAgo(m) }));
    expect((await postMeasurements(api, token, p.dmpId, [...series, bloodPressure({ effectiveAt: minutesAgo(5) })])).status).toBe(200);
    const seen: string[] = [];
    let link: string | undefined = `/fhir/Observation?patient=Patient/${p.dmpId}&code=http://loinc.org|29463-7&_count=2`;
    for (let pages = 0; link && pages < 10; pages++) {
      const res: Answer = await api.call('GET', link, { token });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
      const bundle: Bundle = validateFhir(res.body as Bundle);
      expect(bundle.entry?.length).toBeLessThanOrEqual(2);
      seen.push(...(bundle.entry ?? []).map((e) => (e.resource as any).valueQuantity.value));
      link = bundle.link?.find((l) => l.relation === 'next')?.url;
    }
    expect(seen).toEqual([74, 73, 72, 71, 70]);
    const today = new Date().toISOString().slice(0, 10);
    expect(await resources('Observation', p.dmpId, token, `&date=${today}`)).toHaveLength(6);
    expect(await resources('Observation', p.dmpId, token, `&date=ge${minutesAgo(25)}`)).toHaveLength(3);
    expect(await resources('Observation', p.dmpId, token, `&date=lt${minutesAgo(35)}&code=29463-7`)).toHaveLength(2);
    expect(await resources('Observation', p.dmpId, token, `&date=gt${today}`)).toHaveLength(0);
  });

  it('pages a list read whole by position, and the history by its cursor', async () => {
    const r = await fullRecord();
    const first = await bundleOf('Immunization', r.p.dmpId, r.token, '&_count=1');
    const next = first.link?.find((l) => l.relation === 'next')?.url ?? '';
    expect(next).toContain('_cursor=o1');
    const second = validateFhir((await api.call('GET', next, { token: r.token })).body as Bundle);
    expect(second.link?.find((l) => l.relation === 'next')).toBeUndefined();
    expect([...(first.entry ?? []), ...(second.entry ?? [])].map((e) => e.resource?.id)).toHaveLength(2);
    expect(new Set([...(first.entry ?? []), ...(second.entry ?? [])].map((e) => e.resource?.id)).size).toBe(2);

    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: r.p.ins, lines: [medicationLine({ date: daysAgo(5) })] }] })).status).toBe(200);
    const page = await bundleOf('MedicationDispense', r.p.dmpId, r.token, '&_count=1');
    const rest = validateFhir((await api.call('GET', page.link?.find((l) => l.relation === 'next')?.url ?? '', { token: r.token })).body as Bundle);
    expect([...(page.entry ?? []), ...(rest.entry ?? [])].map((e) => (e.resource as any).whenHandedOver)).toEqual([daysAgo(5), daysAgo(10)]);
  });
});

describe('bad searches', () => {
  it('answer 400 for a missing patient, an unknown parameter, a parameter of the wrong form or repeated, 404 for an unknown record', async () => {
    const p = await newPatient(api, doctor);
    const { token } = await activeSession(api, p);
    const traces = async () => (await api.scanAll()).filter((i) => i.pk?.S === `REC#${p.dmpId}` && String(i.sk?.S).startsWith('TRACE#')).length;
    const before = await traces();
    const bad = [
      'AllergyIntolerance?',
      `Condition?patient=${p.dmpId}&clinical-status=active`,
      `Condition?patient=${p.dmpId}&_count=0`,
      `Condition?patient=${p.dmpId}&_count=abc`,
      `Immunization?patient=${p.dmpId}&_cursor=zz`,
      `Observation?patient=${p.dmpId}&code=1234-5`,
      `Observation?patient=${p.dmpId}&date=yesterday`,
      `Observation?patient=${p.dmpId}&date=2026-13-45`,
      `Observation?patient=${p.dmpId}&date=ge2026-01-01&date=le2026-02-01`,
      `Observation?patient=${p.dmpId}&_cursor=notacursor`,
      `MedicationDispense?patient=${p.dmpId}&_cursor=notacursor`,
      'Consent?patient=Practitioner/abcdefghij',
      'AuditEvent?patient=a',
    ];
    for (const query of bad) {
      const res = await api.call('GET', `/fhir/${query}`, { token });
      expect(res.status, query).toBe(400);
      expect(JSON.stringify(res.body)).not.toContain(p.dmpId);
    }
    for (const type of TYPES) {
      const res = await search(type, 'patient=NoSuchRecord0001', doctor);
      expect(res.status, type).toBe(404);
    }
    // None of them was a read of the record: none left a trace.
    expect(await traces()).toBe(before);
  });
});

describe('readClinicalResources (for Patient/$everything)', () => {
  it('gives everything the caller may see, leaving out the kinds it may not, each read traced', async () => {
    const r = await fullRecord();
    const deps = withFhirHealth(api.runtime.deps);
    const call = (actor: any) => ({ actor, body: {}, params: {}, query: {}, idempotencyKey: undefined, requestId: `req-${canary('x')}`, sourceIp: '127.0.0.1' });
    const all = await readClinicalResources(deps, call({ kind: 'professional', id: doctorId, profession: '10' }), r.p.dmpId);
    for (const resource of all) validateFhir(resource);
    const kinds = (list: Resource[]) => [...new Set(list.map((x) => x.resourceType))].sort();
    expect(kinds(all)).toEqual([...TYPES].sort());
    const physioId = randomRpps();
    await authorize(r.p.dmpId, r.token, physioId);
    const physio = call({ kind: 'professional', id: physioId, profession: '70' });
    const some = await readClinicalResources(deps, physio, r.p.dmpId);
    // A physiotherapist (70) reads the profile (class 11), not the wishes, vaccinations (45), measurements (90) nor the history (60);
    // of the access log, its own actions only: none yet.
    expect(kinds(some)).toEqual(['AllergyIntolerance', 'Condition']);
    expect(JSON.stringify(some)).not.toContain(r.medicine.display);
    const traced = ((await accessLog(api, r.token, r.p.dmpId)) as { action: string; requestId?: string }[]).filter((t) => t.requestId === physio.requestId).map((t) => t.action);
    expect(traced).toEqual(['profile.read']);
    // The doctor's export was traced kind by kind.
    expect((await accessLog(api, r.token, r.p.dmpId)).filter((t) => t.actor.id === doctorId && t.action === 'claims.read')).toHaveLength(1);
  });
});

/**
 * The pure mappers of the FHIR views of the health data: each view as its reader gets it becomes
 * the FHIR resource a vendor's software expects, and every resource they emit passes the FHIR R4
 * validator of @medplum/core (test/support/fhir-validate.ts), in every shape the views take.
 */
import { describe, expect, it } from 'vitest';
import { auditAction, auditEvent, type TraceEntry } from '../../functions/capabilities/fhir-health/map-audit-event.ts';
import { advanceDirectiveConsent } from '../../functions/capabilities/fhir-health/map-consent.ts';
import { medicationDispense } from '../../functions/capabilities/fhir-health/map-medication-dispense.ts';
import { observation } from '../../functions/capabilities/fhir-health/map-observation.ts';
import { allergyIntolerance, condition } from '../../functions/capabilities/fhir-health/map-profile.ts';
import { immunization, immunizationRecommendation } from '../../functions/capabilities/fhir-health/map-vaccinations.ts';
import { fhirId, searchset } from '../../functions/capabilities/fhir-health/fhir.ts';
import { validateFhir } from '../support/fhir-validate.ts';
import { documentResourceId, patientId } from '#domain/fhir/ids';

const DMP = 'Ab3_x-Yz0123456789abcd';
const AT = '2026-03-04T10:20:30.000Z';
const DOCTOR = '810001234567';

describe('the validator itself', () => {
  it('refuses what FHIR R4 refuses: a missing required element, an invariant broken, an id of other characters', () => {
    expect(() => validateFhir({ resourceType: 'Condition' } as never)).toThrow();
    expect(() => validateFhir({ resourceType: 'AllergyIntolerance', patient: { reference: `Patient/${patientId(DMP)}` } })).toThrow(/ait-1/);
    expect(() => validateFhir({ resourceType: 'Condition', id: 'a_b', subject: { reference: 'Patient/x' } })).toThrow(/id/);
  });
});

describe('fhirId', () => {
  it('makes FHIR ids of base64url ids, distinct and prefixed', () => {
    expect(fhirId('adr', DMP)).toBe('adr-Ab3.x-Yz0123456789abcd');
    expect(fhirId('x', 'a_b')).not.toBe(fhirId('x', 'a-b'));
  });
});

describe('AllergyIntolerance and Condition', () => {
  const allergy = {
    id: 'abcdefghijklmnop',
    substance: 'Pénicilline',
    category: 'medication' as const,
    reaction: 'Urticaire',
    criticality: 'high' as const,
    source: 'professional' as const,
    author: { id: DOCTOR, profession: '10' },
    recordedAt: AT,
  };

  it('maps an allergy with its category, criticality, reaction and recorder', () => {
    const r = validateFhir(allergyIntolerance(DMP, allergy));
    expect(r).toMatchObject({
      id: 'allergy-abcdefghijklmnop',
      category: ['medication'],
      criticality: 'high',
      code: { text: 'Pénicilline' },
      patient: { reference: `Patient/${patientId(DMP)}` },
      reaction: [{ manifestation: [{ text: 'Urticaire' }] }],
      recordedDate: AT,
      recorder: { type: 'Practitioner', identifier: { value: DOCTOR } },
    });
    expect(r.clinicalStatus?.coding?.[0]?.code).toBe('active');
  });

  it('leaves an `other` allergy uncategorised, and a representative unnamed when the view hid its id', () => {
    const { author: _hidden, ...rest } = allergy;
    const r = validateFhir(allergyIntolerance(DMP, { ...rest, category: 'other', source: 'representative' }));
    expect(r.category).toBeUndefined();
    expect(r.recorder).toEqual({ type: 'RelatedPerson', display: 'Représentant légal' });
    const own = validateFhir(allergyIntolerance(DMP, { ...allergy, source: 'patient', author: { id: DMP } }));
    expect(own.recorder).toEqual({ reference: `Patient/${patientId(DMP)}` });
  });

  it('maps a condition with its onset', () => {
    const c = validateFhir(condition(DMP, { id: 'bcdefghijklmnopq', text: 'Diabète de type 2', since: '2019-05-01', source: 'patient', author: { id: DMP }, recordedAt: AT }));
    expect(c).toMatchObject({
      id: 'condition-bcdefghijklmnopq',
      code: { text: 'Diabète de type 2' },
      onsetDateTime: '2019-05-01',
      subject: { reference: `Patient/${patientId(DMP)}` },
    });
    expect(validateFhir(condition(DMP, { id: 'bcdefghijklmnopq', text: 'Asthme', source: 'patient', recordedAt: AT })).onsetDateTime).toBeUndefined();
  });
});

describe('Consent (advance directives)', () => {
  const wishes = (advanceDirectives: Record<string, unknown>) => ({ declared: true, advanceDirectives, source: 'patient' as const, author: { id: DMP }, recordedAt: AT }) as never;

  it('is a Consent of scope adr for directives that exist, pointing to their document', () => {
    const c = validateFhir(advanceDirectiveConsent(DMP, wishes({ exist: true, writtenOn: '2025-01-02', documentId: 'doc123' })) ?? ({} as never));
    expect(c.scope.coding?.[0]?.code).toBe('adr');
    expect(c.category.flatMap((cc) => cc.coding?.map((k) => k.code))).toEqual(['59284-0', 'acd']);
    expect(c).toMatchObject({
      status: 'active',
      dateTime: '2025-01-02',
      sourceReference: { reference: `DocumentReference/${documentResourceId(DMP, 'doc123')}` },
      patient: { reference: `Patient/${patientId(DMP)}` },
    });
  });

  it('says where the paper original is kept when no document holds them', () => {
    const c = validateFhir(advanceDirectiveConsent(DMP, wishes({ exist: true, originalKeptAt: 'Chez ma fille' })) ?? ({} as never));
    expect(c.sourceAttachment?.title).toContain('Chez ma fille');
  });

  it('makes none when the patient wrote none, or said there are none', () => {
    expect(advanceDirectiveConsent(DMP, { declared: false })).toBeUndefined();
    expect(advanceDirectiveConsent(DMP, wishes({ exist: false }))).toBeUndefined();
  });
});

describe('Immunization and ImmunizationRecommendation', () => {
  const recorded = {
    id: 'vacc00000001',
    source: 'professional' as const,
    author: { kind: 'professional' as const, id: DOCTOR, profession: '10' },
    date: '2026-01-10',
    dateKind: 'administration' as const,
    vaccine: { name: 'Revaxis', codeSystem: 'ATC_VALENCE' as const, code: 'J07CA01' },
    doseNumber: 2,
    recordedAt: AT,
    lotNumber: 'N-77/2',
    vaccinator: { kind: 'professional' as const, id: DOCTOR, profession: '10' },
    nextBoosterDate: '2046-01-10',
  };

  it('maps a vaccination recorded by its vaccinator as a primary source, with lot and dose', () => {
    const i = validateFhir(immunization(DMP, recorded));
    expect(i).toMatchObject({
      id: 'vaccination-vacc00000001',
      status: 'completed',
      primarySource: true,
      occurrenceDateTime: '2026-01-10',
      lotNumber: 'N-77/2',
      protocolApplied: [{ doseNumberPositiveInt: 2 }],
      vaccineCode: { coding: [{ system: 'http://www.whocc.no/atc', code: 'J07CA01' }] },
      performer: [{ actor: { identifier: { value: DOCTOR } } }],
    });
    expect(i.reportOrigin).toBeUndefined();
  });

  it('maps a declared vaccination and a delivery of the history as reported, not primary', () => {
    const declared = validateFhir(
      immunization(DMP, {
        ...recorded,
        source: 'patient',
        author: { kind: 'patient', id: DMP },
        vaccinator: { kind: 'declared', name: 'Dr Martin' },
        vaccine: { name: 'Boostrixtetra', codeSystem: 'CIP13', code: '3400930000001', atcValence: 'J07CA02' },
      }),
    );
    expect(declared).toMatchObject({ primarySource: false, reportOrigin: { coding: [{ code: 'recall' }] }, performer: [{ actor: { display: 'Dr Martin' } }] });
    expect(declared.vaccineCode.coding).toEqual([
      { system: 'urn:oid:1.2.250.1.215.200.1.1.1', code: '3400930000001', display: 'Boostrixtetra' },
      { system: 'http://www.whocc.no/atc', code: 'J07CA02' },
    ]);
    const delivery = validateFhir(
      immunization(DMP, {
        id: 'line_0001',
        source: 'claims',
        author: { kind: 'insurer', id: 'cnam' },
        date: '2025-10-01',
        dateKind: 'delivery',
        vaccine: { name: 'Influvac', codeSystem: 'CIP13', code: '3400930000002' },
      }),
    );
    expect(delivery).toMatchObject({ id: 'vaccination-line.0001', primarySource: false, reportOrigin: { coding: [{ code: 'record' }] } });
    expect(delivery.performer).toBeUndefined();
  });

  it('maps due items: overdue, due, upcoming (due on its date), with the vaccine of the booster it follows', () => {
    const item = {
      id: 'booster-vacc00000001',
      kind: 'booster' as const,
      display: 'Rappel Revaxis',
      dueDate: '2046-01-10',
      window: { from: '2046-01-10', to: '2046-01-10' },
      vaccinationId: 'vacc00000001',
    };
    const upcoming = validateFhir(immunizationRecommendation(DMP, { ...item, status: 'upcoming' }, '2026-03-04', recorded.vaccine));
    const rec = upcoming.recommendation[0];
    expect(rec?.forecastStatus).toMatchObject({ coding: [{ code: 'due' }], text: 'upcoming' });
    expect(rec?.dateCriterion?.map((d) => [d.code.coding?.[0]?.code, d.value])).toEqual([
      ['30980-7', '2046-01-10'],
      ['30981-5', '2046-01-10'],
      ['59777-3', '2046-01-10'],
    ]);
    expect(rec?.supportingImmunization).toEqual([{ reference: 'Immunization/vaccination-vacc00000001' }]);
    expect(rec?.vaccineCode?.[0]?.coding?.[0]?.code).toBe('J07CA01');
    const calendar = { id: 'dtp-65', kind: 'calendar' as const, boosterId: 'dtp', display: 'DTP 65 ans', dueDate: '2026-01-01', window: { from: '2025-09-01', to: '2026-05-01' } };
    const overdue = validateFhir(immunizationRecommendation(DMP, { ...calendar, status: 'overdue' }, '2026-06-01'));
    expect(overdue).toMatchObject({
      id: 'due-dtp-65',
      date: '2026-06-01',
      recommendation: [{ forecastStatus: { coding: [{ code: 'overdue' }] }, vaccineCode: [{ text: 'DTP 65 ans' }] }],
    });
    validateFhir(immunizationRecommendation(DMP, { ...calendar, status: 'due' }, '2026-01-01'));
  });
});

describe('Observation', () => {
  it('maps a weight from a device: LOINC code, UCUM quantity, the device', () => {
    const o = validateFhir(
      observation(DMP, {
        measurementId: 'm1',
        code: '29463-7',
        unit: 'kg',
        value: 72.5,
        effectiveAt: AT,
        author: { kind: 'device', id: 'dev1' },
        deviceId: 'dev1',
        recordedAt: AT,
      }),
    );
    expect(o).toMatchObject({
      status: 'final',
      category: [{ coding: [{ code: 'vital-signs' }] }],
      code: { coding: [{ system: 'http://loinc.org', code: '29463-7', display: 'Poids' }] },
      valueQuantity: { value: 72.5, unit: 'kg', system: 'http://unitsofmeasure.org', code: 'kg' },
      effectiveDateTime: AT,
      device: { identifier: { value: 'dev1' } },
    });
    expect(o.performer).toBeUndefined();
  });

  it('maps a blood pressure as its two components, entered by the patient', () => {
    const o = validateFhir(
      observation(DMP, {
        measurementId: 'm2',
        code: '85354-9',
        unit: 'mm[Hg]',
        components: [
          { code: '8480-6', value: 128 },
          { code: '8462-4', value: 82 },
        ],
        effectiveAt: AT,
        author: { kind: 'patient', id: DMP },
        recordedAt: AT,
      }),
    );
    expect(o.valueQuantity).toBeUndefined();
    expect(o.component?.map((c) => [c.code.coding?.[0]?.code, c.valueQuantity?.value, c.valueQuantity?.code])).toEqual([
      ['8480-6', 128, 'mm[Hg]'],
      ['8462-4', 82, 'mm[Hg]'],
    ]);
    expect(o.performer).toEqual([{ reference: `Patient/${patientId(DMP)}` }]);
  });

  it('categorises glucose, steps and pain as laboratory, activity and survey', () => {
    const of = (code: string, unit: string, value: number) =>
      validateFhir(observation(DMP, { measurementId: code, code, unit, value, effectiveAt: AT, author: { kind: 'representative' }, recordedAt: AT })).category?.[0]?.coding?.[0]
        ?.code;
    expect([of('2339-0', 'mg/dL', 95), of('41950-7', '/(24.h)', 8000), of('72514-3', '{score}', 3)]).toEqual(['laboratory', 'activity', 'survey']);
  });
});

describe('MedicationDispense', () => {
  const line = {
    sourceId: 's1',
    category: 'medication' as const,
    date: '2026-02-01',
    codeSystem: 'CIP13',
    code: '3400934567890',
    display: 'DOLIPRANE 1000MG CPR',
    atcGroup: 'N02',
    atcValence: 'N02BE01',
    quantity: 2,
    prescriber: { id: DOCTOR, profession: '10' },
    performer: { finess: '750000001', name: 'Pharmacie du centre' },
  };

  it('maps a medicine line: the product and its ATC class, the day handed over, the pharmacy, the prescriber', () => {
    const d = validateFhir(medicationDispense(DMP, 'line_1', line, false));
    expect(d).toMatchObject({
      id: 'claim-line.1',
      status: 'completed',
      whenHandedOver: '2026-02-01',
      quantity: { value: 2 },
      medicationCodeableConcept: { text: 'DOLIPRANE 1000MG CPR', coding: [{ code: '3400934567890' }, { system: 'http://www.whocc.no/atc', code: 'N02BE01' }] },
      performer: [{ actor: { identifier: { value: '750000001' }, display: 'Pharmacie du centre' } }],
      authorizingPrescription: [{ reference: '#prescription' }],
    });
    expect(d.contained?.[0]).toMatchObject({ resourceType: 'MedicationRequest', requester: { identifier: { value: DOCTOR } } });
    expect(d.meta).toBeUndefined();
  });

  it('labels a confidential line restricted for the holders only, and maps a bare line', () => {
    expect(validateFhir(medicationDispense(DMP, 'l2', { ...line, confidential: true }, true)).meta?.security?.[0]?.code).toBe('R');
    expect(medicationDispense(DMP, 'l2', { ...line, confidential: true }, false).meta).toBeUndefined();
    const bare = validateFhir(
      medicationDispense(DMP, 'l3', { sourceId: 's3', category: 'medication', date: '2026-02-02', codeSystem: 'UCD', code: '3400800000001', display: 'X' }, false),
    );
    expect(bare.contained).toBeUndefined();
    expect(bare.medicationCodeableConcept?.coding?.[0]?.system).toBe('urn:oid:1.2.250.1.215.200.1.1.2');
  });
});

describe('AuditEvent', () => {
  const entry: TraceEntry = {
    at: AT,
    actor: { kind: 'professional', id: DOCTOR, profession: '10' },
    action: 'document.read',
    mode: 'normal',
    documentId: 'doc9',
    outcome: 'allowed',
    requestId: 'r1',
  };

  it('maps a read of a document: who, what, when, a success', () => {
    const a = validateFhir(auditEvent(DMP, entry));
    expect(a).toMatchObject({
      action: 'R',
      recorded: AT,
      outcome: '0',
      subtype: [{ code: 'document.read' }],
      agent: [{ who: { identifier: { value: DOCTOR } }, requestor: true }],
    });
    expect(a.entity?.map((e) => e.what?.reference)).toEqual([`Patient/${patientId(DMP)}`, `DocumentReference/${documentResourceId(DMP, 'doc9')}`]);
    expect(a.id).toBe(auditEvent(DMP, entry).id);
    expect(a.id).not.toBe(auditEvent(DMP, { ...entry, at: '2026-03-04T10:20:31.000Z' }).id);
  });

  it('maps a refusal as a failure with its code, a break-glass access with its purpose, the patient as agent', () => {
    const refused = validateFhir(auditEvent(DMP, { ...entry, outcome: 'refused', reason: 'no-authorization', action: 'profile.read' }));
    expect(refused).toMatchObject({ outcome: '4', outcomeDesc: 'no-authorization' });
    const btg = validateFhir(auditEvent(DMP, { ...entry, mode: 'break-glass', action: 'access.emergency' }));
    expect(btg.purposeOfEvent?.[0]?.coding?.[0]?.code).toBe('BTG');
    expect(validateFhir(auditEvent(DMP, { ...entry, mode: 'regulation' })).purposeOfEvent?.[0]?.coding?.[0]?.code).toBe('ETREAT');
    const own = validateFhir(
      auditEvent(DMP, { at: AT, actor: { kind: 'patient', id: DMP }, action: 'settings.update', mode: 'normal', outcome: 'allowed', professionalId: DOCTOR }),
    );
    expect(own.agent[0]?.who).toEqual({ reference: `Patient/${patientId(DMP)}` });
    expect(own.entity?.[1]?.what?.identifier?.value).toBe(DOCTOR);
    validateFhir(auditEvent(DMP, { at: AT, actor: { kind: 'system' }, action: 'claims.update', mode: 'normal', outcome: 'allowed' }));
  });

  it('names the action by its verb', () => {
    expect(['record.create', 'document.list', 'document.update', 'document.delete', 'session.open', 'password.change', 'whatever.else'].map(auditAction)).toEqual([
      'C',
      'R',
      'U',
      'D',
      'C',
      'U',
      'E',
    ]);
  });
});

describe('searchset', () => {
  it('is a valid searchset Bundle with its links', () => {
    const b = validateFhir(
      searchset([condition(DMP, { id: 'cdefghijklmnopqr', text: 'x', source: 'patient', recordedAt: AT })], {
        self: '/fhir/Condition?patient=x',
        next: '/fhir/Condition?patient=x&_cursor=o1',
      }),
    );
    expect(b.link?.map((l) => l.relation)).toEqual(['self', 'next']);
    expect(b.entry?.[0]?.search?.mode).toBe('match');
  });
});

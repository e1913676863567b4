/**
 * The access policy of the patient's health data as a decision table: decideHealthRead and
 * decideHealthWrite for the four kinds (profile, wishes, vaccinations, measurements), every kind of
 * caller and standing. Every row states its case and the outcome the rules give, written by hand:
 * `allow:<mode>`, or `<answer>:<code>` for a denial. The matrix is the product's own
 * (data/access-matrix.json through the reference-data loader); the profession rows are generated
 * from a grid copied by hand from that file (the oracle), never from the module.
 */
import { describe, expect, it } from 'vitest';
import {
  decideHealthRead,
  decideHealthWrite,
  HEALTH_KINDS,
  type Decision,
  type EmergencyGrant,
  type HealthKind,
  type RecordFacts,
  type Relation,
  type Standing,
} from '../../functions/domain/access-policy.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { defaultAccessMatrix } from '../../functions/domain/reference-data.ts';
import professionsData from '../../data/professions.json' with { type: 'json' };

const NOW = new Date('2026-11-23T10:00:00Z');
const HOUR = 3600_000;
const at = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();

const DMP = 'rec-00001';
const active: RecordFacts = { dmpId: DMP, status: 'active' };
const closed: RecordFacts = { dmpId: DMP, status: 'closed' };
const minor: RecordFacts = { ...active, minor: true };
const noOpposition: RecordFacts = { ...active, emergencyAccess: { breakGlass: true, regulation: true } };
const opposesBreakGlass: RecordFacts = { ...active, emergencyAccess: { breakGlass: false, regulation: true } };
const opposesRegulation: RecordFacts = { ...active, emergencyAccess: { breakGlass: true, regulation: false } };

const RELATIONS = {
  none: undefined,
  authorized: { status: 'authorized', attendingPhysician: false },
  attending: { status: 'authorized', attendingPhysician: true },
  expired: { status: 'authorized', attendingPhysician: false, expiresAt: at(-HOUR) },
  blocked: { status: 'blocked', attendingPhysician: false },
} satisfies Record<string, Relation | undefined>;

const GRANTS = {
  none: undefined,
  breakGlass: { mode: 'break-glass', until: at(6 * HOUR) },
  breakGlassLapsed: { mode: 'break-glass', until: at(-HOUR) },
  regulation: { mode: 'regulation', until: at(6 * HOUR) },
} satisfies Record<string, EmergencyGrant | undefined>;

const standing = (rel: keyof typeof RELATIONS = 'none', grant: keyof typeof GRANTS = 'none'): Standing => ({ relation: RELATIONS[rel], emergency: GRANTS[grant] });

const pro = (profession: string, role?: string): Actor => ({ kind: 'professional', id: `pro-${profession}${role ? `-${role}` : ''}`, profession, ...(role ? { role } : {}) });
const doctor = pro('10');
const regulator = pro('10', 'regulator');
const patient: Actor = { kind: 'patient', dmpId: DMP, loginId: '11111111111' };
const otherPatient: Actor = { kind: 'patient', dmpId: 'rec-00002', loginId: '22222222222' };
const representative: Actor = { kind: 'representative', dmpId: DMP, loginId: '33333333333' };
const otherRepresentative: Actor = { kind: 'representative', dmpId: 'rec-00002', loginId: '44444444444' };
const device: Actor = { kind: 'device', id: 'dev-1', dmpId: DMP };
const otherDevice: Actor = { kind: 'device', id: 'dev-2', dmpId: 'rec-00002' };
const agent: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };
const insurer: Actor = { kind: 'insurer', id: 'cnam-claims-sync' };
const anonymous: Actor = { kind: 'anonymous' };

const KINDS: readonly HealthKind[] = ['profile', 'wishes', 'vaccinations', 'measurements'];
const outcome = (d: Decision): string => (d.allow ? `allow:${d.mode}` : `${d.answer}:${d.code}`);

/** One caller in one situation, with the outcome of each kind: [profile, wishes, vaccinations, measurements]. */
interface Row {
  case: string;
  actor: Actor;
  record?: RecordFacts;
  standing?: Standing;
  read: [string, string, string, string];
  write: [string, string, string, string];
}

const ALL = (o: string): [string, string, string, string] => [o, o, o, o];
const NOT_FOUND = 'not-found:not-found';

const ROWS: Row[] = [
  // --- the record's holders -------------------------------------------------------------------
  { case: 'the patient, own record', actor: patient, read: ALL('allow:normal'), write: ALL('allow:normal') },
  { case: 'the patient, another record', actor: otherPatient, read: ALL(NOT_FOUND), write: ALL(NOT_FOUND) },
  {
    case: 'the patient, own record of a minor: no advance directives',
    actor: patient,
    record: minor,
    read: ALL('allow:normal'),
    write: ['allow:normal', 'refused:adults-only', 'allow:normal', 'allow:normal'],
  },
  {
    case: 'the patient, own closed record: read-only',
    actor: patient,
    record: closed,
    read: ALL('allow:normal'),
    write: ALL('conflict:record-closed'),
  },
  {
    case: 'a representative, own record: everything but the wishes',
    actor: representative,
    read: ALL('allow:normal'),
    write: ['allow:normal', 'forbidden:patient-only', 'allow:normal', 'allow:normal'],
  },
  {
    case: 'a representative, a minor’s record',
    actor: representative,
    record: minor,
    read: ALL('allow:normal'),
    write: ['allow:normal', 'forbidden:patient-only', 'allow:normal', 'allow:normal'],
  },
  { case: 'a representative, own closed record', actor: representative, record: closed, read: ALL('allow:normal'), write: ALL('conflict:record-closed') },
  { case: 'a representative, another record', actor: otherRepresentative, read: ALL(NOT_FOUND), write: ALL(NOT_FOUND) },

  // --- professionals: standing ----------------------------------------------------------------
  {
    case: 'a doctor, authorised',
    actor: doctor,
    standing: standing('authorized'),
    read: ALL('allow:normal'),
    write: ['allow:normal', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a doctor, attending physician',
    actor: doctor,
    standing: standing('attending'),
    read: ALL('allow:normal'),
    write: ['allow:normal', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a doctor without authorization: reads nothing, vaccinates all the same',
    actor: doctor,
    read: ALL('forbidden:no-authorization'),
    write: ['forbidden:no-authorization', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a doctor whose authorization expired',
    actor: doctor,
    standing: standing('expired'),
    read: ALL('forbidden:authorization-expired'),
    write: ['forbidden:authorization-expired', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  { case: 'a doctor the patient blocked: refused everything', actor: doctor, standing: standing('blocked'), read: ALL('forbidden:blocked'), write: ALL('forbidden:blocked') },
  {
    case: 'a blocked doctor in a break-glass access: still blocked',
    actor: doctor,
    record: noOpposition,
    standing: standing('blocked', 'breakGlass'),
    read: ALL('forbidden:blocked'),
    write: ALL('forbidden:blocked'),
  },
  { case: 'a doctor, closed record: no such record', actor: doctor, record: closed, standing: standing('authorized'), read: ALL(NOT_FOUND), write: ALL(NOT_FOUND) },

  // --- professionals: emergency modes ---------------------------------------------------------
  {
    case: 'a doctor in break-glass, not opposed',
    actor: doctor,
    record: noOpposition,
    standing: standing('none', 'breakGlass'),
    read: ALL('allow:break-glass'),
    write: ['allow:break-glass', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a doctor in break-glass, opposed by the patient',
    actor: doctor,
    record: opposesBreakGlass,
    standing: standing('none', 'breakGlass'),
    read: ALL('forbidden:no-authorization'),
    write: ['forbidden:no-authorization', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a doctor whose break-glass access lapsed',
    actor: doctor,
    record: noOpposition,
    standing: standing('none', 'breakGlassLapsed'),
    read: ALL('forbidden:no-authorization'),
    write: ['forbidden:no-authorization', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a regulator in regulation, not opposed',
    actor: regulator,
    record: noOpposition,
    standing: standing('none', 'regulation'),
    read: ALL('allow:regulation'),
    write: ['allow:regulation', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a regulator in regulation, opposed by the patient',
    actor: regulator,
    record: opposesRegulation,
    standing: standing('none', 'regulation'),
    read: ALL('forbidden:no-authorization'),
    write: ['forbidden:no-authorization', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a doctor who is no regulator, in regulation',
    actor: doctor,
    record: noOpposition,
    standing: standing('none', 'regulation'),
    read: ALL('forbidden:no-authorization'),
    write: ['forbidden:no-authorization', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },
  {
    case: 'a pharmacist in break-glass: the matrix still applies',
    actor: pro('21'),
    record: noOpposition,
    standing: standing('none', 'breakGlass'),
    read: ['allow:break-glass', 'forbidden:profession-not-allowed', 'allow:break-glass', 'allow:break-glass'],
    write: ['allow:break-glass', 'forbidden:patient-writes', 'allow:normal', 'forbidden:patient-writes'],
  },

  // --- devices --------------------------------------------------------------------------------
  {
    case: 'a device paired with this record: writes measurements, reads nothing',
    actor: device,
    read: ALL('forbidden:device-writes-measurements-only'),
    write: ['forbidden:device-writes-measurements-only', 'forbidden:device-writes-measurements-only', 'forbidden:device-writes-measurements-only', 'allow:normal'],
  },
  {
    case: 'a device paired with this record, closed',
    actor: device,
    record: closed,
    read: ALL('forbidden:device-writes-measurements-only'),
    write: ['forbidden:device-writes-measurements-only', 'forbidden:device-writes-measurements-only', 'forbidden:device-writes-measurements-only', 'conflict:record-closed'],
  },
  {
    case: 'a device paired with another record',
    actor: otherDevice,
    read: ALL('forbidden:device-writes-measurements-only'),
    write: [
      'forbidden:device-writes-measurements-only',
      'forbidden:device-writes-measurements-only',
      'forbidden:device-writes-measurements-only',
      'forbidden:device-not-for-this-record',
    ],
  },

  // --- everyone else --------------------------------------------------------------------------
  { case: 'a CPAM agent', actor: agent, read: ALL('forbidden:agents-do-not-read'), write: ALL('forbidden:agents-do-not-write') },
  { case: 'the insurer’s sync', actor: insurer, read: ALL('forbidden:insurer-writes-only'), write: ALL('forbidden:insurer-writes-only') },
  { case: 'an anonymous caller', actor: anonymous, read: ALL(NOT_FOUND), write: ALL(NOT_FOUND) },
  { case: 'an anonymous caller, closed record', actor: anonymous, record: closed, read: ALL(NOT_FOUND), write: ALL(NOT_FOUND) },
];

describe('decideHealthRead and decideHealthWrite, by caller', () => {
  for (const row of ROWS) {
    KINDS.forEach((kind, i) => {
      it(`${row.case}: reads ${kind} → ${row.read[i]}, writes → ${row.write[i]}`, () => {
        const record = row.record ?? active;
        const facts = row.standing ?? standing();
        expect(outcome(decideHealthRead(row.actor, record, facts, kind, NOW, defaultAccessMatrix))).toBe(row.read[i]);
        expect(outcome(decideHealthWrite(row.actor, record, facts, kind, NOW, defaultAccessMatrix))).toBe(row.write[i]);
      });
    });
  }
});

// ---------------------------------------------------------------------------------------------
// The professions, authorised: which kinds each reads, copied by hand from access-matrix.json
// (profile: class 11; wishes: the EXPPAT_3 exception, doctors, midwives, nurses; vaccinations:
// class 45; measurements: class 90). Writing follows: the profile for whoever reads it, the
// vaccinations for every profession, the wishes and the measurements for none.
// ---------------------------------------------------------------------------------------------

const GRID = `
        profile wishes vaccinations measurements
  10      R       R       R            R
  21      R       .       R            R
  26      R       .       .            .
  28      R       .       .            .
  40      R       .       R            .
  50      R       R       R            R
  60      R       R       R            R
  70      R       .       .            .
  80      R       .       .            .
  91      R       .       .            .
  92      R       .       .            .
  95      R       .       .            .
  99      .       .       .            .
`;
const PROFESSION_ROWS = GRID.trim()
  .split('\n')
  .slice(1)
  .map((line) => {
    const [profession = '', ...cells] = line.trim().split(/\s+/);
    return { profession, readable: cells.map((c) => c === 'R') };
  });

describe('decideHealthRead and decideHealthWrite, by profession (authorised)', () => {
  it('the grid names every profession of professions.json, and one unknown code', () => {
    expect(PROFESSION_ROWS.map((r) => r.profession).sort()).toEqual([...professionsData.professions.map((p) => p.code), '99'].sort());
  });

  it('the kinds are read under the rows the grid assumes', () => {
    expect(HEALTH_KINDS.profile).toMatchObject({ classCode: '11' });
    expect(HEALTH_KINDS.wishes).toMatchObject({ typeCode: 'EXPPAT_3' });
    expect(HEALTH_KINDS.vaccinations).toMatchObject({ classCode: '45' });
    expect(HEALTH_KINDS.measurements).toMatchObject({ classCode: '90' });
  });

  for (const { profession, readable } of PROFESSION_ROWS) {
    KINDS.forEach((kind, i) => {
      const reads = readable[i] === true;
      const writes = kind === 'vaccinations' || (kind === 'profile' && reads);
      it(`profession ${profession}: reads ${kind} ${reads ? 'yes' : 'no'}, writes ${writes ? 'yes' : 'no'}`, () => {
        const actor = pro(profession);
        const facts = standing('authorized');
        expect(outcome(decideHealthRead(actor, active, facts, kind, NOW, defaultAccessMatrix))).toBe(reads ? 'allow:normal' : 'forbidden:profession-not-allowed');
        const expectedWrite = writes ? 'allow:normal' : kind === 'profile' ? 'forbidden:profession-not-allowed' : 'forbidden:patient-writes';
        expect(outcome(decideHealthWrite(actor, active, facts, kind, NOW, defaultAccessMatrix))).toBe(expectedWrite);
      });
    });
  }

  it('a physiotherapist (70) reads the profile and adds to it, but neither the wishes nor the vaccinations', () => {
    const physio = pro('70');
    const facts = standing('authorized');
    expect(outcome(decideHealthRead(physio, active, facts, 'profile', NOW, defaultAccessMatrix))).toBe('allow:normal');
    expect(outcome(decideHealthWrite(physio, active, facts, 'profile', NOW, defaultAccessMatrix))).toBe('allow:normal');
    expect(outcome(decideHealthRead(physio, active, facts, 'wishes', NOW, defaultAccessMatrix))).toBe('forbidden:profession-not-allowed');
    expect(outcome(decideHealthRead(physio, active, facts, 'vaccinations', NOW, defaultAccessMatrix))).toBe('forbidden:profession-not-allowed');
  });
});

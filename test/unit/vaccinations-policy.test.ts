/**
 * The vaccination record's routes as a table of access decisions, written by hand: who may record
 * a vaccination (decideHealthWrite 'vaccinations': the record's holders, or any professional not
 * blocked, no authorization needed), who may read the list and what is due (decideHealthRead: the
 * holders; professionals in a mode whose profession reads class 45 in the matrix), and what of the
 * claims history's vaccination lines each reader sees (claimsPart, on decideClaimsRead: class 60,
 * the patient's mask, representatives without confidential lines). `allow:<mode>` or
 * `<answer>:<code>`; the matrix is the project's data/access-matrix.json.
 */
import { describe, expect, it } from 'vitest';
import { decideHealthRead, decideHealthWrite, type Decision, type RecordFacts, type Relation, type Standing } from '../../functions/domain/access-policy.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { defaultAccessMatrix } from '../../functions/domain/reference-data.ts';
import { claimsPart, type ClaimsPart } from '../../functions/capabilities/vaccinations/reader.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const HOUR = 3600_000;
const at = (ms: number) => new Date(NOW.getTime() + ms).toISOString();
const DMP = 'rec-00001';

const RECORDS = {
  active: { dmpId: DMP, status: 'active' },
  closed: { dmpId: DMP, status: 'closed' },
  opposesBreakGlass: { dmpId: DMP, status: 'active', emergencyAccess: { breakGlass: false, regulation: true } },
  minor: { dmpId: DMP, status: 'active', minor: true },
} satisfies Record<string, RecordFacts>;

const authorized: Relation = { status: 'authorized', attendingPhysician: false };
const STANDINGS = {
  none: {},
  authorized: { relation: authorized },
  attending: { relation: { status: 'authorized', attendingPhysician: true } },
  expired: { relation: { ...authorized, expiresAt: at(-HOUR) } },
  blocked: { relation: { status: 'blocked', attendingPhysician: false } },
  breakGlass: { emergency: { mode: 'break-glass', until: at(HOUR) } },
  regulation: { emergency: { mode: 'regulation', until: at(HOUR) } },
  lapsedBreakGlass: { emergency: { mode: 'break-glass', until: at(-HOUR) } },
} satisfies Record<string, Standing>;

const pro = (profession: string, role?: string): Actor => ({ kind: 'professional', id: '810000000001', profession, ...(role ? { role } : {}) });
const ACTORS = {
  doctor: pro('10'),
  regulator: pro('10', 'regulator'),
  pharmacist: pro('21'),
  nurse: pro('60'),
  midwife: pro('50'),
  dentist: pro('40'),
  physio: pro('70'),
  podiatrist: pro('80'),
  patient: { kind: 'patient', dmpId: DMP, loginId: 'login-1' },
  otherPatient: { kind: 'patient', dmpId: 'rec-00002', loginId: 'login-2' },
  representative: { kind: 'representative', dmpId: DMP, loginId: 'login-3' },
  agent: { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' },
  insurer: { kind: 'insurer', id: 'cnam-claims-sync' },
  device: { kind: 'device', id: 'device-1', dmpId: DMP },
  anonymous: { kind: 'anonymous' },
} satisfies Record<string, Actor>;

type Row = [actor: keyof typeof ACTORS, record: keyof typeof RECORDS, standing: keyof typeof STANDINGS, expected: string];
const outcome = (d: Decision): string => (d.allow ? `allow:${d.mode}` : `${d.answer}:${d.code}`);

describe('POST …/vaccinations: who records a vaccination', () => {
  const rows: Row[] = [
    // The vaccinator needs no authorization: any professional, in any standing but blocked.
    ['pharmacist', 'active', 'none', 'allow:normal'],
    ['nurse', 'active', 'none', 'allow:normal'],
    ['doctor', 'active', 'authorized', 'allow:normal'],
    ['doctor', 'active', 'expired', 'allow:normal'],
    ['midwife', 'active', 'lapsedBreakGlass', 'allow:normal'],
    ['physio', 'active', 'none', 'allow:normal'],
    ['pharmacist', 'minor', 'none', 'allow:normal'],
    ['doctor', 'active', 'blocked', 'forbidden:blocked'],
    ['nurse', 'opposesBreakGlass', 'blocked', 'forbidden:blocked'],
    ['pharmacist', 'closed', 'none', 'not-found:not-found'],
    ['doctor', 'closed', 'authorized', 'not-found:not-found'],
    // The holders declare, on their own record while it is active.
    ['patient', 'active', 'none', 'allow:normal'],
    ['representative', 'minor', 'none', 'allow:normal'],
    ['patient', 'closed', 'none', 'conflict:record-closed'],
    ['representative', 'closed', 'none', 'conflict:record-closed'],
    ['otherPatient', 'active', 'none', 'not-found:not-found'],
    // Nobody else.
    ['agent', 'active', 'none', 'forbidden:agents-do-not-write'],
    ['insurer', 'active', 'none', 'forbidden:insurer-writes-only'],
    ['device', 'active', 'none', 'forbidden:device-writes-measurements-only'],
    ['anonymous', 'active', 'none', 'not-found:not-found'],
  ];
  it.each(rows)('%s on a %s record (%s) → %s', (actor, record, standing, expected) => {
    expect(outcome(decideHealthWrite(ACTORS[actor], RECORDS[record], STANDINGS[standing], 'vaccinations', NOW, defaultAccessMatrix))).toBe(expected);
  });
});

describe('GET …/vaccinations and …/vaccinations/due: who reads the vaccination record', () => {
  const rows: Row[] = [
    ['patient', 'active', 'none', 'allow:normal'],
    ['patient', 'closed', 'none', 'allow:normal'],
    ['representative', 'minor', 'none', 'allow:normal'],
    ['otherPatient', 'active', 'none', 'not-found:not-found'],
    // Professions that read class 45 (vaccination) in the matrix, with an authorization.
    ['doctor', 'active', 'authorized', 'allow:normal'],
    ['pharmacist', 'active', 'authorized', 'allow:normal'],
    ['nurse', 'active', 'authorized', 'allow:normal'],
    ['midwife', 'active', 'authorized', 'allow:normal'],
    ['dentist', 'active', 'authorized', 'allow:normal'],
    ['physio', 'active', 'authorized', 'forbidden:profession-not-allowed'],
    ['podiatrist', 'active', 'authorized', 'forbidden:profession-not-allowed'],
    // Standing.
    ['pharmacist', 'active', 'none', 'forbidden:no-authorization'],
    ['doctor', 'active', 'expired', 'forbidden:authorization-expired'],
    ['doctor', 'active', 'blocked', 'forbidden:blocked'],
    ['doctor', 'active', 'breakGlass', 'allow:break-glass'],
    ['doctor', 'opposesBreakGlass', 'breakGlass', 'forbidden:no-authorization'],
    ['doctor', 'active', 'lapsedBreakGlass', 'forbidden:no-authorization'],
    ['regulator', 'active', 'regulation', 'allow:regulation'],
    ['doctor', 'active', 'regulation', 'forbidden:no-authorization'],
    ['doctor', 'closed', 'authorized', 'not-found:not-found'],
    // Nobody else.
    ['agent', 'active', 'none', 'forbidden:agents-do-not-read'],
    ['insurer', 'active', 'none', 'forbidden:insurer-writes-only'],
    ['device', 'active', 'none', 'forbidden:device-writes-measurements-only'],
    ['anonymous', 'active', 'none', 'not-found:not-found'],
  ];
  it.each(rows)('%s on a %s record (%s) → %s', (actor, record, standing, expected) => {
    expect(outcome(decideHealthRead(ACTORS[actor], RECORDS[record], STANDINGS[standing], 'vaccinations', NOW, defaultAccessMatrix))).toBe(expected);
  });
});

describe('the claims history’s vaccination lines in those reads', () => {
  const rows: [actor: keyof typeof ACTORS, record: keyof typeof RECORDS, standing: keyof typeof STANDINGS, masked: boolean, expected: ClaimsPart][] = [
    ['patient', 'active', 'none', false, 'all'],
    ['patient', 'active', 'none', true, 'all'],
    ['representative', 'minor', 'none', false, 'not-confidential'],
    ['doctor', 'active', 'authorized', false, 'all'],
    ['pharmacist', 'active', 'authorized', false, 'all'],
    ['doctor', 'active', 'breakGlass', false, 'all'],
    // Professions that read vaccinations but not class 60 (reimbursement).
    ['nurse', 'active', 'authorized', false, 'none'],
    ['dentist', 'active', 'authorized', false, 'none'],
    ['midwife', 'active', 'authorized', false, 'all'],
    // The patient's mask of the history: the attending physician only.
    ['doctor', 'active', 'authorized', true, 'none'],
    ['pharmacist', 'active', 'authorized', true, 'none'],
    ['doctor', 'active', 'attending', true, 'all'],
    ['doctor', 'active', 'breakGlass', true, 'none'],
  ];
  it.each(rows)('%s on a %s record (%s, masked: %s) → %s', (actor, record, standing, masked, expected) => {
    // Only asked of readers the vaccination record's own decision allowed.
    expect(decideHealthRead(ACTORS[actor], RECORDS[record], STANDINGS[standing], 'vaccinations', NOW, defaultAccessMatrix).allow).toBe(true);
    expect(claimsPart(ACTORS[actor], { record: RECORDS[record], standing: STANDINGS[standing] }, masked, NOW, defaultAccessMatrix)).toBe(expected);
  });
});

import { describe, expect, it } from 'vitest';
import { authorizationState, decideLedgerRead, decideRecordRead, searchAuthorization, type Relation } from '../../functions/domain/access-policy.ts';
import type { Actor } from '../../functions/domain/actor.ts';

const now = new Date('2026-11-23T10:00:00Z');
const record = { dmpId: 'rec-00001', status: 'active' as const };
const closed = { ...record, status: 'closed' as const };
const pro: Actor = { kind: 'professional', id: '810000000001', profession: '10' };
const agent: Actor = { kind: 'agent', id: 'a1', organisation: 'CPAM' };
const patient: Actor = { kind: 'patient', dmpId: 'rec-00001', loginId: '12345678901' };
const otherPatient: Actor = { kind: 'patient', dmpId: 'rec-00002', loginId: '12345678902' };
const representative: Actor = { kind: 'representative', dmpId: 'rec-00001', loginId: '123' };
const anonymous: Actor = { kind: 'anonymous' };

const authorized: Relation = { status: 'authorized', attendingPhysician: false };
const expired: Relation = { status: 'authorized', attendingPhysician: false, expiresAt: '2026-11-23T09:59:59Z' };
const future: Relation = { status: 'authorized', attendingPhysician: false, expiresAt: '2026-11-24T00:00:00Z' };
const blocked: Relation = { status: 'blocked', attendingPhysician: false };

describe('authorization state', () => {
  it.each([
    ['none', undefined, 'NON_EXISTE'],
    ['authorized', authorized, 'VALIDE'],
    ['authorized until tomorrow', future, 'VALIDE'],
    ['expired', expired, 'EXPIRE'],
    ['blocked', blocked, 'INTERDIT'],
  ] as const)('%s → %s', (_c, relation, state) => {
    expect(authorizationState(relation, now)).toBe(state);
  });
});

describe('record read decisions', () => {
  const rows: [string, Actor, typeof record | typeof closed, Relation | undefined, string][] = [
    ['patient, own record', patient, record, undefined, 'allow'],
    ['patient, own closed record', patient, closed, undefined, 'allow'],
    ['patient, another record', otherPatient, record, undefined, 'not-found'],
    ['representative, the minor’s record', representative, record, undefined, 'allow'],
    ['professional, authorized', pro, record, authorized, 'allow'],
    ['professional, authorized until tomorrow', pro, record, future, 'allow'],
    ['professional, expired', pro, record, expired, 'forbidden'],
    ['professional, blocked', pro, record, blocked, 'forbidden'],
    ['professional, no relation', pro, record, undefined, 'forbidden'],
    ['professional, authorized but record closed', pro, closed, authorized, 'not-found'],
    ['agent', agent, record, undefined, 'forbidden'],
    ['anonymous', anonymous, record, undefined, 'not-found'],
  ];
  it.each(rows)('%s → %s', (_c, actor, rec, relation, expected) => {
    const d = decideRecordRead(actor, rec, relation, now);
    expect(d.allow ? 'allow' : d.answer).toBe(expected);
  });
});

describe('search authorization', () => {
  it.each([
    ['professional authorized', pro, record, authorized, 'VALIDE'],
    ['professional blocked', pro, record, blocked, 'INTERDIT'],
    ['professional expired', pro, record, expired, 'EXPIRE'],
    ['professional unknown', pro, record, undefined, 'NON_EXISTE'],
    ['professional on a closed record', pro, closed, authorized, 'INTERDIT'],
    ['agent', agent, record, undefined, 'NON_EXISTE'],
  ] as const)('%s → %s', (_c, actor, rec, relation, expected) => {
    expect(searchAuthorization(actor, rec, relation, now)).toBe(expected);
  });
});

describe('pharmacy ledger decisions', () => {
  const pharmacist = (structure?: string): Actor => ({ kind: 'professional', id: '810000000009', profession: '21', ...(structure ? { structure } : {}) });
  it.each([
    ['a pharmacist of this pharmacy', pharmacist('750000001'), true],
    ['a pharmacist of another pharmacy', pharmacist('750000002'), false],
    ['a pharmacist without a structure', pharmacist(), false],
    ['a doctor of this structure', { kind: 'professional', id: '810000000010', profession: '10', structure: '750000001' } as Actor, false],
    ['an agent', agent, true],
    ['a patient', patient, false],
  ] as const)('%s → %s', (_c, actor, allowed) => {
    expect(decideLedgerRead(actor, '750000001').allow).toBe(allowed);
  });
});

import { describe, expect, it } from 'vitest';
import type { Actor } from '../../functions/domain/actor.ts';
import { channelOf, creationCodeOpens, planCreation, type CreationRequest } from '../../functions/domain/creation.ts';
import { passwordProblem } from '../../functions/domain/password-policy.ts';
import { RuleViolation } from '../../functions/domain/errors.ts';

const now = new Date('2026-11-23T10:00:00Z');
const doctor: Actor = { kind: 'professional', id: '810000000001', profession: '10' };
const pharmacist: Actor = { kind: 'professional', id: '810000000002', profession: '21', structure: '750000001' };
const pharmacistWithoutStructure: Actor = { kind: 'professional', id: '810000000003', profession: '21' };
const agent: Actor = { kind: 'agent', id: 'a1', organisation: 'CPAM 75' };
const online: Actor = { kind: 'anonymous' };
const patient: Actor = { kind: 'patient', dmpId: 'abcdefgh', loginId: '12345678901' };

const adult = (extra: Partial<CreationRequest> = {}): CreationRequest => ({
  identity: { birthDate: '1970-01-01' },
  consent: { expressConsent: true },
  ...extra,
});
const minor = (extra: Partial<CreationRequest> = {}): CreationRequest => adult({ identity: { birthDate: '2015-06-01' }, ...extra });
const onlineFields = { creationCode: 'ABCDEFGH12345678', password: 'a long passphrase', contact: { mobile: '+33612345678' } };

const violation = (fn: () => unknown) => {
  try {
    fn();
  } catch (e) {
    if (e instanceof RuleViolation) return { kind: e.kind, code: e.code };
    throw e;
  }
  return undefined;
};

describe('creation channels', () => {
  it.each([
    ['a doctor', doctor, 'professional'],
    ['a pharmacist with a structure', pharmacist, 'pharmacy'],
    ['a pharmacist without a structure', pharmacistWithoutStructure, 'professional'],
    ['an agent', agent, 'agent'],
    ['nobody (online)', online, 'online'],
  ] as const)('%s creates through the %s channel', (_who, actor, channel) => {
    expect(channelOf(actor)).toBe(channel);
  });

  it('refuses a patient as creator', () => {
    expect(violation(() => channelOf(patient))).toEqual({ kind: 'forbidden', code: 'creator-not-allowed' });
  });

  it('books the pharmacy of a pharmacy creation', () => {
    expect(planCreation(pharmacist, adult(), now)).toEqual({ channel: 'pharmacy', minor: false, pharmacyFiness: '750000001' });
    expect(planCreation(doctor, adult(), now).pharmacyFiness).toBeUndefined();
  });
});

describe('creation rules', () => {
  const table: [string, Actor, CreationRequest, { kind: string; code: string } | undefined][] = [
    ['adult by a doctor', doctor, adult(), undefined],
    ['consent not given', doctor, adult({ consent: { expressConsent: false } }), { kind: 'refused', code: 'express-consent-required' }],
    ['minor by a doctor with a representative', doctor, minor({ representatives: [{}] }), undefined],
    ['minor by an agent with a representative', agent, minor({ representatives: [{}] }), undefined],
    ['minor by a pharmacist with a representative', pharmacist, minor({ representatives: [{}] }), undefined],
    ['minor without representative', doctor, minor(), { kind: 'refused', code: 'minor-without-representative' }],
    ['minor with an empty representative list', agent, minor({ representatives: [] }), { kind: 'refused', code: 'minor-without-representative' }],
    ['minor online, even with a representative', online, minor({ ...onlineFields, representatives: [{}] }), { kind: 'forbidden', code: 'minor-online' }],
    ['adult online with code, password and mobile', online, adult(onlineFields), undefined],
    ['online without a code', online, adult({ ...onlineFields, creationCode: undefined }), { kind: 'invalid', code: 'online-credentials-required' }],
    ['online without a password', online, adult({ ...onlineFields, password: undefined }), { kind: 'invalid', code: 'online-credentials-required' }],
    ['online without a mobile', online, adult({ ...onlineFields, contact: {} }), { kind: 'invalid', code: 'online-mobile-required' }],
    ['a creation code from a professional', doctor, adult({ creationCode: 'ABCDEFGH12345678' }), { kind: 'invalid', code: 'online-only-fields' }],
    ['a password from an agent', agent, adult({ password: 'whatever' }), { kind: 'invalid', code: 'online-only-fields' }],
    ['a birth date in the future', doctor, adult({ identity: { birthDate: '2027-01-01' } }), { kind: 'invalid', code: 'birth-date-in-future' }],
    ['consent informed in the future', doctor, adult({ consent: { expressConsent: true, informedAt: '2026-11-23T10:10:00Z' } }), { kind: 'invalid', code: 'consent-in-future' }],
    ['consent informed within the clock skew', doctor, adult({ consent: { expressConsent: true, informedAt: '2026-11-23T10:04:00Z' } }), undefined],
    ['born today (a minor)', doctor, adult({ identity: { birthDate: '2026-11-23' } }), { kind: 'refused', code: 'minor-without-representative' }],
  ];
  it.each(table)('%s', (_case, actor, request, expected) => {
    expect(violation(() => planCreation(actor, request, now))).toEqual(expected);
  });

  it('consent is checked before anything else the request says', () => {
    expect(violation(() => planCreation(online, minor({ consent: { expressConsent: false } }), now))?.code).toBe('express-consent-required');
  });
});

describe('a creation code opens an online creation', () => {
  const issued = { insHash: 'ins-a', expiresAt: '2026-12-01T00:00:00.000Z' };
  it.each([
    ['issued for this INS, unused, unexpired', issued, true],
    ['unknown', undefined, false],
    ['issued for another INS', { ...issued, insHash: 'ins-b' }, false],
    ['already used', { ...issued, usedAt: '2026-11-20T00:00:00.000Z' }, false],
    ['expiring now', { ...issued, expiresAt: now.toISOString() }, false],
    ['expired', { ...issued, expiresAt: '2026-11-01T00:00:00.000Z' }, false],
  ] as const)('%s → %s', (_case, code, opens) => {
    expect(creationCodeOpens(code, 'ins-a', now)).toBe(opens);
  });
});

describe('password policy', () => {
  it.each([
    ['short', 'abc12', true],
    ['common', 'motdepasse123', true],
    ['one repeated character', 'aaaaaaaaaaaaaaa', true],
    ['long passphrase', 'cheval agrafe pile correcte', false],
    ['twelve varied characters', 'x7!Kp2#qLm9z', false],
    ['too long', 'a'.repeat(60) + 'bcdefgh'.repeat(10), true],
    ['common word with digits around', 'Motdepasse2026!', true],
    ['common word, accents and case aside', 'AZERTYUIOP1234', true],
    ['keyboard run', 'azertyuiopqsd', true],
    ['reversed alphabet run', 'zyxwvutsrqpon', true],
    ['digit sequence', '123456789012', true],
    ['digits only, not a sequence', '739105528461', false],
    ['common word inside a passphrase', 'mon soleil de printemps', false],
    ['accented passphrase', 'éléphant rose à vélo', false],
  ])('%s', (_case, password, refused) => {
    expect(passwordProblem(password) !== undefined).toBe(refused);
  });

  it('refuses a password containing the login id', () => {
    expect(passwordProblem('moi 12345678901 ici', { loginId: '12345678901' })).toBeDefined();
    expect(passwordProblem('moi 12345678901 ici', { loginId: '99999999999' })).toBeUndefined();
  });
});

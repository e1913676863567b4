/**
 * The checks of one line of the reimbursed-care history (functions/domain/claims/lines.ts): every
 * category's valid lines pass; each fault is named by its field path; a reason never repeats the
 * value it refuses; the date window agrees with the lines' expiry.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { addMonths, checkLine, checkPatient, expiresAt, historyStart } from '../../functions/domain/claims/lines.ts';
import { decideClaimsRead, claimLineCanHide, claimLineVisible, decideClaimsMask, decideClaimsWrite, type RecordFacts } from '../../functions/domain/access-policy.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { defaultAccessMatrix } from '../../functions/domain/reference-data.ts';
import claimsCodes from '../../data/claims-codes.json' with { type: 'json' };

const TODAY = '2026-12-01';
const base = { sourceId: 'L-1', date: '2026-11-20', display: 'un libellé' };

describe('a claim line', () => {
  it('accepts the examples of claims-codes.json, whatever their category', () => {
    for (const example of claimsCodes.examples) {
      const check = checkLine({ sourceId: 'ex-1', ...example, date: '2026-10-14' }, TODAY);
      expect(check, JSON.stringify(example)).toMatchObject({ ok: true });
    }
  });

  it.each([
    ['an unknown category', { category: 'potion', codeSystem: 'CIP13', code: '3400930000120' }, 'category'],
    ['an unknown code system', { category: 'lab', codeSystem: 'LOINC', code: '1104' }, 'codeSystem'],
    ['a code system of another category', { category: 'lab', codeSystem: 'CCAM', code: 'QEQJ001' }, 'codeSystem'],
    ['a code failing its pattern', { category: 'lab', codeSystem: 'NABM', code: '11045' }, 'code'],
    ['a medicine without its ATC group', { category: 'medication', codeSystem: 'CIP13', code: '3400930000120' }, 'atcGroup'],
    ['a vaccine without its valence', { category: 'vaccination', codeSystem: 'CIP13', code: '3400930000137' }, 'atcValence'],
    ['a stay without its structure', { category: 'stay', codeSystem: 'GHS', code: '1234' }, 'performer.finess'],
    ['an ATC group on a lab test', { category: 'lab', codeSystem: 'NABM', code: '1104', atcGroup: 'N02' }, 'atcGroup'],
    ['a 5-character ATC', { category: 'medication', codeSystem: 'CIP13', code: '3400930000120', atcGroup: 'N02', atcValence: 'N02BE' }, 'atcValence'],
    ['a bad substance code', { category: 'medication', codeSystem: 'CIP13', code: '3400930000120', atcGroup: 'N02', activeComponents: ['12', 'x'] }, 'activeComponents.1'],
    ['a quantity of zero', { category: 'lab', codeSystem: 'NABM', code: '1104', quantity: 0 }, 'quantity'],
    ['a prescriber of no profession', { category: 'lab', codeSystem: 'NABM', code: '1104', prescriber: { id: '810001234567', profession: '999' } }, 'prescriber.profession'],
    ['an unknown field', { category: 'lab', codeSystem: 'NABM', code: '1104', price: 3 }, 'price'],
    ['an unknown field of a performer', { category: 'lab', codeSystem: 'NABM', code: '1104', performer: { finess: '750000001', phone: '0' } }, 'performer.phone'],
    ['a date in the future', { category: 'lab', codeSystem: 'NABM', code: '1104', date: '2026-12-02' }, 'date'],
    ['a date older than 24 months', { category: 'lab', codeSystem: 'NABM', code: '1104', date: '2024-12-01' }, 'date'],
    ['a date that is no day', { category: 'lab', codeSystem: 'NABM', code: '1104', date: '2026-02-30' }, 'date'],
    ['a label with a control character', { category: 'lab', codeSystem: 'NABM', code: '1104', display: 'a\u0007b' }, 'display'],
  ])('refuses %s, naming the field', (_name, fields, path) => {
    const check = checkLine({ ...base, ...fields }, TODAY);
    expect(check).toMatchObject({ ok: false, path });
  });

  it('keeps a line from the day after today minus 24 months to today, and it expires exactly 24 months after its date', () => {
    expect(historyStart(TODAY)).toBe('2024-12-01');
    expect(checkLine({ ...base, category: 'lab', codeSystem: 'NABM', code: '1104', date: '2024-12-02' }, TODAY).ok).toBe(true);
    expect(checkLine({ ...base, category: 'lab', codeSystem: 'NABM', code: '1104', date: TODAY }, TODAY).ok).toBe(true);
    fc.assert(
      fc.property(fc.date({ min: new Date('2020-01-01'), max: new Date('2030-12-31'), noInvalidDate: true }), fc.integer({ min: 0, max: 800 }), (d, back) => {
        const today = d.toISOString().slice(0, 10);
        const date = new Date(d.getTime() - back * 86_400_000).toISOString().slice(0, 10);
        const accepted = checkLine({ ...base, category: 'lab', codeSystem: 'NABM', code: '1104', date }, today).ok;
        // Accepted exactly when the line has not expired yet at the start of today.
        expect(accepted).toBe(expiresAt(date).getTime() > Date.parse(`${today}T00:00:00Z`));
      }),
    );
  });

  it('never repeats the refused value in its reason (property: any code, label or id)', () => {
    const secret = fc.string({ minLength: 4, maxLength: 30 }).filter((s) => /[A-Za-z0-9]{4}/.test(s));
    fc.assert(
      fc.property(secret, fc.constantFrom('code', 'display', 'sourceId', 'codeSystem', 'category', 'atcGroup', 'date'), (value, field) => {
        const check = checkLine({ ...base, category: 'medication', codeSystem: 'CIP13', code: '3400930000120', atcGroup: 'N02', [field]: `${value}\u0000` }, TODAY);
        expect(check.ok).toBe(false);
        if (!check.ok) {
          expect(check.reason).not.toContain(value);
          expect(check.path).not.toContain(value);
        }
      }),
    );
  });

  it('checks a patient entry before its lines: a valid INS and a list of lines', () => {
    expect(checkPatient({ ins: '255081416802538', lines: [] })).toMatchObject({ ok: true });
    expect(checkPatient({ ins: '255081416802539', lines: [] })).toMatchObject({ ok: false, path: 'ins' });
    expect(checkPatient({ ins: '255081416802538', lines: {} })).toMatchObject({ ok: false, path: 'lines' });
    expect(checkPatient({ ins: '255081416802538', lines: [], name: 'x' })).toMatchObject({ ok: false, path: 'name' });
    expect(checkPatient(null)).toMatchObject({ ok: false, path: '' });
  });

  it('shifts months as the calendar does (the 31st of a short month rolls over)', () => {
    expect(addMonths('2026-03-31', -1)).toBe('2026-03-03');
    expect(addMonths('2024-02-29', 24)).toBe('2026-03-01');
  });
});

describe('the access policy on the history', () => {
  const now = new Date('2026-12-01T10:00:00Z');
  const record: RecordFacts = { dmpId: 'dmp-00000001', status: 'active' };
  const doctor: Actor = { kind: 'professional', id: '810000000001', profession: '10' };
  const nurse: Actor = { kind: 'professional', id: '810000000002', profession: '60' };
  const insurer: Actor = { kind: 'insurer', id: 'cnam' };
  const representative: Actor = { kind: 'representative', dmpId: 'dmp-00000001', loginId: '12345678901' };
  const authorized = { relation: { status: 'authorized' as const, attendingPhysician: false } };
  const attending = { relation: { status: 'authorized' as const, attendingPhysician: true } };
  const read = (actor: Actor, standing = {}, masked = false, r = record) => decideClaimsRead(actor, r, standing, { maskedToProfessionals: masked }, now, defaultAccessMatrix);

  it('lets only the insurer write and refuses it every read', () => {
    expect(decideClaimsWrite(insurer).allow).toBe(true);
    expect(decideClaimsWrite(doctor).allow).toBe(false);
    expect(read(insurer)).toMatchObject({ allow: false, answer: 'forbidden' });
  });

  it('follows the matrix, the mask and the attending physician for professionals', () => {
    expect(read(doctor, authorized)).toMatchObject({ allow: true, mode: 'normal' });
    expect(read(nurse, authorized)).toMatchObject({ allow: false, code: 'profession-not-allowed' });
    expect(read(doctor, authorized, true)).toMatchObject({ allow: false, code: 'masked-by-patient' });
    expect(read(doctor, attending, true)).toMatchObject({ allow: true });
    expect(read(doctor, {})).toMatchObject({ allow: false, code: 'no-authorization' });
    expect(read(doctor, { relation: { status: 'blocked', attendingPhysician: false } })).toMatchObject({ allow: false, code: 'blocked' });
    expect(read(doctor, authorized, false, { ...record, status: 'closed' })).toMatchObject({ allow: false, answer: 'not-found' });
  });

  it('hides confidential lines from representatives only, and lets the holders alone mask the history', () => {
    expect(read(representative)).toMatchObject({ allow: true });
    expect(claimLineVisible(representative, { confidential: true })).toBe(false);
    expect(claimLineVisible(doctor, { confidential: true })).toBe(true);
    // A reader a line's flags cannot hide it from sees every line (the keyword search shows their postings unread).
    expect(claimLineCanHide(representative)).toBe(true);
    const patient: Actor = { kind: 'patient', dmpId: 'dmp-00000001', loginId: '12345678902' };
    for (const reader of [doctor, nurse, insurer, patient]) {
      expect(claimLineCanHide(reader)).toBe(false);
      for (const confidential of [true, false, undefined]) expect(claimLineVisible(reader, { confidential })).toBe(true);
    }
    expect(decideClaimsMask(representative, record).allow).toBe(true);
    expect(decideClaimsMask(doctor, record).allow).toBe(false);
    expect(decideClaimsMask(representative, { ...record, status: 'closed' })).toMatchObject({ allow: false, answer: 'conflict' });
  });
});

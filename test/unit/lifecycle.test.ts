/** The record's lifecycle rules: retention date, due destruction, closure and reactivation. Pure. */
import { describe, expect, it } from 'vitest';
import type { Actor } from '../../functions/domain/actor.ts';
import { RuleViolation } from '../../functions/domain/errors.ts';
import { RETENTION_YEARS, assertClosable, assertOpenForChange, assertReactivation, isDueForDestruction, retainUntil } from '../../functions/domain/lifecycle.ts';

const violation = (f: () => void): RuleViolation => {
  try {
    f();
  } catch (error) {
    expect(error).toBeInstanceOf(RuleViolation);
    return error as RuleViolation;
  }
  throw new Error('expected a RuleViolation, nothing was thrown');
};

const patient: Actor = { kind: 'patient', dmpId: 'dmp-00000001', loginId: '12345678901' };
const representative: Actor = { kind: 'representative', dmpId: 'dmp-00000001', loginId: '10987654321' };
const professional: Actor = { kind: 'professional', id: '810000000001', profession: '10' };
const agent: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };

describe('retention date', () => {
  it('is the closure instant ten calendar years later', () => {
    expect(RETENTION_YEARS).toBe(10);
    expect(retainUntil(new Date('2026-11-23T10:15:30.123Z')).toISOString()).toBe('2036-11-23T10:15:30.123Z');
    // Calendar years, not 10 × 365 days: the leap days in between are kept.
    expect(retainUntil(new Date('2026-01-01T00:00:00.000Z')).toISOString()).toBe('2036-01-01T00:00:00.000Z');
  });

  it('a closure on 29 February is kept until 1 March ten years later (never less than ten years)', () => {
    const closedAt = new Date('2028-02-29T08:00:00.000Z');
    const until = retainUntil(closedAt);
    expect(until.toISOString()).toBe('2038-03-01T08:00:00.000Z');
    expect(until.getTime()).toBeGreaterThan(Date.parse('2038-02-28T08:00:00.000Z'));
  });

  it('does not change the instant it is given', () => {
    const closedAt = new Date('2026-11-23T10:00:00.000Z');
    retainUntil(closedAt);
    expect(closedAt.toISOString()).toBe('2026-11-23T10:00:00.000Z');
  });
});

describe('due for destruction', () => {
  const until = '2036-11-23T10:00:00.000Z';
  const at = (iso: string) => new Date(iso);

  it.each([
    ['closed, one millisecond before', 'closed', until, '2036-11-23T09:59:59.999Z', false],
    ['closed, exactly at the instant', 'closed', until, '2036-11-23T10:00:00.000Z', true],
    ['closed, long after', 'closed', until, '2050-01-01T00:00:00.000Z', true],
    ['active, long after a stale date', 'active', until, '2050-01-01T00:00:00.000Z', false],
    ['being destroyed (the job resumes it another way)', 'destroying', until, '2050-01-01T00:00:00.000Z', false],
    ['closed without a date', 'closed', undefined, '2050-01-01T00:00:00.000Z', false],
    ['closed with an unreadable date', 'closed', 'not-a-date', '2050-01-01T00:00:00.000Z', false],
  ])('%s: %s', (_label, status, retain, now, due) => {
    expect(isDueForDestruction({ status, retainUntil: retain }, at(now))).toBe(due);
  });

  it('an active record is never due, whatever the date', () => {
    for (const now of ['1970-01-01T00:00:00.000Z', '2036-11-23T10:00:00.000Z', '9999-12-31T23:59:59.999Z']) {
      expect(isDueForDestruction({ status: 'active' }, at(now))).toBe(false);
    }
  });

  it('a record closed now is due exactly at its retention date', () => {
    const closedAt = new Date('2026-11-23T10:00:00.000Z');
    const r = { status: 'closed', retainUntil: retainUntil(closedAt).toISOString() };
    expect(isDueForDestruction(r, new Date(retainUntil(closedAt).getTime() - 1))).toBe(false);
    expect(isDueForDestruction(r, retainUntil(closedAt))).toBe(true);
  });
});

describe('closure and changes', () => {
  it('an active record may be closed and changed', () => {
    expect(() => assertClosable('active')).not.toThrow();
    expect(() => assertOpenForChange('active')).not.toThrow();
  });

  it('a closed record cannot be closed again (conflict, already-closed)', () => {
    const v = violation(() => assertClosable('closed'));
    expect(v.kind).toBe('conflict');
    expect(v.code).toBe('already-closed');
  });

  it('a closed record is read-only (conflict, record-closed)', () => {
    const v = violation(() => assertOpenForChange('closed'));
    expect(v.kind).toBe('conflict');
    expect(v.code).toBe('record-closed');
  });
});

describe('reactivation', () => {
  it.each([
    ['patient', patient],
    ['representative', representative],
  ])('the %s decides alone, with or without a consent record', (_k, actor) => {
    expect(() => assertReactivation(actor, 'closed', undefined)).not.toThrow();
    expect(() => assertReactivation(actor, 'closed', { expressConsent: false })).not.toThrow();
  });

  it.each([
    ['professional', professional],
    ['agent', agent],
  ])('a %s needs the express consent, literally true', (_k, actor) => {
    expect(() => assertReactivation(actor, 'closed', { expressConsent: true })).not.toThrow();
    const refusals = [
      undefined,
      { expressConsent: false },
      { expressConsent: 'true' as unknown as boolean },
      { expressConsent: 1 as unknown as boolean },
      {} as { expressConsent: boolean },
    ];
    for (const consent of refusals) {
      const v = violation(() => assertReactivation(actor, 'closed', consent));
      expect(v.kind).toBe('refused');
      expect(v.code).toBe('express-consent-required');
    }
  });

  it.each([
    ['patient', patient],
    ['representative', representative],
    ['professional', professional],
    ['agent', agent],
  ])('an active record cannot be reactivated, even by a %s with consent (conflict, already-active)', (_k, actor) => {
    for (const consent of [undefined, { expressConsent: true }]) {
      const v = violation(() => assertReactivation(actor, 'active', consent));
      expect(v.kind).toBe('conflict');
      expect(v.code).toBe('already-active');
    }
  });
});

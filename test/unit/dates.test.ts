import { describe, expect, it } from 'vitest';
import { addYears, adulthood, ageOn, daysBetween, isMinorOn, isoWeek, monthBounds } from '../../functions/domain/dates.ts';

describe('dates', () => {
  it('comes of age at the first instant of the 18th birthday (29 February: 1 March), as isMinorOn counts it', () => {
    for (const birthDate of ['2008-11-23', '2008-02-29', '2009-01-01', '2008-12-31']) {
      const at = adulthood(birthDate);
      expect(isMinorOn(birthDate, new Date(at.getTime() - 1))).toBe(true);
      expect(isMinorOn(birthDate, at)).toBe(false);
    }
    expect(adulthood('2008-02-29').toISOString()).toBe('2026-03-01T00:00:00.000Z');
  });

  it('counts completed years, the birthday itself included', () => {
    expect(ageOn('2008-11-23', new Date('2026-11-22T23:59:59Z'))).toBe(17);
    expect(ageOn('2008-11-23', new Date('2026-11-23T00:00:00Z'))).toBe(18);
    expect(ageOn('2008-02-29', new Date('2026-02-28T12:00:00Z'))).toBe(17);
    expect(ageOn('2008-02-29', new Date('2026-03-01T00:00:00Z'))).toBe(18);
  });

  it('is a minor until the 18th birthday', () => {
    expect(isMinorOn('2008-11-24', new Date('2026-11-23T10:00:00Z'))).toBe(true);
    expect(isMinorOn('2008-11-23', new Date('2026-11-23T10:00:00Z'))).toBe(false);
  });

  it.each([
    ['2026-11-23', '2026-W48'],
    ['2026-11-22', '2026-W47'],
    ['2021-01-03', '2020-W53'],
    ['2024-12-30', '2025-W01'],
    ['2026-01-01', '2026-W01'],
  ])('labels %s as ISO week %s', (day, week) => {
    expect(isoWeek(day)).toBe(week);
  });

  it('lists days inclusively across a month end', () => {
    expect(daysBetween('2026-02-27', '2026-03-02')).toEqual(['2026-02-27', '2026-02-28', '2026-03-01', '2026-03-02']);
    expect(daysBetween('2026-03-02', '2026-03-01')).toEqual([]);
  });

  it('adds ten years for retention', () => {
    expect(addYears(new Date('2026-11-23T10:00:00Z'), 10).toISOString()).toBe('2036-11-23T10:00:00.000Z');
  });

  it('bounds a month', () => {
    expect(monthBounds('2028-02')).toEqual({ first: '2028-02-01', last: '2028-02-29' });
  });
});

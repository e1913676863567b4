import { describe, expect, it } from 'vitest';
import { EMERGENCY_NOTICE_PER_PROFESSIONAL_MS, MOBILE_CODE_WINDOWS, emergencyNoticeCutoff, emergencyNoticeDue, windowOf } from '../../functions/domain/sms-budget.ts';

const at = (iso: string) => new Date(iso);

describe('SMS budgets', () => {
  it('count mobile codes in UTC hours and days, at most 3 an hour and 5 a day', () => {
    expect(MOBILE_CODE_WINDOWS.map((w) => [w.name, w.max])).toEqual([
      ['H', 3],
      ['D', 5],
    ]);
    const [hour, day] = MOBILE_CODE_WINDOWS;
    if (!hour || !day) throw new Error('windows');
    expect(windowOf(hour, at('2026-12-01T17:42:10.500Z'))).toEqual({ start: at('2026-12-01T17:00:00Z'), end: at('2026-12-01T18:00:00Z') });
    expect(windowOf(day, at('2026-12-01T17:42:10.500Z'))).toEqual({ start: at('2026-12-01T00:00:00Z'), end: at('2026-12-02T00:00:00Z') });
  });

  it('tell an emergency access to the patient unless the professional’s access still runs or was told within 12 hours', () => {
    const now = at('2026-12-01T12:00:00Z');
    const rows: [string, { until: string } | undefined, string | undefined, boolean][] = [
      ['first emergency', undefined, undefined, true],
      ['renewal of a running access', { until: '2026-12-01T12:00:01Z' }, '2026-12-01T00:00:01Z', false],
      ['running access never told (record cap)', { until: '2026-12-01T20:00:00Z' }, undefined, false],
      ['expired access, told 12 h ago', { until: '2026-12-01T12:00:00Z' }, '2026-12-01T00:00:00Z', true],
      ['expired access, told less than 12 h ago', { until: '2026-12-01T11:00:00Z' }, '2026-12-01T00:00:01Z', false],
      ['expired access, never told', { until: '2026-12-01T11:00:00Z' }, undefined, true],
    ];
    for (const [name, previous, told, due] of rows) expect(emergencyNoticeDue(previous, told, now), name).toBe(due);
    expect(emergencyNoticeCutoff(now).getTime()).toBe(now.getTime() - EMERGENCY_NOTICE_PER_PROFESSIONAL_MS);
  });
});

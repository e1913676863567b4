/**
 * What vaccinations are due, pure: explicit booster dates, the calendar's fixed-age boosters
 * (diphtheria-tetanus-poliomyelitis at 25, 45, 65, 75… give or take a year) and yearly influenza from
 * 65 in its season, computed from the birth date; and when reminders fall due. The calendar is the
 * one of data/vaccination-calendar.json; the expected dates are worked out by hand.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  REMINDER_LEAD_DAYS,
  dueItems,
  dueSchedule,
  dueStatus,
  nextReminderDay,
  reminderDay,
  remindersDue,
  type Dose,
  type DueItem,
} from '../../functions/domain/vaccinations/due.ts';
import type { Vaccine } from '../../functions/domain/vaccinations/entries.ts';

const DTP: Vaccine = { name: 'Revaxis', codeSystem: 'ATC_VALENCE', code: 'J07CA01' };
const DTP_CIP: Vaccine = { name: 'Repevax', codeSystem: 'CIP13', code: '3400930000151', atcValence: 'J07CA02' };
const FLU: Vaccine = { name: 'Vaccin grippal', codeSystem: 'CIP13', code: '3400930000137', atcValence: 'J07BB02' };
const HEP_B: Vaccine = { name: 'Engerix B', codeSystem: 'ATC_VALENCE', code: 'J07BC01' };

const dose = (id: string, date: string, vaccine: Vaccine, nextBoosterDate?: string): Dose => ({ id, date, vaccine, ...(nextBoosterDate ? { nextBoosterDate } : {}) });
const ids = (items: DueItem[]) => items.map((i) => i.id);

describe('the calendar’s fixed-age boosters (dtp)', () => {
  const birthDate = '1981-06-15';

  it('lists the booster of the age whose window is open, and the next one, on their birthdays with a year either side', () => {
    const items = dueItems({ birthDate, doses: [], today: '2026-06-01' }).filter((i) => i.boosterId === 'dtp');
    expect(items).toEqual([
      {
        id: 'dtp-45',
        kind: 'calendar',
        boosterId: 'dtp',
        display: 'Diphtérie, tétanos, poliomyélite (± coqueluche)',
        dueDate: '2026-06-15',
        window: { from: '2025-06-15', to: '2027-06-15' },
      },
      {
        id: 'dtp-65',
        kind: 'calendar',
        boosterId: 'dtp',
        display: 'Diphtérie, tétanos, poliomyélite (± coqueluche)',
        dueDate: '2046-06-15',
        window: { from: '2045-06-15', to: '2047-06-15' },
      },
    ]);
    expect(items.map((i) => dueStatus(i, '2026-06-01'))).toEqual(['due', 'upcoming']);
    expect(dueStatus(items[0]!, '2027-06-16')).toBe('overdue');
  });

  it('is satisfied by a dose of one of its vaccines within the tolerance, or late; not by another vaccine nor before the window', () => {
    const at = (date: string, vaccine: Vaccine = DTP) => ids(dueItems({ birthDate, doses: [dose('d', date, vaccine)], today: '2026-06-01' }).filter((i) => i.boosterId === 'dtp'));
    expect(at('2025-06-15')).toEqual(['dtp-65']);
    expect(at('2026-05-31', DTP_CIP)).toEqual(['dtp-65']);
    expect(at('2025-06-14')).toEqual(['dtp-45', 'dtp-65']);
    expect(at('2026-05-31', HEP_B)).toEqual(['dtp-45', 'dtp-65']);
    // A CIP13 without its valence is not recognised by the calendar.
    expect(at('2026-05-31', { ...DTP_CIP, atcValence: undefined })).toEqual(['dtp-45', 'dtp-65']);
    // Late: two years after the 45th birthday, still the 45-year booster.
    expect(ids(dueItems({ birthDate, doses: [dose('d', '2028-06-01', DTP)], today: '2028-07-01' }).filter((i) => i.boosterId === 'dtp'))).toEqual(['dtp-65']);
  });

  it('keeps only the latest open age: a missed 25-year booster is not listed once the 45-year window opens', () => {
    expect(ids(dueItems({ birthDate: '1950-01-10', doses: [], today: '2026-01-01' }))).toEqual(['dtp-75', 'influenza-2025', 'influenza-2026', 'dtp-85']);
  });

  it('has nothing left after 95, and lists the 25-year booster for a child', () => {
    expect(ids(dueItems({ birthDate: '1920-01-01', doses: [dose('d', '2015-01-01', DTP), dose('f', '2025-11-01', FLU)], today: '2026-01-05' }))).toEqual(['influenza-2026']);
    expect(dueItems({ birthDate: '2016-09-30', doses: [], today: '2026-01-05' }).filter((i) => i.boosterId === 'dtp')).toEqual([
      expect.objectContaining({ id: 'dtp-25', dueDate: '2041-09-30', window: { from: '2040-09-30', to: '2042-09-30' } }),
    ]);
  });
});

describe('the calendar’s yearly influenza from 65', () => {
  it('is due each season from 15 October to 31 January once the person is 65 by its end, satisfied by a dose in the season', () => {
    const birthDate = '1961-01-20'; // 65 on 2026-01-20, within the 2025 season
    const during = dueItems({ birthDate, doses: [], today: '2025-11-02' }).filter((i) => i.boosterId === 'influenza');
    expect(during).toEqual([
      expect.objectContaining({ id: 'influenza-2025', dueDate: '2025-10-15', window: { from: '2025-10-15', to: '2026-01-31' } }),
      expect.objectContaining({ id: 'influenza-2026', dueDate: '2026-10-15' }),
    ]);
    expect(dueStatus(during[0]!, '2025-11-02')).toBe('due');
    const vaccinated = dueItems({ birthDate, doses: [dose('f', '2025-10-20', FLU)], today: '2025-11-02' }).filter((i) => i.boosterId === 'influenza');
    expect(ids(vaccinated)).toEqual(['influenza-2026']);
    // A dose of the season before does not count for this one.
    expect(ids(dueItems({ birthDate, doses: [dose('f', '2025-01-31', FLU)], today: '2025-11-02' }).filter((i) => i.boosterId === 'influenza'))).toEqual([
      'influenza-2025',
      'influenza-2026',
    ]);
  });

  it('between seasons lists the next one; before 65 the first season at 65', () => {
    expect(ids(dueItems({ birthDate: '1950-01-01', doses: [], today: '2026-03-01' }).filter((i) => i.boosterId === 'influenza'))).toEqual(['influenza-2026']);
    expect(dueItems({ birthDate: '1980-12-31', doses: [], today: '2026-03-01' }).filter((i) => i.boosterId === 'influenza')).toEqual([
      expect.objectContaining({ id: 'influenza-2045', dueDate: '2045-10-15', window: { from: '2045-10-15', to: '2046-01-31' } }),
    ]);
  });
});

describe('explicit booster dates', () => {
  it('are due on their date until a later dose of the same vaccine', () => {
    const doses = [dose('h1', '2026-01-10', HEP_B, '2026-02-10')];
    expect(dueItems({ birthDate: '1990-01-01', doses, today: '2026-01-20' })).toContainEqual({
      id: 'booster-h1',
      kind: 'booster',
      display: 'Engerix B',
      dueDate: '2026-02-10',
      window: { from: '2026-02-10', to: '2026-02-10' },
      vaccinationId: 'h1',
    });
    const followed = [...doses, dose('h2', '2026-02-12', HEP_B, '2026-08-12')];
    expect(ids(dueItems({ birthDate: '1990-01-01', doses: followed, today: '2026-03-01' })).filter((id) => id.startsWith('booster'))).toEqual(['booster-h2']);
    const booster = dueItems({ birthDate: '1990-01-01', doses, today: '2026-03-01' }).find((i) => i.id === 'booster-h1');
    expect(booster && dueStatus(booster, '2026-03-01')).toBe('overdue');
  });

  it('take precedence over the calendar’s items of the same vaccines, which come back once the booster is satisfied', () => {
    const doses = [dose('d1', '2025-01-10', DTP, '2035-01-10')];
    const schedule = dueSchedule({ birthDate: '1981-06-15', doses, today: '2026-06-01' });
    expect(ids(schedule.items)).toEqual(['booster-d1', 'influenza-2046']);
    // Kept in view for the reminders: the calendar's items it holds back, and what follows each booster's last item.
    expect(ids(schedule.ahead)).toEqual(['dtp-45', 'dtp-65', 'influenza-2047', 'dtp-75']);
    // Satisfied by a later dose without a booster date: the calendar counts again (the dose is within dtp-45's window).
    expect(ids(dueItems({ birthDate: '1981-06-15', doses: [...doses, dose('d2', '2026-05-01', DTP)], today: '2026-06-01' }))).toEqual(['dtp-65', 'influenza-2046']);
  });
});

describe('reminders', () => {
  const item: DueItem = { id: 'booster-x', kind: 'booster', display: 'x', dueDate: '2026-03-01', window: { from: '2026-03-01', to: '2026-03-01' } };
  const none = { reminded: () => false, spread: () => 0 };

  it('fall due the lead time plus the spread before the due date, late ones at once, and once', () => {
    expect(reminderDay(item, 0)).toBe('2026-01-30');
    expect(reminderDay(item, 6)).toBe('2026-01-24');
    expect(remindersDue([item], '2026-01-29', none)).toEqual([]);
    expect(remindersDue([item], '2026-01-30', none)).toEqual([item]);
    expect(remindersDue([item], '2027-01-01', none)).toEqual([item]);
    expect(remindersDue([item], '2026-01-30', { ...none, reminded: () => true })).toEqual([]);
    expect(nextReminderDay([item], '2026-01-01', none)).toBe('2026-01-30');
    expect(nextReminderDay([item], '2026-01-30', none)).toBeUndefined();
  });

  const dayArb = fc.integer({ min: 0, max: 2000 }).map((n) => new Date(Date.UTC(2022, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
  const vaccineArb = fc.constantFrom(DTP, DTP_CIP, FLU, HEP_B);
  const dosesArb = fc
    .uniqueArray(fc.record({ id: fc.stringMatching(/^[a-z]{6}$/), date: dayArb, vaccine: vaccineArb, booster: fc.option(fc.integer({ min: 1, max: 4000 }), { nil: undefined }) }), {
      selector: (d) => d.id,
      maxLength: 10,
    })
    .map((ds) =>
      ds.map((d) =>
        dose(d.id, d.date, d.vaccine, d.booster === undefined ? undefined : new Date(Date.parse(`${d.date}T00:00:00Z`) + d.booster * 86_400_000).toISOString().slice(0, 10)),
      ),
    );
  const birthArb = fc.integer({ min: 0, max: 36_000 }).map((n) => new Date(Date.UTC(1925, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
  const today = '2027-06-30';

  it('do not depend on the order the doses come in (property)', () => {
    fc.assert(
      fc.property(birthArb, dosesArb, (birthDate, doses) => {
        expect(dueSchedule({ birthDate, doses: [...doses].reverse(), today })).toEqual(dueSchedule({ birthDate, doses, today }));
      }),
    );
  });

  it('a dose that matches a due item, given within its window, removes it (property)', () => {
    fc.assert(
      fc.property(birthArb, dosesArb, (birthDate, doses) => {
        for (const item of dueItems({ birthDate, doses, today })) {
          if (item.window.from > today) continue;
          const on = item.window.to < today ? item.window.to : today;
          const vaccine = item.kind === 'booster' ? doses.find((d) => d.id === item.vaccinationId)!.vaccine : item.boosterId === 'dtp' ? DTP : FLU;
          const given = dose('given-dose', on, vaccine);
          // An explicit booster is satisfied by a later dose: its window is its date, after the dose it follows.
          expect(ids(dueItems({ birthDate, doses: [...doses, given], today }))).not.toContain(item.id);
        }
      }),
    );
  });

  it('a reminder sent is never due again, and the next one falls after today (property)', () => {
    fc.assert(
      fc.property(birthArb, dosesArb, fc.integer({ min: 0, max: 6 }), (birthDate, doses, spread) => {
        const items = dueItems({ birthDate, doses, today });
        const sent = new Set(remindersDue(items, today, { reminded: () => false, spread: () => spread }).map((i) => i.id));
        const state = { reminded: (id: string) => sent.has(id), spread: () => spread };
        expect(remindersDue(items, today, state)).toEqual([]);
        const next = nextReminderDay(items, today, state);
        if (next !== undefined) expect(next > today).toBe(true);
        for (const i of items) if (!sent.has(i.id)) expect(reminderDay(i, spread) > today).toBe(true);
        expect(REMINDER_LEAD_DAYS).toBe(30);
      }),
    );
  });
});

/**
 * The vaccination record's list, pure: recorded vaccinations and the claims history's deliveries
 * merged without duplicates (the same vaccine recorded 0 to 90 days after its delivery), newest
 * first, and the rules a vaccination's dates keep.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  checkDates,
  matchDeliveries,
  mergeVaccinations,
  sameVaccine,
  type ClaimDelivery,
  type RecordedVaccination,
  type Vaccine,
} from '../../functions/domain/vaccinations/entries.ts';

const FLU_CIP = '3400930000137';
const OTHER_CIP = '3400930000144';
const FLU: Vaccine = { name: 'Vaccin grippal', codeSystem: 'CIP13', code: FLU_CIP, atcValence: 'J07BB02' };
const FLU_BY_VALENCE: Vaccine = { name: 'Grippe', codeSystem: 'ATC_VALENCE', code: 'J07BB02' };
const DTP: Vaccine = { name: 'Revaxis', codeSystem: 'ATC_VALENCE', code: 'J07CA01' };

const recorded = (id: string, date: string, vaccine: Vaccine = FLU, more: Partial<RecordedVaccination> = {}): RecordedVaccination => ({
  id,
  date,
  vaccine,
  doseNumber: 1,
  source: 'professional',
  author: { kind: 'professional', id: '810000000001', profession: '21' },
  recordedAt: `${date}T10:00:00.000Z`,
  ...more,
});
const delivery = (lineId: string, date: string, more: Partial<ClaimDelivery> = {}): ClaimDelivery => ({
  lineId,
  date,
  code: FLU_CIP,
  display: 'VACCIN GRIPPAL',
  atcValence: 'J07BB02',
  ...more,
});

describe('the same vaccine', () => {
  it('is the same CIP13 code, or the same ATC valence however it is given', () => {
    expect(sameVaccine(FLU, { ...FLU, atcValence: undefined })).toBe(true);
    expect(sameVaccine(FLU, FLU_BY_VALENCE)).toBe(true);
    expect(sameVaccine({ ...FLU, code: OTHER_CIP }, FLU_BY_VALENCE)).toBe(true);
    expect(sameVaccine({ ...FLU, atcValence: undefined }, FLU_BY_VALENCE)).toBe(false);
    expect(sameVaccine(FLU, DTP)).toBe(false);
    expect(sameVaccine({ ...FLU, atcValence: undefined }, { ...FLU, code: OTHER_CIP, atcValence: undefined })).toBe(false);
  });
});

describe('merging the recorded vaccinations and the history’s deliveries', () => {
  it('leaves out a delivery a recorded vaccination stands for: the same vaccine, 0 to 90 days after the delivery', () => {
    const list = mergeVaccinations([recorded('r1', '2026-10-20')], [delivery('l1', '2026-10-14'), delivery('l2', '2026-03-01')]);
    expect(list.map((e) => [e.id, e.source, e.dateKind])).toEqual([
      ['r1', 'professional', 'administration'],
      ['l2', 'claims', 'delivery'],
    ]);
    const claims = list[1];
    expect(claims).toMatchObject({ author: { kind: 'insurer', id: 'ALIM_AM' }, vaccine: { name: 'VACCIN GRIPPAL', codeSystem: 'CIP13', code: FLU_CIP, atcValence: 'J07BB02' } });
  });

  it('matches on the delivery day and on the 90th day after it, not the 91st, nor before the delivery', () => {
    const kept = (recordedOn: string) => mergeVaccinations([recorded('r', recordedOn)], [delivery('l', '2026-01-01')]).some((e) => e.source === 'claims');
    expect(kept('2026-01-01')).toBe(false);
    expect(kept('2026-04-01')).toBe(false); // 90 days later
    expect(kept('2026-04-02')).toBe(true);
    expect(kept('2025-12-31')).toBe(true);
  });

  it('matches by valence when one side has no common CIP13, and never another vaccine', () => {
    expect(mergeVaccinations([recorded('r', '2026-02-01', FLU_BY_VALENCE)], [delivery('l', '2026-01-20')])).toHaveLength(1);
    expect(mergeVaccinations([recorded('r', '2026-02-01', DTP)], [delivery('l', '2026-01-20')])).toHaveLength(2);
  });

  it('matches each delivery and each recorded vaccination once: two deliveries, one dose recorded, one delivery stays', () => {
    const list = mergeVaccinations([recorded('r', '2026-02-10')], [delivery('l1', '2026-01-20'), delivery('l2', '2026-02-01')]);
    expect(list.map((e) => e.id)).toEqual(['r', 'l2']);
    // The earliest delivery takes the dose: two doses then take both deliveries.
    expect(mergeVaccinations([recorded('r1', '2026-02-10'), recorded('r2', '2026-03-10')], [delivery('l1', '2026-01-20'), delivery('l2', '2026-02-01')])).toHaveLength(2);
  });

  it('lists newest first; on one day the recorded vaccination before the delivery', () => {
    const list = mergeVaccinations([recorded('r', '2025-05-01', DTP), recorded('q', '2026-05-01', DTP)], [delivery('l', '2026-05-01', { code: OTHER_CIP, atcValence: 'J07AL02' })]);
    expect(list.map((e) => e.id)).toEqual(['q', 'l', 'r']);
  });

  const day = fc.integer({ min: 0, max: 900 }).map((n) => new Date(Date.UTC(2024, 0, 1) + n * 86_400_000).toISOString().slice(0, 10));
  const vaccine = fc.constantFrom<Vaccine>(FLU, FLU_BY_VALENCE, DTP, { ...FLU, code: OTHER_CIP, atcValence: undefined });
  const recordedArb = fc
    .uniqueArray(fc.record({ id: fc.stringMatching(/^[a-z2-7]{12}$/), date: day, vaccine }), { selector: (r) => r.id, maxLength: 12 })
    .map((rs) => rs.map((r) => recorded(r.id, r.date, r.vaccine)));
  const deliveriesArb = fc
    .uniqueArray(fc.record({ lineId: fc.stringMatching(/^[A-Za-z0-9_-]{32}$/), date: day, flu: fc.boolean() }), { selector: (d) => d.lineId, maxLength: 12 })
    .map((ds) => ds.map((d) => delivery(d.lineId, d.date, d.flu ? {} : { code: OTHER_CIP, atcValence: undefined })));

  it('gives the same list whatever order the entries and lines were read in (property)', () => {
    fc.assert(
      fc.property(recordedArb, deliveriesArb, fc.integer(), (entries, lines, seed) => {
        const shuffle = <T>(xs: T[]) =>
          xs
            .map((x, i) => ({ x, k: Math.sin(seed + i) }))
            .sort((a, b) => a.k - b.k)
            .map((p) => p.x);
        expect(mergeVaccinations(shuffle(entries), shuffle(lines))).toEqual(mergeVaccinations(entries, lines));
      }),
    );
  });

  it('keeps every recorded vaccination, and every delivery but those matched, one for one (property)', () => {
    fc.assert(
      fc.property(recordedArb, deliveriesArb, (entries, lines) => {
        const matched = matchDeliveries(entries, lines);
        const list = mergeVaccinations(entries, lines);
        expect(new Set(matched.values()).size).toBe(matched.size);
        expect(list).toHaveLength(entries.length + lines.length - matched.size);
        for (const e of entries) expect(list.some((l) => l.id === e.id && l.source !== 'claims')).toBe(true);
        for (const [lineId, entryId] of matched) {
          const line = lines.find((l) => l.lineId === lineId)!;
          const entry = entries.find((e) => e.id === entryId)!;
          expect(sameVaccine(entry.vaccine, { codeSystem: 'CIP13', code: line.code, atcValence: line.atcValence })).toBe(true);
          expect(entry.date >= line.date).toBe(true);
        }
        for (let i = 1; i < list.length; i++) expect(list[i - 1]!.date >= list[i]!.date).toBe(true);
      }),
    );
  });
});

describe('a vaccination’s dates', () => {
  const facts = { today: '2026-12-01', birthDate: '1975-03-14' };
  it('are not in the future, not before the birth date, and a booster comes after the vaccination', () => {
    expect(checkDates({ date: '2026-12-01', nextBoosterDate: '2027-12-01' }, facts)).toEqual([]);
    expect(checkDates({ date: '1975-03-14' }, facts)).toEqual([]);
    expect(checkDates({ date: '2026-12-02' }, facts)).toEqual([{ path: 'body.date', message: 'a vaccination date is not in the future' }]);
    expect(checkDates({ date: '1975-03-13' }, facts)).toEqual([{ path: 'body.date', message: 'a vaccination date is not before the birth date' }]);
    expect(checkDates({ date: '2026-01-10', nextBoosterDate: '2026-01-10' }, facts)).toEqual([
      { path: 'body.nextBoosterDate', message: 'the next booster comes after the vaccination date' },
    ]);
    expect(checkDates({ date: '2026-01-10', nextBoosterDate: '2025-01-10' }, facts).map((f) => f.path)).toEqual(['body.nextBoosterDate']);
  });
});

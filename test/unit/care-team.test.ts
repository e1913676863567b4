/**
 * The care team, pure: who prescribed, performed or deposited over the last 12 months, merged per
 * professional and structure, with the patient's decision on each professional.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { careTeam, careTeamWindow, type CareDecision, type CareDeposit, type CareLine, type CareTeamInput } from '../../functions/domain/claims/care-team.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
const GP = { id: '810000000001', profession: '10', specialty: 'SM54' };
const CARDIOLOGIST = { id: '810000000002', profession: '10', specialty: 'SM04' };
const PHARMACY = { finess: '750000001', name: 'Pharmacie du Marché' };
const LAB = { finess: '750000002', name: 'Laboratoire Central' };

const team = (input: Partial<CareTeamInput>) => careTeam({ lines: [], deposits: [], decisions: [], ...input }, NOW);
const decision = (professionalId: string, status: 'authorized' | 'blocked', more: Partial<CareDecision> = {}): CareDecision => ({
  professionalId,
  status,
  attendingPhysician: false,
  ...more,
});

describe('the care team', () => {
  it('merges a professional’s prescriptions and deposits into one entry, and a pharmacy’s dispensations into another', () => {
    const members = team({
      lines: [
        { date: '2026-03-10', prescriber: GP, performer: PHARMACY },
        { date: '2026-10-02', prescriber: GP, performer: PHARMACY },
      ],
      deposits: [{ authorId: GP.id, profession: '10', specialty: 'SM54', depositedAt: '2026-11-15T08:30:00Z' }],
    });
    expect(members).toEqual([
      {
        kind: 'professional',
        id: GP.id,
        firstDate: '2026-03-10',
        lastDate: '2026-11-15',
        count: 3,
        roles: ['prescriber', 'author'],
        professions: ['10'],
        specialties: ['SM54'],
        authorization: 'none',
        attendingPhysician: false,
      },
      { kind: 'structure', id: PHARMACY.finess, firstDate: '2026-03-10', lastDate: '2026-10-02', count: 2, roles: ['performer'], name: PHARMACY.name },
    ]);
  });

  it('counts a performer named by id as the professional, not also his structure; a line naming him twice counts once', () => {
    const [member, ...rest] = team({ lines: [{ date: '2026-11-01', prescriber: GP, performer: { id: GP.id, finess: '750000009' } }] });
    expect(rest).toEqual([]);
    expect(member).toMatchObject({ kind: 'professional', id: GP.id, count: 1, roles: ['prescriber', 'performer'] });
  });

  it('keeps the 12 months ending today: the day a year ago is in, the day before it and tomorrow are not', () => {
    expect(careTeamWindow(NOW)).toEqual({ from: '2025-12-01', to: '2026-12-01' });
    const members = team({
      lines: [
        { date: '2025-11-30', prescriber: CARDIOLOGIST },
        { date: '2025-12-01', performer: LAB },
        { date: '2026-12-02', performer: PHARMACY },
      ],
      deposits: [
        { authorId: CARDIOLOGIST.id, profession: '10', depositedAt: '2025-11-30T23:59:59Z' },
        { authorId: GP.id, profession: '10', depositedAt: '2026-12-01T09:00:00Z' },
      ],
    });
    expect(members.map((m) => [m.kind, m.id, m.firstDate, m.lastDate])).toEqual([
      ['professional', GP.id, '2026-12-01', '2026-12-01'],
      ['structure', LAB.finess, '2025-12-01', '2025-12-01'],
    ]);
  });

  it('says what the patient decided on each professional, now: authorised (attending or not), blocked, expired, nothing', () => {
    const pros = ['P-AUTH', 'P-ATTENDING', 'P-BLOCKED', 'P-EXPIRED', 'P-NONE'];
    const members = team({
      lines: pros.map((id) => ({ date: '2026-11-01', prescriber: { id, profession: '10' } })),
      decisions: [
        decision('P-AUTH', 'authorized'),
        decision('P-ATTENDING', 'authorized', { attendingPhysician: true }),
        decision('P-BLOCKED', 'blocked'),
        decision('P-EXPIRED', 'authorized', { attendingPhysician: true, expiresAt: '2026-12-01T09:59:59Z' }),
        decision('P-ELSEWHERE', 'authorized'),
      ],
    });
    expect(members.map((m) => (m.kind === 'professional' ? [m.id, m.authorization, m.attendingPhysician] : []))).toEqual([
      ['P-ATTENDING', 'authorized', true],
      ['P-AUTH', 'authorized', false],
      ['P-BLOCKED', 'blocked', false],
      ['P-EXPIRED', 'expired', false],
      ['P-NONE', 'none', false],
    ]);
  });

  it('gathers every profession and specialty a professional was given, and keeps a structure’s latest name', () => {
    const members = team({
      lines: [
        { date: '2026-06-01', prescriber: { id: 'P1', profession: '10', specialty: 'SM04' }, performer: { finess: LAB.finess, name: 'Old name' } },
        { date: '2026-09-01', prescriber: { id: 'P1', profession: '10' }, performer: { finess: LAB.finess, name: 'New name' } },
        { date: '2026-10-01', performer: { finess: LAB.finess } },
      ],
      deposits: [{ authorId: 'P1', profession: '10', specialty: 'SM26', depositedAt: '2026-08-01' }],
    });
    expect(members).toEqual([
      expect.objectContaining({ kind: 'structure', id: LAB.finess, name: 'New name', count: 3 }),
      expect.objectContaining({ kind: 'professional', id: 'P1', professions: ['10'], specialties: ['SM04', 'SM26'], count: 3 }),
    ]);
  });

  it('sorts by last date, the latest first, then by id', () => {
    const members = team({
      lines: [
        { date: '2026-11-01', prescriber: { id: 'B', profession: '10' } },
        { date: '2026-11-01', prescriber: { id: 'A', profession: '10' } },
        { date: '2026-02-01', prescriber: { id: 'C', profession: '10' } },
        { date: '2026-11-20', performer: { finess: 'Z' } },
      ],
    });
    expect(members.map((m) => m.id)).toEqual(['Z', 'A', 'B', 'C']);
  });

  it('is empty without care or deposits in the window, whatever the decisions', () => {
    expect(team({ decisions: [decision('P1', 'blocked')] })).toEqual([]);
  });
});

describe('care team properties', () => {
  const ids = fc.constantFrom('P1', 'P2', 'P3');
  const day = fc.integer({ min: -400, max: 10 }).map((n) => new Date(NOW.getTime() + n * 86_400_000).toISOString().slice(0, 10));
  const line: fc.Arbitrary<CareLine> = fc.record(
    {
      date: day,
      prescriber: fc.record({ id: ids, profession: fc.constantFrom('10', '21'), specialty: fc.option(fc.constantFrom('SM04', 'SM54'), { nil: undefined }) }),
      performer: fc.record({
        id: fc.option(ids, { nil: undefined }),
        finess: fc.constantFrom('750000001', '750000002'),
        name: fc.option(fc.constantFrom('A', 'B'), { nil: undefined }),
      }),
    },
    { requiredKeys: ['date'] },
  );
  const deposit: fc.Arbitrary<CareDeposit> = fc.record({ authorId: ids, profession: fc.constantFrom('10', '60'), depositedAt: day.map((d) => `${d}T12:00:00Z`) });
  const input = fc.record({ lines: fc.array(line, { maxLength: 20 }), deposits: fc.array(deposit, { maxLength: 8 }) });
  const permutation = <T>(xs: T[]) => fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length });

  it('does not depend on the order of the lines and deposits', () => {
    fc.assert(
      fc.property(
        input.chain((i) => fc.tuple(fc.constant(i), permutation(i.lines), permutation(i.deposits))),
        ([i, lines, deposits]) => {
          expect(careTeam({ ...i, lines, deposits, decisions: [] }, NOW)).toEqual(careTeam({ ...i, decisions: [] }, NOW));
        },
      ),
    );
  });

  it('counts each line and deposit of the window once per member it names, and dates within the window', () => {
    fc.assert(
      fc.property(input, ({ lines, deposits }) => {
        const { from, to } = careTeamWindow(NOW);
        const members = careTeam({ lines, deposits, decisions: [] }, NOW);
        for (const m of members) {
          expect(from <= m.firstDate && m.firstDate <= m.lastDate && m.lastDate <= to).toBe(true);
          const expected =
            m.kind === 'structure'
              ? lines.filter((l) => l.date >= from && l.date <= to && l.performer && !l.performer.id && l.performer.finess === m.id).length
              : lines.filter((l) => l.date >= from && l.date <= to && (l.prescriber?.id === m.id || l.performer?.id === m.id)).length +
                deposits.filter((d) => d.depositedAt.slice(0, 10) >= from && d.depositedAt.slice(0, 10) <= to && d.authorId === m.id).length;
          expect(m.count).toBe(expected);
        }
      }),
    );
  });
});

/**
 * The medication review, pure: the window, the grouping by substance, and each kind of rule of
 * data/medication-alerts.json (the file itself, loaded through reference-data.ts), positive and
 * negative, at its boundaries (the window's first day, the last covered day, the 75th birthday).
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { medicationReview, type ClaimLineFacts, type MedicationReview } from '../../functions/domain/claims/medication-review.ts';
import { medicationAlertRules, type MedicationAlertRules } from '../../functions/domain/reference-data.ts';

const NOW = new Date('2026-12-01T10:00:00Z');
/** Born long enough ago that the age rule applies, or too recently for it. */
const OLD = '1940-03-15';
const YOUNG = '1970-03-15';

// ATC codes (7 characters) of the substances the tests dispense, with insurer-like component codes.
const WARFARIN = { atcValence: 'B01AA03', atcGroup: 'B01', activeComponents: ['1001'] };
const FLUINDIONE = { atcValence: 'B01AA12', atcGroup: 'B01', activeComponents: ['1002'] };
const APIXABAN = { atcValence: 'B01AF02', atcGroup: 'B01', activeComponents: ['1003'] };
const IBUPROFEN = { atcValence: 'M01AE01', atcGroup: 'M01', activeComponents: ['2001'] };
const RAMIPRIL = { atcValence: 'C09AA05', atcGroup: 'C09', activeComponents: ['3001'] };
const FUROSEMIDE = { atcValence: 'C03CA01', atcGroup: 'C03', activeComponents: ['3002'] };
const DIAZEPAM = { atcValence: 'N05BA01', atcGroup: 'N05', activeComponents: ['4001'] };
const ALPRAZOLAM = { atcValence: 'N05BA12', atcGroup: 'N05', activeComponents: ['4002'] };
const ZOLPIDEM = { atcValence: 'N05CF02', atcGroup: 'N05', activeComponents: ['4003'] };
const PARACETAMOL = { atcGroup: 'N02', activeComponents: ['5001'] };

let next = 0;
const med = (date: string, drug: Partial<ClaimLineFacts>, more: Partial<ClaimLineFacts> = {}): ClaimLineFacts => ({
  lineId: `L${String(++next).padStart(4, '0')}`,
  category: 'medication',
  date,
  code: `34009300${String(next).padStart(5, '0')}`,
  display: `product ${next}`,
  ...drug,
  ...more,
});

const review = (lines: ClaimLineFacts[], birthDate: string = YOUNG, rules: MedicationAlertRules = medicationAlertRules): MedicationReview =>
  medicationReview(lines, { birthDate, now: NOW, rules });
const alertsOf = (r: MedicationReview, ruleId: string) => r.alerts.filter((a) => a.ruleId === ruleId);

describe('the rules data', () => {
  it('is read whole: every rule of medication-alerts.json is of a kind the review applies, versioned', () => {
    const r = review([], OLD);
    expect(r.skippedRules).toEqual([]);
    expect(r.rulesVersion).toBe(medicationAlertRules.version);
    expect(medicationAlertRules.windowDays).toBe(90);
    expect(medicationAlertRules.coverDays).toBe(30);
  });

  it('skips and reports a rule of an unknown kind or with a malformed field, and applies the others', () => {
    const rules: MedicationAlertRules = {
      ...medicationAlertRules,
      rules: [
        { id: 'pregnancy', title: 'Teratogenic in pregnancy', severity: 'high', kind: 'pregnancy', any: ['D10BA'] },
        { id: 'lonely', title: 'A combination of one group', severity: 'high', kind: 'combination', all: [['B01AA']] },
        { id: 'no-count', title: 'Count without a count', severity: 'info', kind: 'count', atLeast: 'ten' },
        { id: 'odd-severity', title: 'Severity unknown', severity: 'catastrophic', kind: 'count', atLeast: 1 },
        ...medicationAlertRules.rules,
      ],
    };
    const r = review([med('2026-11-01', WARFARIN), med('2026-11-10', IBUPROFEN)], YOUNG, rules);
    expect(r.skippedRules).toEqual([
      { ruleId: 'pregnancy', kind: 'pregnancy', reason: 'unknown kind' },
      { ruleId: 'lonely', kind: 'combination', reason: expect.any(String) },
      { ruleId: 'no-count', kind: 'count', reason: expect.any(String) },
      { ruleId: 'odd-severity', kind: 'count', reason: 'unknown severity catastrophic' },
    ]);
    expect(r.alerts.map((a) => a.ruleId)).toEqual(['vka-nsaid']);
  });
});

describe('the window and the medicines', () => {
  it('keeps the medication lines of the 90 days ending today, both ends included', () => {
    const first = med('2026-09-03', PARACETAMOL);
    const today = med('2026-12-01', PARACETAMOL);
    const r = review([med('2026-09-02', PARACETAMOL), first, today, med('2026-12-02', PARACETAMOL), med('2026-11-01', { atcValence: 'J07BB02' }, { category: 'vaccination' })]);
    expect(r.window).toEqual({ from: '2026-09-03', to: '2026-12-01' });
    expect(r.medicines.flatMap((m) => m.lineIds)).toEqual([first.lineId, today.lineId]);
  });

  it('groups by active component, a combination product under each of its components, lines without one by product code', () => {
    const doliprane = med('2026-10-01', PARACETAMOL, { quantity: 2, display: 'DOLIPRANE 1000 mg', prescriber: { id: 'P2', profession: '10' } });
    const dafalganCodeine = med(
      '2026-11-05',
      { atcGroup: 'N02', activeComponents: ['5001', '5002'] },
      { quantity: 1, display: 'DAFALGAN CODEINE', prescriber: { id: 'P1', profession: '10' } },
    );
    const unnamed = med('2026-11-20', { atcGroup: 'A02' }, { code: '3400930099999', display: 'GAVISCON' });
    const { medicines } = review([unnamed, dafalganCodeine, doliprane]);
    expect(medicines).toEqual([
      {
        substance: '3400930099999',
        groupedBy: 'product-code',
        display: 'GAVISCON',
        lineIds: [unnamed.lineId],
        firstDispensed: '2026-11-20',
        lastDispensed: '2026-11-20',
        quantity: 1,
        prescriberIds: [],
      },
      {
        substance: '5001',
        groupedBy: 'active-component',
        display: 'DAFALGAN CODEINE',
        lineIds: [doliprane.lineId, dafalganCodeine.lineId],
        firstDispensed: '2026-10-01',
        lastDispensed: '2026-11-05',
        quantity: 3,
        prescriberIds: ['P1', 'P2'],
      },
      {
        substance: '5002',
        groupedBy: 'active-component',
        display: 'DAFALGAN CODEINE',
        lineIds: [dafalganCodeine.lineId],
        firstDispensed: '2026-11-05',
        lastDispensed: '2026-11-05',
        quantity: 1,
        prescriberIds: ['P1'],
      },
    ]);
  });
});

describe('combination rules', () => {
  it('raises vitamin K antagonist + NSAID when their covers overlap, naming both lines', () => {
    const warfarin = med('2026-11-01', WARFARIN);
    const ibuprofen = med('2026-11-20', IBUPROFEN);
    const r = review([ibuprofen, warfarin, med('2026-11-02', PARACETAMOL)]);
    expect(alertsOf(r, 'vka-nsaid')).toEqual([
      { ruleId: 'vka-nsaid', title: 'Antivitamine K et anti-inflammatoire non stéroïdien', severity: 'high', kind: 'combination', lineIds: [warfarin.lineId, ibuprofen.lineId] },
    ]);
  });

  it('a box covers 30 days, its date included: the 30th day overlaps, the 31st does not', () => {
    expect(alertsOf(review([med('2026-11-01', WARFARIN), med('2026-11-30', IBUPROFEN)]), 'vka-nsaid')).toHaveLength(1);
    expect(alertsOf(review([med('2026-11-01', WARFARIN), med('2026-12-01', IBUPROFEN)]), 'vka-nsaid')).toEqual([]);
    // Either order: the NSAID first, the antagonist on its last covered day.
    expect(alertsOf(review([med('2026-10-01', IBUPROFEN), med('2026-10-30', WARFARIN)]), 'vka-nsaid')).toHaveLength(1);
    expect(alertsOf(review([med('2026-10-01', IBUPROFEN), med('2026-10-31', WARFARIN)]), 'vka-nsaid')).toEqual([]);
  });

  it('the quantity extends the cover: boxes × 30 days (1.5 boxes: 45 days; under one box: still 30)', () => {
    const vka = (quantity: number) => med('2026-10-01', WARFARIN, { quantity });
    expect(alertsOf(review([vka(2), med('2026-11-29', IBUPROFEN)]), 'vka-nsaid')).toHaveLength(1);
    expect(alertsOf(review([vka(2), med('2026-11-30', IBUPROFEN)]), 'vka-nsaid')).toEqual([]);
    expect(alertsOf(review([vka(1.5), med('2026-11-14', IBUPROFEN)]), 'vka-nsaid')).toHaveLength(1);
    expect(alertsOf(review([vka(1.5), med('2026-11-15', IBUPROFEN)]), 'vka-nsaid')).toEqual([]);
    expect(alertsOf(review([vka(0.5), med('2026-10-30', IBUPROFEN)]), 'vka-nsaid')).toHaveLength(1);
    expect(alertsOf(review([vka(0.5), med('2026-10-31', IBUPROFEN)]), 'vka-nsaid')).toEqual([]);
  });

  it('a line known only by its 3-character ATC group cannot satisfy a longer prefix', () => {
    expect(alertsOf(review([med('2026-11-01', WARFARIN), med('2026-11-05', { atcGroup: 'M01', activeComponents: ['2001'] })]), 'vka-nsaid')).toEqual([]);
  });

  it('raises the triple whammy only when the three covers share a day, not when they overlap two by two', () => {
    const nsaid = med('2026-11-01', IBUPROFEN);
    const acei = med('2026-11-10', RAMIPRIL);
    const diuretic = med('2026-11-20', FUROSEMIDE);
    expect(alertsOf(review([nsaid, acei, diuretic]), 'triple-whammy')).toEqual([
      expect.objectContaining({ severity: 'high', lineIds: [nsaid.lineId, acei.lineId, diuretic.lineId] }),
    ]);
    expect(alertsOf(review([nsaid, acei]), 'triple-whammy')).toEqual([]);
    // NSAID 1–30 Oct, ACE inhibitor 25 Oct–23 Nov, diuretic 10 Nov–9 Dec: no day has all three.
    const chain = [med('2026-10-01', IBUPROFEN), med('2026-10-25', RAMIPRIL), med('2026-11-10', FUROSEMIDE)];
    expect(alertsOf(review(chain), 'triple-whammy')).toEqual([]);
  });
});

describe('same-class rules', () => {
  it('raises two anticoagulants of two classes at the same time', () => {
    const warfarin = med('2026-10-01', WARFARIN);
    const apixaban = med('2026-10-20', APIXABAN);
    expect(alertsOf(review([warfarin, apixaban]), 'anticoagulants-2')).toEqual([
      expect.objectContaining({ kind: 'same-class', severity: 'high', lineIds: [warfarin.lineId, apixaban.lineId] }),
    ]);
  });

  it('counts distinct substances, not classes: two vitamin K antagonists raise it, the same one renewed does not', () => {
    expect(alertsOf(review([med('2026-10-01', WARFARIN), med('2026-10-20', FLUINDIONE)]), 'anticoagulants-2')).toHaveLength(1);
    expect(alertsOf(review([med('2026-10-01', WARFARIN), med('2026-10-20', WARFARIN), med('2026-11-10', WARFARIN)]), 'anticoagulants-2')).toEqual([]);
  });

  it('does not raise two anticoagulants that follow one another (a switch)', () => {
    expect(alertsOf(review([med('2026-10-01', WARFARIN), med('2026-10-31', APIXABAN)]), 'anticoagulants-2')).toEqual([]);
  });

  it('names only the lines that were concurrent: an earlier line of the class stays out', () => {
    const early = med('2026-09-05', ALPRAZOLAM);
    const alprazolam = med('2026-11-01', ALPRAZOLAM);
    const zolpidem = med('2026-11-15', ZOLPIDEM);
    expect(alertsOf(review([early, alprazolam, zolpidem]), 'benzodiazepines-2')).toEqual([
      expect.objectContaining({ severity: 'medium', lineIds: [alprazolam.lineId, zolpidem.lineId] }),
    ]);
  });
});

describe('age rules', () => {
  const diazepam = () => med('2026-11-01', DIAZEPAM);

  it('raises a long half-life benzodiazepine from the 75th birthday on, not the day before', () => {
    const line = diazepam();
    expect(alertsOf(review([line], '1951-12-01'), 'long-benzodiazepine-75')).toEqual([expect.objectContaining({ kind: 'age', lineIds: [line.lineId] })]);
    expect(alertsOf(review([diazepam()], '1951-12-02'), 'long-benzodiazepine-75')).toEqual([]);
    expect(alertsOf(review([diazepam()], OLD), 'long-benzodiazepine-75')).toHaveLength(1);
  });

  it('does not raise a benzodiazepine outside its list (alprazolam, short half-life), nor a line known only as N05', () => {
    expect(alertsOf(review([med('2026-11-01', ALPRAZOLAM)], OLD), 'long-benzodiazepine-75')).toEqual([]);
    expect(alertsOf(review([med('2026-11-01', { atcGroup: 'N05', activeComponents: ['4001'] })], OLD), 'long-benzodiazepine-75')).toEqual([]);
  });

  it('skips the age rules when the birth date is unknown or unreadable, and says so', () => {
    const r = medicationReview([diazepam()], { birthDate: undefined, now: NOW, rules: medicationAlertRules });
    expect(alertsOf(r, 'long-benzodiazepine-75')).toEqual([]);
    expect(r.skippedRules).toEqual([{ ruleId: 'long-benzodiazepine-75', kind: 'age', reason: 'birth date unknown' }]);
    const unreadable = medicationReview([diazepam()], { birthDate: 'not a date', now: NOW, rules: medicationAlertRules });
    expect(alertsOf(unreadable, 'long-benzodiazepine-75')).toEqual([]);
    expect(unreadable.skippedRules).toEqual(r.skippedRules);
  });
});

describe('count rules', () => {
  const substances = (n: number) =>
    Array.from({ length: n }, (_, i) => med(`2026-${i % 2 ? '10' : '11'}-${String(i + 1).padStart(2, '0')}`, { atcGroup: 'A10', activeComponents: [String(9000 + i)] }));

  it('raises ten distinct substances in the window, naming every line; nine do not', () => {
    const ten = substances(10);
    expect(alertsOf(review(ten), 'polypharmacy')).toEqual([
      expect.objectContaining({ severity: 'info', kind: 'count', lineIds: [...ten].sort((a, b) => a.date.localeCompare(b.date)).map((l) => l.lineId) }),
    ]);
    expect(alertsOf(review(substances(9)), 'polypharmacy')).toEqual([]);
  });

  it('counts substances, not lines: ten dispensations of one do not raise it, a combination product counts its components', () => {
    expect(alertsOf(review(Array.from({ length: 10 }, () => med('2026-11-01', PARACETAMOL))), 'polypharmacy')).toEqual([]);
    expect(alertsOf(review([...substances(8), med('2026-11-20', { atcGroup: 'N02', activeComponents: ['5001', '5002'] })]), 'polypharmacy')).toHaveLength(1);
  });

  it('counts only the window: a tenth substance dispensed on its eve does not count', () => {
    expect(alertsOf(review([...substances(9), med('2026-09-02', { atcGroup: 'A10', activeComponents: ['9999'] })]), 'polypharmacy')).toEqual([]);
  });
});

describe('redundancy rules', () => {
  const dr = (id: string) => ({ prescriber: { id, profession: '10' } });

  it('raises the same substance from two prescribers with overlapping covers, naming the substance', () => {
    const a = med('2026-11-01', PARACETAMOL, dr('DR-A'));
    const b = med('2026-11-15', { atcGroup: 'N02', activeComponents: ['5001', '5002'] }, dr('DR-B'));
    expect(alertsOf(review([a, b]), 'redundancy')).toEqual([
      {
        ruleId: 'redundancy',
        title: 'Même substance prescrite par plusieurs prescripteurs sur la même période',
        severity: 'medium',
        kind: 'redundancy',
        lineIds: [a.lineId, b.lineId],
        substance: '5001',
      },
    ]);
  });

  it('does not raise one prescriber renewing, two prescribers one after the other, or a line without prescriber', () => {
    expect(alertsOf(review([med('2026-11-01', PARACETAMOL, dr('DR-A')), med('2026-11-15', PARACETAMOL, dr('DR-A'))]), 'redundancy')).toEqual([]);
    expect(alertsOf(review([med('2026-10-01', PARACETAMOL, dr('DR-A')), med('2026-10-31', PARACETAMOL, dr('DR-B'))]), 'redundancy')).toEqual([]);
    expect(alertsOf(review([med('2026-11-01', PARACETAMOL, dr('DR-A')), med('2026-11-15', PARACETAMOL)]), 'redundancy')).toEqual([]);
  });

  it('raises one alert per substance, in code order', () => {
    const lines = [
      med('2026-11-01', PARACETAMOL, dr('DR-A')),
      med('2026-11-02', PARACETAMOL, dr('DR-B')),
      med('2026-11-01', ALPRAZOLAM, dr('DR-A')),
      med('2026-11-03', ALPRAZOLAM, dr('DR-C')),
    ];
    expect(alertsOf(review(lines), 'redundancy').map((a) => a.substance)).toEqual(['4002', '5001']);
  });
});

describe('the alerts together', () => {
  it('lists the most severe first, then in the order of the rules', () => {
    const lines = [
      med('2026-11-01', WARFARIN, { prescriber: { id: 'DR-A', profession: '10' } }),
      med('2026-11-02', IBUPROFEN),
      med('2026-11-03', RAMIPRIL),
      med('2026-11-04', FUROSEMIDE),
      med('2026-11-05', APIXABAN),
      med('2026-11-06', DIAZEPAM),
      med('2026-11-07', ZOLPIDEM),
      med('2026-11-08', WARFARIN, { prescriber: { id: 'DR-B', profession: '10' } }),
      med('2026-11-09', PARACETAMOL),
      med('2026-11-10', FLUINDIONE),
      med('2026-11-11', { atcGroup: 'A02' }),
    ];
    expect(review(lines, OLD).alerts.map((a) => a.ruleId)).toEqual([
      'vka-nsaid',
      'anticoagulants-2',
      'triple-whammy',
      'benzodiazepines-2',
      'long-benzodiazepine-75',
      'redundancy',
      'polypharmacy',
    ]);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties
// ---------------------------------------------------------------------------------------------

const DRUGS = [WARFARIN, FLUINDIONE, APIXABAN, IBUPROFEN, RAMIPRIL, FUROSEMIDE, DIAZEPAM, ALPRAZOLAM, ZOLPIDEM, PARACETAMOL, { atcGroup: 'A02' }];
const WINDOW_START = Date.parse('2026-09-03T00:00:00Z');
const dayFrom = (start: number, offset: number) => new Date(start + offset * 86_400_000).toISOString().slice(0, 10);

/** Lines of the window with unique ids, drawn from the substances above, a few prescribers and quantities. */
const windowLines = fc
  .array(
    fc.record({
      drug: fc.constantFrom(...DRUGS),
      offset: fc.integer({ min: 0, max: 89 }),
      quantity: fc.option(fc.constantFrom(0.5, 1, 2, 3), { nil: undefined }),
      prescriber: fc.option(fc.constantFrom('DR-A', 'DR-B', 'DR-C'), { nil: undefined }),
    }),
    { maxLength: 25 },
  )
  .map((drawn) =>
    drawn.map(
      ({ drug, offset, quantity, prescriber }, i): ClaimLineFacts => ({
        lineId: `R${String(i).padStart(3, '0')}`,
        category: 'medication',
        date: dayFrom(WINDOW_START, offset),
        code: `340093000${String(DRUGS.indexOf(drug)).padStart(4, '0')}`,
        display: `drug ${DRUGS.indexOf(drug)}`,
        ...drug,
        ...(quantity !== undefined ? { quantity } : {}),
        ...(prescriber ? { prescriber: { id: prescriber, profession: '10' } } : {}),
      }),
    ),
  );

describe('properties', () => {
  it('the review does not depend on the order of the lines', () => {
    fc.assert(
      fc.property(
        windowLines.chain((lines) => fc.tuple(fc.constant(lines), fc.shuffledSubarray(lines, { minLength: lines.length, maxLength: lines.length }))),
        fc.constantFrom(OLD, YOUNG),
        ([lines, shuffled], birthDate) => {
          expect(review(shuffled, birthDate)).toEqual(review(lines, birthDate));
        },
      ),
    );
  });

  it('a line outside the window, or not a medicine, changes nothing', () => {
    const outside = fc.oneof(
      fc.integer({ min: 1, max: 400 }).map((n) => ({ date: dayFrom(WINDOW_START, -n), category: 'medication' as const })),
      fc.integer({ min: 1, max: 60 }).map((n) => ({ date: dayFrom(Date.parse('2026-12-01T00:00:00Z'), n), category: 'medication' as const })),
      fc.integer({ min: 0, max: 89 }).map((n) => ({ date: dayFrom(WINDOW_START, n), category: 'act' as const })),
    );
    fc.assert(
      fc.property(windowLines, outside, fc.constantFrom(...DRUGS), fc.constantFrom(OLD, YOUNG), (lines, where, drug, birthDate) => {
        const extra: ClaimLineFacts = { lineId: 'X-OUTSIDE', code: '3400930077777', display: 'outside', ...drug, ...where, prescriber: { id: 'DR-A', profession: '10' } };
        expect(review([...lines, extra], birthDate)).toEqual(review(lines, birthDate));
      }),
    );
  });

  it('every line an alert or a medicine names is a medicine of the window, and each medicine lists its lines once', () => {
    fc.assert(
      fc.property(windowLines, (lines) => {
        const r = review(lines, OLD);
        const ids = new Set(lines.map((l) => l.lineId));
        for (const a of r.alerts) expect(a.lineIds.every((id) => ids.has(id))).toBe(true);
        for (const m of r.medicines) expect(new Set(m.lineIds).size).toBe(m.lineIds.length);
        // Every line is in at least one medicine.
        expect(new Set(r.medicines.flatMap((m) => m.lineIds))).toEqual(ids);
      }),
    );
  });
});

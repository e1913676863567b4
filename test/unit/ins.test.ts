import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import vectors from '../../data/nir-test-vectors.json' with { type: 'json' };
import { insKey, isValidIns } from '../../functions/domain/ins.ts';

describe('INS validation', () => {
  it.each(vectors.valid)('accepts the public test value %s', (ins) => {
    expect(isValidIns(ins)).toBe(true);
  });

  it.each(vectors.invalid.map((v) => [v.why, v.value]))('refuses a value with %s', (_why, ins) => {
    expect(isValidIns(ins)).toBe(false);
  });

  it('computes the key after replacing 2A by 19 and 2B by 18', () => {
    expect(insKey('253072A073004')).toBe(43);
    expect(insKey('253072B073004')).toBe(70);
    expect(insKey('2530719073004')).toBe(43);
  });

  const nir = fc
    .tuple(
      fc.stringMatching(/^[12][0-9]{4}$/),
      fc.constantFrom('2A', '2B', ...Array.from({ length: 95 }, (_, i) => String(i + 1).padStart(2, '0'))),
      fc.stringMatching(/^[0-9]{6}$/),
    )
    .map(([head, dept, tail]) => head + dept + tail);

  it('accepts any NIR followed by its own key (property)', () => {
    fc.assert(fc.property(nir, (n) => isValidIns(n + String(insKey(n)).padStart(2, '0'))));
  });

  it('refuses any single-digit change of a valid INS (property)', () => {
    fc.assert(
      fc.property(nir, fc.nat(14), fc.integer({ min: 1, max: 9 }), (n, position, delta) => {
        const ins = n + String(insKey(n)).padStart(2, '0');
        const c = ins[position] as string;
        fc.pre(/[0-9]/.test(c) && !(position === 5 && ins.slice(5, 7).match(/2[AB]/)) && !(position === 6 && /[AB]/.test(ins[6] as string)));
        const changed = ins.slice(0, position) + String((Number(c) + delta) % 10) + ins.slice(position + 1);
        return !isValidIns(changed);
      }),
    );
  });

  it('refuses letters outside positions 6-7 and any letter other than 2A/2B', () => {
    expect(isValidIns('2550814A6802538')).toBe(false);
    expect(isValidIns('253072C07300443')).toBe(false);
    expect(isValidIns('2530702A7300443')).toBe(false);
  });
});

import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../../functions/http/canonical.ts';
import { DMP_ID, MOBILE, newCreationCode, newDmpId, newLoginId, newProvisionalPassword, randomString } from '../../functions/domain/identifiers.ts';

describe('generated identifiers', () => {
  it('have the contract’s shapes', () => {
    for (let i = 0; i < 200; i++) {
      expect(newDmpId(randomBytes)).toMatch(DMP_ID);
      expect(newLoginId(randomBytes)).toMatch(/^[0-9]{11}$/);
      expect(newProvisionalPassword(randomBytes)).toMatch(/^[A-Za-z2-9]{14}$/);
      expect(newCreationCode(randomBytes)).toMatch(/^[0-9A-Z]{16}$/);
    }
  });

  it('draw characters without modulo bias (rejection sampling)', () => {
    // 256 % 10 = 6: bytes 250..255 must be rejected, so a source of only 255s can never produce '5'.
    let calls = 0;
    const source = (n: number) => {
      calls += 1;
      return calls === 1 ? new Uint8Array(n).fill(255) : new Uint8Array(n).fill(7);
    };
    expect(randomString(source, '0123456789', 4)).toBe('7777');
  });
});

describe('canonical JSON', () => {
  it('sorts keys at every depth and keeps arrays in order', () => {
    expect(canonicalJson({ b: 1, a: { d: [2, 1], c: null } })).toBe('{"a":{"c":null,"d":[2,1]},"b":1}');
    expect(canonicalJson({ a: 1, b: 2 })).toBe(canonicalJson({ b: 2, a: 1 }));
  });
});

describe('mobile numbers', () => {
  it('are mobiles of the French numbering plan, metropolitan and overseas, in E.164 form', () => {
    for (const ok of [
      '+33612345678',
      '+33798765432',
      '+590690123456',
      '+590691123456',
      '+594694123456',
      '+596696123456',
      '+596697123456',
      '+262692123456',
      '+262693123456',
      '+262639123456',
      '+508551234',
    ]) {
      expect(ok).toMatch(MOBILE);
    }
    const refused = [
      '+882123456789', // international networks
      '+447700900123', // another country's mobile
      '+33123456789', // a French landline
      '+33812345678', // a French special-rate number
      '+3361234567', // one digit short
      '+336123456789', // one digit too many
      '0612345678', // national form
      '+590590123456', // a Guadeloupe landline
      '+262262123456', // a Réunion landline
      '+687751234', // Nouvelle-Calédonie: its own plan
      '+33 612345678',
    ];
    for (const no of refused) expect(no).not.toMatch(MOBILE);
  });
});

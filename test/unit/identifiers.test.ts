import { describe, expect, it } from 'vitest';
import { randomBytes } from 'node:crypto';
import { canonicalJson } from '../../functions/http/canonical.ts';
import { DMP_ID, newCreationCode, newDmpId, newLoginId, newProvisionalPassword, randomString } from '../../functions/domain/identifiers.ts';

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

import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it, vi } from 'vitest';
import { DataKeyCache, open, openJson, seal, sealJson, SealedValueError } from '../../functions/adapters/envelope.ts';
import type { DataKey } from '../../functions/domain/ports.ts';

const key = (dmpId: string, version = 1): DataKey => ({ dmpId, version, material: randomBytes(32) });

describe('AES-256-GCM sealing bound to record, item and attribute', () => {
  const k = key('record-A');

  it('round-trips any value (property)', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        expect(openJson(k, 'META', 'identity', sealJson(k, 'META', 'identity', v))).toEqual(JSON.parse(JSON.stringify(v)));
      }),
    );
  });

  it('does not contain the plaintext', () => {
    const sealed = Buffer.from(seal(k, 'META', 'identity', Buffer.from('CanaryDurand')));
    expect(sealed.includes(Buffer.from('CanaryDurand'))).toBe(false);
  });

  it.each([
    ['another record', (s: Uint8Array) => open({ ...k, dmpId: 'record-B' }, 'META', 'identity', s)],
    ['another item', (s: Uint8Array) => open(k, 'OTHER', 'identity', s)],
    ['another attribute', (s: Uint8Array) => open(k, 'META', 'contact', s)],
    ['another patient’s key', (s: Uint8Array) => open(key('record-A'), 'META', 'identity', s)],
    ['another key version', (s: Uint8Array) => open({ ...k, version: 2 }, 'META', 'identity', s)],
  ])('refuses to open under %s', (_c, attempt) => {
    const sealed = seal(k, 'META', 'identity', Buffer.from('secret'));
    expect(() => attempt(sealed)).toThrow(SealedValueError);
  });

  it('refuses any flipped bit (property)', () => {
    const sealed = seal(k, 'META', 'identity', Buffer.from('some health content'));
    fc.assert(
      fc.property(fc.nat(sealed.length * 8 - 1), (bit) => {
        const copy = Buffer.from(sealed);
        copy[bit >> 3] = (copy[bit >> 3] as number) ^ (1 << (bit & 7));
        expect(() => open(k, 'META', 'identity', copy)).toThrow(SealedValueError);
      }),
    );
  });

  it('refuses truncated values', () => {
    expect(() => open(k, 'META', 'identity', new Uint8Array(10))).toThrow(SealedValueError);
  });
});

describe('data key cache', () => {
  const clock = {
    t: 0,
    now() {
      return new Date(this.t);
    },
  };

  it('expires entries after its TTL and zeroes them', () => {
    const cache = new DataKeyCache(clock, 10, 1000, 0);
    const k = key('r1');
    cache.put(k);
    clock.t = 999;
    expect(cache.get('r1')).toBe(k);
    clock.t = 2000;
    expect(cache.get('r1')).toBeUndefined();
    expect(k.material.every((b) => b === 0)).toBe(true);
  });

  it('evicts the least recently used beyond its bound, zeroing it', () => {
    clock.t = 0;
    const cache = new DataKeyCache(clock, 2, 60_000, 0);
    const [a, b, c] = [key('a'), key('b'), key('c')];
    cache.put(a);
    cache.put(b);
    cache.get('a');
    cache.put(c);
    expect(cache.size).toBe(2);
    expect(cache.get('b')).toBeUndefined();
    expect(b.material.every((x) => x === 0)).toBe(true);
    expect(cache.get('a')).toBe(a);
    expect(cache.get('c')).toBe(c);
  });

  it('leaves an evicted key intact for a grace period (a request may still hold it), then zeroes it', () => {
    vi.useFakeTimers();
    try {
      clock.t = 0;
      const cache = new DataKeyCache(clock, 10, 1000, 30_000);
      const k = key('held');
      const before = Buffer.from(k.material);
      cache.put(k);
      clock.t = 2000;
      expect(cache.get('held')).toBeUndefined();
      expect(k.material.equals(before)).toBe(true);
      vi.advanceTimersByTime(29_999);
      expect(k.material.equals(before)).toBe(true);
      vi.advanceTimersByTime(1);
      expect(k.material.every((b) => b === 0)).toBe(true);
    } finally {
      vi.useRealTimers();
    }
  });
});

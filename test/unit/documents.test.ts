/** Documents, pure: chunking, strict base64, document ids, search words, the calendar of a hidden document. */
import { randomBytes } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CHUNK_BYTES,
  DOCUMENT_ID,
  MAX_CONTENT_BASE64,
  MAX_CONTENT_BYTES,
  NOTICE_DAYS,
  chunkCount,
  chunksOf,
  decodeBase64,
  newDocumentId,
  noticeAt,
  revealAt,
  searchWords,
} from '../../functions/domain/documents.ts';

const DAY = 86_400_000;
const bytes = (n: number) => randomBytes(n);

describe('chunks', () => {
  it.each([
    ['empty content', 0, [0]],
    ['one byte', 1, [1]],
    ['exactly one chunk', CHUNK_BYTES, [CHUNK_BYTES]],
    ['one byte more than a chunk', CHUNK_BYTES + 1, [CHUNK_BYTES, 1]],
    ['exactly two chunks', 2 * CHUNK_BYTES, [CHUNK_BYTES, CHUNK_BYTES]],
    ['4 MiB, the largest content', MAX_CONTENT_BYTES, [...Array(11).fill(CHUNK_BYTES), MAX_CONTENT_BYTES - 11 * CHUNK_BYTES]],
  ])('%s (%i bytes) cuts into chunks of %j bytes', (_case, size, sizes) => {
    const content = randomBytes(size);
    const chunks = chunksOf(content);
    expect(chunks.map((c) => c.length)).toEqual(sizes);
    expect(chunkCount(size)).toBe(sizes.length);
    expect(Buffer.concat(chunks).equals(content)).toBe(true);
  });

  it('4 MiB makes 12 chunks, each under the item limit once sealed', () => {
    expect(chunkCount(4 * 1024 * 1024)).toBe(12);
    expect(CHUNK_BYTES + 31 + 100).toBeLessThan(400 * 1024);
  });

  it('chunks are views on the content, not copies', () => {
    const content = randomBytes(CHUNK_BYTES + 10);
    const [first, second] = chunksOf(content);
    expect(first!.buffer).toBe(content.buffer);
    content[CHUNK_BYTES + 3] = (content[CHUNK_BYTES + 3]! + 1) & 0xff;
    expect(second![3]).toBe(content[CHUNK_BYTES + 3]);
  });

  it('chunkCount agrees with chunksOf for any size, and chunks rebuild the content (property)', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 3 * CHUNK_BYTES + 5 }), (size) => {
        const content = Buffer.alloc(size, 7);
        const chunks = chunksOf(content);
        expect(chunks).toHaveLength(chunkCount(size));
        expect(chunks.every((c) => c.length <= CHUNK_BYTES)).toBe(true);
        expect(chunks.slice(0, -1).every((c) => c.length === CHUNK_BYTES)).toBe(true);
        expect(chunks.reduce((n, c) => n + c.length, 0)).toBe(size);
      }),
      { numRuns: 200 },
    );
  });
});

describe('strict base64', () => {
  it.each([
    ['', ''],
    ['AAAA', '000000'],
    ['YQ==', '61'],
    ['YWI=', '6162'],
    ['YWJj', '616263'],
    ['+/+/', 'fbffbf'],
    ['AA==', '00'],
    ['//8=', 'ffff'],
  ])('accepts %j', (text, hex) => {
    expect(decodeBase64(text)?.toString('hex')).toBe(hex);
  });

  it.each([
    ['a length not a multiple of 4', 'YQ'],
    ['padding missing', 'YWJjZA'],
    ['one pad short', 'YQ='],
    ['three pads', 'Y==='],
    ['only pads', '===='],
    ['padding in the middle', 'YQ==YWJj'],
    ['a pad followed by data', 'Y=Jj'],
    ['base64url characters', 'ab-_'],
    ['a space', 'YW Jj'],
    ['a trailing newline', 'YWJj\n'],
    ['a line break inside', 'YWJj\nYWJj'],
    ['a data URL prefix', 'data:application/pdf;base64,YWJj'],
    ['non-ASCII letters', 'YWJé'],
    ['a percent-encoded character', 'YW%3D'],
    ['a NUL', 'YWJ\u0000'],
  ])('refuses %s', (_case, text) => {
    expect(decodeBase64(text)).toBeUndefined();
  });

  it('round-trips any bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 600 }), (data) => {
        const decoded = decodeBase64(Buffer.from(data).toString('base64'));
        expect(decoded).toBeDefined();
        expect(decoded!.equals(Buffer.from(data))).toBe(true);
      }),
    );
  });

  it('refuses any encoding with one character outside the alphabet (property)', () => {
    const outside = fc.string({ minLength: 1, maxLength: 1, unit: 'grapheme' }).filter((c) => !/^[A-Za-z0-9+/=]$/.test(c));
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 3, maxLength: 90 }), outside, fc.nat(), (data, bad, at) => {
        const text = Buffer.from(data).toString('base64');
        const i = at % text.length;
        expect(decodeBase64(text.slice(0, i) + bad + text.slice(i + 1))).toBeUndefined();
      }),
    );
  });

  it('the largest base64 text decodes to the largest content', () => {
    const text = randomBytes(MAX_CONTENT_BYTES).toString('base64');
    expect(text.length).toBeLessThanOrEqual(MAX_CONTENT_BASE64);
    expect(decodeBase64(text)?.length).toBe(MAX_CONTENT_BYTES);
  });
});

describe('document ids', () => {
  // Nine base32 characters of milliseconds: from the epoch to 32^9 - 1 ms (year 3084).
  const instant = fc.date({ min: new Date(0), max: new Date(32 ** 9 - 1), noInvalidDate: true });

  it('match DOCUMENT_ID for any instant (property)', () => {
    fc.assert(
      fc.property(instant, (at) => {
        const id = newDocumentId(at, bytes);
        expect(id).toMatch(DOCUMENT_ID);
      }),
    );
  });

  it('sort by deposit time (property)', () => {
    fc.assert(
      fc.property(instant, instant, (a, b) => {
        fc.pre(a.getTime() !== b.getTime());
        const [early, late] = a < b ? [a, b] : [b, a];
        expect(newDocumentId(early, bytes) < newDocumentId(late, bytes)).toBe(true);
      }),
    );
  });

  it('one millisecond apart still sorts; the same instant gives different ids', () => {
    const t = new Date('2026-11-22T10:00:00.000Z');
    const later = new Date(t.getTime() + 1);
    const ids = Array.from({ length: 50 }, () => newDocumentId(t, bytes));
    expect(new Set(ids).size).toBe(50);
    expect(ids.every((id) => id < newDocumentId(later, bytes))).toBe(true);
    expect(ids.every((id) => id.slice(0, 9) === ids[0]!.slice(0, 9))).toBe(true);
  });

  it('take their random part from the bytes given', () => {
    const zeros = (n: number) => new Uint8Array(n);
    expect(newDocumentId(new Date(0), zeros)).toBe('0'.repeat(25));
    expect(newDocumentId(new Date(32 ** 9 - 1), zeros)).toBe(`${'z'.repeat(9)}${'0'.repeat(16)}`);
  });
});

describe('search words', () => {
  it.each([
    ['accents folded', 'Résultats de Biologie — février', ['resultats', 'de', 'biologie', 'fevrier']],
    ['case folded', 'ÉCHOGRAPHIE Abdominale', ['echographie', 'abdominale']],
    ['decomposed accents too', 'e\u0301chographie', ['echographie']],
    ['punctuation splits', "compte-rendu, l'IRM (2026)/scanner;ok!", ['compte', 'rendu', 'irm', '2026', 'scanner', 'ok']],
    ['duplicates once', 'Bilan bilan BILAN bílan', ['bilan']],
    ['one-letter words dropped', 'a b c de f gh', ['de', 'gh']],
    ['digits kept', 'HbA1c 7 2025', ['hba1c', '2025']],
    ['nothing but punctuation', ' — ,;:!? ', []],
    ['empty', '', []],
    ['ligatures are letters', 'Cœur', ['cœur']],
  ])('%s: %j', (_case, title, words) => {
    expect(searchWords(title)).toEqual(words);
  });

  it('keeps at most 64 words', () => {
    const title = Array.from({ length: 100 }, (_, i) => `mot${i}`).join(' ');
    expect(searchWords(title)).toHaveLength(64);
  });

  it('a query matches the title it was taken from, whatever its accents and case (property)', () => {
    const word = fc.string({ minLength: 2, maxLength: 10, unit: fc.constantFrom(...'abcdeéèêfghiïjklmnoôpqrstuùvwxyzç0123456789') });
    fc.assert(
      fc.property(fc.array(word, { minLength: 1, maxLength: 8 }), (ws) => {
        const title = ws.join(' ');
        const words = searchWords(title);
        expect(searchWords(title.toUpperCase())).toEqual(words);
        for (const w of words) {
          expect(w).toMatch(/^[a-z0-9]{2,}$/);
          expect(searchWords(w)).toEqual([w]);
        }
      }),
    );
  });
});

describe('the calendar of a document hidden from the patient', () => {
  it('is announced fourteen days after its deposit, to the millisecond', () => {
    const at = new Date('2026-11-22T10:11:12.345Z');
    expect(noticeAt(at).toISOString()).toBe('2026-12-06T10:11:12.345Z');
    expect(noticeAt(at).getTime() - at.getTime()).toBe(NOTICE_DAYS * DAY);
  });

  it.each([
    ['31 Jan → 28 Feb', '2026-01-31T10:00:00.000Z', '2026-02-28T10:00:00.000Z'],
    ['31 Jan of a leap year → 29 Feb', '2028-01-31T10:00:00.000Z', '2028-02-29T10:00:00.000Z'],
    ['29 Jan of a common year → 28 Feb', '2027-01-29T23:59:59.999Z', '2027-02-28T23:59:59.999Z'],
    ['31 Mar → 30 Apr', '2026-03-31T08:30:00.000Z', '2026-04-30T08:30:00.000Z'],
    ['31 Aug → 30 Sep', '2026-08-31T00:00:00.000Z', '2026-09-30T00:00:00.000Z'],
    ['31 Jul → 31 Aug', '2026-07-31T12:00:00.000Z', '2026-08-31T12:00:00.000Z'],
    ['15 Dec → 15 Jan next year', '2026-12-15T09:00:00.000Z', '2027-01-15T09:00:00.000Z'],
    ['31 Dec → 31 Jan next year', '2026-12-31T23:00:00.000Z', '2027-01-31T23:00:00.000Z'],
    ['28 Feb → 28 Mar', '2026-02-28T10:00:00.000Z', '2026-03-28T10:00:00.000Z'],
    ['1 Feb → 1 Mar', '2026-02-01T10:00:00.000Z', '2026-03-01T10:00:00.000Z'],
  ])('is revealed one calendar month later: %s', (_case, deposited, revealed) => {
    expect(revealAt(new Date(deposited)).toISOString()).toBe(revealed);
  });

  it('the reveal comes one calendar month later, at the same time of day, always after the notice (property)', () => {
    fc.assert(
      fc.property(fc.date({ min: new Date('2000-01-01T00:00:00Z'), max: new Date('2100-12-31T23:59:59Z'), noInvalidDate: true }), (at) => {
        const r = revealAt(at);
        const monthsApart = (r.getUTCFullYear() - at.getUTCFullYear()) * 12 + r.getUTCMonth() - at.getUTCMonth();
        expect(monthsApart).toBe(1);
        const lastDay = new Date(Date.UTC(r.getUTCFullYear(), r.getUTCMonth() + 1, 0)).getUTCDate();
        expect(r.getUTCDate()).toBe(Math.min(at.getUTCDate(), lastDay));
        expect(r.getTime() % DAY).toBe(at.getTime() % DAY);
        expect(r.getTime()).toBeGreaterThan(noticeAt(at).getTime());
        expect(r.getTime() - at.getTime()).toBeGreaterThanOrEqual(28 * DAY);
        expect(r.getTime() - at.getTime()).toBeLessThanOrEqual(31 * DAY);
      }),
    );
  });

  it('does not change the instant it is given', () => {
    const at = new Date('2026-01-31T10:00:00.000Z');
    revealAt(at);
    noticeAt(at);
    expect(at.toISOString()).toBe('2026-01-31T10:00:00.000Z');
  });
});

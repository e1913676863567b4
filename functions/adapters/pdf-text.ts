/**
 * The text layer of a PDF, enough for a keyword index: the strings that the page content streams
 * show (Tj, TJ, ', "), in order, with their FlateDecode streams inflated. Fonts with a ToUnicode
 * map (bfchar/bfrange) have their codes mapped through it; other strings are read as PDFDocEncoding
 * / WinAnsi (Latin-1 for what a French text uses). Nothing is rendered and no object graph is
 * resolved: streams are found by their `stream`/`endstream` keywords, so a damaged cross-reference
 * table does not matter.
 *
 * Written here rather than taken from a PDF library: the index needs only the shown strings, and
 * the libraries that do (pdf.js and its wrappers) weigh several megabytes, over the Lambda bundle's
 * budget (test/infra/bundles.test.ts). Bounded: inflated bytes and text length have ceilings (a
 * compression bomb stops at the ceiling); the caller runs it in a worker with a time and memory
 * limit (text-extraction.ts). Uses node:zlib only.
 */
import { constants, inflateSync } from 'node:zlib';

export interface PdfLimits {
  /** Inflated bytes of all streams together, at most. */
  maxInflatedBytes: number;
  /** Characters of text returned, at most. */
  maxTextChars: number;
}

export class NotPdfError extends Error {
  override readonly name = 'NotPdfError';
}

const STREAM = Buffer.from('stream');
const ENDSTREAM = Buffer.from('endstream');

/** Each stream's dictionary (the text before `stream`, back to the object's start) and raw data. */
function* streams(pdf: Buffer): Generator<{ dict: string; data: Buffer }> {
  let from = 0;
  for (;;) {
    const at = pdf.indexOf(STREAM, from);
    if (at < 0) return;
    // `endstream` also contains `stream`: skip it.
    if (at >= 3 && pdf.toString('latin1', at - 3, at) === 'end') {
      from = at + STREAM.length;
      continue;
    }
    let start = at + STREAM.length;
    if (pdf[start] === 0x0d) start++;
    if (pdf[start] === 0x0a) start++;
    const end = pdf.indexOf(ENDSTREAM, start);
    if (end < 0) return;
    // The dictionary: back to the object's `obj` keyword, 4 KiB at most.
    const dictStart = Math.max(0, pdf.lastIndexOf('obj', at), at - 4096);
    yield { dict: pdf.toString('latin1', dictStart, at), data: pdf.subarray(start, end) };
    from = end + ENDSTREAM.length;
  }
}

/** The filters a dictionary names (only FlateDecode, or none, is read). */
const filtersOf = (dict: string): string[] => {
  const m = /\/Filter\s*(\[[^\]]*\]|\/[A-Za-z0-9]+)/.exec(dict);
  return m?.[1] ? [...m[1].matchAll(/\/([A-Za-z0-9]+)/g)].map((f) => f[1] ?? '') : [];
};

/** A PDF literal string's bytes (escapes, octal codes, nested parentheses), from just after its `(`. */
const literal = (s: string, from: number): { bytes: number[]; end: number } => {
  const bytes: number[] = [];
  let depth = 1;
  let i = from;
  while (i < s.length) {
    const c = s.charCodeAt(i);
    if (c === 0x5c) {
      const n = s[i + 1] ?? '';
      const simple: Record<string, number> = { n: 10, r: 13, t: 9, b: 8, f: 12, '(': 40, ')': 41, '\\': 92 };
      if (n in simple) {
        bytes.push(simple[n] as number);
        i += 2;
      } else if (/[0-7]/.test(n)) {
        const oct = /^[0-7]{1,3}/.exec(s.slice(i + 1, i + 4))?.[0] ?? '0';
        bytes.push(Number.parseInt(oct, 8) & 0xff);
        i += 1 + oct.length;
      } else if (n === '\r' || n === '\n') {
        i += s[i + 2] === '\n' && n === '\r' ? 3 : 2;
      } else {
        i += 1;
      }
      continue;
    }
    if (c === 0x28) depth++;
    if (c === 0x29 && --depth === 0) return { bytes, end: i + 1 };
    bytes.push(c & 0xff);
    i++;
  }
  return { bytes, end: i };
};

const hexString = (s: string, from: number): { bytes: number[]; end: number } => {
  const close = s.indexOf('>', from);
  const end = close < 0 ? s.length : close;
  const hex = s.slice(from, end).replace(/[^0-9A-Fa-f]/g, '');
  const padded = hex.length % 2 ? `${hex}0` : hex;
  const bytes: number[] = [];
  for (let i = 0; i < padded.length; i += 2) bytes.push(Number.parseInt(padded.slice(i, i + 2), 16));
  return { bytes, end: end + 1 };
};

/** Code → text of the ToUnicode maps found in the file (all fonts merged: enough to index words). */
type CMap = Map<number, string>;

const utf16 = (hex: string): string => {
  const units: number[] = [];
  for (let i = 0; i + 4 <= hex.length; i += 4) units.push(Number.parseInt(hex.slice(i, i + 4), 16));
  return String.fromCharCode(...units);
};

const readCMap = (text: string, into: CMap): void => {
  for (const block of text.matchAll(/beginbfchar([\s\S]*?)endbfchar/g)) {
    for (const m of (block[1] ?? '').matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) into.set(Number.parseInt(m[1] ?? '0', 16), utf16(m[2] ?? ''));
  }
  for (const block of text.matchAll(/beginbfrange([\s\S]*?)endbfrange/g)) {
    for (const m of (block[1] ?? '').matchAll(/<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>\s*<([0-9A-Fa-f]+)>/g)) {
      const lo = Number.parseInt(m[1] ?? '0', 16);
      const hi = Math.min(Number.parseInt(m[2] ?? '0', 16), lo + 0xffff);
      const base = m[3] ?? '';
      const first = Number.parseInt(base.slice(-4), 16);
      for (let code = lo; code <= hi; code++) into.set(code, utf16(base.slice(0, -4)) + String.fromCharCode(first + code - lo));
    }
  }
};

/** A shown string as text: through the ToUnicode map (two-byte codes, then one-byte), else Latin-1. */
const decode = (bytes: number[], cmap: CMap, twoByte: boolean): string => {
  if (cmap.size > 0 && twoByte && bytes.length % 2 === 0) {
    let out = '';
    for (let i = 0; i < bytes.length; i += 2) out += cmap.get(((bytes[i] ?? 0) << 8) | (bytes[i + 1] ?? 0)) ?? '';
    return out;
  }
  if (cmap.size > 0 && bytes.every((b) => cmap.has(b))) return bytes.map((b) => cmap.get(b) ?? '').join('');
  return String.fromCharCode(...bytes);
};

/** The text a content stream shows, words separated where the stream moves to another line. */
const shownText = (content: string, cmap: CMap, out: string[], budget: { chars: number }): void => {
  let i = 0;
  let inText = false;
  const pending: { bytes: number[]; hex: boolean }[] = [];
  while (i < content.length && budget.chars > 0) {
    const c = content[i] as string;
    if (c === '(' || (c === '<' && content[i + 1] !== '<')) {
      const s = c === '(' ? literal(content, i + 1) : hexString(content, i + 1);
      if (inText) pending.push({ bytes: s.bytes, hex: c === '<' });
      i = s.end;
      continue;
    }
    if (c === '%') {
      const nl = content.slice(i).search(/[\r\n]/);
      i = nl < 0 ? content.length : i + nl;
      continue;
    }
    if (/[A-Za-z'"*]/.test(c)) {
      const m = /^[A-Za-z'"*]+/.exec(content.slice(i, i + 8));
      const op = m?.[0] ?? c;
      if (op === 'BT') inText = true;
      else if (op === 'ET') inText = false;
      else if (op === 'Tj' || op === 'TJ' || op === "'" || op === '"') {
        const text = pending.map((p) => decode(p.bytes, cmap, p.hex)).join('');
        pending.length = 0;
        out.push(op === "'" || op === '"' ? ` ${text}` : text);
        budget.chars -= text.length;
      } else if (op === 'Td' || op === 'TD' || op === 'T*' || op === 'Tm' || op === 'ET') out.push(' ');
      else pending.length = 0;
      i += op.length;
      continue;
    }
    i++;
  }
};

/** The text layer of a PDF file. Throws NotPdfError when it is not one. */
export const pdfText = (pdf: Buffer, limits: PdfLimits): string => {
  if (pdf.subarray(0, 1024).indexOf('%PDF-') < 0) throw new NotPdfError('not a PDF');
  let inflatedBudget = limits.maxInflatedBytes;
  const decoded: string[] = [];
  for (const { dict, data } of streams(pdf)) {
    if (inflatedBudget <= 0) break;
    if (/\/Subtype\s*\/Image|\/Type\s*\/XObject/.test(dict)) continue;
    const filters = filtersOf(dict);
    if (filters.some((f) => f !== 'FlateDecode')) continue;
    let body: Buffer;
    try {
      // Sync flush: a stream cut short (or with bytes after its end) gives what it holds.
      body = filters.length ? inflateSync(data, { maxOutputLength: inflatedBudget, finishFlush: constants.Z_SYNC_FLUSH }) : data;
    } catch (error) {
      // Past the budget (a compression bomb): nothing more is inflated. A broken stream: skipped.
      if ((error as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE') break;
      continue;
    }
    inflatedBudget -= body.length;
    decoded.push(body.toString('latin1'));
  }
  const cmap: CMap = new Map();
  for (const s of decoded) if (s.includes('begincmap')) readCMap(s, cmap);
  const out: string[] = [];
  const budget = { chars: limits.maxTextChars };
  for (const s of decoded) if (!s.includes('begincmap') && s.includes('BT')) shownText(s, cmap, out, budget);
  return out.join('').slice(0, limits.maxTextChars);
};

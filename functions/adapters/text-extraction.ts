/**
 * The text of a document's content, for the keyword index: text/plain as it is, the narrative of a
 * CDA (text/xml: its sections' <title> and <text>), the text fields of FHIR JSON (text, narrative
 * div, display, title, description, comment, valueString, codes), the text layer of a PDF
 * (pdf-text.ts). Images have none.
 *
 * Parsing what a depositor sent is bounded: every format but plain text is read in a worker thread
 * with a heap limit and a deadline, terminated past either; a file that cannot be read (hostile,
 * damaged, too big to parse in time) gives `unreadable`, never an exception, a hang or the job's
 * memory. The worker is this very module (import.meta.url: the .ts file in development, the
 * Lambda's one-file bundle in AWS), which recognises its worker data on load and extracts.
 * Only node: built-ins here, so that the worker loads fast.
 */
import { isMainThread, parentPort, Worker, workerData } from 'node:worker_threads';
import { pdfText } from './pdf-text.ts';

export interface ExtractionLimits {
  /** The worker's deadline, from its start. */
  timeoutMs: number;
  /** The worker's old-generation heap, in MB. */
  heapMb: number;
  /** Characters of text kept, at most. */
  maxTextChars: number;
  /** Bytes a PDF's streams may inflate to, together. */
  maxInflatedBytes: number;
}

export const EXTRACTION_LIMITS: ExtractionLimits = { timeoutMs: 10_000, heapMb: 192, maxTextChars: 2_000_000, maxInflatedBytes: 48 * 1024 * 1024 };

export type Extraction = { state: 'indexed'; text: string } | { state: 'none' } | { state: 'unreadable'; reason: 'timeout' | 'memory' | 'format' };

/** The content types whose text is read (others, such as images, have none). */
const TEXT_TYPES = new Set(['text/plain', 'text/xml', 'application/fhir+json', 'application/pdf']);

const ENTITIES: Record<string, string> = { amp: '&', lt: '<', gt: '>', quot: '"', apos: "'", nbsp: ' ' };
const decodeEntities = (s: string): string =>
  s.replace(/&(#x[0-9a-fA-F]{1,6}|#[0-9]{1,7}|[a-zA-Z]{2,8});/g, (whole, e: string) => {
    if (e.startsWith('#x')) return safeCodePoint(Number.parseInt(e.slice(2), 16));
    if (e.startsWith('#')) return safeCodePoint(Number.parseInt(e.slice(1), 10));
    return ENTITIES[e] ?? whole;
  });
const safeCodePoint = (n: number): string => (n > 0 && n <= 0x10ffff ? String.fromCodePoint(n) : ' ');
const stripTags = (s: string): string => decodeEntities(s.replace(/<!\[CDATA\[([\s\S]*?)\]\]>/g, '$1').replace(/<[^>]*>/g, ' '));

/** The narrative of a CDA: its <title> and <text> elements (any namespace prefix); else all its character data. */
const xmlText = (xml: string): string => {
  const parts: string[] = [];
  const open = /<((?:[\w.-]+:)?(?:title|text))\b[^>]*?(\/?)>/g;
  for (let m = open.exec(xml); m; m = open.exec(xml)) {
    if (m[2] === '/') continue;
    const close = xml.indexOf(`</${m[1]}>`, open.lastIndex);
    if (close < 0) break;
    parts.push(stripTags(xml.slice(open.lastIndex, close)));
    open.lastIndex = close;
  }
  return parts.length > 0 ? parts.join(' \n ') : stripTags(xml.replace(/<\?[\s\S]*?\?>|<!--[\s\S]*?-->|<!DOCTYPE[^>]*>/g, ' '));
};

/** The keys of a FHIR resource whose string values are text a reader searches. */
const FHIR_TEXT_KEYS = new Set(['text', 'div', 'display', 'title', 'description', 'comment', 'valueString', 'code', 'name', 'patientInstruction']);

const fhirText = (json: string, maxChars: number): string => {
  const out: string[] = [];
  let chars = 0;
  const walk = (value: unknown, key: string, depth: number): void => {
    if (chars >= maxChars || depth > 64) return;
    if (typeof value === 'string') {
      if (!FHIR_TEXT_KEYS.has(key)) return;
      const text = key === 'div' ? stripTags(value) : value;
      out.push(text);
      chars += text.length;
    } else if (Array.isArray(value)) {
      for (const v of value) walk(v, key, depth + 1);
    } else if (value && typeof value === 'object') {
      for (const [k, v] of Object.entries(value)) if (k !== 'data') walk(v, k, depth + 1);
    }
  };
  walk(JSON.parse(json), '', 0);
  return out.join(' \n ');
};

/** The text of a content, in this thread (the worker's work). Throws when the content is not what its type says. */
export const textOf = (contentType: string, content: Buffer, limits: Pick<ExtractionLimits, 'maxTextChars' | 'maxInflatedBytes'>): string => {
  switch (contentType) {
    case 'text/plain':
      return content.toString('utf8', 0, Math.min(content.length, limits.maxTextChars * 4)).slice(0, limits.maxTextChars);
    case 'text/xml':
      return xmlText(content.toString('utf8')).slice(0, limits.maxTextChars);
    case 'application/fhir+json':
      return fhirText(content.toString('utf8'), limits.maxTextChars).slice(0, limits.maxTextChars);
    case 'application/pdf':
      return pdfText(content, limits);
    default:
      return '';
  }
};

interface Job {
  dmpTextExtraction: true;
  contentType: string;
  content: Uint8Array;
  limits: ExtractionLimits;
}

type Reply = { ok: true; text: string } | { ok: false };

// In the worker: extract, answer, and let the thread end.
if (!isMainThread && parentPort && (workerData as Partial<Job> | undefined)?.dmpTextExtraction === true) {
  const job = workerData as Job;
  let reply: Reply;
  try {
    reply = { ok: true, text: textOf(job.contentType, Buffer.from(job.content.buffer, job.content.byteOffset, job.content.byteLength), job.limits) };
  } catch {
    reply = { ok: false };
  }
  parentPort.postMessage(reply);
}

/**
 * The text of a document's content, read within bounds: plain text here; other formats in a worker
 * thread, stopped at its deadline or heap limit.
 */
export const extractText = async (contentType: string, content: Buffer, limits: ExtractionLimits = EXTRACTION_LIMITS): Promise<Extraction> => {
  if (!TEXT_TYPES.has(contentType)) return { state: 'none' };
  if (contentType === 'text/plain') return { state: 'indexed', text: textOf(contentType, content, limits) };
  const job: Job = { dmpTextExtraction: true, contentType, content, limits };
  return new Promise<Extraction>((resolve) => {
    let settled = false;
    const worker = new Worker(new URL(import.meta.url), {
      workerData: job,
      resourceLimits: { maxOldGenerationSizeMb: limits.heapMb, maxYoungGenerationSizeMb: 16, stackSizeMb: 4 },
      stdout: true,
      stderr: true,
    });
    const settle = (result: Extraction) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      void worker.terminate();
      resolve(result);
    };
    const deadline = setTimeout(() => settle({ state: 'unreadable', reason: 'timeout' }), limits.timeoutMs);
    worker.on('message', (reply: Reply) => settle(reply.ok ? { state: 'indexed', text: reply.text } : { state: 'unreadable', reason: 'format' }));
    worker.on('error', (error: Error & { code?: string }) => settle({ state: 'unreadable', reason: error.code === 'ERR_WORKER_OUT_OF_MEMORY' ? 'memory' : 'format' }));
    worker.on('exit', () => settle({ state: 'unreadable', reason: 'format' }));
  });
};

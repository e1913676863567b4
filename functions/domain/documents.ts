/**
 * Documents: what a deposit may hold, how content is cut into chunks that fit DynamoDB items, how
 * titles become search tokens, the calendar of a document hidden from the patient (told after two
 * weeks, revealed after one month), and when a deposit left unfinished counts as abandoned. Pure.
 */
import type { DocumentFacts, DocumentLabels, DocumentStatus } from './access-policy.ts';
import { randomString } from './identifiers.ts';

export const MAX_CONTENT_BYTES = 4 * 1024 * 1024;
/** Largest base64 text of MAX_CONTENT_BYTES. */
export const MAX_CONTENT_BASE64 = Math.ceil(MAX_CONTENT_BYTES / 3) * 4;
/**
 * Plaintext bytes per chunk item: sealed (+31 bytes) and with its keys it stays well under
 * DynamoDB's 400 KB item limit. A document of one chunk is written in its commit transaction.
 */
export const CHUNK_BYTES = 350_000;

/**
 * The versions of one document at most. Its labels and deletion are every version's, written in
 * one transaction (DynamoDB takes 100 writes in one): a new version beyond this is refused.
 */
export const MAX_VERSIONS = 50;

export const CONTENT_TYPES = ['application/pdf', 'text/plain', 'text/xml', 'image/jpeg', 'image/tiff', 'application/fhir+json'] as const;

export const NO_LABELS: DocumentLabels = { maskedToProfessionals: false, invisibleToPatient: false, invisibleToRepresentatives: false };

export const chunkCount = (size: number): number => Math.max(1, Math.ceil(size / CHUNK_BYTES));

/** The chunks of a content, as views on it (no copy). */
export const chunksOf = (content: Buffer): Buffer[] => {
  const chunks: Buffer[] = [];
  for (let offset = 0; offset < content.length || chunks.length === 0; offset += CHUNK_BYTES) {
    chunks.push(content.subarray(offset, Math.min(offset + CHUNK_BYTES, content.length)));
  }
  return chunks;
};

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
/** Strict base64 (RFC 4648 §4, with padding): Node's decoder would skip what it does not know. */
export const decodeBase64 = (text: string): Buffer | undefined => {
  if (text.length % 4 !== 0 || !BASE64.test(text)) return undefined;
  return Buffer.from(text, 'base64');
};

/**
 * A document id sorts by deposit time (a record's documents list newest first from one query)
 * and carries 80 random bits: 9 characters of milliseconds, 16 random, base32 lowercase.
 */
const BASE32 = '0123456789abcdefghjkmnpqrstvwxyz';
export const DOCUMENT_ID = /^[0-9a-hjkmnp-tv-z]{25}$/;
export const newDocumentId = (at: Date, bytes: (n: number) => Uint8Array): string => {
  let t = at.getTime();
  let time = '';
  for (let i = 0; i < 9; i++) {
    time = BASE32[t % 32] + time;
    t = Math.floor(t / 32);
  }
  return time + randomString(bytes, BASE32, 16);
};

/**
 * The words of a title, as the keyword search matches them: lower case, accents folded, split on
 * anything that is not a letter or a digit, two characters or more, each once.
 */
export const searchWords = (text: string): string[] => {
  const folded = text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
  return [...new Set(folded.split(/[^\p{L}\p{N}]+/u).filter((w) => w.length >= 2))].slice(0, 64);
};

/** When the patient hears of a document hidden from them, and when it becomes visible by itself. */
export const NOTICE_DAYS = 14;
export const noticeAt = (depositedAt: Date): Date => new Date(depositedAt.getTime() + NOTICE_DAYS * 86_400_000);
/** One calendar month later (the last day of a shorter month when the day does not exist). */
export const revealAt = (depositedAt: Date): Date => {
  const d = new Date(depositedAt.getTime());
  const day = d.getUTCDate();
  d.setUTCDate(1);
  d.setUTCMonth(d.getUTCMonth() + 1);
  const last = new Date(Date.UTC(d.getUTCFullYear(), d.getUTCMonth() + 1, 0)).getUTCDate();
  d.setUTCDate(Math.min(day, last));
  return d;
};

/** After this, a deposit still writing its chunks counts as abandoned (Lambda gives up after 10 s). */
export const UPLOAD_ABANDON_MS = 15 * 60_000;
export const abandonAt = (startedAt: Date): Date => new Date(startedAt.getTime() + UPLOAD_ABANDON_MS);

/** Who may author a document (the sealed facts and the index's postings are checked against it). */
export const DOCUMENT_AUTHOR_KINDS = ['professional', 'patient', 'representative'] as const;

export interface DocumentAuthor {
  kind: (typeof DOCUMENT_AUTHOR_KINDS)[number];
  id: string;
  profession?: string | undefined;
}

/**
 * A version of a document as its item holds it, the record's key aside: what is in clear, and its
 * sealed facts and title. The policy weighs an OpenedDocument (DocumentStore.openDocument).
 */
export interface StoredDocument {
  documentId: string;
  version: number;
  /** The first version's id: every version of a document shares it. */
  setId: string;
  replaces?: string | undefined;
  /** The ids of the versions this one replaced, directly or not (none for a first version). */
  earlier: readonly string[];
  status: DocumentStatus;
  /** The document's labels (its newest version's, which every version carries). */
  labels: DocumentLabels;
  depositedAt: string;
  size: number;
  chunks: number;
  sealedFacts: Uint8Array;
  sealedTitle: Uint8Array;
  titleTokens: ReadonlySet<string>;
  /** Optimistic concurrency for label and status changes. */
  revision: number;
  /** A document hidden from the patient: its next step and when (notice, then reveal). */
  visibilityStep?: { step: 'notice' | 'reveal'; at: string } | undefined;
}

/** A document with its sealed facts opened: what the access policy, the filters and the answers use. */
export interface OpenedDocument extends StoredDocument, DocumentFacts {
  serviceDate: string;
  contentType: string;
  author: DocumentAuthor;
}

export interface NewDocument {
  documentId: string;
  version: number;
  setId: string;
  replaces?: string | undefined;
  /** The ids of the versions this one replaces, directly or not. */
  earlier?: readonly string[] | undefined;
  typeCode: string;
  classCode: string;
  title: string;
  serviceDate: string;
  depositedAt: Date;
  contentType: string;
  content: Buffer;
  author: DocumentAuthor;
  labels: DocumentLabels;
  uniqueId?: string | undefined;
  visibilityStep?: { step: 'notice'; at: Date } | undefined;
}

/**
 * What the domain and the use cases need from the outside world, as interfaces (ports): the
 * adapters implement them, and tests give in-memory fakes. Clock and randomness are injected so
 * that tests can move time and fix chance.
 */
import type { Channel } from './creation.ts';

export interface Clock {
  now(): Date;
}

export interface Random {
  /** Cryptographically secure random bytes. */
  bytes(length: number): Uint8Array;
}

export const systemClock: Clock = { now: () => new Date() };

/** A DMP a pharmacy created, in its remuneration ledger (1 € each). */
export interface LedgerEntry {
  dmpId: string;
  createdAt: string;
  amountCents: number;
}

/** What reporting reads: a pharmacy's ledger for a month, and the channels of a day's creations. */
export interface CreationReports {
  ledger(finess: string, month: string): Promise<LedgerEntry[]>;
  creationsOn(day: string): Promise<Channel[]>;
}

/**
 * Where use cases say what happened: ids, counts and error names, never personal data. The
 * platform's logger (functions/platform/logger.ts) is one.
 */
export interface Logger {
  debug(message: string, attributes?: LogAttributes): void;
  info(message: string, attributes?: LogAttributes): void;
  warn(message: string, attributes?: LogAttributes): void;
  error(message: string, attributes?: LogAttributes): void;
}

export type LogAttributes = Record<string, string | number | boolean | undefined>;

/**
 * One part of an action's transaction, made by a store. Use cases gather the parts of an action
 * and commit them together; what a part writes is the store's business (opaque here). Its label
 * names the invariant that its condition holds (the INS has no DMP yet, the code is unused...), so
 * that a refused transaction says which invariant refused it (ConditionsRefused).
 */
export interface Write {
  readonly label: string;
}

/** All the parts of an action at once, or none; ConditionsRefused names the parts whose conditions refused. */
export interface Transactions {
  commit(writes: readonly Write[]): Promise<void>;
}

/** A record's data key, unwrapped: what seals and opens that record's data (adapters/envelope.ts). */
export interface DataKey {
  readonly dmpId: string;
  readonly version: number;
  readonly material: Buffer;
}

/** A record's data key as its master key wrapped it, stored beside the record. */
export interface WrappedKey {
  /** The data key as KMS wrapped it. */
  ciphertext: Uint8Array;
  /** The KMS key that wrapped it (changes when re-wrapped under a new master key). */
  masterKeyId: string;
  /** Generation of the data key; sealed values carry it. */
  version: number;
}

/** The records' data keys: one new key per new record, unwrapped on demand (and cached). */
export interface KeyRing {
  generate(dmpId: string): Promise<{ key: DataKey; wrapped: WrappedKey }>;
  unwrap(dmpId: string, wrapped: WrappedKey): Promise<DataKey>;
  /** The record's key when it is in memory (no KMS call), else undefined: a reader may start on it before the record is read. */
  cached(dmpId: string): DataKey | undefined;
  /** Drops a record's key from the cache (its record was destroyed or re-keyed). */
  forget(dmpId: string): void;
}

/** What a keyed hash is for: each purpose has its own key, so hashes of one never match another's. */
export type HashPurpose = 'ins' | 'creation-code' | 'idempotency' | 'login-code' | 'source';

/** Keyed hashes: values found again (an INS, a code, a request) without keeping them in clear. */
export interface Hasher {
  hash(purpose: HashPurpose, value: string): Promise<string>;
}

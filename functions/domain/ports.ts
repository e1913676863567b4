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

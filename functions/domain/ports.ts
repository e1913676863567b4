/** What the domain needs from the outside world, injected so tests can move time and fix chance. */
export interface Clock {
  now(): Date;
}

export interface Random {
  /** Cryptographically secure random bytes. */
  bytes(length: number): Uint8Array;
}

export const systemClock: Clock = { now: () => new Date() };

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

/** What the domain needs from the outside world, injected so tests can move time and fix chance. */
export interface Clock {
  now(): Date;
}

export interface Random {
  /** Cryptographically secure random bytes. */
  bytes(length: number): Uint8Array;
}

export const systemClock: Clock = { now: () => new Date() };

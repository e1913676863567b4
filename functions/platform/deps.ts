/**
 * The ports capabilities are built from, in layers, so that each Lambda bundle imports only the
 * AWS SDK clients its capability uses (cold start). Lambda entries build them once per process
 * from the environment; the local runtime and the tests build them from their own configuration.
 * Handlers receive them through `makeHttpHandler(capability, deps)`, never from module scope.
 */
import { randomBytes } from 'node:crypto';
import type { DeviceCredentials } from '#adapters/device-credentials';
import { makeLogger, type Logger } from '#adapters/logger';
import { emfMetrics } from '#adapters/metrics';
import type { SessionPublicKey } from '#adapters/sessions';
import { TokenVerifier } from '#adapters/tokens';
import type { Metrics } from '#domain/metrics';
import { systemClock, type Clock, type Random } from '#domain/ports';
import type { Config } from './config.ts';

export interface HttpDeps {
  config: Config;
  clock: Clock;
  random: Random;
  logger: Logger;
  /** Counts in CloudWatch's embedded metric format (absent: nothing counted, as in most tests). */
  metrics?: Metrics | undefined;
  tokens: TokenVerifier;
  /**
   * Checks paired devices' credentials: only the functions whose routes admit devices have it
   * (measurements); elsewhere a device credential is refused without being looked up.
   */
  devices?: DeviceCredentials | undefined;
}

export interface Overrides {
  clock?: Clock;
  random?: Random;
  logger?: Logger;
  metrics?: Metrics;
  /** Verifies patient sessions (functions that serve patients build it from their KMS client). */
  sessionKey?: SessionPublicKey;
}

export const systemRandom: Random = { bytes: (n) => randomBytes(n) };

export const httpDeps = (config: Config, o: Overrides = {}): HttpDeps => {
  const clock = o.clock ?? systemClock;
  return {
    config,
    clock,
    random: o.random ?? systemRandom,
    logger: o.logger ?? makeLogger(),
    metrics: o.metrics ?? emfMetrics(),
    tokens: new TokenVerifier(
      config.issuers,
      clock,
      config.sessions && o.sessionKey ? { issuer: config.sessions.issuer, audience: config.sessions.audience, key: o.sessionKey } : undefined,
    ),
  };
};

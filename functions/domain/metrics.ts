/**
 * The service's own CloudWatch metrics: what the functions count (in the embedded metric format,
 * functions/adapters/metrics.ts) and the infrastructure alarms on and charts (lib/operations.ts).
 * One list, read by both, so that a metric is never emitted under one name and watched under another.
 *
 * A metric carries counts and a few dimensions whose values are words of a fixed vocabulary (a
 * capability, a channel, a kind): never an id, a name, a number or anything about health.
 */

/** Every metric of the service lives in this namespace. */
export const METRICS_NAMESPACE = 'DMP';

/** Each metric and the dimensions it is counted by (at most one set per metric). */
export const METRIC_DIMENSIONS = {
  /**
   * One per request a capability's function answered: 1 when 5xx, else 0. Its average is the
   * capability's 5xx rate, its sample count the requests.
   */
  ServerErrors: ['Capability'],
  /** KMS calls refused for throttling once the SDK's retries were spent (any function). */
  KmsThrottled: [],
  /** The age of the oldest pending notification each outbox sweep found due (0 when none). */
  OutboxOldestDueAgeSeconds: [],
  /** DMPs created, by channel (online, professional, agent). */
  RecordsCreated: ['Channel'],
  /** Patient and representative sessions opened (password and SMS code both right). */
  Logins: [],
  /** Login ids locked after repeated failures. */
  Lockouts: [],
  /** Documents deposited. */
  DocumentsDeposited: [],
  /** Emergency (break-glass) accesses declared. */
  EmergencyAccesses: [],
  /** SMS handed to SNS, by kind (the message's template: login-code, emergency-access...). */
  SmsSent: ['Kind'],
  /** Claim lines the nightly import stored. */
  ClaimLinesImported: [],
} as const satisfies Record<string, readonly string[]>;

export type MetricName = keyof typeof METRIC_DIMENSIONS;
export type DimensionsOf<M extends MetricName> = { [D in (typeof METRIC_DIMENSIONS)[M][number]]: string };

/**
 * A dimension's value: a lower-case word of letters, digits and hyphens, starting with a letter,
 * at most 40 characters. Ids (opaque, upper-case or numeric), INS, names and free text do not fit.
 */
export const DIMENSION_VALUE = /^[a-z][a-z0-9-]{0,39}$/;

/** Counting port: the use cases and jobs count through it; the EMF adapter writes the lines. */
export interface Metrics {
  count<M extends MetricName>(name: M, dimensions: DimensionsOf<M>, value?: number): void;
}

/**
 * What an error of the AWS SDK means for whoever sent the request that met it:
 *   - transient: the service faulted, throttled, timed out or could not be reached, or a
 *     transaction met a concurrent one; the same request may well succeed in a moment;
 *   - permanent: the service refused the request itself (a validation error such as a transaction
 *     of too many items, access denied, a missing table or key, a disabled key); sending it again
 *     gets the same refusal, so telling the client to retry would have it retry forever.
 * The names follow the SDK's own retry classification (@smithy/service-error-classification), which
 * is not imported here: it is not a dependency of its own, and this is all of it that matters.
 */

export type AwsErrorKind = 'transient' | 'permanent';

/** Throttling, by name, whatever the service (the SDK's THROTTLING_ERROR_CODES). */
const THROTTLING = new Set([
  'BandwidthLimitExceeded',
  'EC2ThrottledException',
  'LimitExceededException',
  'PriorRequestNotComplete',
  'ProvisionedThroughputExceededException',
  'RequestLimitExceeded',
  'RequestThrottled',
  'RequestThrottledException',
  'SlowDown',
  'ThrottledException',
  'Throttling',
  'ThrottlingException',
  'TooManyRequestsException',
]);

/** Transient by name: timeouts (the SDK's TRANSIENT_ERROR_CODES) and DynamoDB's transaction conflicts. */
const TRANSIENT = new Set(['TimeoutError', 'RequestTimeout', 'RequestTimeoutException', 'TransactionConflictException', 'TransactionInProgressException']);

/** The reasons a DynamoDB transaction is cancelled that another attempt may not meet ('None': this part was fine). */
const TRANSIENT_CANCELLATIONS = new Set(['None', 'TransactionConflict', 'ThrottlingError', 'ProvisionedThroughputExceeded', 'RequestLimitExceeded']);

interface SdkErrorShape {
  name?: string;
  $fault?: 'client' | 'server';
  $metadata?: { httpStatusCode?: number };
  $retryable?: unknown;
  CancellationReasons?: { Code?: string }[];
}

/** Errors of the AWS SDK carry `$metadata` (the retry middleware adds it even to networking errors) or `$fault`. */
const isSdkError = (error: unknown): error is SdkErrorShape =>
  typeof error === 'object' && error !== null && ('$metadata' in error || '$fault' in error || (error as Error).name === 'TimeoutError');

/** Transient or permanent for an error of the AWS SDK; undefined for any other error. */
export const awsErrorKind = (error: unknown): AwsErrorKind | undefined => {
  if (!isSdkError(error)) return undefined;
  const name = error.name ?? '';
  if (error.$retryable || THROTTLING.has(name) || TRANSIENT.has(name)) return 'transient';
  if (name === 'TransactionCanceledException') {
    // Cancelled for a conflict or throttling only: retry; for a validation error (too large, a
    // malformed part), a full item collection, or a condition: the same request fails again.
    const reasons = error.CancellationReasons ?? [];
    return reasons.length > 0 && reasons.every((r) => TRANSIENT_CANCELLATIONS.has(r.Code ?? 'None')) ? 'transient' : 'permanent';
  }
  const status = error.$metadata?.httpStatusCode;
  if (error.$fault === 'client' || (status !== undefined && status >= 400 && status < 500 && status !== 429)) return 'permanent';
  // A server fault, a 5xx, a 429, or no answer at all (networking).
  return 'transient';
};

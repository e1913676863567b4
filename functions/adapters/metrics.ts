/**
 * Business and health figures in CloudWatch's embedded metric format (EMF): one JSON line on
 * stdout per count, which CloudWatch Logs turns into a metric of the DMP namespace. No SDK client,
 * no network call, nothing added to a cold start.
 *
 * Lines go to process.stdout directly, not through console: with Lambda's JSON log format the
 * runtime wraps console output in its own object, where CloudWatch would no longer find `_aws`.
 * Outside Lambda (npm start, tests) nothing is written unless a sink is given.
 *
 * Only counts and the dimensions the contract declares (functions/domain/metrics.ts) are written,
 * each value checked against DIMENSION_VALUE: an id, a name or any free text is refused by
 * emfLine, and the count is then dropped (a figure never fails the request that counts it).
 */
import { DIMENSION_VALUE, type DimensionsOf, METRIC_DIMENSIONS, METRICS_NAMESPACE, type MetricName, type Metrics } from '#domain/metrics';

/** One EMF document for one count. */
export const emfLine = <M extends MetricName>(name: M, dimensions: DimensionsOf<M>, value: number, at: number): string => {
  const declared: readonly string[] = METRIC_DIMENSIONS[name];
  const given = Object.entries(dimensions as Record<string, string>);
  if (given.length !== declared.length || given.some(([key]) => !declared.includes(key))) {
    throw new Error(`metric ${name} is counted by ${declared.join(', ') || 'no dimension'}`);
  }
  for (const [key, v] of given) if (!DIMENSION_VALUE.test(v)) throw new Error(`metric ${name}: dimension ${key} is not a word of the vocabulary`);
  if (!Number.isFinite(value) || value < 0) throw new Error(`metric ${name}: a count is a finite number from 0`);
  return JSON.stringify({
    _aws: {
      Timestamp: at,
      CloudWatchMetrics: [{ Namespace: METRICS_NAMESPACE, Dimensions: [declared], Metrics: [{ Name: name, Unit: name.endsWith('Seconds') ? 'Seconds' : 'Count' }] }],
    },
    ...Object.fromEntries(given),
    [name]: value,
  });
};

const inLambda = (): boolean => process.env.AWS_LAMBDA_FUNCTION_NAME !== undefined;

/** Counts written as EMF lines to `write` (default: stdout in Lambda, nowhere elsewhere). */
export const emfMetrics = (write?: (line: string) => void, now: () => number = Date.now): Metrics => {
  const sink = write ?? (inLambda() ? (line: string) => void process.stdout.write(`${line}\n`) : undefined);
  return {
    count(name, dimensions, value = 1) {
      if (!sink) return;
      let line: string;
      try {
        line = emfLine(name, dimensions, value, now());
      } catch {
        return;
      }
      sink(line);
    },
  };
};

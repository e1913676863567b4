/**
 * Counts AWS SDK calls per command with a middleware on the client's stack: one count per `send`
 * (initialize step, above retries) and one per HTTP attempt (deserialize step, below the retry
 * middleware), so that a retried call shows as one call and two attempts.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import type { SNSClient } from '@aws-sdk/client-sns';

export type Counts = Record<string, number>;

export class CallCounter {
  calls: Counts = {};
  attempts = 0;
  /** Sum of the calls' durations (parallel calls overlap: this can exceed the wall time). */
  callMs = 0;

  attach(service: string, client: DynamoDBClient | KMSClient | SNSClient): void {
    const stack = client.middlewareStack as DynamoDBClient['middlewareStack'];
    stack.add(
      (next, context) => async (args) => {
        const name = `${service}.${(context.commandName ?? 'Unknown').replace(/Command$/, '')}`;
        this.calls[name] = (this.calls[name] ?? 0) + 1;
        const t0 = performance.now();
        try {
          return await next(args);
        } finally {
          this.callMs += performance.now() - t0;
        }
      },
      { step: 'initialize', name: 'benchCountCalls', priority: 'high' },
    );
    stack.add(
      (next) => async (args) => {
        this.attempts += 1;
        return next(args);
      },
      { step: 'deserialize', name: 'benchCountAttempts', priority: 'low' },
    );
  }

  reset(): void {
    this.calls = {};
    this.attempts = 0;
    this.callMs = 0;
  }

  /** The counts since the last reset, and a reset. */
  take(): { calls: Counts; attempts: number; callMs: number } {
    const out = { calls: { ...this.calls }, attempts: this.attempts, callMs: this.callMs };
    this.reset();
    return out;
  }
}

export const countOf = (calls: Counts, service: string, command?: string): number =>
  Object.entries(calls)
    .filter(([k]) => (command ? k === `${service}.${command}` : k.startsWith(`${service}.`)))
    .reduce((n, [, v]) => n + v, 0);

export const formatCalls = (calls: Counts, service: string): string =>
  Object.entries(calls)
    .filter(([k]) => k.startsWith(`${service}.`))
    .sort(([a], [b]) => a.localeCompare(b))
    .map(([k, v]) => `${v}× ${k.slice(service.length + 1)}`)
    .join(', ') || '—';

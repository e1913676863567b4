/**
 * Structured logs: one JSON object per line, holding ids, routes, statuses and durations, never a
 * body.
 *
 * In Lambda the functions log in the JSON format (lib/dmp-function.ts: loggingFormat JSON,
 * application level INFO): the runtime stamps each console line with its time, level and request
 * id, nests the object we pass under `message`, and drops lines below the configured level. So a
 * console call is the whole logger there. Elsewhere (npm start, tests) each line is written as JSON
 * to stdout, filtered by level.
 *
 * Not Powertools Logger, which the team would otherwise prefer: it cost ~12 ms of every cold start
 * (`npm run bench`, the libraries' import costs) for what Lambda's JSON log format already does,
 * and the cold-start budget of a function is 20 % over its AWS SDK floor.
 */
import type { LogAttributes, Logger } from '#domain/ports';

export type { LogAttributes, Logger };

export type LogLevel = 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';

const RANK: Record<LogLevel, number> = { DEBUG: 10, INFO: 20, WARN: 30, ERROR: 40, SILENT: 99 };
const METHOD = { DEBUG: 'debug', INFO: 'info', WARN: 'warn', ERROR: 'error' } as const;

export interface LoggerOptions {
  serviceName?: string;
  /** Default: AWS_LAMBDA_LOG_LEVEL, LOG_LEVEL, else INFO. */
  logLevel?: LogLevel;
  /** Where a line goes outside Lambda (default: stdout). */
  write?: (line: string) => void;
}

export const makeLogger = (options: LoggerOptions = {}): Logger => {
  const service = options.serviceName ?? 'dmp';
  const level = options.logLevel ?? ((process.env.AWS_LAMBDA_LOG_LEVEL ?? process.env.LOG_LEVEL ?? 'INFO').toUpperCase() as LogLevel);
  const threshold = RANK[level] ?? RANK.INFO;
  const inLambdaJson = process.env.AWS_LAMBDA_LOG_FORMAT === 'JSON' && options.write === undefined;
  const write = options.write ?? ((line: string) => void process.stdout.write(`${line}\n`));
  const log =
    (at: Exclude<LogLevel, 'SILENT'>) =>
    (message: string, attributes: LogAttributes = {}) => {
      if (RANK[at] < threshold) return;
      if (inLambdaJson) console[METHOD[at]]({ message, service, ...attributes });
      else write(JSON.stringify({ level: at, timestamp: new Date().toISOString(), service, message, ...attributes }));
    };
  return { debug: log('DEBUG'), info: log('INFO'), warn: log('WARN'), error: log('ERROR') };
};

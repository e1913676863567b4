/** Structured JSON logs (Powertools): ids, routes, statuses and durations; never a body. */
import { Logger } from '@aws-lambda-powertools/logger';

export const makeLogger = (): Logger => new Logger({ serviceName: 'dmp' });

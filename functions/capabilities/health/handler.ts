/** Lambda entry of the health capability (the health profile, the advance directives and the trusted person). */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { makeHttpHandler } from '#http/pipeline';
import { withHealth } from './deps.ts';
import { capability } from './use-cases.ts';

export const handler = makeHttpHandler(capability, withHealth(cryptoDeps(configFromEnv())));

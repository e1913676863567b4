/** Lambda entry of the emergency summary. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { makeHttpHandler } from '#http/pipeline';
import { withEmergency } from './deps.ts';
import { capability } from './use-cases.ts';

export const handler = makeHttpHandler(capability, withEmergency(cryptoDeps(configFromEnv())));

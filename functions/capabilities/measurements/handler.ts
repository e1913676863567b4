/** Lambda entry of the measurements capability (paired devices and their measurements). */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { makeHttpHandler } from '#http/pipeline';
import { withMeasurements } from './deps.ts';
import { capability } from './use-cases.ts';

export const handler = makeHttpHandler(capability, withMeasurements(cryptoDeps(configFromEnv())));

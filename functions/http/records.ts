/** Lambda entry of the records capability. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { records } from './capabilities/records.ts';
import { makeHttpHandler } from './pipeline.ts';

export const handler = makeHttpHandler(records, cryptoDeps(configFromEnv()));

/** Lambda entry of the access capability. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { capability } from './use-cases.ts';
import { makeHttpHandler } from '#http/pipeline';

export const handler = makeHttpHandler(capability, cryptoDeps(configFromEnv()));

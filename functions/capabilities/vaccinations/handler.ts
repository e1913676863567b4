/** Lambda entry of the vaccination record (recording vaccinations, the list, what is due). */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { makeHttpHandler } from '#http/pipeline';
import { withVaccinations } from './deps.ts';
import { capability } from './use-cases.ts';

export const handler = makeHttpHandler(capability, withVaccinations(cryptoDeps(configFromEnv())));

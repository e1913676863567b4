/** Lambda entry of the keyword search. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { withSearch } from './deps.ts';
import { capability } from './use-cases.ts';
import { makeHttpHandler } from '#http/pipeline';

export const handler = makeHttpHandler(capability, withSearch(cryptoDeps(configFromEnv())));

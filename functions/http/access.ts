/** Lambda entry of the access capability. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { access } from './capabilities/access.ts';
import { makeHttpHandler } from './pipeline.ts';

export const handler = makeHttpHandler(access, cryptoDeps(configFromEnv()));

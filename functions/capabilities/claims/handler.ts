/** Lambda entry of the claims capability (the insurer's sync and the reads of the history). */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { makeHttpHandler } from '#http/pipeline';
import { withClaims } from './deps.ts';
import { capability } from './use-cases.ts';

export const handler = makeHttpHandler(capability, withClaims(cryptoDeps(configFromEnv())));

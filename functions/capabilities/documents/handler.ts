/** Lambda entry of the documents capability. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { withDocuments } from './deps.ts';
import { capability } from './use-cases.ts';
import { makeHttpHandler } from '#http/pipeline';

export const handler = makeHttpHandler(capability, withDocuments(cryptoDeps(configFromEnv())));

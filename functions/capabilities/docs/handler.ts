/** Lambda entry of the docs capability (OpenAPI document, reference page). */
import { configFromEnv } from '#platform/config';
import { httpDeps } from '#platform/deps';
import { capability } from './use-cases.ts';
import { makeHttpHandler } from '#http/pipeline';

export const handler = makeHttpHandler(capability, httpDeps(configFromEnv()));

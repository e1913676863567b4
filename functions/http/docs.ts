/** Lambda entry of the docs capability (OpenAPI document, reference page). */
import { configFromEnv } from '#platform/config';
import { httpDeps } from '#platform/deps';
import { docs } from './capabilities/docs.ts';
import { makeHttpHandler } from './pipeline.ts';

export const handler = makeHttpHandler(docs, httpDeps(configFromEnv()));

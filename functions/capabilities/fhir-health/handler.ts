/** Lambda entry of the FHIR views of the health data. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { makeHttpHandler } from '#http/pipeline';
import { withFhirHealth } from './deps.ts';
import { capability } from './use-cases.ts';

export const handler = makeHttpHandler(capability, withFhirHealth(cryptoDeps(configFromEnv())));

/** Lambda entry of the FHIR R4 interface. */
import { configFromEnv } from '#platform/config';
import { cryptoDeps } from '#platform/deps-data';
import { makeHttpHandler } from '#http/pipeline';
import { withFhir } from './deps.ts';
import { capability } from './use-cases.ts';

export const handler = makeHttpHandler(capability, withFhir(cryptoDeps(configFromEnv())));

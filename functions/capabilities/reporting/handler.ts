/** Lambda entry of the reporting capability (pharmacy ledger, creation statistics). */
import { configFromEnv } from '#platform/config';
import { dataDeps } from '#platform/deps-data';
import { capability } from './use-cases.ts';
import { makeHttpHandler } from '#http/pipeline';

export const handler = makeHttpHandler(capability, dataDeps(configFromEnv()));

/** Lambda entry of the reporting capability (pharmacy ledger, creation statistics). */
import { configFromEnv } from '#platform/config';
import { dataDeps } from '#platform/deps-data';
import { reporting } from './capabilities/reporting.ts';
import { makeHttpHandler } from './pipeline.ts';

export const handler = makeHttpHandler(reporting, dataDeps(configFromEnv()));

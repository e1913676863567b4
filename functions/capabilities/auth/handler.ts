/** Lambda entry of the auth capability: patient login, sessions, passwords, credential reissue. */
import { configFromEnv } from '#platform/config';
import { authDeps } from './deps.ts';
import { capability } from './use-cases.ts';
import { makeHttpHandler } from '#http/pipeline';

export const handler = makeHttpHandler(capability, authDeps(configFromEnv()));

/** Lambda entry of the auth capability: patient login, sessions, passwords, credential reissue. */
import { configFromEnv } from '#platform/config';
import { authDeps } from '#platform/deps-auth';
import { auth } from './capabilities/auth.ts';
import { makeHttpHandler } from './pipeline.ts';

export const handler = makeHttpHandler(auth, authDeps(configFromEnv()));

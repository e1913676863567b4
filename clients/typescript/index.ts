/**
 * The DMP API's typed client: openapi-fetch over the types generated from GET /openapi.json
 * (schema.d.ts, `npm run client:generate`). Every path, parameter, body and answer is checked by
 * TypeScript against the contract; nothing else is added at run time (openapi-fetch is a thin
 * wrapper over fetch).
 *
 *   const dmp = createDmpClient({ baseUrl: 'http://localhost:3000' });
 *   const { data, error } = await dmp.GET('/v1/records/{dmpId}/documents', { params: { path: { dmpId } }, headers: bearer(token) });
 */
import createClient, { type Client, type ClientOptions } from 'openapi-fetch';
import type { components, operations, paths } from './schema.d.ts';

export type { components, operations, paths };

export type DmpClient = Client<paths>;

/** A problem document (application/problem+json), as every error of the API answers. */
export type Problem = components['schemas']['Problem'];

/** A client of the API at `baseUrl` (the local runtime, or the API Gateway stage URL). */
export const createDmpClient = (options: ClientOptions & { baseUrl: string }): DmpClient => createClient<paths>(options);

/** The Authorization header of a bearer token, for an operation's `headers`. */
export const bearer = (token: string): { Authorization: string } => ({ Authorization: `Bearer ${token}` });

/**
 * A capability's use cases bound to its routes. Handlers are typed from their route's zod schemas:
 * a handler receives the body, path and query parameters its route validated, and a route without
 * a handler does not compile.
 */
import type { $ZodType, output } from 'zod/v4/core';
import type { Actor } from '#domain/actor';
import type { FhirScopes } from '#domain/fhir/scopes';
import type { AwsClients, CryptoDeps } from '#platform/deps-data';
import type { CapabilityManifest } from './capability.ts';
import type { Route } from './route.ts';

/** A request as the pipeline hands it to a handler, once authenticated and validated. */
export interface Call {
  actor: Actor;
  body: unknown;
  params: unknown;
  query: unknown;
  idempotencyKey: string | undefined;
  /** The If-Match header of a conditional route (Route.conditional), as sent; undefined on any other route. */
  ifMatch?: string | undefined;
  requestId: string;
  /** The client's address as API Gateway saw it (for per-source guessing limits; never logged). */
  sourceIp: string;
  /** A /fhir route's: what the token's SMART scopes allow, and the FHIR base URL the request came in on (for links). */
  fhir?: { scopes: FhirScopes; baseUrl: string } | undefined;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** A ready body with its content type (the docs page). */
  raw?: { contentType: string; text: string };
  headers?: Record<string, string>;
}

type Validated<S> = S extends $ZodType ? output<S> : Record<string, never>;

/** A call as the handler of route R receives it: body, params and query as R's schemas output them. */
export interface CallOf<R extends Route> extends Omit<Call, 'body' | 'params' | 'query'> {
  body: Validated<R['body']>;
  params: Validated<R['params']>;
  query: Validated<R['query']>;
}

/** The handler of the route `Id` among `Routes`. */
export type HandlerOf<Routes extends readonly Route[], Id extends Routes[number]['id'], D> = (call: CallOf<Extract<Routes[number], { id: Id }>>, deps: D) => Promise<Reply>;

/** One handler per route of the part, no more, no fewer. */
export type Handlers<Routes extends readonly Route[], D> = { [R in Routes[number] as R['id']]: (call: CallOf<R>, deps: D) => Promise<Reply> };

/** A capability's routes bound to its handlers: what the pipeline serves. */
export interface CapabilityDef<D> {
  name: string;
  manifest: readonly Route[];
  routes: Readonly<Record<string, (call: Call, deps: D) => Promise<Reply>>>;
  /**
   * Adds the capability's own stores to the shared dependencies. Its Lambda entry and the local
   * runtime (which serves every capability from one set of shared dependencies) both call it.
   */
  own?: (shared: CryptoDeps & AwsClients) => D;
}

/**
 * Binds a manifest's routes to their handlers, for dependencies D:
 * `defineCapability<CryptoDeps>()(RECORDS, { createRecord, … })`. The pipeline validates each
 * request with its route's schemas before the handler runs, which is what makes the handlers'
 * typed calls true.
 */
export const defineCapability =
  <D>() =>
  <const Routes extends readonly Route[]>(
    manifest: CapabilityManifest & { routes: Routes },
    handlers: Handlers<Routes, D>,
    own?: (shared: CryptoDeps & AwsClients) => D,
  ): CapabilityDef<D> => ({
    name: manifest.name,
    manifest: manifest.routes,
    routes: handlers as unknown as CapabilityDef<D>['routes'],
    ...(own ? { own } : {}),
  });

/**
 * What a capability is: a folder under functions/capabilities/ holding its part of the route
 * manifest, what its Lambda function needs from the infrastructure, and its use cases bound to
 * those routes. The list of capabilities (functions/capabilities/index.ts) feeds API Gateway,
 * the local runtime and the OpenAPI document.
 *
 * Handlers are typed from their route's zod schemas: a handler receives the body, path and query
 * parameters its route validated, and a route without a handler does not compile.
 */
import type { $ZodType, output } from 'zod/v4/core';
import type { Actor } from '#domain/actor';
import type { CryptoDeps } from '#platform/deps-data';
import type { Route } from './route.ts';

/** A request as the pipeline hands it to a handler, once authenticated and validated. */
export interface Call {
  actor: Actor;
  body: unknown;
  params: unknown;
  query: unknown;
  idempotencyKey: string | undefined;
  requestId: string;
  /** The client's address as API Gateway saw it (for per-source guessing limits; never logged). */
  sourceIp: string;
}

export interface Reply {
  status: number;
  body?: unknown;
  /** A ready body with its content type (the docs page). */
  raw?: { contentType: string; text: string };
  headers?: Record<string, string>;
}

/** The item-level calls a function may make on the table (transactions check them item by item). */
export type ItemAction = 'GetItem' | 'BatchGetItem' | 'PutItem' | 'UpdateItem' | 'DeleteItem' | 'BatchWriteItem' | 'ConditionCheckItem' | 'Query';

/** The encryption contexts a function passes to KMS with the data key: a record's, or the keyed-index secret's. */
export type DataKeyContext = 'record' | 'keyedIndex';
export type DataKeyOperation = 'GenerateDataKey' | 'Decrypt';

/** One grant of the data key: these operations, with these encryption contexts only. */
export interface DataKeyGrant {
  operations: DataKeyOperation[];
  contexts: DataKeyContext[];
}

/** What a capability's function needs: the stack grants exactly this, and no more. */
export interface FunctionNeeds {
  description: string;
  memorySize: 512 | 1024;
  /** Item calls on the table (transactions are checked item by item: Put, Update, ConditionCheck). */
  items?: ItemAction[];
  /** Queries on GSI1. */
  indexQuery?: boolean;
  /** Each grant is one statement: an operation is allowed only with the contexts listed beside it. */
  dataKey?: DataKeyGrant[];
  /** Sends SMS straight to phone numbers (not through the outbox). */
  sms?: boolean;
  /** Patient session tokens: 'verify' reads the session key's public half, 'sign' also signs. */
  sessions?: 'sign' | 'verify';
}

/** A capability as the infrastructure, the local runtime and the OpenAPI document see it: no use case code. */
export interface CapabilityManifest<Name extends string = string> {
  name: Name;
  routes: readonly Route[];
  function: FunctionNeeds;
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
  own?: (shared: CryptoDeps) => D;
}

/**
 * Binds a manifest's routes to their handlers, for dependencies D:
 * `defineCapability<CryptoDeps>()(RECORDS, { createRecord, … })`. The pipeline validates each
 * request with its route's schemas before the handler runs, which is what makes the handlers'
 * typed calls true.
 */
export const defineCapability =
  <D>() =>
  <const Routes extends readonly Route[]>(manifest: CapabilityManifest & { routes: Routes }, handlers: Handlers<Routes, D>, own?: (shared: CryptoDeps) => D): CapabilityDef<D> => ({
    name: manifest.name,
    manifest: manifest.routes,
    routes: handlers as unknown as CapabilityDef<D>['routes'],
    ...(own ? { own } : {}),
  });

/**
 * What a route of the manifest (routes.ts) is: who may call it (deny by default: no caller kinds,
 * no access), the capability (Lambda function) that serves it, and its request and response
 * schemas.
 */
import type { ZodMiniLazy, ZodMiniObject, ZodMiniType } from 'zod/mini';
import type { $ZodType } from 'zod/v4/core';

export type Caller = 'professional' | 'agent' | 'insurer' | 'device' | 'patient' | 'representative' | 'anonymous';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  id: string;
  method: Method;
  path: string;
  /** The capability (Lambda function) that serves it: the name of its folder under functions/capabilities. */
  capability: string;
  callers: readonly Caller[];
  summary: string;
  description?: string;
  params?: LazyObject;
  query?: LazyObject;
  body?: ZodMiniType;
  /** Accepts an Idempotency-Key header. */
  idempotent?: boolean;
  /**
   * Takes an If-Match header (optimistic concurrency): the pipeline hands it to the use case
   * (Call.ifMatch), which compares it with the version it changes and answers 428 without it.
   */
  conditional?: boolean;
  /** Largest accepted body, in bytes. */
  maxBodyBytes?: number;
  /** The body may be left out altogether (then it is `{}`). */
  bodyOptional?: boolean;
  /** Usable by a session whose provisional password has not been changed yet (the change itself). */
  beforePasswordChange?: boolean;
  responses: Record<number, { description: string; schema?: ZodMiniType; contentType?: string }>;
  /** Errors the route can answer, besides 400/401/403 that every protected route can. */
  errors?: readonly number[];
  /**
   * A route of the FHIR R4 interface (its path starts with /fhir): the pipeline answers it in FHIR
   * (application/fhir+json, errors as OperationOutcome), a token's SMART scopes must cover it, and
   * the CapabilityStatement (GET /fhir/metadata) lists it from this.
   */
  fhir?: FhirInteraction;
}

/** What a /fhir route is in FHIR terms. */
export interface FhirInteraction {
  /** The resource type it serves. */
  type: string;
  interaction: 'capabilities' | 'read' | 'search-type' | 'create' | 'operation';
  /** An operation's name, without its `$` (`everything`). */
  operation?: string;
  /** A search's parameters, by their FHIR search parameter type: the route's query admits these (and the paging ones) only. */
  searchParams?: Readonly<Record<string, 'token' | 'reference' | 'date' | 'string' | 'number'>>;
}

/** The access a token's SMART scopes must grant for a FHIR interaction (none for the CapabilityStatement). */
export const fhirAccess = (f: FhirInteraction): 'read' | 'write' | undefined => (f.interaction === 'capabilities' ? undefined : f.interaction === 'create' ? 'write' : 'read');

/** Path and query parameters: an object schema, built on first use like every schema (schemas.ts). */
export type LazyObject = ZodMiniLazy<ZodMiniObject>;

/** The fields of a parameter object (the stack's parameter list and its test read them). */
export const fieldsOf = (schema: LazyObject | undefined): Readonly<Record<string, $ZodType>> => schema?._zod.innerType.shape ?? {};

export const KIB = 1024;

export const routeKey = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

/**
 * THE route manifest. API Gateway (lib/api.ts), the local HTTP server (bin/local-runtime.ts) and
 * the OpenAPI document (functions/http/openapi.ts) are all generated from this list, so they cannot
 * drift apart. A route names who may call it (deny by default: no caller kinds, no access), the
 * capability (Lambda function) that serves it, and its request and response schemas.
 */
import type { ZodMiniObject, ZodMiniType } from 'zod/mini';
import * as s from './schemas.ts';

export const CAPABILITIES = ['records', 'reporting', 'docs'] as const;
export type Capability = (typeof CAPABILITIES)[number];

export type Caller = 'professional' | 'agent' | 'patient' | 'representative' | 'anonymous';
export type Method = 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';

export interface Route {
  id: string;
  method: Method;
  path: string;
  capability: Capability;
  callers: readonly Caller[];
  summary: string;
  description?: string;
  params?: ZodMiniObject;
  query?: ZodMiniObject;
  body?: ZodMiniType;
  /** Accepts an Idempotency-Key header. */
  idempotent?: boolean;
  /** Largest accepted body, in bytes. */
  maxBodyBytes?: number;
  responses: Record<number, { description: string; schema?: ZodMiniType; contentType?: string }>;
  /** Errors the route can answer, besides 400/401/403 that every protected route can. */
  errors?: readonly number[];
}

const KIB = 1024;

export const ROUTES: readonly Route[] = [
  {
    id: 'createRecord',
    method: 'POST',
    path: '/v1/records',
    capability: 'records',
    callers: ['professional', 'agent', 'anonymous'],
    summary: 'Create a DMP with the express consent of the person',
    description:
      'By a health professional (a pharmacist with a structure: pharmacy channel), a CPAM agent, or the insured person online with a creation code (no token). A minor: only by a professional or an agent, with at least one legal representative.',
    body: s.CreateRecordBody,
    idempotent: true,
    maxBodyBytes: 16 * KIB,
    responses: { 201: { description: 'Created', schema: s.CreateRecordResponse } },
    errors: [409, 422],
  },
  {
    id: 'createCreationCode',
    method: 'POST',
    path: '/v1/creation-codes',
    capability: 'records',
    callers: ['agent'],
    summary: 'Issue a single-use online creation code bound to an INS',
    body: s.CreationCodeBody,
    maxBodyBytes: 1 * KIB,
    responses: { 201: { description: 'Created', schema: s.CreationCodeResponse } },
  },
  {
    id: 'searchRecord',
    method: 'POST',
    path: '/v1/records/search',
    capability: 'records',
    callers: ['professional', 'agent'],
    summary: 'Find the DMP of an INS and the caller’s authorization on it',
    body: s.SearchBody,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'Found', schema: s.SearchResponse } },
    errors: [404],
  },
  {
    id: 'getRecord',
    method: 'GET',
    path: '/v1/records/{dmpId}',
    capability: 'records',
    callers: ['professional', 'patient', 'representative'],
    summary: 'Read a record: identity, contact, status, emergency settings, attending physicians, representatives',
    params: s.RecordParams,
    responses: { 200: { description: 'The record', schema: s.RecordView } },
    errors: [404],
  },
  {
    id: 'pharmacyCreations',
    method: 'GET',
    path: '/v1/pharmacies/{finess}/creations',
    capability: 'reporting',
    callers: ['professional', 'agent'],
    summary: 'The DMPs a pharmacy created in a month, and what it is owed (1 € each)',
    params: s.PharmacyParams,
    query: s.PharmacyQuery,
    responses: { 200: { description: 'The month’s ledger', schema: s.PharmacyCreations } },
  },
  {
    id: 'creationStats',
    method: 'GET',
    path: '/v1/stats/creations',
    capability: 'reporting',
    callers: ['agent'],
    summary: 'DMP creations between two days, by channel and ISO week',
    query: s.StatsQuery,
    responses: { 200: { description: 'Statistics', schema: s.CreationStats } },
  },
  {
    id: 'openapi',
    method: 'GET',
    path: '/openapi.json',
    capability: 'docs',
    callers: ['anonymous'],
    summary: 'This API as an OpenAPI 3.1 document',
    responses: { 200: { description: 'OpenAPI document', contentType: 'application/json' } },
  },
  {
    id: 'docs',
    method: 'GET',
    path: '/docs',
    capability: 'docs',
    callers: ['anonymous'],
    summary: 'A readable reference of this API',
    responses: { 200: { description: 'HTML reference page', contentType: 'text/html' } },
  },
];

export const routesOf = (capability: Capability): Route[] => ROUTES.filter((r) => r.capability === capability);
export const routeKey = (method: string, path: string): string => `${method.toUpperCase()} ${path}`;

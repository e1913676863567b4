/** The reporting capability's part of the route manifest, and what its function needs (functions/capabilities/index.ts lists every capability). */
import type { CapabilityManifest } from '#http/capability';
import type { Route } from '#http/route';
import * as s from './schemas.ts';

export const REPORTING_ROUTES = [
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
] as const satisfies readonly Route[];

/** The reporting capability: its routes and what its function needs. */
export const REPORTING = {
  name: 'reporting',
  routes: REPORTING_ROUTES,
  function: {
    description: 'DMP reporting: pharmacy creation ledger, creation statistics',
    memorySize: 512,
    items: ['Query'],
    indexQuery: true,
  },
} as const satisfies CapabilityManifest;

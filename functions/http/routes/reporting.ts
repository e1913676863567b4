/** The reporting capability's part of the route manifest (functions/http/routes.ts gathers every part). */
import type { Route } from '../route.ts';
import * as s from '../schemas/reporting.ts';

export const REPORTING_ROUTES: readonly Route[] = [
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
];

/** The keyword search's part of the route manifest, and what its function needs. */
import type { CapabilityManifest } from '#http/capability';
import type { Route } from '#http/route';
import * as c from '#http/schemas';
import { MAX_QUERY_WORDS } from './ranking.ts';
import * as s from './schemas.ts';

export const SEARCH_ROUTES = [
  {
    id: 'searchKeywords',
    method: 'GET',
    path: '/v1/records/{dmpId}/search',
    capability: 'search',
    callers: ['patient', 'representative', 'professional'],
    summary:
      'Keyword search across the whole record (documents with their text, the reimbursement history, the health profile, vaccinations, measurements); every search is traced',
    description: `Items holding every word of \`q\` (at most ${MAX_QUERY_WORDS} distinct words), newest first; with a "quoted phrase", the items where its words stand side by side come first. Each item is shown only if its own read would show it to the caller, weighed on the item as it is now: a document under the matrix, the patient’s mask and its visibility labels (current and archived documents, no superseded version, nothing deleted); the history’s lines under its policy (the matrix for class 60, the patient’s mask; a representative not the lines a minor keeps confidential); the profile, vaccinations and measurements under their rows of the matrix. What the caller may not see is left out without a trace in the answer: there is no total. A page may hold fewer than \`limit\` items: follow \`nextCursor\` until it is null. The words are matched against blind per-record tokens: the server keeps no word in clear.`,
    params: c.RecordParams,
    query: s.SearchQuery,
    responses: { 200: { description: 'The matching items the caller may see', schema: s.SearchResults } },
    errors: [404],
  },
] as const satisfies readonly Route[];

/** The keyword search capability: its route and what its function needs. */
export const SEARCH = {
  name: 'search',
  routes: SEARCH_ROUTES,
  function: {
    description: 'DMP keyword search: the blind index of a record, each match weighed under the access policy on the item as it is now',
    memorySize: 512,
    // Reads only: the record and the caller's standing (BatchGetItem), the history's mask (GetItem),
    // the lists of every word (one BatchGetItem), a measured code's latest value (Query), the
    // candidates of one page (BatchGetItem); the trace is a PutItem, or with a professional's first access a transaction
    // that updates the standing (seen) and puts the patient's notice in the outbox.
    items: ['GetItem', 'PutItem', 'UpdateItem', 'ConditionCheckItem', 'Query', 'BatchGetItem'],
    dataKey: [{ operations: ['Decrypt'], contexts: ['record'] }],
    sessions: 'verify',
  },
} as const satisfies CapabilityManifest;

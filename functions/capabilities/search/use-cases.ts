/** The keyword search of a record (reader.ts holds the search itself, shared with other interfaces). */
import { defineCapability, type HandlerOf } from '#http/define-capability';
import { type SearchDeps, withSearch } from './deps.ts';
import { searchRecord } from './reader.ts';
import { SEARCH, type SEARCH_ROUTES } from './routes.ts';
import { SEARCH_KINDS, type SearchKindName } from './schemas.ts';

type Handler<Id extends (typeof SEARCH_ROUTES)[number]['id']> = HandlerOf<typeof SEARCH_ROUTES, Id, SearchDeps>;

const isKind = (k: string): k is SearchKindName => (SEARCH_KINDS as readonly string[]).includes(k);

const searchKeywords: Handler<'searchKeywords'> = async (call, deps) => {
  const { q, kind, from, to, limit, cursor } = call.query;
  const page = await searchRecord(deps, call, call.params.dmpId, { q, kinds: kind?.split(',').filter(isKind), from, to, limit: limit ? Number(limit) : 50, cursor });
  return { status: 200, body: page };
};

export const capability = defineCapability<SearchDeps>()(SEARCH, { searchKeywords }, withSearch);

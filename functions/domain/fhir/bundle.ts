/**
 * FHIR R4 searchset Bundles: the answer of a search or of a paged operation ($everything), with
 * its `self` link and, when more follows, a `next` link that repeats the request's parameters with
 * the page's cursor. Links are relative to the FHIR base the request came in on (`baseUrl`), as
 * FHIR clients follow them as they are.
 */
import type { Bundle, BundleEntry, BundleLink, Resource } from '@medplum/fhirtypes';

/** `<base>/<path>?<query>` with the query's parameters in a stable order, undefined ones left out. */
export const pageUrl = (baseUrl: string, path: string, query: Readonly<Record<string, string | undefined>>): string => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query).sort(([a], [b]) => a.localeCompare(b))) if (value !== undefined) params.set(name, value);
  const q = params.toString();
  return `${baseUrl}/${path}${q ? `?${q}` : ''}`;
};

/** The full URL of a resource: `<base>/<type>/<id>`. */
export const fullUrl = (baseUrl: string, resource: Resource): string => `${baseUrl}/${resource.resourceType}/${resource.id ?? ''}`;

export interface SearchPage {
  baseUrl: string;
  /** The path of the search under the base (`DocumentReference`, `Patient/<id>/$everything`). */
  path: string;
  /** The request's parameters, as the `self` link repeats them. */
  query: Readonly<Record<string, string | undefined>>;
  /** The parameter that carries the page position in `next` links (`_cursor`, `_offset`). */
  pageParam: string;
  /** The next page's position, or undefined on the last page. */
  next: string | undefined;
  /** The matches; `include` resources (search mode `include`) follow them. */
  matches: readonly Resource[];
  includes?: readonly Resource[] | undefined;
  /** The total number of matches, when the server knows it without reading further. */
  total?: number | undefined;
}

export const searchsetBundle = (page: SearchPage): Bundle => {
  const link: BundleLink[] = [{ relation: 'self', url: pageUrl(page.baseUrl, page.path, page.query) }];
  if (page.next !== undefined) link.push({ relation: 'next', url: pageUrl(page.baseUrl, page.path, { ...page.query, [page.pageParam]: page.next }) });
  const entry =
    (mode: 'match' | 'include') =>
    (resource: Resource): BundleEntry => ({ fullUrl: fullUrl(page.baseUrl, resource), resource, search: { mode } });
  const entries = [...page.matches.map(entry('match')), ...(page.includes ?? []).map(entry('include'))];
  return {
    resourceType: 'Bundle',
    type: 'searchset',
    ...(page.total !== undefined ? { total: page.total } : {}),
    link,
    ...(entries.length > 0 ? { entry: entries } : {}),
  };
};

/**
 * The FHIR searches of the health data, one kind each, on the same access policy, traces and
 * encryption as their /v1 reads: each opens the record by the decision its /v1 read takes (a
 * caller refused there is refused here, with the same answer and the same refusal trace), reads
 * through the other capabilities' stores and readers (reader.ts), traces the read as its /v1
 * read is before anything is returned, and answers a searchset Bundle of the mapped resources.
 *
 * Paging: a kind whose store pages (measurements, the history, the access log) carries the store's
 * cursor in the next link; a kind read whole (the profile, the wishes, the vaccinations and what
 * is due) is cut in pages of `_count` by position (`_cursor=o<offset>`).
 *
 * Words (`_content`, `_text`): Observation only, through the record's keyword search
 * (search/reader.ts); the other searches refuse them as any parameter they do not list.
 */
import type { Resource } from '@medplum/fhirtypes';
import { decideAccessLogRead } from '#domain/access-policy';
import { type Call, defineCapability, type HandlerOf } from '#http/define-capability';
import { HttpProblem } from '#platform/problem';
import { accessRecord, traceRead } from '../common.ts';
import { type FhirHealthDeps, withFhirHealth } from './deps.ts';
import { searchset } from './fhir.ts';
import { auditPage, claimsDecision, consentResources, dispensePage, healthDecision, measurementPage, profileResources, vaccinationResources } from './reader.ts';
import { FHIR_HEALTH, type FHIR_HEALTH_ROUTES } from './routes.ts';
import { dmpIdOfReference } from '#domain/fhir/ids';
import { MEASUREMENT_CODES } from '#domain/measurements';
import { searchRecord } from '../search/reader.ts';
import { joinedWords } from '../search/schemas.ts';

type Handler<Id extends (typeof FHIR_HEALTH_ROUTES)[number]['id']> = HandlerOf<typeof FHIR_HEALTH_ROUTES, Id, FhirHealthDeps>;
type Query = { patient: string; _count?: string | undefined; _cursor?: string | undefined } & Record<string, string | undefined>;

const DEFAULT_COUNT = 50;
const DAY_MS = 86_400_000;

/**
 * The record a search names: a Patient id (its dmpId with `_` written `.`, domain/fhir/ids.ts) or
 * `Patient/<id>`; a dmpId as it is is taken too.
 */
const recordOf = (patient: string): string => dmpIdOfReference(patient) ?? (patient.startsWith('Patient/') ? patient.slice('Patient/'.length) : patient);

const countOf = (query: Query): number => (query._count ? Number(query._count) : DEFAULT_COUNT);

const badQuery = (name: string, message: string): never => {
  throw new HttpProblem(400, 'The query does not match the contract.', { errors: [{ path: `query.${name}`, message }] });
};

/** A search's link: its path and its parameters as received, `_cursor` set to where the page starts. */
const linkOf = (type: string, query: Query, cursor?: string): string => {
  const params = new URLSearchParams();
  for (const [name, value] of Object.entries(query)) if (value !== undefined && name !== '_cursor') params.set(name, value);
  if (cursor !== undefined) params.set('_cursor', cursor);
  return `/fhir/${type}?${params.toString()}`;
};

/** The answer: a searchset Bundle, as FHIR's JSON media type. */
const answer = (type: string, query: Query, resources: readonly Resource[], next: string | null) => {
  const body = searchset(resources, { self: linkOf(type, query, query._cursor), next: next === null ? undefined : linkOf(type, query, next) });
  return { status: 200, body, raw: { contentType: 'application/fhir+json', text: JSON.stringify(body) } };
};

/** Where a page of a list read whole starts: the offset `_cursor` names (`o<offset>`), checked before anything is read. */
const offsetOf = (query: Query): number => {
  if (query._cursor === undefined) return 0;
  const found = /^o([0-9]{1,6})$/.exec(query._cursor);
  return found ? Number(found[1]) : badQuery('_cursor', 'not a cursor of this search');
};

/** A page of a list read whole: `_count` resources from `offset`. */
const wholeList = (type: string, query: Query, offset: number, resources: readonly Resource[]) => {
  const count = countOf(query);
  const page = resources.slice(offset, offset + count);
  return answer(type, query, page, offset + count < resources.length ? `o${offset + count}` : null);
};

/**
 * AllergyIntolerance and Condition: one part of the health profile each, read and traced as the
 * profile's /v1 read. The profile is read beside the record; nothing of it is used unless the read
 * is allowed.
 */
const profilePart = async (part: 'allergies' | 'conditions', type: string, call: Call & { query: Query }, deps: FhirHealthDeps) => {
  const dmpId = recordOf(call.query.patient);
  const offset = offsetOf(call.query);
  const stored = deps.health.profile(dmpId);
  stored.catch(() => undefined);
  const opened = await accessRecord(deps, call, dmpId, healthDecision(call, deps, 'profile'), { action: 'profile.read' });
  const { version, sealed } = await stored;
  const resources = sealed ? profileResources(call.actor, dmpId, { profile: deps.health.openProfile(await opened.key(), sealed), version })[part] : [];
  await traceRead(deps, call, dmpId, 'profile.read', { mode: opened.decision.mode }, opened);
  return wholeList(type, call.query, offset, resources);
};

const searchAllergyIntolerance: Handler<'searchAllergyIntolerance'> = (call, deps) => profilePart('allergies', 'AllergyIntolerance', call, deps);

const searchCondition: Handler<'searchCondition'> = (call, deps) => profilePart('conditions', 'Condition', call, deps);

const searchConsent: Handler<'searchConsent'> = async (call, deps) => {
  const dmpId = recordOf(call.query.patient);
  const offset = offsetOf(call.query);
  const stored = deps.health.wishes(dmpId);
  stored.catch(() => undefined);
  const opened = await accessRecord(deps, call, dmpId, healthDecision(call, deps, 'wishes'), { action: 'wishes.read' });
  const sealed = await stored;
  const wishes = sealed ? deps.health.openWishes(await opened.key(), sealed) : undefined;
  await traceRead(deps, call, dmpId, 'wishes.read', { mode: opened.decision.mode }, opened);
  return wholeList('Consent', call.query, offset, consentResources(dmpId, wishes));
};

/** The record opened for its vaccinations (decideHealthRead), the patient's mask of the history read beside it. */
const vaccinationsOf = async (call: Call & { query: Query }, deps: FhirHealthDeps, action: 'vaccinations.read' | 'vaccinations.due') => {
  const dmpId = recordOf(call.query.patient);
  const masked = deps.claims.masked(dmpId);
  masked.catch(() => undefined);
  const opened = await accessRecord(deps, call, dmpId, healthDecision(call, deps, 'vaccinations'), { action });
  const read = await vaccinationResources(deps, call, opened, await masked);
  await traceRead(deps, call, dmpId, action, { mode: opened.decision.mode }, opened);
  return read;
};

const searchImmunization: Handler<'searchImmunization'> = async (call, deps) => {
  const offset = offsetOf(call.query);
  return wholeList('Immunization', call.query, offset, (await vaccinationsOf(call, deps, 'vaccinations.read')).immunizations());
};

const searchImmunizationRecommendation: Handler<'searchImmunizationRecommendation'> = async (call, deps) => {
  const offset = offsetOf(call.query);
  return wholeList('ImmunizationRecommendation', call.query, offset, (await vaccinationsOf(call, deps, 'vaccinations.due')).recommendations());
};

/**
 * The measured instants a `date` parameter names, as the measurements store reads them (UTC, to
 * the millisecond): a day is from its first to its last millisecond, an instant is itself;
 * `eq` (the default) both, `ge` and `gt` from, `le` and `lt` to.
 */
const dateRange = (param: string | undefined): { from?: string; to?: string } => {
  if (param === undefined) return {};
  const prefix = /^(eq|ge|gt|le|lt)/.exec(param)?.[1] ?? 'eq';
  const value = param.startsWith(prefix) ? param.slice(prefix.length) : param;
  const day = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value);
  const start = Date.parse(day ? `${value}T00:00:00.000Z` : value);
  if (Number.isNaN(start)) return badQuery('date', 'not a day or an instant');
  const end = day ? start + DAY_MS - 1 : start;
  const iso = (ms: number): string => {
    const text = new Date(ms).toISOString();
    return text.startsWith('-') ? '0000' : text.startsWith('+') ? '9999' : text;
  };
  switch (prefix) {
    case 'ge':
      return { from: iso(start) };
    case 'gt':
      return { from: iso(end + 1) };
    case 'le':
      return { to: iso(end) };
    case 'lt':
      return { to: iso(start - 1) };
    default:
      return { from: iso(start), to: iso(end) };
  }
};

/**
 * The measured codes words name (`_content`, `_text`: the same words; both given, every word of both): the record's keyword
 * search, kind measurement, which decides the access as a search (a refusal traced), leaves out
 * what the caller may not read and traces the search. One page holds every code found: a page's
 * limit is the number of codes there are.
 */
const measuredCodes = async (deps: FhirHealthDeps, call: Call, dmpId: string, text: string): Promise<string[]> => {
  const found = await searchRecord(deps, call, dmpId, { q: text, kinds: ['measurement'], limit: MEASUREMENT_CODES.length });
  return found.items.map((hit) => hit.id);
};

/**
 * Observation: the measurements, newest first, opened, read and traced as GET …/measurements (a
 * caller refused there is refused here first, words or not). With `_content` or `_text`, only
 * the series of the codes the words find (and of `code`, when given too): the keyword search runs
 * on each page, traced as one, and the page is read by the measurements' own cursor.
 */
const searchObservation: Handler<'searchObservation'> = async (call, deps) => {
  const query = call.query;
  const dmpId = recordOf(query.patient);
  const range = dateRange(query.date);
  const code = query.code?.replace('http://loinc.org|', '');
  const text = joinedWords(query._content, query._text);
  const opened = await accessRecord(deps, call, dmpId, healthDecision(call, deps, 'measurements'), { action: 'measurements.read' });
  let codes = code ? [code] : undefined;
  if (text !== undefined) {
    const found = await measuredCodes(deps, call, dmpId, text);
    codes = (codes ?? found).filter((c) => found.includes(c));
  }
  const page =
    codes?.length === 0
      ? { resources: [], nextCursor: null }
      : await measurementPage(deps, call.actor, await opened.key(), { codes, ...range, cursor: query._cursor, limit: countOf(query) });
  await traceRead(deps, call, dmpId, 'measurements.read', { mode: opened.decision.mode }, opened);
  return answer('Observation', query, page.resources, page.nextCursor);
};

const searchMedicationDispense: Handler<'searchMedicationDispense'> = async (call, deps) => {
  const dmpId = recordOf(call.query.patient);
  const masked = await deps.claims.masked(dmpId);
  const opened = await accessRecord(deps, call, dmpId, claimsDecision(call, deps, masked), { action: 'claims.read' });
  const page = await dispensePage(deps, call.actor, await opened.key(), { cursor: call.query._cursor, limit: countOf(call.query), now: deps.clock.now() });
  await traceRead(deps, call, dmpId, 'claims.read', { mode: opened.decision.mode }, opened);
  return answer('MedicationDispense', call.query, page.resources, page.nextCursor);
};

const searchAuditEvent: Handler<'searchAuditEvent'> = async (call, deps) => {
  const dmpId = recordOf(call.query.patient);
  const { decision } = await accessRecord(deps, call, dmpId, ({ record, standing }, now) => decideAccessLogRead(call.actor, record, standing, now), {
    action: 'access-log.read',
  });
  const page = await auditPage(deps, call.actor, dmpId, decision.scope, { cursor: call.query._cursor, limit: countOf(call.query) });
  // Reading the whole log is itself an access to the record: traced, for professionals (as GET …/access-log).
  if (call.actor.kind === 'professional' && decision.scope === 'all') await traceRead(deps, call, dmpId, 'access-log.read', { mode: 'normal' });
  return answer('AuditEvent', call.query, page.resources, page.nextCursor);
};

export const capability = defineCapability<FhirHealthDeps>()(
  FHIR_HEALTH,
  {
    searchAllergyIntolerance,
    searchCondition,
    searchImmunization,
    searchImmunizationRecommendation,
    searchObservation,
    searchConsent,
    searchAuditEvent,
    searchMedicationDispense,
  },
  withFhirHealth,
);

/**
 * The health data as FHIR resources, read under the access policy: each kind decided by the rule
 * its /v1 read is decided by (decideHealthRead for the profile, the wishes, the vaccinations and
 * the measurements; decideClaimsRead with the patient's mask for the history; decideAccessLogRead
 * for the access log), read through its capability's store or reader, shown through its view
 * (a representative's id to the record's holders only), traced as its /v1 read is, then mapped.
 *
 * The searches (use-cases.ts) read one kind, a page at a time; readClinicalResources reads every
 * kind the caller may see, whole, for the Patient's $everything.
 */
import type { Resource } from '@medplum/fhirtypes';
import { claimLineVisible, decideAccessLogRead, decideClaimsRead, decideHealthRead, decideRecordRead, type Decision, type HealthKind } from '#domain/access-policy';
import { isRecordHolder, type Actor } from '#domain/actor';
import { isoDate } from '#domain/dates';
import type { DataKey } from '#domain/ports';
import { dueItems, dueStatus } from '#domain/vaccinations/due';
import { MEASUREMENT_CODES } from '#domain/measurements';
import { openRecord } from '#adapters/record-sealing';
import type { Call } from '#http/define-capability';
import { accessLogPage } from '../access/reader.ts';
import { visibleLines } from '../claims/history.ts';
import { accessRecord, authorShownTo, traceRead, type RecordAccess, type Subject } from '../common.ts';
import { type HealthData, readHealthData } from '../health/summary.ts';
import { profileView, wishesView } from '../health/views.ts';
import { claimsPart, readVaccinations } from '../vaccinations/reader.ts';
import { vaccinationView } from '../vaccinations/views.ts';
import type { FhirHealthDeps } from './deps.ts';
import { auditEvent } from './map-audit-event.ts';
import { advanceDirectiveConsent } from './map-consent.ts';
import { medicationDispense } from './map-medication-dispense.ts';
import { type MeasurementView, observation } from './map-observation.ts';
import { allergyIntolerance, condition } from './map-profile.ts';
import { immunization, immunizationRecommendation } from './map-vaccinations.ts';

type Decide = (subject: Subject, now: Date) => Decision;

/** The decision of a kind of health data, as its /v1 read takes it. */
export const healthDecision =
  (call: Call, deps: FhirHealthDeps, kind: HealthKind): Decide =>
  ({ record, standing }, now) =>
    decideHealthRead(call.actor, record, standing, kind, now, deps.matrix);

/** The history's decision, on the patient's mask of it (read beside the record). */
export const claimsDecision =
  (call: Call, deps: FhirHealthDeps, maskedToProfessionals: boolean): Decide =>
  ({ record, standing }, now) =>
    decideClaimsRead(call.actor, record, standing, { maskedToProfessionals }, now, deps.matrix);

/** The profile's allergies and conditions as the caller may see them (profileView). */
export const profileResources = (actor: Actor, dmpId: string, health: Pick<HealthData, 'profile' | 'version'>) => {
  const view = profileView(actor, health.profile, health.version);
  return { allergies: view.allergies.map((a) => allergyIntolerance(dmpId, a)), conditions: view.conditions.map((c) => condition(dmpId, c)) };
};

/** The advance directives, when the patient wrote some, as a Consent. */
export const consentResources = (dmpId: string, wishes: HealthData['wishes']) => {
  const consent = advanceDirectiveConsent(dmpId, wishesView(wishes));
  return consent ? [consent] : [];
};

/** The vaccinations and what is due, on a record opened for its vaccinations: the history's part as the claims policy lets the caller see it. */
export const vaccinationResources = async (deps: FhirHealthDeps, call: Call, opened: RecordAccess, masked: boolean) => {
  const now = deps.clock.now();
  const key = await opened.key();
  const part = claimsPart(call.actor, opened, masked, now, deps.matrix);
  const entries = await readVaccinations(deps, opened.record.dmpId, key, { now, claims: part });
  const views = entries.map(vaccinationView(call.actor));
  const today = isoDate(now);
  const due = dueItems({
    birthDate: openRecord(key, opened.record).identity.birthDate,
    doses: entries.map((e) => ({ id: e.id, date: e.date, vaccine: e.vaccine, ...(e.source !== 'claims' && e.nextBoosterDate ? { nextBoosterDate: e.nextBoosterDate } : {}) })),
    today,
  });
  const dmpId = opened.record.dmpId;
  return {
    immunizations: () => views.map((v) => immunization(dmpId, v)),
    recommendations: () =>
      due.map((item) =>
        immunizationRecommendation(
          dmpId,
          { ...item, status: dueStatus(item, today) },
          today,
          views.find((v) => v.id === item.vaccinationId && item.vaccinationId !== undefined)?.vaccine,
        ),
      ),
  };
};

/** One page of measurements, newest first, as GET …/measurements reads it (its store's cursor). */
export const measurementPage = async (
  deps: FhirHealthDeps,
  actor: Actor,
  key: DataKey,
  opts: { codes?: readonly string[] | undefined; from?: string | undefined; to?: string | undefined; cursor?: string | undefined; limit: number },
) => {
  const page = await deps.measurements.page(key, { ...opts, codes: opts.codes ?? MEASUREMENT_CODES });
  const views: MeasurementView[] = page.items.map(({ measurementId, measurement: m }) => ({
    measurementId,
    code: m.code,
    unit: m.unit,
    ...(m.value !== undefined ? { value: m.value } : {}),
    ...(m.components ? { components: m.components } : {}),
    effectiveAt: m.effectiveAt,
    author: authorShownTo(actor, m.author),
    ...(m.deviceId !== undefined ? { deviceId: m.deviceId } : {}),
    recordedAt: m.recordedAt,
  }));
  return { resources: views.map((v) => observation(key.dmpId, v)), nextCursor: page.nextCursor };
};

/** Query pages one listing reads at most: one in the common case, more only past lines or traces the caller does not see (as GET …/claims, …/access-log). */
const MAX_QUERIES = 8;

/**
 * One page of the history's medicine lines the caller sees, newest first (GET …/claims with its
 * medication lines): a cursor only when one more such line follows, or where the reading stopped.
 */
export const dispensePage = async (deps: FhirHealthDeps, actor: Actor, key: DataKey, opts: { cursor?: string | undefined; limit: number; now: Date }) => {
  const { lines, nextCursor } = await visibleLines(deps.claims, key, {
    first: deps.claims.page(key.dmpId, { cursor: opts.cursor, now: opts.now }),
    next: (cursor) => deps.claims.page(key.dmpId, { cursor, now: opts.now }),
    shown: (line) => line.category === 'medication' && claimLineVisible(actor, line),
    limit: opts.limit,
    maxQueries: MAX_QUERIES,
  });
  const holder = isRecordHolder(actor);
  return { resources: lines.map((v) => medicationDispense(key.dmpId, v.lineId, v.line, holder)), nextCursor };
};

/**
 * One page of the access log as GET …/access-log gives it: all of it or the caller's own actions
 * (the decision's scope), traces of documents hidden from the reader weighed on the documents'
 * current labels and left out while hidden.
 */
export const auditPage = async (deps: FhirHealthDeps, actor: Actor, dmpId: string, scope: 'all' | 'own', opts: { cursor?: string | undefined; limit: number }) => {
  const { entries, nextCursor } = await accessLogPage(deps.traces, actor, dmpId, scope, { ...opts, maxQueries: MAX_QUERIES });
  return { resources: entries.map((e) => auditEvent(dmpId, e)), nextCursor };
};

/** Every page of a paged read, for the whole export. */
const allPages = async (read: (cursor: string | undefined) => Promise<{ resources: Resource[]; nextCursor: string | null }>): Promise<Resource[]> => {
  const out: Resource[] = [];
  let cursor: string | undefined;
  for (;;) {
    const page = await read(cursor);
    out.push(...page.resources);
    if (page.nextCursor === null) return out;
    cursor = page.nextCursor;
  }
};

const EXPORT_PAGE = 100;

/**
 * Everything of the above the caller may see of a record, for the Patient's $everything: the
 * record opened as a whole (decideRecordRead: refused, the answer is the refusal), then each kind
 * decided by its own rule; a kind refused is left out, a kind read is traced as its /v1 read is
 * (one trace a kind, in its mode). The kinds are read side by side, each whole.
 */
export const readClinicalResources = async (deps: FhirHealthDeps, call: Call, dmpId: string): Promise<Resource[]> => {
  const masked = deps.claims.masked(dmpId);
  masked.catch(() => undefined);
  const opened = await accessRecord(deps, call, dmpId, ({ record, standing }, now) => decideRecordRead(call.actor, record, standing, now));
  const now = deps.clock.now();
  const key = await opened.key();
  const maskedToProfessionals = await masked;
  const allows = (decide: Decide) => decide(opened, now);
  const decided = {
    profile: allows(healthDecision(call, deps, 'profile')),
    wishes: allows(healthDecision(call, deps, 'wishes')),
    vaccinations: allows(healthDecision(call, deps, 'vaccinations')),
    measurements: allows(healthDecision(call, deps, 'measurements')),
    claims: allows(claimsDecision(call, deps, maskedToProfessionals)),
    log: decideAccessLogRead(call.actor, opened.record, opened.standing, now),
  };
  const [health, vaccinations, measurements, dispenses, audit] = await Promise.all([
    decided.profile.allow || decided.wishes.allow ? readHealthData(deps, dmpId, key) : undefined,
    decided.vaccinations.allow ? vaccinationResources(deps, call, opened, maskedToProfessionals) : undefined,
    decided.measurements.allow ? allPages((cursor) => measurementPage(deps, call.actor, key, { cursor, limit: EXPORT_PAGE })) : undefined,
    decided.claims.allow ? allPages((cursor) => dispensePage(deps, call.actor, key, { cursor, limit: EXPORT_PAGE, now })) : undefined,
    decided.log.allow ? allPages((cursor) => auditPage(deps, call.actor, dmpId, decided.log.allow ? decided.log.scope : 'own', { cursor, limit: EXPORT_PAGE })) : undefined,
  ]);
  // No access without its trace: each kind read is traced before anything is returned. The first
  // trace records a professional's first access (and tells the patient); the others are plain.
  const reads: [Parameters<typeof traceRead>[3], Decision][] = [
    ['profile.read', decided.profile],
    ['wishes.read', decided.wishes],
    ['vaccinations.read', decided.vaccinations],
    ['measurements.read', decided.measurements],
    ['claims.read', decided.claims],
  ];
  const traced = reads.flatMap(([action, d]) => (d.allow ? [{ action, mode: d.mode }] : []));
  const [first, ...others] = traced;
  if (first) await traceRead(deps, call, dmpId, first.action, { mode: first.mode }, opened);
  await Promise.all([
    ...others.map((t) => traceRead(deps, call, dmpId, t.action, { mode: t.mode })),
    ...(decided.log.allow && decided.log.scope === 'all' && call.actor.kind === 'professional' ? [traceRead(deps, call, dmpId, 'access-log.read', { mode: 'normal' })] : []),
  ]);
  const profile = health && decided.profile.allow ? profileResources(call.actor, dmpId, health) : undefined;
  return [
    ...(profile ? [...profile.allergies, ...profile.conditions] : []),
    ...(health && decided.wishes.allow ? consentResources(dmpId, health.wishes) : []),
    ...(vaccinations ? [...vaccinations.immunizations(), ...vaccinations.recommendations()] : []),
    ...(measurements ?? []),
    ...(dispenses ?? []),
    ...(audit ?? []),
  ];
};

/**
 * The patient's health profile and advance directives: read and written under the access policy
 * (decideHealthRead, decideHealthWrite), every read and write traced, the items sealed with the
 * record's data key. The profile is written on the version that was read (If-Match / ETag): a
 * conditional put in the same transaction as its trace, so two writers never overwrite each other.
 */
import { decideHealthRead, decideHealthWrite, HEALTH_KINDS, type HealthKind } from '#domain/access-policy';
import type { Actor } from '#domain/actor';
import { isoDate } from '#domain/dates';
import { ConditionsRefused, refuse } from '#domain/errors';
import type { Write } from '#domain/ports';
import { openRecord } from '#adapters/record-sealing';
import { defineCapability, type Call, type HandlerOf } from '#http/define-capability';
import { HttpProblem } from '#platform/problem';
import { accessRecord, guardRefused, traceRead, traceWrite, type RecordAccess, type Subject } from '../common.ts';
import { withHealth, type HealthDeps } from './deps.ts';
import { HEALTH, type HEALTH_ROUTES } from './routes.ts';
import { daysOutOfRange, EMPTY_PROFILE, mergeProfile, newEntryId, profileDays, type HealthWishes, type Writer } from './rules.ts';
import { DIRECTIVES_DOCUMENT, PROFILE_VERSION } from './store.ts';
import { etagOf, profileView, wishesView } from './views.ts';

type Handler<Id extends (typeof HEALTH_ROUTES)[number]['id']> = HandlerOf<typeof HEALTH_ROUTES, Id, HealthDeps>;

const reading = (call: Call, deps: HealthDeps, kind: HealthKind) => (s: Subject, now: Date) => decideHealthRead(call.actor, s.record, s.standing, kind, now, deps.matrix);
const writing = (call: Call, deps: HealthDeps, kind: HealthKind) => (s: Subject, now: Date) => decideHealthWrite(call.actor, s.record, s.standing, kind, now, deps.matrix);

/** The caller as the author of what it writes (the policy lets only holders and professionals write a profile). */
const writerOf = (actor: Actor): Writer => {
  switch (actor.kind) {
    case 'patient':
      return { source: 'patient', id: actor.dmpId };
    case 'representative':
      return { source: 'representative', id: actor.loginId };
    case 'professional':
      return { source: 'professional', id: actor.id, profession: actor.profession };
    default:
      throw new Error(`a ${actor.kind} was let write health data`);
  }
};

/**
 * Commits a write under the guards of its decision: a closure or a block that landed first gets
 * the policy's answer on the facts as they are now; a refused condition of the write itself is
 * answered by `refused` (its label tells which); anything else means the state changed meanwhile.
 */
const commitWrite = async (
  deps: HealthDeps,
  opened: RecordAccess,
  writes: Write[],
  decide: (s: Subject, now: Date) => ReturnType<typeof decideHealthWrite>,
  refused: (labels: ReadonlySet<string>) => void,
) => {
  try {
    await deps.transactions.commit([...writes, ...opened.guards()]);
  } catch (error) {
    if (!(error instanceof ConditionsRefused)) throw error;
    if (guardRefused(error)) await opened.redecide(decide);
    refused(error.labels);
    refuse('conflict', 'state-changed', 'The record changed meanwhile: retry.');
  }
};

const STALE = () => new HttpProblem(412, 'The profile changed since this version was read: read it again (GET), then send the change on its new ETag.', { code: 'stale-version' });

/** Whether an If-Match header names this version: one entity tag, compared strongly (a weak tag never matches). */
const names = (ifMatch: string, version: number): boolean => ifMatch.trim() === etagOf(version);

const readHealthProfile: Handler<'readHealthProfile'> = async (call, deps) => {
  const { dmpId } = call.params;
  // Read beside the record; nothing of it is used unless the read is allowed.
  const stored = deps.health.profile(dmpId);
  stored.catch(() => undefined);
  const opened = await accessRecord(deps, call, dmpId, reading(call, deps, 'profile'), { action: 'profile.read' });
  const { version, sealed } = await stored;
  const profile = sealed ? deps.health.openProfile(await opened.key(), sealed) : EMPTY_PROFILE;
  // No access without its trace: written before anything is returned.
  await traceRead(deps, call, dmpId, 'profile.read', { mode: opened.decision.mode }, opened);
  return { status: 200, body: profileView(call.actor, profile, version), headers: { ETag: etagOf(version) } };
};

const writeHealthProfile: Handler<'writeHealthProfile'> = async (call, deps) => {
  const { dmpId } = call.params;
  const decide = writing(call, deps, 'profile');
  const stored = deps.health.profile(dmpId);
  stored.catch(() => undefined);
  const opened = await accessRecord(deps, call, dmpId, decide, { action: 'profile.update' });
  if (call.ifMatch === undefined) {
    throw new HttpProblem(428, 'Send the ETag of the profile as read (GET) in If-Match: the change is made on that version.', { code: 'if-match-required' });
  }
  const current = await stored;
  if (!names(call.ifMatch, current.version)) throw STALE();

  const key = await opened.key();
  const now = deps.clock.now();
  const { identity } = openRecord(key, opened.record);
  const days = daysOutOfRange(profileDays(call.body), identity.birthDate, isoDate(now));
  if (days.length > 0) throw new HttpProblem(422, 'A day is in the future or before the birth date.', { code: 'day-out-of-range', errors: days });

  const before = current.sealed ? deps.health.openProfile(key, current.sealed) : EMPTY_PROFILE;
  const merged = mergeProfile(before, call.body, writerOf(call.actor), now.toISOString(), () => newEntryId((n) => deps.random.bytes(n)));
  if (!merged.ok) {
    throw merged.refusal === 'invalid'
      ? new HttpProblem(422, 'An entry’s id is not one of its list.', { code: 'unknown-entry', errors: merged.errors })
      : new HttpProblem(403, 'A professional adds entries and changes or removes only those it recorded itself; everything else comes back as it is.', {
          code: 'not-your-entry',
          errors: merged.errors,
        });
  }
  await commitWrite(
    deps,
    opened,
    [deps.health.profileWrite(key, merged.profile, current.version), traceWrite(deps, call, dmpId, 'profile.update', now, { mode: opened.decision.mode })],
    decide,
    (labels) => {
      if (labels.has(PROFILE_VERSION)) throw STALE();
    },
  );
  const version = current.version + 1;
  return { status: 200, body: profileView(call.actor, merged.profile, version), headers: { ETag: etagOf(version) } };
};

const readWishes: Handler<'readWishes'> = async (call, deps) => {
  const { dmpId } = call.params;
  const stored = deps.health.wishes(dmpId);
  stored.catch(() => undefined);
  const opened = await accessRecord(deps, call, dmpId, reading(call, deps, 'wishes'), { action: 'wishes.read' });
  const sealed = await stored;
  const wishes = sealed ? deps.health.openWishes(await opened.key(), sealed) : undefined;
  await traceRead(deps, call, dmpId, 'wishes.read', { mode: opened.decision.mode }, opened);
  return { status: 200, body: wishesView(wishes) };
};

const NOT_A_DIRECTIVES_DOCUMENT = {
  path: 'body.advanceDirectives.documentId',
  message: `not a current document of type ${HEALTH_KINDS.wishes.typeCode} of this record`,
};

const writeWishes: Handler<'writeWishes'> = async (call, deps) => {
  const { dmpId } = call.params;
  const decide = writing(call, deps, 'wishes');
  const opened = await accessRecord(deps, call, dmpId, decide, { action: 'wishes.update' });
  const key = await opened.key();
  const now = deps.clock.now();
  const { identity } = openRecord(key, opened.record);
  const { advanceDirectives, trustedPerson } = call.body;
  const days = daysOutOfRange([['body.advanceDirectives.writtenOn', advanceDirectives.writtenOn]], identity.birthDate, isoDate(now));
  if (days.length > 0) throw new HttpProblem(422, 'A day is in the future or before the birth date.', { code: 'day-out-of-range', errors: days });

  const documentId = advanceDirectives.documentId;
  const notADocument = () =>
    new HttpProblem(422, 'The document named is not advance directives of this record.', { code: 'not-a-directives-document', errors: [NOT_A_DIRECTIVES_DOCUMENT] });
  if (documentId !== undefined) {
    const doc = await deps.health.document(key, documentId);
    if (!doc || doc.typeCode !== HEALTH_KINDS.wishes.typeCode || !doc.current || !doc.shownToPatient) throw notADocument();
  }
  const wishes: HealthWishes = {
    advanceDirectives: {
      exist: advanceDirectives.exist,
      ...(advanceDirectives.writtenOn !== undefined ? { writtenOn: advanceDirectives.writtenOn } : {}),
      ...(advanceDirectives.originalKeptAt !== undefined ? { originalKeptAt: advanceDirectives.originalKeptAt } : {}),
      ...(documentId !== undefined ? { documentId } : {}),
    },
    ...(trustedPerson ? { trustedPerson } : {}),
    source: 'patient',
    author: { id: dmpId },
    recordedAt: now.toISOString(),
  };
  await commitWrite(
    deps,
    opened,
    [
      deps.health.wishesWrite(key, wishes),
      traceWrite(deps, call, dmpId, 'wishes.update', now),
      // The document is still current and shown to the patient as the wishes are written.
      ...(documentId !== undefined ? [deps.health.documentCheck(dmpId, documentId)] : []),
    ],
    decide,
    (labels) => {
      if (labels.has(DIRECTIVES_DOCUMENT)) throw notADocument();
    },
  );
  return { status: 200, body: wishesView(wishes) };
};

export const capability = defineCapability<HealthDeps>()(HEALTH, { readHealthProfile, writeHealthProfile, readWishes, writeWishes }, withHealth);

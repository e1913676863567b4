/**
 * The vaccination record's use cases: recording a vaccination (the vaccinator, or the record's
 * holders declaring one), the list (recorded vaccinations and the history's deliveries, without
 * duplicates) and what is due. Every decision is the access policy's (decideHealthWrite and
 * decideHealthRead for the vaccination record, decideClaimsRead for what of the history shows);
 * every action is traced, a read before anything is returned.
 */
import { decideHealthRead, decideHealthWrite } from '#domain/access-policy';
import { actorRef, type Actor } from '#domain/actor';
import { isoDate } from '#domain/dates';
import { ConditionsRefused, refuse } from '#domain/errors';
import { newEventId } from '#domain/identifiers';
import type { DataKey } from '#domain/ports';
import { dueItems, dueStatus, type Dose } from '#domain/vaccinations/due';
import { checkDates, newestFirst, type Author, type RecordedVaccination } from '#domain/vaccinations/entries';
import { openRecord } from '#adapters/record-sealing';
import { canonicalJson } from '#http/canonical';
import { defineCapability, type Call, type HandlerOf } from '#http/define-capability';
import { HttpProblem } from '#platform/problem';
import { accessRecord, guardRefused, replayed, traceRead, traceWrite, type Subject } from '../common.ts';
import { vaccinationView as view } from './views.ts';
import { withVaccinations, type VaccinationDeps } from './deps.ts';
import { claimsPart, readVaccinations, type ClaimsPart } from './reader.ts';
import { VACCINATIONS, type VACCINATIONS_ROUTES } from './routes.ts';

type Handler<Id extends (typeof VACCINATIONS_ROUTES)[number]['id']> = HandlerOf<typeof VACCINATIONS_ROUTES, Id, VaccinationDeps>;

/** A field the request may not carry, or must, for this caller: a 400 naming it, before anything is read. */
const fieldProblem = (path: string, message: string): never => {
  throw new HttpProblem(400, 'The body does not match the contract.', { errors: [{ path, message }] });
};

const authorOf = (actor: Actor): { source: RecordedVaccination['source']; author: Author } => {
  if (actor.kind === 'professional') return { source: 'professional', author: { kind: 'professional', id: actor.id, profession: actor.profession } };
  if (actor.kind === 'patient') return { source: 'patient', author: { kind: 'patient', id: actor.dmpId } };
  if (actor.kind === 'representative') return { source: 'representative', author: { kind: 'representative', id: actor.loginId } };
  throw new Error('only professionals and record holders record vaccinations');
};

const recordVaccination: Handler<'recordVaccination'> = async (call, deps) => {
  const { dmpId } = call.params;
  const body = call.body;
  const actor = call.actor;
  if (actor.kind === 'professional') {
    if (body.vaccinator !== undefined) fieldProblem('body.vaccinator', 'a professional records its own vaccinations: the vaccinator is the one its token names');
    if (body.lotNumber === undefined) fieldProblem('body.lotNumber', 'required when a professional records a vaccination');
  }
  const decide = ({ record, standing }: Subject, now: Date) => decideHealthWrite(actor, record, standing, 'vaccinations', now, deps.matrix);
  const opened = await accessRecord(deps, call, dmpId, decide, { action: 'vaccinations.record' });
  const now = deps.clock.now();
  const key = await opened.key();
  const faults = checkDates(body, { today: isoDate(now), birthDate: openRecord(key, opened.record).identity.birthDate });
  if (faults.length > 0) throw new HttpProblem(422, 'The vaccination’s dates break a rule.', { errors: faults });

  const scope = `${actorRef(actor)}:${dmpId}`;
  const idem = call.idempotencyKey ? { key: call.idempotencyKey, hash: await deps.hasher.hash('idempotency', canonicalJson(['recordVaccination', scope, body])) } : undefined;
  if (idem) {
    const replay = await replayed(deps, scope, idem.key, idem.hash);
    if (replay) return replay;
  }

  const entry: RecordedVaccination = {
    id: newEventId((n) => deps.random.bytes(n)),
    date: body.date,
    vaccine: body.vaccine,
    doseNumber: body.doseNumber,
    ...(body.lotNumber !== undefined ? { lotNumber: body.lotNumber } : {}),
    ...(actor.kind === 'professional'
      ? { vaccinator: { kind: 'professional' as const, id: actor.id, profession: actor.profession } }
      : body.vaccinator !== undefined
        ? { vaccinator: { kind: 'declared' as const, name: body.vaccinator } }
        : {}),
    ...(body.nextBoosterDate !== undefined ? { nextBoosterDate: body.nextBoosterDate } : {}),
    ...authorOf(actor),
    recordedAt: now.toISOString(),
  };
  const response = view(actor)({ ...entry, dateKind: 'administration' });
  try {
    await deps.transactions.commit([
      deps.vaccinations.entryWrite(key, entry),
      // The reminders' next run works the record's due dates out again.
      deps.vaccinations.enqueueWrite(dmpId, now),
      traceWrite(deps, call, dmpId, 'vaccinations.record', now, { mode: opened.decision.mode }),
      ...(idem ? [deps.idempotency.put(scope, idem.key, idem.hash, key, { status: 201, body: response }, now)] : []),
      // Committed only if the record is still active and the professional not blocked.
      ...opened.guards(),
    ]);
  } catch (error) {
    if (!(error instanceof ConditionsRefused)) throw error;
    if (idem && error.labels.has('idempotency')) {
      const replay = await replayed(deps, scope, idem.key, idem.hash);
      if (replay) return replay;
    }
    if (guardRefused(error)) await opened.redecide(decide);
    refuse('conflict', 'state-changed', 'The record changed meanwhile: retry.');
  }
  return { status: 201, body: response };
};

/**
 * The record opened for a read of its vaccinations (decideHealthRead), with the part of the
 * history's lines the caller sees (claimsPart: the patient's mask of the history is read beside
 * the record).
 */
const openForRead = async (call: Call & { params: { dmpId: string } }, deps: VaccinationDeps, action: 'vaccinations.read' | 'vaccinations.due') => {
  const { dmpId } = call.params;
  const masked = deps.claims.masked(dmpId);
  masked.catch(() => undefined);
  const opened = await accessRecord(
    deps,
    call,
    dmpId,
    ({ record, standing }: Subject, at: Date) => decideHealthRead(call.actor, record, standing, 'vaccinations', at, deps.matrix),
    {
      action,
    },
  );
  const now = deps.clock.now();
  const part: ClaimsPart = claimsPart(call.actor, opened, await masked, now, deps.matrix);
  const key: DataKey = await opened.key();
  const entries = await readVaccinations(deps, dmpId, key, { now, claims: part });
  return { opened, key, now, part, entries };
};

const DEFAULT_LIMIT = 50;

const listVaccinations: Handler<'listVaccinations'> = async (call, deps) => {
  const { dmpId } = call.params;
  const after = call.query.cursor === undefined ? undefined : deps.vaccinations.position(call.query.cursor);
  const limit = call.query.limit ? Number(call.query.limit) : DEFAULT_LIMIT;
  const { opened, part, entries } = await openForRead(call, deps, 'vaccinations.read');
  const following = after ? entries.filter((e) => newestFirst(e, after) > 0) : entries;
  const page = following.slice(0, limit);
  const last = page.at(-1);
  // No access without its trace: written before anything is returned.
  await traceRead(deps, call, dmpId, 'vaccinations.read', { mode: opened.decision.mode }, opened);
  return {
    status: 200,
    body: { items: page.map(view(call.actor)), nextCursor: following.length > limit && last ? deps.vaccinations.cursorAt(last) : null, claimsIncluded: part !== 'none' },
  };
};

const readDueVaccinations: Handler<'readDueVaccinations'> = async (call, deps) => {
  const { dmpId } = call.params;
  const { opened, key, now, part, entries } = await openForRead(call, deps, 'vaccinations.due');
  const today = isoDate(now);
  const doses: Dose[] = entries.map((e) => ({
    id: e.id,
    date: e.date,
    vaccine: e.vaccine,
    ...(e.source !== 'claims' && e.nextBoosterDate ? { nextBoosterDate: e.nextBoosterDate } : {}),
  }));
  const items = dueItems({ birthDate: openRecord(key, opened.record).identity.birthDate, doses, today });
  await traceRead(deps, call, dmpId, 'vaccinations.due', { mode: opened.decision.mode }, opened);
  return {
    status: 200,
    body: {
      items: items.map((i) => ({
        id: i.id,
        kind: i.kind,
        ...(i.boosterId !== undefined ? { boosterId: i.boosterId } : {}),
        display: i.display,
        dueDate: i.dueDate,
        window: i.window,
        status: dueStatus(i, today),
        ...(i.vaccinationId !== undefined ? { vaccinationId: i.vaccinationId } : {}),
      })),
      claimsIncluded: part !== 'none',
    },
  };
};

export const capability = defineCapability<VaccinationDeps>()(VACCINATIONS, { recordVaccination, listVaccinations, readDueVaccinations }, withVaccinations);

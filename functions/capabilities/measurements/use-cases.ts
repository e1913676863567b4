/**
 * Connected devices and measurements: the record's holders pair a device (its credential, shown
 * once, writes measurements to this record and nothing else), list and revoke them; a device or a
 * holder records a batch of measurements, checked whole before anything is stored, each stored
 * once whatever the retries; the holders and the professionals the matrix lets read patient data
 * read the series. Every decision is the access policy's (through accessRecord), every action
 * and read is traced.
 */
import { decideDevicePairing, decideHealthRead, decideHealthWrite, decideHolderAction } from '#domain/access-policy';
import type { Actor } from '#domain/actor';
import { ConditionsRefused, refuse } from '#domain/errors';
import { checkMeasurements, MEASUREMENT_CODES, measurementDefinition, type FieldFault, type MeasurementSource, type RecordedMeasurement } from '#domain/measurements';
import { traceActor } from '#domain/trace';
import { openRecord } from '#adapters/record-sealing';
import { defineCapability, type HandlerOf } from '#http/define-capability';
import { HttpProblem } from '#platform/problem';
import { accessRecord, authorShownTo, commitGuarded, eventId, traceRead, traceWrite, type Subject } from '../common.ts';
import { withMeasurements, type MeasurementsDeps } from './deps.ts';
import type { DeviceView } from './device-store.ts';
import { MEASUREMENTS, type MEASUREMENTS_ROUTES } from './routes.ts';

type Handler<Id extends (typeof MEASUREMENTS_ROUTES)[number]['id']> = HandlerOf<typeof MEASUREMENTS_ROUTES, Id, MeasurementsDeps>;

/** Devices a record may have that are not revoked: pairing more is refused until one is revoked. */
const MAX_ACTIVE_DEVICES = 20;

/** A holder of the record, as a device's pairing and a measurement's author name them. */
const holderOf = (actor: Actor): DeviceView['pairedBy'] => {
  if (actor.kind === 'patient') return { kind: 'patient', id: actor.dmpId };
  if (actor.kind === 'representative') return { kind: 'representative', id: actor.loginId };
  throw new Error('only the record’s holders act on its devices');
};

const pairDevice: Handler<'pairDevice'> = async (call, deps) => {
  const { dmpId } = call.params;
  const decide = ({ record }: Subject) => decideDevicePairing(call.actor, record);
  const opened = await accessRecord(deps, call, dmpId, decide, { action: 'device.pair' });
  const key = await opened.key();
  const active = (await deps.pairedDevices.list(key)).filter((d) => d.revokedAt === undefined);
  if (active.length >= MAX_ACTIVE_DEVICES) refuse('conflict', 'too-many-devices', `A record has at most ${MAX_ACTIVE_DEVICES} devices not revoked: revoke one first.`);
  const now = deps.clock.now();
  const issued = deps.devices.issue(dmpId, (n) => deps.random.bytes(n));
  const name = call.body.name;
  await commitGuarded(
    deps,
    opened,
    [deps.pairedDevices.pairWrite(key, issued.deviceId, issued.hash, { name, pairedBy: holderOf(call.actor) }, now), traceWrite(deps, call, dmpId, 'device.pair', now)],
    decide,
    'The record changed meanwhile: retry.',
  );
  return { status: 201, body: { deviceId: issued.deviceId, name, pairedAt: now.toISOString(), credential: issued.credential } };
};

const listDevices: Handler<'listDevices'> = async (call, deps) => {
  const { dmpId } = call.params;
  const opened = await accessRecord(deps, call, dmpId, ({ record }: Subject) => decideHolderAction(call.actor, record), { action: 'device.list' });
  const devices = await deps.pairedDevices.list(await opened.key());
  // No access without its trace: written before anything is returned.
  await traceRead(deps, call, dmpId, 'device.list', { mode: opened.decision.mode }, opened);
  return { status: 200, body: { items: devices } };
};

const revokeDevice: Handler<'revokeDevice'> = async (call, deps) => {
  const { dmpId, deviceId } = call.params;
  await accessRecord(deps, call, dmpId, ({ record }: Subject) => decideHolderAction(call.actor, record), { action: 'device.revoke' });
  const now = deps.clock.now();
  try {
    await deps.transactions.commit([deps.pairedDevices.revokeWrite(dmpId, deviceId, now), traceWrite(deps, call, dmpId, 'device.revoke', now)]);
  } catch (error) {
    if (error instanceof ConditionsRefused && error.labels.has('device')) throw new HttpProblem(404, 'No such device on this record.');
    throw error;
  }
  return { status: 204 };
};

/** Who entered the measurements of a request, as each of them keeps it. */
const sourceOf = (actor: Actor): { source: MeasurementSource; author: RecordedMeasurement['author'] } => {
  if (actor.kind === 'device') return { source: 'device', author: { kind: 'device', id: actor.id } };
  const holder = holderOf(actor);
  return { source: holder.kind, author: holder };
};

const recordMeasurements: Handler<'recordMeasurements'> = async (call, deps) => {
  const { dmpId } = call.params;
  const actor = call.actor;
  const decide = ({ record, standing }: Subject, now: Date) => decideHealthWrite(actor, record, standing, 'measurements', now, deps.matrix);
  const opened = await accessRecord(deps, call, dmpId, decide, { action: 'measurements.write' });
  const key = await opened.key();
  const now = deps.clock.now();

  // Every measurement is checked before anything is stored: one fault, and none of the batch is.
  const checked = checkMeasurements(call.body.measurements, { now, birthDate: openRecord(key, opened.record).identity.birthDate });
  const faults: FieldFault[] = checked.ok ? [] : checked.faults;
  const measurements = checked.ok ? checked.measurements : [];
  // The device a measurement names: a device names itself only; a holder, a device paired with this record.
  if (actor.kind === 'device') {
    measurements.forEach((m, i) => {
      if (m.deviceId !== undefined && m.deviceId !== actor.id) faults.push({ path: `measurements[${i}].deviceId`, reason: 'a device records its own measurements only' });
    });
  } else {
    const named = [...new Set(measurements.flatMap((m) => (m.deviceId ? [m.deviceId] : [])))];
    const paired = await deps.pairedDevices.known(dmpId, named);
    measurements.forEach((m, i) => {
      if (m.deviceId !== undefined && !paired.has(m.deviceId)) faults.push({ path: `measurements[${i}].deviceId`, reason: 'not a device paired with this record' });
    });
  }
  if (faults.length > 0) {
    throw new HttpProblem(422, 'Some measurements are not valid: nothing of the batch was stored.', {
      code: 'invalid-measurements',
      errors: faults.map((f) => ({ path: f.path, message: f.reason })),
    });
  }

  // Each measurement on its deterministic key; the same key twice in the batch, or stored already, is a duplicate.
  const { source, author } = sourceOf(actor);
  const recordedAt = now.toISOString();
  const bySk = new Map<string, RecordedMeasurement>();
  for (const m of measurements) {
    const measured = actor.kind === 'device' ? { ...m, deviceId: actor.id } : m;
    const sk = deps.measurements.sk(key, measured);
    if (!bySk.has(sk)) bySk.set(sk, { ...measured, source, author, recordedAt });
  }
  const existing = await deps.measurements.existing(dmpId, [...bySk.keys()]);
  const fresh = [...bySk].filter(([sk]) => !existing.has(sk)).map(([sk, measurement]) => ({ sk, measurement }));
  // The puts (BatchWriteItem) cannot share a transaction with the trace, nor carry the record's
  // guard: a closure that lands during the request lets this batch in, as it would a batch a
  // moment earlier. The trace is written beside them; a failure of either fails the request, and
  // sending the batch again stores what is missing and nothing twice.
  await Promise.all([
    deps.measurements.put(key, fresh),
    deps.traces.append(
      dmpId,
      { actor: traceActor(actor), action: 'measurements.write', mode: opened.decision.mode, outcome: 'allowed', requestId: call.requestId },
      now,
      eventId(deps),
    ),
  ]);
  return { status: 200, body: { stored: fresh.length, duplicate: measurements.length - fresh.length } };
};

/** A query bound as the store reads it: an instant in UTC to the millisecond (a day: its first or last millisecond). */
const boundOf = (value: string | undefined, end: 'start' | 'end', name: string): string | undefined => {
  if (value === undefined) return undefined;
  const instant = /^[0-9]{4}-[0-9]{2}-[0-9]{2}$/.test(value) ? `${value}T${end === 'start' ? '00:00:00.000' : '23:59:59.999'}Z` : value;
  const t = Date.parse(instant);
  if (Number.isNaN(t)) throw new HttpProblem(400, 'The query does not match the contract.', { errors: [{ path: `query.${name}`, message: 'not an instant or a day' }] });
  const iso = new Date(t).toISOString();
  // An offset can carry an instant beyond the years 0000-9999: it bounds nothing then.
  return iso.startsWith('-') ? '0000' : iso.startsWith('+') ? '9999' : iso;
};

const view =
  (reader: Actor) =>
  ({ measurementId, measurement: m }: { measurementId: string; measurement: RecordedMeasurement }) => {
    const definition = measurementDefinition(m.code);
    return {
      measurementId,
      code: m.code,
      display: definition?.display ?? m.code,
      unit: m.unit,
      ...(m.value !== undefined ? { value: m.value } : {}),
      ...(m.components
        ? { components: m.components.map((c) => ({ code: c.code, display: definition?.components?.find((d) => d.code === c.code)?.display ?? c.code, value: c.value })) }
        : {}),
      effectiveAt: m.effectiveAt,
      source: m.source,
      author: authorShownTo(reader, m.author),
      ...(m.deviceId !== undefined ? { deviceId: m.deviceId } : {}),
      recordedAt: m.recordedAt,
    };
  };

const listMeasurements: Handler<'listMeasurements'> = async (call, deps) => {
  const { dmpId } = call.params;
  const query = call.query;
  const limit = query.limit ? Number(query.limit) : 50;
  const from = boundOf(query.from, 'start', 'from');
  const to = boundOf(query.to, 'end', 'to');
  const decide = ({ record, standing }: Subject, now: Date) => decideHealthRead(call.actor, record, standing, 'measurements', now, deps.matrix);
  const opened = await accessRecord(deps, call, dmpId, decide, { action: 'measurements.read' });
  const page = await deps.measurements.page(await opened.key(), { codes: query.code ? [query.code] : MEASUREMENT_CODES, from, to, cursor: query.cursor, limit });
  // No access without its trace: written before anything is returned.
  await traceRead(deps, call, dmpId, 'measurements.read', { mode: opened.decision.mode }, opened);
  return { status: 200, body: { items: page.items.map(view(call.actor)), nextCursor: page.nextCursor } };
};

export const capability = defineCapability<MeasurementsDeps>()(MEASUREMENTS, { pairDevice, listDevices, revokeDevice, recordMeasurements, listMeasurements }, withMeasurements);

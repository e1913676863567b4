/**
 * The measurements capability's decisions as a table, route by route: who each route admits (the
 * manifest), then the access policy's answer for each caller and situation, written by hand
 * (`allow:<mode>` or `<answer>:<code>`). Then the checks a measurement passes before its batch is
 * stored, each fault named by its field path.
 */
import { describe, expect, it } from 'vitest';
import { MEASUREMENTS_ROUTES } from '../../functions/capabilities/measurements/routes.ts';
import {
  decideDevicePairing,
  decideHealthRead,
  decideHealthWrite,
  decideHolderAction,
  type Decision,
  type RecordFacts,
  type Standing,
} from '../../functions/domain/access-policy.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { checkMeasurement, checkMeasurements, isDeviceCredential, MEASUREMENT_CODES, parseInstant } from '../../functions/domain/measurements.ts';
import { defaultAccessMatrix } from '../../functions/domain/reference-data.ts';

const NOW = new Date('2026-11-23T10:00:00Z');
const HOUR = 3600_000;
const at = (offsetMs: number): string => new Date(NOW.getTime() + offsetMs).toISOString();

const DMP = 'rec-00001';
const active: RecordFacts = { dmpId: DMP, status: 'active', emergencyAccess: { breakGlass: true, regulation: true } };
const closed: RecordFacts = { ...active, status: 'closed' };
const opposing: RecordFacts = { ...active, emergencyAccess: { breakGlass: false, regulation: false } };

const patient: Actor = { kind: 'patient', dmpId: DMP, loginId: '12345678901' };
const otherPatient: Actor = { kind: 'patient', dmpId: 'rec-00002', loginId: '12345678902' };
const representative: Actor = { kind: 'representative', dmpId: DMP, loginId: '12345678903' };
const device: Actor = { kind: 'device', id: 'abcdefghijklmnopqrst', dmpId: DMP };
const otherDevice: Actor = { kind: 'device', id: 'bcdefghijklmnopqrstu', dmpId: 'rec-00002' };
const doctor: Actor = { kind: 'professional', id: '810000000001', profession: '10' };
const pharmacist: Actor = { kind: 'professional', id: '810000000002', profession: '21' };
const dietician: Actor = { kind: 'professional', id: '810000000003', profession: '26' };
const regulator: Actor = { kind: 'professional', id: '810000000004', profession: '10', role: 'regulator' };
const agent: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };
const insurer: Actor = { kind: 'insurer', id: 'cnam-claims-sync' };
const anonymous: Actor = { kind: 'anonymous' };

const none: Standing = {};
const authorized: Standing = { relation: { status: 'authorized', attendingPhysician: false } };
const expired: Standing = { relation: { status: 'authorized', attendingPhysician: false, expiresAt: at(-HOUR) } };
const blocked: Standing = { relation: { status: 'blocked', attendingPhysician: false } };
const breakGlass: Standing = { emergency: { mode: 'break-glass', until: at(HOUR) } };
const lapsedBreakGlass: Standing = { emergency: { mode: 'break-glass', until: at(-HOUR) } };
const regulation: Standing = { emergency: { mode: 'regulation', until: at(HOUR) } };

const outcome = (d: Decision): string => (d.allow ? `allow:${d.mode}` : `${d.answer}:${d.code}`);

describe('who each route admits (the manifest: any other caller kind is 403 before the policy)', () => {
  it.each([
    ['pairDevice', ['patient', 'representative']],
    ['listDevices', ['patient', 'representative']],
    ['revokeDevice', ['patient', 'representative']],
    ['recordMeasurements', ['device', 'patient', 'representative']],
    ['listMeasurements', ['patient', 'representative', 'professional']],
  ])('%s → %j', (id, callers) => {
    expect([...(MEASUREMENTS_ROUTES.find((r) => r.id === id)?.callers ?? [])].sort()).toEqual([...callers].sort());
  });
  it('admits devices on one route only: POST …/measurements', () => {
    expect(MEASUREMENTS_ROUTES.filter((r) => (r.callers as readonly string[]).includes('device')).map((r) => r.id)).toEqual(['recordMeasurements']);
  });
});

describe('pairDevice: decideDevicePairing', () => {
  it.each([
    { name: 'the patient, active record', actor: patient, record: active, expected: 'allow:normal' },
    { name: 'a representative, active record', actor: representative, record: active, expected: 'allow:normal' },
    { name: 'the patient, closed record', actor: patient, record: closed, expected: 'conflict:record-closed' },
    { name: 'another record’s patient', actor: otherPatient, record: active, expected: 'not-found:not-found' },
    { name: 'a device of the record', actor: device, record: active, expected: 'not-found:not-found' },
    { name: 'a professional', actor: doctor, record: active, expected: 'not-found:not-found' },
    { name: 'an agent', actor: agent, record: active, expected: 'not-found:not-found' },
    { name: 'the insurer', actor: insurer, record: active, expected: 'not-found:not-found' },
    { name: 'anonymous', actor: anonymous, record: active, expected: 'not-found:not-found' },
  ])('$name → $expected', ({ actor, record, expected }) => {
    expect(outcome(decideDevicePairing(actor, record))).toBe(expected);
  });
});

describe('listDevices and revokeDevice: decideHolderAction (revoking needs no open record)', () => {
  it.each([
    { name: 'the patient, active record', actor: patient, record: active, expected: 'allow:normal' },
    { name: 'the patient, closed record', actor: patient, record: closed, expected: 'allow:normal' },
    { name: 'a representative', actor: representative, record: active, expected: 'allow:normal' },
    { name: 'another record’s patient', actor: otherPatient, record: active, expected: 'not-found:not-found' },
    { name: 'a device of the record', actor: device, record: active, expected: 'not-found:not-found' },
    { name: 'a professional', actor: doctor, record: active, expected: 'not-found:not-found' },
    { name: 'an agent', actor: agent, record: active, expected: 'not-found:not-found' },
  ])('$name → $expected', ({ actor, record, expected }) => {
    expect(outcome(decideHolderAction(actor, record))).toBe(expected);
  });
});

describe('recordMeasurements: decideHealthWrite(…, measurements)', () => {
  it.each([
    { name: 'the patient, active record', actor: patient, record: active, standing: none, expected: 'allow:normal' },
    { name: 'a representative', actor: representative, record: active, standing: none, expected: 'allow:normal' },
    { name: 'the patient, closed record', actor: patient, record: closed, standing: none, expected: 'conflict:record-closed' },
    { name: 'another record’s patient', actor: otherPatient, record: active, standing: none, expected: 'not-found:not-found' },
    { name: 'a device paired with the record', actor: device, record: active, standing: none, expected: 'allow:normal' },
    { name: 'a device paired with another record', actor: otherDevice, record: active, standing: none, expected: 'forbidden:device-not-for-this-record' },
    { name: 'a device, closed record', actor: device, record: closed, standing: none, expected: 'conflict:record-closed' },
    { name: 'an authorised doctor', actor: doctor, record: active, standing: authorized, expected: 'forbidden:patient-writes' },
    { name: 'a blocked doctor', actor: doctor, record: active, standing: blocked, expected: 'forbidden:blocked' },
    { name: 'a doctor, closed record', actor: doctor, record: closed, standing: authorized, expected: 'not-found:not-found' },
    { name: 'an agent', actor: agent, record: active, standing: none, expected: 'forbidden:agents-do-not-write' },
    { name: 'the insurer', actor: insurer, record: active, standing: none, expected: 'forbidden:insurer-writes-only' },
    { name: 'anonymous', actor: anonymous, record: active, standing: none, expected: 'not-found:not-found' },
  ])('$name → $expected', ({ actor, record, standing, expected }) => {
    expect(outcome(decideHealthWrite(actor, record, standing, 'measurements', NOW, defaultAccessMatrix))).toBe(expected);
  });

  it.each(['profile', 'wishes', 'vaccinations'] as const)('a device writes no %s', (kind) => {
    expect(outcome(decideHealthWrite(device, active, none, kind, NOW, defaultAccessMatrix))).toBe('forbidden:device-writes-measurements-only');
  });
});

describe('listMeasurements: decideHealthRead(…, measurements), class 90 of the matrix', () => {
  it.each([
    { name: 'the patient', actor: patient, record: active, standing: none, expected: 'allow:normal' },
    { name: 'a representative', actor: representative, record: active, standing: none, expected: 'allow:normal' },
    { name: 'the patient, closed record', actor: patient, record: closed, standing: none, expected: 'allow:normal' },
    { name: 'another record’s patient', actor: otherPatient, record: active, standing: none, expected: 'not-found:not-found' },
    { name: 'an authorised doctor (10 reads class 90)', actor: doctor, record: active, standing: authorized, expected: 'allow:normal' },
    { name: 'an authorised pharmacist (21 reads class 90)', actor: pharmacist, record: active, standing: authorized, expected: 'allow:normal' },
    { name: 'an authorised dietician (26 does not)', actor: dietician, record: active, standing: authorized, expected: 'forbidden:profession-not-allowed' },
    { name: 'a doctor without authorization', actor: doctor, record: active, standing: none, expected: 'forbidden:no-authorization' },
    { name: 'a doctor whose authorization expired', actor: doctor, record: active, standing: expired, expected: 'forbidden:authorization-expired' },
    { name: 'a blocked doctor', actor: doctor, record: active, standing: blocked, expected: 'forbidden:blocked' },
    { name: 'a doctor, closed record', actor: doctor, record: closed, standing: authorized, expected: 'not-found:not-found' },
    { name: 'a doctor in break-glass', actor: doctor, record: active, standing: breakGlass, expected: 'allow:break-glass' },
    { name: 'a doctor in break-glass, lapsed', actor: doctor, record: active, standing: lapsedBreakGlass, expected: 'forbidden:no-authorization' },
    { name: 'a doctor in break-glass the patient opposed', actor: doctor, record: opposing, standing: breakGlass, expected: 'forbidden:no-authorization' },
    { name: 'a regulator in regulation', actor: regulator, record: active, standing: regulation, expected: 'allow:regulation' },
    { name: 'a device of the record', actor: device, record: active, standing: none, expected: 'forbidden:device-writes-measurements-only' },
    { name: 'an agent', actor: agent, record: active, standing: none, expected: 'forbidden:agents-do-not-read' },
    { name: 'the insurer', actor: insurer, record: active, standing: none, expected: 'forbidden:insurer-writes-only' },
    { name: 'anonymous', actor: anonymous, record: active, standing: none, expected: 'not-found:not-found' },
  ])('$name → $expected', ({ actor, record, standing, expected }) => {
    expect(outcome(decideHealthRead(actor, record, standing, 'measurements', NOW, defaultAccessMatrix))).toBe(expected);
  });
});

describe('a measurement’s checks', () => {
  const ctx = { now: NOW, birthDate: '1975-03-14' };
  const weight = (extra: Record<string, unknown> = {}) => ({ code: '29463-7', unit: 'kg', value: 72.5, effectiveAt: at(-HOUR), ...extra });
  const pressure = (components: unknown, extra: Record<string, unknown> = {}) => ({ code: '85354-9', unit: 'mm[Hg]', components, effectiveAt: at(-HOUR), ...extra });
  const paths = (raw: unknown) => checkMeasurement(raw, 'measurements[0]', ctx).faults.map((f) => f.path.replace('measurements[0]', '$'));

  it('reads every code of data/measurements.json', () => {
    expect(MEASUREMENT_CODES).toContain('29463-7');
    expect(MEASUREMENT_CODES).toContain('85354-9');
    expect(MEASUREMENT_CODES).toHaveLength(11);
  });

  it.each([
    ['a valid weight', weight(), []],
    ['the bounds of the range', weight({ value: 0.3 }), []],
    ['the upper bound', weight({ value: 400 }), []],
    [
      'a valid blood pressure',
      pressure([
        { code: '8480-6', value: 120 },
        { code: '8462-4', value: 80 },
      ]),
      [],
    ],
    [
      'its components in any order',
      pressure([
        { code: '8462-4', value: 80 },
        { code: '8480-6', value: 120 },
      ]),
      [],
    ],
    ['an instant with an offset', weight({ effectiveAt: '2026-11-23T10:30:00+02:00' }), []],
    ['an instant 4 minutes ahead (clock tolerance)', weight({ effectiveAt: at(4 * 60_000) }), []],
    ['a code not in the list', weight({ code: '1234-5' }), ['$.code']],
    ['no code', weight({ code: undefined }), ['$.code']],
    ['another unit', weight({ unit: 'lb' }), ['$.unit']],
    ['a unit of another case', weight({ unit: 'KG' }), ['$.unit']],
    ['below the range', weight({ value: 0.29 }), ['$.value']],
    ['above the range', weight({ value: 400.01 }), ['$.value']],
    ['a value as text', weight({ value: '72.5' }), ['$.value']],
    ['no value', weight({ value: undefined }), ['$.value']],
    ['components for a code that takes a value', weight({ components: [] }), ['$.components']],
    [
      'a value for a code made of components',
      pressure(
        [
          { code: '8480-6', value: 120 },
          { code: '8462-4', value: 80 },
        ],
        { value: 100 },
      ),
      ['$.value'],
    ],
    ['a component missing', pressure([{ code: '8480-6', value: 120 }]), ['$.components']],
    ['no components', pressure(undefined), ['$.components']],
    [
      'a component twice',
      pressure([
        { code: '8480-6', value: 120 },
        { code: '8480-6', value: 121 },
      ]),
      ['$.components[1].code'],
    ],
    [
      'a component of another code',
      pressure([
        { code: '8480-6', value: 120 },
        { code: '29463-7', value: 80 },
      ]),
      ['$.components[1].code'],
    ],
    [
      'a component out of its range',
      pressure([
        { code: '8480-6', value: 120 },
        { code: '8462-4', value: 201 },
      ]),
      ['$.components[1].value'],
    ],
    [
      'a component with an unknown field',
      pressure([
        { code: '8480-6', value: 120, unit: 'mm[Hg]' },
        { code: '8462-4', value: 80 },
      ]),
      ['$.components[0].unit'],
    ],
    ['a component that is not an object', pressure([120, { code: '8462-4', value: 80 }]), ['$.components[0]']],
    ['in the future', weight({ effectiveAt: at(6 * 60_000) }), ['$.effectiveAt']],
    ['before the birth date', weight({ effectiveAt: '1975-03-13T23:59:59Z' }), ['$.effectiveAt']],
    ['a day, not an instant', weight({ effectiveAt: '2026-11-20' }), ['$.effectiveAt']],
    ['a day the calendar has not', weight({ effectiveAt: '2026-02-29T10:00:00Z' }), ['$.effectiveAt']],
    ['an hour 24', weight({ effectiveAt: '2026-11-20T24:00:00Z' }), ['$.effectiveAt']],
    ['an instant without zone', weight({ effectiveAt: '2026-11-20T10:00:00' }), ['$.effectiveAt']],
    ['an unknown field', weight({ source: 'manual' }), ['$.source']],
    ['a prototype key', JSON.parse('{"code":"29463-7","unit":"kg","value":72.5,"effectiveAt":"2026-11-20T10:00:00Z","__proto__":{}}'), ['$.__proto__']],
    ['a device id that is not one', weight({ deviceId: 'NOT-AN-ID' }), ['$.deviceId']],
    ['not an object', [weight()], ['$']],
    ['null', null, ['$']],
    ['several faults at once', weight({ unit: 'g', value: 1000, extra: true }), ['$.extra', '$.unit', '$.value']],
  ])('%s → %j', (_name, raw, expected) => {
    expect(paths(raw)).toEqual(expected);
  });

  it('normalizes the instant to UTC milliseconds and orders components as the file does', () => {
    const m = checkMeasurement(
      pressure(
        [
          { code: '8462-4', value: 80 },
          { code: '8480-6', value: 120 },
        ],
        { effectiveAt: '2026-11-23T10:30:00.123456+02:00' },
      ),
      'm',
      ctx,
    ).measurement;
    expect(m).toEqual({
      code: '85354-9',
      unit: 'mm[Hg]',
      components: [
        { code: '8480-6', value: 120 },
        { code: '8462-4', value: 80 },
      ],
      effectiveAt: '2026-11-23T08:30:00.123Z',
    });
  });

  it('checks a batch whole: all valid, or the faults of every faulty measurement by index', () => {
    expect(checkMeasurements([weight(), weight({ effectiveAt: at(-2 * HOUR) })], ctx)).toMatchObject({ ok: true, measurements: [{}, {}] });
    const refused = checkMeasurements([weight(), weight({ value: -1 }), weight(), weight({ unit: 'g' })], ctx);
    expect(refused).toEqual({
      ok: false,
      faults: [
        { path: 'measurements[1].value', reason: expect.any(String) },
        { path: 'measurements[3].unit', reason: expect.any(String) },
      ],
    });
  });

  it('never repeats a refused value in a reason', () => {
    const faults = checkMeasurement(weight({ value: 987.654, unit: 'stone', effectiveAt: '2099-01-01T00:00:00Z' }), 'm', ctx).faults;
    expect(faults).toHaveLength(3);
    for (const f of faults) for (const secret of ['987.654', 'stone', '2099']) expect(f.reason).not.toContain(secret);
  });

  it('parses RFC 3339 instants strictly', () => {
    expect(parseInstant('2026-11-23T10:00:00Z')?.toISOString()).toBe('2026-11-23T10:00:00.000Z');
    expect(parseInstant('2026-11-23T10:00:00.5-05:30')?.toISOString()).toBe('2026-11-23T15:30:00.500Z');
    expect(parseInstant('2024-02-29T00:00:00Z')?.toISOString()).toBe('2024-02-29T00:00:00.000Z');
    for (const bad of ['2025-02-29T00:00:00Z', '2026-13-01T00:00:00Z', '2026-11-23T10:60:00Z', '2026-11-23T10:00:00+24:00', '1899-12-31T23:59:59Z', '2026-11-23 10:00:00Z', ''])
      expect(parseInstant(bad), bad).toBeUndefined();
  });

  it('tells a device credential from a token by its prefix', () => {
    expect(isDeviceCredential('dmpdev_abc.def.ghi')).toBe(true);
    expect(isDeviceCredential('eyJhbGciOiJFUzI1NiJ9.e30.sig')).toBe(false);
  });
});

/**
 * The reporting use cases with an in-memory fake of their port (CreationReports): no emulator.
 * The same routes are tested end to end over HTTP in test/e2e/creation.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { capability } from '../../functions/capabilities/reporting/use-cases.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import type { Channel } from '../../functions/domain/creation.ts';
import { RuleViolation } from '../../functions/domain/errors.ts';
import type { CreationReports, LedgerEntry } from '../../functions/domain/ports.ts';
import type { Call } from '../../functions/http/define-capability.ts';

const FINESS = '750000001';
const pharmacist: Actor = { kind: 'professional', id: '810000000021', profession: '21', structure: FINESS };
const otherPharmacist: Actor = { kind: 'professional', id: '810000000022', profession: '21', structure: '750000002' };
const agent: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };

/** An in-memory CreationReports: a ledger per pharmacy and month, the channels of each day; it counts concurrent queries. */
const fakeReports = (ledger: Record<string, LedgerEntry[]>, days: Record<string, Channel[]>) => {
  let running = 0;
  const fake = {
    maxConcurrent: 0,
    queriedDays: [] as string[],
    ledger: async (finess: string, month: string) => [...(ledger[`${finess}#${month}`] ?? [])],
    creationsOn: async (day: string) => {
      running++;
      fake.maxConcurrent = Math.max(fake.maxConcurrent, running);
      fake.queriedDays.push(day);
      await new Promise((r) => setTimeout(r, 1));
      running--;
      return days[day] ?? [];
    },
  } satisfies CreationReports & Record<string, unknown>;
  return fake;
};

const call = (actor: Actor, params: object, query: object): Call => ({ actor, body: {}, params, query, idempotencyKey: undefined, requestId: 'test', sourceIp: '127.0.0.1' });
const route = (id: string) => capability.routes[id]!;

describe('pharmacyCreations', () => {
  const entries: LedgerEntry[] = [
    { dmpId: 'dmp-b', createdAt: '2026-11-20T10:00:00.000Z', amountCents: 100 },
    { dmpId: 'dmp-a', createdAt: '2026-11-02T09:00:00.000Z', amountCents: 100 },
    { dmpId: 'dmp-c', createdAt: '2026-11-30T23:59:00.000Z', amountCents: 100 },
  ];
  const records = fakeReports({ [`${FINESS}#2026-11`]: entries }, {});

  it('lists the month’s creations in order and sums what the pharmacy is owed', async () => {
    const reply = await route('pharmacyCreations')(call(pharmacist, { finess: FINESS }, { month: '2026-11' }), { records });
    expect(reply.status).toBe(200);
    expect(reply.body).toEqual({
      finess: FINESS,
      month: '2026-11',
      count: 3,
      amountEur: 3,
      items: [
        { dmpId: 'dmp-a', createdAt: '2026-11-02T09:00:00.000Z' },
        { dmpId: 'dmp-b', createdAt: '2026-11-20T10:00:00.000Z' },
        { dmpId: 'dmp-c', createdAt: '2026-11-30T23:59:00.000Z' },
      ],
    });
  });

  it('answers an agent too, and an empty month with zero', async () => {
    const reply = await route('pharmacyCreations')(call(agent, { finess: FINESS }, { month: '2026-10' }), { records });
    expect(reply.body).toMatchObject({ count: 0, amountEur: 0, items: [] });
  });

  it('refuses another pharmacy’s pharmacist with the policy’s own refusal, before reading anything', async () => {
    let read = false;
    const spy: CreationReports = {
      ...records,
      ledger: async () => {
        read = true;
        return [];
      },
    };
    const refused = await route('pharmacyCreations')(call(otherPharmacist, { finess: FINESS }, { month: '2026-11' }), { records: spy }).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(RuleViolation);
    expect(refused).toMatchObject({ kind: 'forbidden', code: 'not-this-pharmacy' });
    expect(read).toBe(false);
  });
});

describe('creationStats', () => {
  it('counts by channel and ISO week, one query per day, at most 8 at a time', async () => {
    const days: Record<string, Channel[]> = {
      '2026-11-01': ['pharmacy'],
      '2026-11-02': ['online', 'agent', 'pharmacy'],
      '2026-11-09': ['professional'],
    };
    const records = fakeReports({}, days);
    const reply = await route('creationStats')(call(agent, {}, { from: '2026-11-01', to: '2026-11-30' }), { records });
    expect(reply.body).toMatchObject({ total: 5, byChannel: { pharmacy: 2, online: 1, agent: 1, professional: 1 } });
    const byWeek = (reply.body as { byWeek: { week: string; count: number }[] }).byWeek;
    expect(byWeek.find((w) => w.week === '2026-W44')?.count).toBe(1);
    expect(byWeek.find((w) => w.week === '2026-W45')?.count).toBe(3);
    expect(byWeek.reduce((n, w) => n + w.count, 0)).toBe(5);
    expect(records.queriedDays).toHaveLength(30);
    expect(records.maxConcurrent).toBeLessThanOrEqual(8);
  });

  it('refuses a reversed or too long range without querying', async () => {
    const records = fakeReports({}, {});
    await expect(route('creationStats')(call(agent, {}, { from: '2026-11-02', to: '2026-11-01' }), { records })).rejects.toMatchObject({ code: 'range-reversed' });
    await expect(route('creationStats')(call(agent, {}, { from: '2025-01-01', to: '2026-11-01' }), { records })).rejects.toMatchObject({ code: 'range-too-long' });
    expect(records.queriedDays).toEqual([]);
  });
});

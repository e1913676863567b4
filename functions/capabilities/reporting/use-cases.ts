/** Reporting for the Assurance Maladie and pharmacies: the 1 € ledger and creation statistics. */
import { CHANNELS, type Channel } from '#domain/creation';
import { daysBetween, isoWeek } from '#domain/dates';
import { refuse } from '#domain/errors';
import { decideLedgerRead } from '#domain/access-policy';
import type { CreationReports } from '#domain/ports';
import { defineCapability, type HandlerOf } from '#http/define-capability';
import { denied } from '#http/denial';
import { REPORTING, type REPORTING_ROUTES } from './routes.ts';

/** What reporting needs: the records' reports (a port: the record store in AWS, a fake in unit tests). */
export interface ReportingDeps {
  records: CreationReports;
}

type Handler<Id extends (typeof REPORTING_ROUTES)[number]['id']> = HandlerOf<typeof REPORTING_ROUTES, Id, ReportingDeps>;

const MAX_STATS_DAYS = 366;
const PARALLEL_QUERIES = 8;

const pharmacyCreations: Handler<'pharmacyCreations'> = async (call, deps) => {
  const { finess } = call.params;
  const { month } = call.query;
  const decision = decideLedgerRead(call.actor, finess);
  if (!decision.allow) return denied(decision);
  const entries = await deps.records.ledger(finess, month);
  entries.sort((x, y) => x.createdAt.localeCompare(y.createdAt));
  const cents = entries.reduce((sum, e) => sum + e.amountCents, 0);
  return {
    status: 200,
    body: { finess, month, count: entries.length, amountEur: cents / 100, items: entries.map(({ dmpId, createdAt }) => ({ dmpId, createdAt })) },
  };
};

const creationStats: Handler<'creationStats'> = async (call, deps) => {
  const { from, to } = call.query;
  if (from > to) refuse('invalid', 'range-reversed', '`from` must not be after `to`.');
  const days = daysBetween(from, to);
  if (days.length > MAX_STATS_DAYS) refuse('invalid', 'range-too-long', `The range covers at most ${MAX_STATS_DAYS} days.`);
  const byChannel = Object.fromEntries(CHANNELS.map((c) => [c, 0])) as Record<Channel, number>;
  const byWeek = new Map<string, number>();
  for (let i = 0; i < days.length; i += PARALLEL_QUERIES) {
    const batch = days.slice(i, i + PARALLEL_QUERIES);
    const results = await Promise.all(batch.map((d) => deps.records.creationsOn(d)));
    results.forEach((channels, j) => {
      const week = isoWeek(batch[j] as string);
      byWeek.set(week, (byWeek.get(week) ?? 0) + channels.length);
      for (const c of channels) byChannel[c] += 1;
    });
  }
  const total = Object.values(byChannel).reduce((a, b) => a + b, 0);
  return { status: 200, body: { total, byChannel, byWeek: [...byWeek].map(([week, count]) => ({ week, count })) } };
};

export const capability = defineCapability<ReportingDeps>()(REPORTING, { pharmacyCreations, creationStats });

/** Reporting: the pharmacy creation ledger and creation statistics. */
import * as z from 'zod/mini';
import { DmpId, Finess, Instant, Day, count } from '#http/schemas';

export const PharmacyParams = z.lazy(() => z.strictObject({ finess: Finess }));

export const PharmacyQuery = z.lazy(() => z.strictObject({ month: z.string().check(z.regex(/^[0-9]{4}-(?:0[1-9]|1[0-2])$/, 'month is YYYY-MM')) }));

export const PharmacyCreations = z.lazy(() =>
  z.strictObject({
    finess: Finess,
    month: z.string(),
    count: count(),
    amountEur: z.number(),
    items: z.array(z.strictObject({ dmpId: DmpId, createdAt: Instant })),
  }),
);

export const StatsQuery = z.lazy(() => z.strictObject({ from: Day, to: Day }));

export const CreationStats = z.lazy(() =>
  z.strictObject({
    total: count(),
    byChannel: z.strictObject({ pharmacy: count(), professional: count(), agent: count(), online: count() }),
    byWeek: z.array(z.strictObject({ week: z.string(), count: count() })),
  }),
);

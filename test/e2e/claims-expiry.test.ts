/**
 * The history keeps 24 months of care: a line past its care date + 24 months is filtered out of
 * every read at once (DynamoDB's TTL deletes it in AWS, later), and the local runtime's daily purge
 * (POST /_local/jobs/claims-purge) deletes it from the emulator, which never expires items. The
 * keyword search leaves it out at once too, while its posting is still in the index (the search
 * weighs a patient's lines on their postings). Time is moved with the runtime's clock.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addMonths } from '../../functions/domain/claims/lines.ts';
import { batchId, claimDay, claimItems, daysAgo, labLine, pushBatch } from '../support/claims.ts';
import { MovableClock, NEW_PASSWORD, activeSession, newPatient } from '../support/patients.ts';
import { searchRecord } from '../support/search.ts';
import { startClockedApi } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

const DAY_MS = 86_400_000;
const clock = new MovableClock();
let api: TestApi;
let doctor: string;
beforeAll(async () => {
  ({ api, doctor } = await startClockedApi(clock));
});
afterAll(() => api?.stop());

describe('lines older than 24 months', () => {
  it('leave every read as soon as they expire, and the daily purge deletes them from the table', async () => {
    const insurer = await api.insurer();
    const p = await newPatient(api, doctor);
    // A line of care 24 months ago minus five days: accepted today, expired in a week.
    const oldDay = addMonths(daysAgo(-5), -24);
    const old = labLine({ date: oldDay });
    const recent = labLine({ date: daysAgo(3) });
    const pushed = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [old, recent] }] });
    expect(pushed.status, JSON.stringify(pushed.body)).toBe(200);
    expect(pushed.body.lines).toEqual({ accepted: 2, corrected: 0, duplicate: 0, rejected: 0 });

    // The first session changes the provisional password; later ones log in with the new one.
    let changed = false;
    const read = async () => {
      const { token } = await activeSession(api, changed ? { ...p, password: NEW_PASSWORD } : p);
      changed = true;
      const res = await api.call('GET', `/v1/records/${p.dmpId}/claims`, { token });
      expect(res.status).toBe(200);
      const found = await searchRecord(api, p.dmpId, token, `q=${encodeURIComponent(old.display)}`);
      expect(found.status).toBe(200);
      // The search finds what the listing lists, and nothing else.
      expect(found.body.items.map((i) => i.date).sort()).toEqual((res.body.items as { date: string }[]).map((i) => i.date).sort());
      return (res.body.items as { date: string }[]).map((i) => i.date).sort();
    };
    expect((await api.runJob('search-index')).status).toBe(200);
    expect(await read()).toEqual([oldDay, recent.date].sort());

    clock.advance(7 * DAY_MS);
    try {
      // Expired: gone from the read, still in the emulator's table until the purge.
      expect(await read()).toEqual([recent.date]);
      expect(await claimItems(api, p.dmpId)).toHaveLength(2);

      const purge = await api.call('POST', '/_local/jobs/claims-purge', { body: {} });
      expect(purge.status).toBe(200);
      expect(purge.body.result.deleted).toBeGreaterThanOrEqual(1);
      const left = await claimItems(api, p.dmpId);
      expect(left).toHaveLength(1);
      // The line left is the recent one.
      expect(left.map(claimDay)).toEqual([recent.date]);
      expect(await read()).toEqual([recent.date]);
    } finally {
      clock.reset();
    }
  });
});

/**
 * Destruction by the retention job, over HTTP through the local runtime, at simulated dates: ten
 * years after closure the record's key goes first (crypto-shredding), then its items, logins and
 * INS entry; nothing else is touched. A table of its own: the test counts what the job destroys.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failNext } from '../support/faults.ts';
import { randomFiness, recordBody } from '../support/fixtures.ts';
import { MovableClock, NEW_PASSWORD, YEAR_MS, activeSession, newPatient, type Holder, startClockedApi, patientWithSession } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());
const relogin = async (s: { p: Holder }): Promise<string> => (await activeSession(api, { ...s.p, password: NEW_PASSWORD })).token;

describe('retention: destroyed ten years after closure', () => {
  /**
   * What is left of a record: its partition, its INS entry, anything naming it, except the
   * pharmacy's ledger (accounting, kept) and items DynamoDB's TTL will have removed long before the
   * simulated date (login challenges: moto does not expire items).
   */
  const itemsOf = async (dmpId: string, insHashes: Set<string>, at = Date.now()) =>
    (await api.scanAll()).filter(
      (i) => (i.pk.S === `REC#${dmpId}` || i.dmpId?.S === dmpId || insHashes.has(i.pk.S)) && !i.pk.S.startsWith('PHARM#') && !(i.ttl && Number(i.ttl.N) * 1000 < at),
    );

  it('destroys due records (key first), frees the INS, and touches nothing else; safe to run twice and to interrupt', async () => {
    const pharmacist = await api.professional({ profession: '21', structure: randomFiness() });
    const due = await newPatient(api, pharmacist);
    const dueToo = await newPatient(api, doctor);
    const { token: dueToken } = await activeSession(api, due);
    const { token: dueTooToken } = await activeSession(api, dueToo);
    const active = await newPatient(api, doctor);
    const back = await patientWithSession(api, doctor);
    const later = await patientWithSession(api, doctor);
    for (const [dmpId, token] of [
      [due.dmpId, dueToken],
      [dueTooToken && dueToo.dmpId, dueTooToken],
      [back.p.dmpId, back.token],
    ] as const) {
      expect((await api.call('POST', `/v1/records/${dmpId}/closure`, { token })).status).toBe(200);
    }
    expect((await api.call('POST', `/v1/records/${back.p.dmpId}/reactivation`, { token: back.token })).status).toBe(200);
    clock.advance(YEAR_MS);
    try {
      expect((await api.call('POST', `/v1/records/${later.p.dmpId}/closure`, { token: await relogin(later) })).status).toBe(200);
    } finally {
      clock.reset();
    }
    const untouched = async () =>
      (await api.scanAll())
        .filter((i) => [active.dmpId, back.p.dmpId, later.p.dmpId].some((id) => i.pk.S === `REC#${id}`) || i.pk.S.startsWith('PHARM#'))
        .map((i) => `${i.pk.S}|${i.sk.S}|${i.revision?.N ?? ''}|${i.status?.S ?? ''}`)
        .sort();
    const before = await untouched();
    expect(before.some((k) => k.startsWith('PHARM#'))).toBe(true);
    const insHashes = new Set((await api.scanAll()).filter((i) => i.pk.S.startsWith('INS#') && [due.dmpId, dueToo.dmpId].includes(i.dmpId?.S)).map((i) => i.pk.S));
    expect(insHashes.size).toBe(2);

    const inTenYears = (days: number) => new Date(Date.now() + 10 * YEAR_MS + days * 86_400_000).toISOString();
    expect((await api.runJob('retention', inTenYears(-3))).body.result).toEqual({ destroyed: 0, kept: 0 });
    expect((await itemsOf(due.dmpId, insHashes)).length).toBeGreaterThan(5);

    // Interrupted after the first record's key went: resumed by the next run.
    const restore = failNext(api.runtime.deps.db, 'BatchWriteItemCommand');
    try {
      // A dependency failure of a job: 503, to be retried (the next scheduled run resumes it).
      expect((await api.runJob('retention', inTenYears(3))).status).toBe(503);
    } finally {
      restore();
    }
    const keysLeft = (await api.scanAll()).filter((i) => i.sk.S === 'KEY' && [due.dmpId, dueToo.dmpId].includes(i.pk.S.slice(4)));
    expect(keysLeft.length).toBe(1);
    const shredded = keysLeft[0]!.pk.S.slice(4) === due.dmpId ? dueToo : due;
    // Its key gone, the half-destroyed record is unreadable and unknown to everyone.
    expect((await api.call('POST', '/v1/records/search', { token: doctor, body: { ins: shredded.ins } })).status).toBe(404);

    const run = await api.runJob('retention', inTenYears(3));
    expect(run.body.result).toEqual({ destroyed: 2, kept: 0 });
    const simulated = Date.parse(inTenYears(3));
    expect(await itemsOf(due.dmpId, insHashes, simulated)).toEqual([]);
    expect(await itemsOf(dueToo.dmpId, insHashes, simulated)).toEqual([]);
    expect((await api.scanAll()).filter((i) => i.pk.S === `LOGIN#${due.loginId}` || i.pk.S === `LOGIN#${dueToo.loginId}`)).toEqual([]);
    expect(await untouched()).toEqual(before);
    expect((await api.runJob('retention', inTenYears(3))).body.result).toEqual({ destroyed: 0, kept: 0 });

    // The INS is free: a new DMP can be created for the person.
    const recreated = await api.call('POST', '/v1/records', { token: doctor, body: { ...recordBody(), ins: due.ins } });
    expect(recreated.status).toBe(201);
    expect(recreated.body.dmpId).not.toBe(due.dmpId);
    expect((await api.call('POST', '/v1/auth/patient/login', { body: { loginId: due.loginId, password: NEW_PASSWORD } })).status).toBe(401);
  });
});

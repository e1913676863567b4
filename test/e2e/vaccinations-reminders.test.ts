/**
 * The vaccination reminders over HTTP, the daily job run through the local runtime at real and
 * simulated dates: one SMS per due item (a booster given, a calendar booster from the birth date)
 * a set time before its date, through the outbox, once; none when the patient turned reminders
 * off. And the vaccination record at rest: nothing of it in clear in the table or the logs, and
 * destroyed with the record ten years after closure. Logging at DEBUG, so that every line is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { TEXTS } from '../../functions/domain/notifications.ts';
import { daysAgo } from '../support/claims.ts';
import { adultIdentity, canary } from '../support/fixtures.ts';
import { captureOutput } from '../support/output.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const logged: string[] = [];
let restoreOutput: () => void;
beforeAll(async () => {
  api = await startTestApi({ logLevel: 'DEBUG' });
  restoreOutput = captureOutput(logged);
  doctor = await api.professional();
});
afterAll(async () => {
  restoreOutput?.();
  await api?.stop();
});

const DAY_MS = 86_400_000;
const daysAhead = (n: number): string => daysAgo(-n);
const instantIn = (days: number): string => new Date(Date.now() + days * DAY_MS).toISOString();
const hepB = { name: 'Engerix B', codeSystem: 'ATC_VALENCE', code: 'J07BC01' };
const dtp = { name: 'Revaxis', codeSystem: 'ATC_VALENCE', code: 'J07CA01' };
const vaccination = (extra: Record<string, unknown> = {}) => ({ date: daysAgo(1), vaccine: hepB, lotNumber: 'AB1234', doseNumber: 1, ...extra });
const record = async (dmpId: string, token: string, body: unknown) => {
  const res = await api.call('POST', `/v1/records/${dmpId}/vaccinations`, { token, body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body as { id: string };
};

/** Runs the reminders, then the outbox (which sends what they wrote). */
const remind = async (now?: string) => {
  const run = await api.runJob('vaccination-reminders', now);
  expect(run.status, JSON.stringify(run.body)).toBe(200);
  expect((await api.runJob('outbox', now)).status).toBe(200);
  return run.body.result as { records: number; sent: number; withheld: number; failed: number };
};
const reminders = async (mobile: string) => (await api.sms(mobile)).filter((m) => m.message === TEXTS['vaccination-due']);
const itemsOf = async (dmpId: string, prefix: string) => (await api.scanAll()).filter((i) => i.pk.S === `REC#${dmpId}` && String(i.sk.S).startsWith(prefix));

/** A new patient (born 1975-03-14 unless said otherwise) with a session. */
const patient = async (birthDate?: string) => {
  const p = await newPatient(api, doctor, birthDate ? { identity: { ...adultIdentity(), birthDate } } : {});
  const { token, holder } = await activeSession(api, p);
  return { p: { ...holder, ins: p.ins }, token };
};

describe('vaccination reminders', () => {
  it('send one SMS for a booster due soon, through the outbox, with no health detail, and only once', async () => {
    const { p } = await patient();
    // The missed 45-year dtp booster is caught up today: only the hepatitis B booster is due soon.
    await record(p.dmpId, doctor, vaccination({ date: daysAgo(0), vaccine: dtp }));
    await record(p.dmpId, doctor, vaccination({ nextBoosterDate: daysAhead(20) }));
    expect(await itemsOf(p.dmpId, 'VACC#Q')).toEqual([expect.objectContaining({ gsi1pk: { S: expect.stringMatching(/^VACCREMIND#[0-7]$/) } })]);

    expect((await remind()).failed).toBe(0);
    const sent = await reminders(p.mobile);
    expect(sent).toHaveLength(1);
    expect(sent[0]?.message).toBe('DMP : une vaccination est a prevoir. Le detail est dans votre DMP sur dmp.fr.');
    expect(await itemsOf(p.dmpId, 'VACC#R#')).toHaveLength(1);
    const notifications = await api.call('GET', `/v1/records/${p.dmpId}/notifications`, { token: (await activeSession(api, p)).token });
    expect(notifications.body.items.filter((n: { reason: string }) => n.reason === 'vaccination-due')).toHaveLength(1);

    // Run again, today and tomorrow: nothing more. The queue entry waits for the next reminder (the 65-year booster, in 2040).
    await remind();
    await remind(instantIn(1));
    expect(await reminders(p.mobile)).toHaveLength(1);
    expect(await itemsOf(p.dmpId, 'VACC#R#')).toHaveLength(1);
    const [queued] = await itemsOf(p.dmpId, 'VACC#Q');
    expect(queued?.gsi1sk.S.slice(0, 4)).toBe('2040');
  });

  it('remind of a calendar booster from the birth date, a set time before it and not earlier, with no vaccination recorded', async () => {
    // The 45th birthday is 60 days away: the dtp booster's reminder falls 30 to 36 days before it.
    // Nothing is recorded: the record was queued for the reminders at its creation.
    const birthDate = `${Number(daysAhead(60).slice(0, 4)) - 45}${daysAhead(60).slice(4)}`;
    const { p, token } = await patient(birthDate);
    expect(await itemsOf(p.dmpId, 'VACC#Q')).toHaveLength(1);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/vaccinations`, { token })).body.items).toEqual([]);
    const due = await api.call('GET', `/v1/records/${p.dmpId}/vaccinations/due`, { token });
    expect(due.body.items.map((i: { id: string; status: string }) => `${i.id}:${i.status}`)).toContain('dtp-45:due');

    await remind();
    await remind(instantIn(23));
    expect(await reminders(p.mobile)).toEqual([]);
    await remind(instantIn(31));
    expect(await reminders(p.mobile)).toHaveLength(1);
    await remind(instantIn(40));
    expect(await reminders(p.mobile)).toHaveLength(1);
  });

  it('send nothing when the patient turned reminders off in the settings', async () => {
    const { p, token } = await patient();
    const off = await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body: { vaccinationReminders: false } });
    expect(off.status, JSON.stringify(off.body)).toBe(200);
    expect(off.body.vaccinationReminders).toBe(false);
    await record(p.dmpId, doctor, vaccination({ date: daysAgo(0), vaccine: dtp }));
    await record(p.dmpId, doctor, vaccination({ nextBoosterDate: daysAhead(10) }));
    const run = await remind();
    expect(run.withheld).toBeGreaterThanOrEqual(1);
    expect(await reminders(p.mobile)).toEqual([]);
    expect(await itemsOf(p.dmpId, 'VACC#R#')).toEqual([]);

    // Back on, a booster given later is reminded again.
    const on = await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body: { vaccinationReminders: true } });
    expect(on.body.vaccinationReminders).toBe(true);
    await record(p.dmpId, doctor, vaccination({ date: daysAgo(0), nextBoosterDate: daysAhead(15), doseNumber: 2 }));
    await remind();
    expect(await reminders(p.mobile)).toHaveLength(1);
  });
});

describe('the vaccination record at rest', () => {
  it('keeps no vaccine, lot, vaccinator or date of care in clear, in the table or the logs, and goes with the record', async () => {
    const { p, token } = await patient();
    const name = canary('Vaccin');
    const lot = canary('Lot');
    const vaccinator = canary('Vaccinateur');
    const booster = daysAhead(25);
    await record(p.dmpId, doctor, vaccination({ vaccine: { name, codeSystem: 'CIP13', code: '3400938765432', atcValence: 'J07AH08' }, lotNumber: lot, nextBoosterDate: booster }));
    await record(p.dmpId, token, { date: '1999-12-24', vaccine: { name, codeSystem: 'ATC_VALENCE', code: 'J07AM51' }, doseNumber: 3, vaccinator });
    expect((await api.call('GET', `/v1/records/${p.dmpId}/vaccinations`, { token: doctor })).body.items).toHaveLength(2);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/vaccinations/due`, { token })).status).toBe(200);
    await remind();
    expect(await reminders(p.mobile)).toHaveLength(2); // the booster, and the missed 45-year dtp booster

    const items = await itemsOf(p.dmpId, '');
    expect(items.filter((i) => String(i.sk.S).startsWith('VACC#')).length).toBeGreaterThanOrEqual(4);
    const table = JSON.stringify(items);
    const logs = logged.join('');
    expect(logs).toContain('recordVaccination');
    for (const secret of [name, lot, vaccinator, '3400938765432', 'J07AH08', 'J07AM51', 'J07BC01', 'J07CA01', booster, '1999-12-24', 'dtp-45', 'booster-']) {
      expect(table, secret).not.toContain(secret);
      expect(logs, secret).not.toContain(secret);
    }

    // Ten years after closure, the retention job removes the vaccination record with the rest of the partition.
    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token, body: {} })).status).toBe(200);
    expect((await api.runJob('retention', instantIn(3660 + 2))).status).toBe(200);
    expect(await itemsOf(p.dmpId, '')).toEqual([]);
  });
});

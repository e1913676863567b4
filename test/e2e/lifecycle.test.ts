/**
 * The record's lifecycle over HTTP through the local runtime: settings (emergency oppositions, a
 * new mobile confirmed by code), notifications, closure and reactivation. Destruction after ten
 * years: retention.test.ts.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { failNext } from '../support/faults.ts';
import { randomMobile, recordBody } from '../support/fixtures.ts';
import { MovableClock, NEW_PASSWORD, activeSession, lastCode, startClockedApi, patientWithSession } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

describe('settings', () => {
  it('changes emergency-access oppositions at once', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const res = await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body: { emergencyAccess: { breakGlass: false } } });
    expect(res.status).toBe(200);
    expect(res.body.emergencyAccess).toEqual({ breakGlass: false, regulation: true });
    const read = await api.call('GET', `/v1/records/${p.dmpId}`, { token });
    expect(read.body.emergencyAccess).toEqual({ breakGlass: false, regulation: true });
  });

  it('activates a new mobile only once the code sent to it is confirmed, and tells the former number', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const newMobile = randomMobile();
    const asked = await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body: { contact: { mobile: newMobile, email: 'patient@example.org' } } });
    expect(asked.status).toBe(200);
    expect(asked.body.contact).toEqual({ mobile: p.mobile, email: 'patient@example.org' });
    expect(asked.body.pendingMobile.expiresAt).toBeDefined();
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token })).body.contact.mobile).toBe(p.mobile);

    await api.runJob('outbox');
    const code = await lastCode(api, newMobile);
    const wrong = await api.call('POST', `/v1/records/${p.dmpId}/settings/mobile-confirmation`, { token, body: { code: code === '000000' ? '111111' : '000000' } });
    expect(wrong.status).toBe(422);
    const confirmed = await api.call('POST', `/v1/records/${p.dmpId}/settings/mobile-confirmation`, { token, body: { code } });
    expect(confirmed.status).toBe(200);
    expect(confirmed.body.contact.mobile).toBe(newMobile);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/settings/mobile-confirmation`, { token, body: { code } })).status).toBe(422);

    await api.runJob('outbox');
    expect((await api.sms(p.mobile)).some((m) => /modifie/.test(m.message))).toBe(true);
    // Login codes now go to the new number.
    const relog = await api.call('POST', '/v1/auth/patient/login', { body: { loginId: p.loginId, password: 'une longue phrase de passe 2026' } });
    expect(relog.status).toBe(202);
    expect(await lastCode(api, newMobile)).toMatch(/^[0-9]{6}$/);
    // The code's sealed copy left the outbox once sent.
    const items = await api.scanAll();
    expect(items.filter((i) => i.pk.S === `REC#${p.dmpId}` && i.sk.S.startsWith('OUTBOX#') && i.params)).toEqual([]);
  });

  it('refuses unknown fields and malformed values, changing nothing', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    for (const body of [{ emergencyAccess: { breakGlass: 'no' } }, { contact: { mobile: '0612345678' } }, { theme: 'dark' }, { emergencyAccess: { everything: false } }]) {
      const res = await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body });
      expect(res.status).toBe(400);
      expect(JSON.stringify(res.body)).not.toContain('0612345678');
    }
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token })).body.emergencyAccess).toEqual({ breakGlass: true, regulation: true });
  });
});

describe('notifications', () => {
  it('lists what was sent, when and why, newest first, page by page', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    await api.runJob('outbox');
    const all = await api.call('GET', `/v1/records/${p.dmpId}/notifications`, { token });
    expect(all.status).toBe(200);
    const reasons = all.body.items.map((i: { reason: string }) => i.reason);
    expect(reasons).toContain('record-created');
    expect(reasons.filter((r: string) => r === 'login-code')).toHaveLength(2);
    expect(all.body.items.find((i: { reason: string }) => i.reason === 'record-created').status).toBe('sent');
    const times = all.body.items.map((i: { at: string }) => i.at);
    expect([...times].sort().reverse()).toEqual(times);
    expect(JSON.stringify(all.body)).not.toContain(p.mobile);

    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: any = await api.call('GET', `/v1/records/${p.dmpId}/notifications?limit=1${cursor ? `&cursor=${cursor}` : ''}`, { token });
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((i: { id: string }) => i.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(all.body.items.map((i: { id: string }) => i.id));
    expect((await api.call('GET', `/v1/records/${p.dmpId}/notifications?cursor=bm90LWEtY3Vyc29y`, { token })).status).toBe(400);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/notifications?limit=500`, { token })).status).toBe(400);
  });
});

describe('closure and reactivation', () => {
  it('closes: read-only, invisible to professionals, search says closed, cannot be created again', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const closed = await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token, body: { reason: 'je ne souhaite plus de DMP' } });
    expect(closed.status).toBe(200);
    expect(closed.body.status).toBe('closed');
    const closedAt = new Date(closed.body.closedAt);
    const until = new Date(closed.body.retainUntil);
    expect(until.getUTCFullYear() - closedAt.getUTCFullYear()).toBe(10);
    expect(until.toISOString().slice(4)).toBe(closedAt.toISOString().slice(4));

    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token: doctor })).status).toBe(404);
    const search = await api.call('POST', '/v1/records/search', { token: doctor, body: { ins: p.ins } });
    expect(search.body).toMatchObject({ status: 'closed', closedAt: closed.body.closedAt, authorization: 'INTERDIT' });
    expect((await api.call('POST', '/v1/records', { token: doctor, body: { ...recordBody(), ins: p.ins } })).status).toBe(409);

    // The closure ended the session that closed; a new one reads the closed record, and only reads.
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token })).status).toBe(401);
    const { token: fresh } = await activeSession(api, { ...p, password: NEW_PASSWORD });
    const own = await api.call('GET', `/v1/records/${p.dmpId}`, { token: fresh });
    expect(own.status).toBe(200);
    expect(own.body.status).toBe('closed');
    expect((await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token: fresh, body: { emergencyAccess: { regulation: false } } })).status).toBe(409);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token: fresh })).status).toBe(409);

    await api.runJob('outbox');
    expect((await api.sms(p.mobile)).some((m) => /ferme/.test(m.message))).toBe(true);
  });

  it('reactivates by the patient alone, by a professional or an agent with express consent only', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    // A closure ends the sessions opened before it (but for undoing it): each closure, a new one.
    const close = async () => api.call('POST', `/v1/records/${p.dmpId}/closure`, { token: (await activeSession(api, { ...p, password: NEW_PASSWORD })).token });
    expect((await close()).status).toBe(200);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/reactivation`, { token })).body).toEqual({ status: 'active' });
    expect((await api.call('POST', `/v1/records/${p.dmpId}/reactivation`, { token })).status).toBe(409);

    expect((await close()).status).toBe(200);
    const other = await api.professional();
    expect((await api.call('POST', `/v1/records/${p.dmpId}/reactivation`, { token: other })).status).toBe(422);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/reactivation`, { token: other, body: { consent: { expressConsent: false } } })).status).toBe(422);
    const byDoctor = await api.call('POST', `/v1/records/${p.dmpId}/reactivation`, { token: other, body: { consent: { expressConsent: true } } });
    expect(byDoctor.status).toBe(200);
    // The professional who collected the consent may now read the record.
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token: other })).status).toBe(200);

    expect((await close()).status).toBe(200);
    const agent = await api.agent();
    expect((await api.call('POST', `/v1/records/${p.dmpId}/reactivation`, { token: agent, body: { consent: { expressConsent: true } } })).status).toBe(200);
  });

  it('keeps a closure atomic: a failed transaction leaves the record active, with no trace or notification', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const before = (await api.scanAll()).filter((i) => i.pk.S === `REC#${p.dmpId}`).length;
    const restore = failNext(api.runtime.deps.db, 'TransactWriteItemsCommand');
    try {
      expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token })).status).toBe(503);
    } finally {
      restore();
    }
    expect((await api.scanAll()).filter((i) => i.pk.S === `REC#${p.dmpId}`).length).toBe(before);
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token })).body.status).toBe('active');
  });
});

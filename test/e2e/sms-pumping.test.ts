/**
 * SMS cannot be pumped: a new mobile must be a French one, mobile-change codes are capped per
 * record (then 429 with Retry-After), a professional declaring break-glass again and again tells
 * the patient once, and login codes keep flowing while those notifications are throttled.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomMobile, randomRpps } from '../support/fixtures.ts';
import { MovableClock, NEW_PASSWORD, lastCode, login, patientWithSession, startClockedApi, verify } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => {
  ({ api, doctor } = await startClockedApi(clock));
  // A few seconds into an hour: the requests below fall in one hour's window.
  const now = Date.now();
  clock.advance(Math.ceil(now / 3_600_000) * 3_600_000 + 5_000 - now);
});
afterAll(() => api?.stop());

const ATTEMPTS = 15;
const MOBILE_CHANGES_PER_HOUR = 3;
const EMERGENCY_NOTICES_PER_DAY = 5;

describe('SMS pumping', () => {
  it('refuses a new mobile outside the French numbering plan, naming the field, and sends nothing', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const numbers = Array.from({ length: ATTEMPTS }, (_, i) => `+882${String(10_000_000 + i * 7919).padStart(9, '0')}`);
    for (const mobile of numbers) {
      const res = await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body: { contact: { mobile } } });
      expect(res.status).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.errors.map((e: { path: string }) => e.path)).toContain('body.contact.mobile');
      expect(JSON.stringify(res.body)).not.toContain(mobile);
    }
    await api.runJob('outbox');
    for (const mobile of numbers) expect(await api.sms(mobile)).toEqual([]);
  });

  it('caps mobile-change codes per record: the first are sent, then 429 with Retry-After; login codes still flow', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const numbers = Array.from({ length: ATTEMPTS }, randomMobile);
    const statuses: number[] = [];
    for (const mobile of numbers) {
      const res = await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body: { contact: { mobile } } });
      statuses.push(res.status);
      if (res.status === 429) {
        expect(res.headers.get('content-type')).toBe('application/problem+json');
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(res.body).toMatchObject({ status: 429, type: 'urn:dmp:problem:sms-limit' });
        expect(res.body.detail).toMatch(/mobile/);
      }
    }
    expect(statuses).toEqual([...Array(MOBILE_CHANGES_PER_HOUR).fill(200), ...Array(ATTEMPTS - MOBILE_CHANGES_PER_HOUR).fill(429)]);
    await api.runJob('outbox');
    const sent = (await Promise.all(numbers.map((m) => api.sms(m)))).flat();
    expect(sent.length).toBeLessThanOrEqual(MOBILE_CHANGES_PER_HOUR);

    // Throttled as it is, the record's holder still logs in: the login code is sent.
    const loginCodes = async () => (await api.sms(p.mobile)).filter((m) => m.message.includes('code de connexion')).length;
    const codesBefore = await loginCodes();
    const first = await login(api, p.loginId, NEW_PASSWORD);
    expect(first.status).toBe(202);
    expect(await loginCodes()).toBe(codesBefore + 1);
    expect((await verify(api, first.body.challengeId, await lastCode(api, p.mobile))).status).toBe(200);
  });

  it('one professional declaring break-glass again and again: every declaration granted, the patient told once; login codes still flow', async () => {
    const { p } = await patientWithSession(api, doctor);
    await api.runJob('outbox');
    const urgentist = await api.professional({ professionalId: randomRpps() });
    for (let i = 0; i < ATTEMPTS; i++) {
      const res = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'Patient inconscient aux urgences' } });
      expect(res.status).toBe(200);
      expect(res.body).toMatchObject({ authorization: 'VALIDE', mode: 'break-glass' });
    }
    await api.runJob('outbox');
    const emergencySms = async () => (await api.sms(p.mobile)).filter((m) => m.message.includes('en urgence')).length;
    expect(await emergencySms()).toBe(1);

    // Other professionals' emergencies are told too, up to the record's cap for the day.
    for (let i = 0; i < EMERGENCY_NOTICES_PER_DAY + 2; i++) {
      const other = await api.professional({ professionalId: randomRpps() });
      expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: other, body: { mode: 'break-glass', reason: 'Patient inconscient aux urgences' } })).status).toBe(
        200,
      );
    }
    await api.runJob('outbox');
    expect(await emergencySms()).toBe(EMERGENCY_NOTICES_PER_DAY);

    const loginCodes = async () => (await api.sms(p.mobile)).filter((m) => m.message.includes('code de connexion')).length;
    const codesBefore = await loginCodes();
    const first = await login(api, p.loginId, NEW_PASSWORD);
    expect(first.status).toBe(202);
    expect(await loginCodes()).toBe(codesBefore + 1);
    expect((await verify(api, first.body.challengeId, await lastCode(api, p.mobile))).status).toBe(200);
  });
});

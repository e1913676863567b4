/**
 * Sessions end with their credentials and with their record's closure: a session opened before a
 * desk reissue, a password change or a closure is refused afterwards (401, invalid_token: the
 * token no longer authenticates anyone, logging in again is the way on), and a new session works.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { adultIdentity, randomMobile, recordBody } from '../support/fixtures.ts';
import { MovableClock, NEW_PASSWORD, activeSession, newPatient, openSession, patientWithSession, startClockedApi } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

const expectEnded = (res: { status: number; body: Record<string, unknown>; headers?: unknown }) => {
  expect(res.status).toBe(401);
  expect(res.body.type).toBe('urn:dmp:problem:session-ended');
};

describe('a session ends with its credentials', () => {
  it('after a desk reissue, the old session neither reads nor closes the record; the new credentials open a session', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token })).status).toBe(200);
    clock.advance(1000);
    const agent = await api.agent();
    const issued = await api.call('POST', `/v1/records/${p.dmpId}/credentials`, { token: agent, body: { identityChecked: true } });
    expect(issued.status).toBe(201);

    expectEnded(await api.call('GET', `/v1/records/${p.dmpId}`, { token }));
    expectEnded(await api.call('GET', `/v1/records/${p.dmpId}/documents`, { token }));
    expectEnded(await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token, body: {} }));

    const fresh = await activeSession(api, { dmpId: p.dmpId, loginId: issued.body.loginId, password: issued.body.provisionalPassword, mobile: p.mobile });
    const read = await api.call('GET', `/v1/records/${p.dmpId}`, { token: fresh.token });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('active');
  });

  it('after a password change, every session opened before it is refused, the one that changed it too', async () => {
    const p = await newPatient(api, doctor);
    const { token: other, holder } = await activeSession(api, p);
    clock.advance(1000);
    const changer = await openSession(api, holder);
    expect(changer.status).toBe(200);
    const changed = await api.call('POST', '/v1/auth/patient/password', {
      token: changer.body.accessToken,
      body: { currentPassword: NEW_PASSWORD, newPassword: 'une autre phrase de passe 2027' },
    });
    expect(changed.status).toBe(204);

    expectEnded(await api.call('GET', `/v1/records/${p.dmpId}`, { token: other }));
    expectEnded(await api.call('GET', `/v1/records/${p.dmpId}`, { token: changer.body.accessToken }));
    expectEnded(
      await api.call('POST', '/v1/auth/patient/password', { token: other, body: { currentPassword: 'une autre phrase de passe 2027', newPassword: 'encore une phrase 2028 !' } }),
    );

    clock.advance(1000);
    const again = await openSession(api, { ...holder, password: 'une autre phrase de passe 2027' });
    expect(again.status).toBe(200);
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token: again.body.accessToken })).status).toBe(200);
  });
});

describe('a session ends with its record’s closure', () => {
  it('refuses a session opened before the closure, except to reactivate; a new session reads the closed record', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const { token: closer } = await activeSession(api, { ...p, password: NEW_PASSWORD });
    clock.advance(1000);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token: closer, body: {} })).status).toBe(200);

    expectEnded(await api.call('GET', `/v1/records/${p.dmpId}`, { token }));
    expectEnded(await api.call('GET', `/v1/records/${p.dmpId}/documents`, { token }));
    expectEnded(await api.call('GET', `/v1/records/${p.dmpId}/access-log`, { token: closer }));

    clock.advance(1000);
    const fresh = await openSession(api, { ...p, password: NEW_PASSWORD });
    expect(fresh.status).toBe(200);
    const read = await api.call('GET', `/v1/records/${p.dmpId}`, { token: fresh.body.accessToken });
    expect(read.status).toBe(200);
    expect(read.body.status).toBe('closed');

    // Undoing the closure stays open to the holder who just closed: reactivation, and only that.
    expect((await api.call('POST', `/v1/records/${p.dmpId}/reactivation`, { token: closer })).status).toBe(200);
    expectEnded(await api.call('GET', `/v1/records/${p.dmpId}`, { token: closer }));
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token: fresh.body.accessToken })).status).toBe(200);
  });
});

describe('a representative’s session ends at the 18th birthday', () => {
  it('even when it was opened minutes before', async () => {
    const birthday = new Date(clock.now().getTime() + 86_400_000);
    const birthDate = `${birthday.getUTCFullYear() - 18}-${birthday.toISOString().slice(5, 10)}`;
    const repMobile = randomMobile();
    const created = await api.call('POST', '/v1/records', {
      token: doctor,
      body: recordBody({
        identity: { ...adultIdentity(), birthDate },
        representatives: [{ familyName: 'CanaryRep', givenNames: 'Anne', relationship: 'MTH', mobile: repMobile }],
      }),
    });
    expect(created.status).toBe(201);
    const dmpId = created.body.dmpId as string;
    const rep = { dmpId, loginId: created.body.representatives[0].loginId, password: created.body.representatives[0].provisionalPassword, mobile: repMobile };
    const adulthood = Date.parse(`${birthday.toISOString().slice(0, 10)}T00:00:00Z`);
    clock.advance(adulthood - 2 * 60_000 - clock.now().getTime());
    try {
      const { token } = await activeSession(api, rep);
      expect((await api.call('GET', `/v1/records/${dmpId}`, { token })).status).toBe(200);
      clock.advance(3 * 60_000);
      expect((await api.call('GET', `/v1/records/${dmpId}`, { token })).status).toBe(401);
    } finally {
      clock.reset();
    }
  });
});

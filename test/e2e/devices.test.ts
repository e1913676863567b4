/**
 * Paired devices over HTTP: the record's holders pair a device (its credential shown once, kept as
 * a hash, its name sealed), list and revoke them; the credential writes measurements to its own
 * record and nothing else (403 on another record and on every other route of the manifest), stops
 * at once when revoked (401), writes nothing on a closed record (409), and is gone with the
 * record's partition at the ten-year purge. Every action is traced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/capabilities/index.ts';
import { accessLog } from '../support/documents.ts';
import { adultIdentity, canary, minorBirthDate, randomMobile, recordBody } from '../support/fixtures.ts';
import { deviceItems, measurementItems, pairDevice, postMeasurements, weight } from '../support/measurements.ts';
import { MovableClock, YEAR_MS, activeSession, patientWithSession, startClockedApi } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

const CREDENTIAL = /^dmpdev_[A-Za-z0-9_-]{8,64}\.[a-z2-7]{20}\.[A-Za-z0-9_-]{43}$/;

describe('pairing a device', () => {
  it('answers the credential once: the listing never shows it, the table keeps its hash and a sealed name', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const name = canary('BalanceSalleDeBain');
    const paired = await api.call('POST', `/v1/records/${p.dmpId}/devices`, { token, body: { name } });
    expect(paired.status, JSON.stringify(paired.body)).toBe(201);
    expect(paired.headers.get('cache-control')).toBe('no-store');
    expect(paired.body).toEqual({ deviceId: expect.stringMatching(/^[a-z2-7]{20}$/), name, pairedAt: expect.any(String), credential: expect.stringMatching(CREDENTIAL) });
    const { deviceId, credential } = paired.body as { deviceId: string; credential: string };
    expect(credential).toContain(`.${deviceId}.`);
    const secret = credential.split('.').at(-1) as string;

    const listed = await api.call('GET', `/v1/records/${p.dmpId}/devices`, { token });
    expect(listed.status).toBe(200);
    expect(listed.body.items).toEqual([{ deviceId, name, pairedAt: paired.body.pairedAt, pairedBy: { kind: 'patient', id: p.dmpId } }]);
    expect(JSON.stringify(listed.body)).not.toContain(secret);

    const items = await deviceItems(api, p.dmpId);
    expect(items).toHaveLength(1);
    expect(items[0]?.credentialHash?.S).toMatch(/^[A-Za-z0-9_-]{43}$/);
    const raw = JSON.stringify(await api.scanAll());
    expect(raw).not.toContain(secret);
    expect(raw).not.toContain(name);

    // A second pairing is another device with another credential.
    const second = await pairDevice(api, token, p.dmpId);
    expect(second.deviceId).not.toBe(deviceId);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/devices`, { token })).body.items).toHaveLength(2);
  });

  it('is the holders’ own: a representative pairs for a minor, a professional may not, another record is 404, bad names are 400', async () => {
    const mobile = randomMobile();
    const minor = await api.call('POST', '/v1/records', {
      token: doctor,
      body: recordBody({
        identity: { ...adultIdentity(), birthDate: minorBirthDate() },
        representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
      }),
    });
    expect(minor.status).toBe(201);
    const rep = minor.body.representatives[0];
    const { token: repToken } = await activeSession(api, { dmpId: minor.body.dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile });
    const paired = await pairDevice(api, repToken, minor.body.dmpId);
    const listed = await api.call('GET', `/v1/records/${minor.body.dmpId}/devices`, { token: repToken });
    expect(listed.body.items[0]).toMatchObject({ deviceId: paired.deviceId, pairedBy: { kind: 'representative', id: rep.loginId } });

    const { p, token } = await patientWithSession(api, doctor);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/devices`, { token: doctor, body: { name: 'x' } })).status).toBe(403);
    expect((await api.call('POST', `/v1/records/${minor.body.dmpId}/devices`, { token, body: { name: 'x' } })).status).toBe(404);
    expect((await api.call('GET', `/v1/records/${minor.body.dmpId}/devices`, { token })).status).toBe(404);
    for (const body of [{}, { name: '' }, { name: 'x'.repeat(101) }, { name: 'a\u0000b' }, { name: 'ok', kind: 'scale' }]) {
      const res = await api.call('POST', `/v1/records/${p.dmpId}/devices`, { token, body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.body.errors[0].path).toMatch(/^body/);
    }
    expect(await deviceItems(api, p.dmpId)).toHaveLength(0);
  });

  it('traces the pairing, the listing and the revocation; the device’s writes are traced as its own', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/devices`, { token })).status).toBe(200);
    expect((await postMeasurements(api, device.credential, p.dmpId, [weight()])).status).toBe(200);
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/devices/${device.deviceId}`, { token })).status).toBe(204);
    const log = await accessLog(api, token, p.dmpId);
    const actions = log.map((t) => `${t.action} ${t.actor.kind}`);
    for (const expected of ['device.pair patient', 'device.list patient', 'measurements.write device', 'device.revoke patient']) expect(actions).toContain(expected);
    expect(log.find((t) => t.action === 'measurements.write')?.actor.id).toBe(device.deviceId);
    // Ids only: never the device's name.
    expect(JSON.stringify(log)).not.toContain(device.name);
  });
});

describe('a device’s credential', () => {
  it('writes measurements to its own record, and is refused on another (403 device-not-for-this-record)', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const other = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    const mine = await postMeasurements(api, device.credential, p.dmpId, [weight()]);
    expect(mine.status, JSON.stringify(mine.body)).toBe(200);
    expect(mine.body).toEqual({ stored: 1, duplicate: 0 });
    const theirs = await postMeasurements(api, device.credential, other.p.dmpId, [weight()]);
    expect(theirs.status).toBe(403);
    expect(theirs.body.type).toBe('urn:dmp:problem:device-not-for-this-record');
    expect(await measurementItems(api, other.p.dmpId)).toHaveLength(0);
    // A device names itself only.
    const another = await pairDevice(api, token, p.dmpId);
    const posing = await postMeasurements(api, device.credential, p.dmpId, [weight({ deviceId: another.deviceId })]);
    expect(posing.status).toBe(422);
    expect(posing.body.errors).toEqual([{ path: 'measurements[0].deviceId', message: expect.any(String) }]);
  });

  it('is refused by every route of the manifest but POST …/measurements, with 403, whatever the route', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    const others = ROUTES.filter((r) => !(r.callers as readonly string[]).includes('device'));
    expect(others.length).toBe(ROUTES.length - 1);
    for (const route of others) {
      const path = route.path
        .replace('{dmpId}', p.dmpId)
        .replace('{deviceId}', device.deviceId)
        .replace(/\{\w+\}/g, '810001234567');
      const res = await api.call(route.method, path, { token: device.credential, ...(route.body ? { body: {} } : {}) });
      expect(res.status, `${route.method} ${route.path}`).toBe(403);
      // A FHIR route refuses in FHIR (an OperationOutcome), every other one with a problem document.
      expect(res.headers.get('content-type')).toBe(route.path.startsWith('/fhir/') ? 'application/fhir+json' : 'application/problem+json');
    }
    // Its own record's devices and measurements included: it reads nothing.
    expect(await deviceItems(api, p.dmpId)).toHaveLength(1);
  });

  it('stops at once when revoked (401), as do unknown, forged and malformed credentials; its measurements stay', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    expect((await postMeasurements(api, device.credential, p.dmpId, [weight()])).status).toBe(200);
    const revoked = await api.call('DELETE', `/v1/records/${p.dmpId}/devices/${device.deviceId}`, { token });
    expect(revoked.status).toBe(204);
    const after = await postMeasurements(api, device.credential, p.dmpId, [weight({ value: 73 })]);
    expect(after.status).toBe(401);
    expect(after.headers.get('www-authenticate')).toContain('invalid_token');
    expect(await measurementItems(api, p.dmpId)).toHaveLength(1);
    // Revoking again answers the same; the listing shows since when.
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/devices/${device.deviceId}`, { token })).status).toBe(204);
    const listed = await api.call('GET', `/v1/records/${p.dmpId}/devices`, { token });
    expect(listed.body.items[0].revokedAt).toEqual(expect.any(String));
    expect((await deviceItems(api, p.dmpId))[0]?.credentialHash).toBeUndefined();

    const live = await pairDevice(api, token, p.dmpId);
    const [prefix, deviceId, secret] = live.credential.split('.') as [string, string, string];
    const flipped = `${secret.slice(0, -1)}${secret.endsWith('A') ? 'B' : 'A'}`;
    const unknownDevice = 'a'.repeat(20);
    for (const credential of [
      `${prefix}.${deviceId}.${flipped}`,
      `${prefix}.${unknownDevice}.${secret}`,
      `dmpdev_${'x'.repeat(22)}.${deviceId}.${secret}`,
      `dmpdev_${p.dmpId}`,
      `${live.credential}.x`,
      'dmpdev_',
    ]) {
      expect((await postMeasurements(api, credential, p.dmpId, [weight()])).status, credential).toBe(401);
    }
    expect((await postMeasurements(api, live.credential, p.dmpId, [weight({ value: 74 })])).status).toBe(200);
    expect(await measurementItems(api, p.dmpId)).toHaveLength(2);
  });

  it('revocation is the holders’: another patient gets 404, an unknown device 404, a malformed id 400', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const other = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/devices/${device.deviceId}`, { token: other.token })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/devices/${'b'.repeat(20)}`, { token })).status).toBe(404);
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/devices/NOT-AN-ID`, { token })).status).toBe(400);
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/devices/${device.deviceId}`, { token: doctor })).status).toBe(403);
    expect((await postMeasurements(api, device.credential, p.dmpId, [weight()])).status).toBe(200);
  });

  it('writes nothing on a closed record (409), and is gone with the record at the ten-year purge (401)', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    expect((await postMeasurements(api, device.credential, p.dmpId, [weight()])).status).toBe(200);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token })).status).toBe(200);
    const closed = await postMeasurements(api, device.credential, p.dmpId, [weight({ value: 80 })]);
    expect(closed.status).toBe(409);
    expect(closed.body.type).toBe('urn:dmp:problem:record-closed');
    expect(await measurementItems(api, p.dmpId)).toHaveLength(1);

    const purge = await api.runJob('retention', new Date(Date.now() + 10 * YEAR_MS + 3 * 86_400_000).toISOString());
    expect(purge.status, JSON.stringify(purge.body)).toBe(200);
    expect(purge.body.result.destroyed).toBeGreaterThanOrEqual(1);
    expect(await deviceItems(api, p.dmpId)).toHaveLength(0);
    expect(await measurementItems(api, p.dmpId)).toHaveLength(0);
    // Nothing of the device outside the record's partition either.
    expect((await api.scanAll()).filter((i) => JSON.stringify(i).includes(device.deviceId))).toEqual([]);
    expect((await postMeasurements(api, device.credential, p.dmpId, [weight()])).status).toBe(401);
    clock.reset();
  });
});

/**
 * Measurements over HTTP: a batch from a paired device or the record's holders is checked whole
 * (unknown code, unit, range, components, instant, unknown fields: a 422 naming each field, and
 * nothing of the batch stored), each measurement stored once whatever the re-sends and shown with
 * its source and author; the series reads newest first, by code and dates, page after page, for the
 * holders and the professionals the matrix lets read patient data (class 90), every read traced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/documents.ts';
import { randomRpps } from '../support/fixtures.ts';
import { bloodPressure, heartRate, listMeasurements, measurementItems, minutesAgo, pairDevice, postMeasurements, weight } from '../support/measurements.ts';
import { patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
beforeAll(async () => {
  api = await startTestApi();
  doctor = await api.professional();
});
afterAll(() => api?.stop());

/** Every page of a listing, following nextCursor: the measurements and how many pages it took. */
const walk = async (token: string, dmpId: string, query: string) => {
  const items: any[] = [];
  let cursor: string | null = null;
  let pages = 0;
  do {
    const res = await listMeasurements(api, token, dmpId, `${query}${cursor ? `&cursor=${cursor}` : ''}`);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    items.push(...res.body.items);
    cursor = res.body.nextCursor;
    pages++;
  } while (cursor && pages < 50);
  return { items, pages };
};

describe('POST …/measurements', () => {
  it('stores the patient’s measurements with their source and author, a device’s with its own', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    const byPatient = await postMeasurements(api, token, p.dmpId, [weight({ effectiveAt: minutesAgo(30) }), bloodPressure({ effectiveAt: minutesAgo(31) })]);
    expect(byPatient.status, JSON.stringify(byPatient.body)).toBe(200);
    expect(byPatient.body).toEqual({ stored: 2, duplicate: 0 });
    const byDevice = await postMeasurements(api, device.credential, p.dmpId, [heartRate({ effectiveAt: minutesAgo(20) })]);
    expect(byDevice.body).toEqual({ stored: 1, duplicate: 0 });
    // The patient relaying a paired device's reading names it.
    const relayed = await postMeasurements(api, token, p.dmpId, [weight({ effectiveAt: minutesAgo(10), deviceId: device.deviceId })]);
    expect(relayed.body).toEqual({ stored: 1, duplicate: 0 });

    const res = await listMeasurements(api, token, p.dmpId);
    expect(res.status).toBe(200);
    const [relayedView, hr, w, bp] = res.body.items;
    expect(res.body.items).toHaveLength(4);
    expect(hr).toEqual({
      measurementId: expect.any(String),
      code: '8867-4',
      display: 'Fréquence cardiaque',
      unit: '/min',
      value: 64,
      effectiveAt: expect.any(String),
      source: 'device',
      author: { kind: 'device', id: device.deviceId },
      deviceId: device.deviceId,
      recordedAt: expect.any(String),
    });
    expect(relayedView).toMatchObject({ code: '29463-7', source: 'patient', author: { kind: 'patient', id: p.dmpId }, deviceId: device.deviceId });
    expect(w).toMatchObject({ code: '29463-7', unit: 'kg', value: 72.5, source: 'patient', author: { kind: 'patient', id: p.dmpId } });
    expect(w.deviceId).toBeUndefined();
    expect(bp).toMatchObject({
      code: '85354-9',
      display: 'Pression artérielle',
      unit: 'mm[Hg]',
      components: [
        { code: '8480-6', display: 'Systolique', value: 120 },
        { code: '8462-4', display: 'Diastolique', value: 80 },
      ],
    });
    expect(bp.value).toBeUndefined();
  });

  it('stores a re-sent measurement once (same device, code and instant), and counts it duplicate', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    const at = minutesAgo(60);
    const batch = [weight({ effectiveAt: at }), heartRate({ effectiveAt: at }), bloodPressure({ effectiveAt: at })];
    expect((await postMeasurements(api, device.credential, p.dmpId, batch)).body).toEqual({ stored: 3, duplicate: 0 });
    expect((await postMeasurements(api, device.credential, p.dmpId, batch)).body).toEqual({ stored: 0, duplicate: 3 });
    // The same instant written another way (an offset, fewer decimals) is the same instant.
    const offset = new Date(Date.parse(at) + 2 * 3600_000).toISOString().replace('Z', '+02:00');
    expect((await postMeasurements(api, device.credential, p.dmpId, [weight({ effectiveAt: offset, value: 99 })])).body).toEqual({ stored: 0, duplicate: 1 });
    // The patient relaying the same device's reading: the same measurement.
    expect((await postMeasurements(api, token, p.dmpId, [weight({ effectiveAt: at, deviceId: device.deviceId })])).body).toEqual({ stored: 0, duplicate: 1 });
    // Twice in one batch; and the holders' own entry of the same instant is another measurement.
    expect((await postMeasurements(api, token, p.dmpId, [weight({ effectiveAt: at }), weight({ effectiveAt: at })])).body).toEqual({ stored: 1, duplicate: 1 });
    // Another instant is another measurement.
    expect((await postMeasurements(api, device.credential, p.dmpId, [weight({ effectiveAt: minutesAgo(59) })])).body).toEqual({ stored: 1, duplicate: 0 });
    expect(await measurementItems(api, p.dmpId)).toHaveLength(5);
    // The first one stored stays: a re-send with another value changed nothing.
    const weights = (await listMeasurements(api, token, p.dmpId, 'code=29463-7')).body.items;
    expect(weights.map((m: { value: number }) => m.value)).toEqual([72.5, 72.5, 72.5]);
  });

  it('refuses a faulty batch whole: a 422 naming each field at fault, and nothing stored', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    const good = weight();
    const cases: [unknown, string[]][] = [
      [{ ...weight(), code: '99999-9' }, ['code']],
      [{ ...weight(), unit: 'g' }, ['unit']],
      [{ ...weight(), unit: undefined }, ['unit']],
      [weight({ value: 400.1 }), ['value']],
      [weight({ value: 0.2 }), ['value']],
      [weight({ value: '72' }), ['value']],
      [weight({ value: undefined }), ['value']],
      [weight({ components: [{ code: '8480-6', value: 120 }] }), ['components']],
      [bloodPressure({ value: 120 }), ['value']],
      [bloodPressure({ components: [{ code: '8480-6', value: 120 }] }), ['components']],
      [
        bloodPressure({
          components: [
            { code: '8480-6', value: 301 },
            { code: '8462-4', value: 80 },
          ],
        }),
        ['components[0].value'],
      ],
      [
        bloodPressure({
          components: [
            { code: '8480-6', value: 120 },
            { code: '8480-6', value: 80 },
          ],
        }),
        ['components[1].code'],
      ],
      [
        bloodPressure({
          components: [
            { code: '8480-6', value: 120 },
            { code: '8462-4', value: 80, unit: 'mm[Hg]' },
          ],
        }),
        ['components[1].unit'],
      ],
      [weight({ effectiveAt: new Date(Date.now() + 3600_000).toISOString() }), ['effectiveAt']],
      [weight({ effectiveAt: '1970-01-01T00:00:00Z' }), ['effectiveAt']],
      [weight({ effectiveAt: '2026-02-30T10:00:00Z' }), ['effectiveAt']],
      [weight({ effectiveAt: 'yesterday' }), ['effectiveAt']],
      [weight({ note: 'hello' }), ['note']],
      [weight({ deviceId: 'c'.repeat(20) }), ['deviceId']],
      [weight({ deviceId: 42 }), ['deviceId']],
      ['72.5 kg', ['']],
    ];
    for (const [faulty, fields] of cases) {
      const res = await postMeasurements(api, token, p.dmpId, [good, heartRate(), faulty]);
      expect(res.status, JSON.stringify(faulty)).toBe(422);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
      expect(res.body.type).toBe('urn:dmp:problem:invalid-measurements');
      expect(
        res.body.errors.map((e: { path: string }) => e.path),
        JSON.stringify(faulty),
      ).toEqual(fields.map((f) => (f ? `measurements[2].${f}` : 'measurements[2]')));
      for (const e of res.body.errors) expect(e.message).toMatch(/\w/);
    }
    // Several faults at once, each named; none of the values echoed.
    const many = await postMeasurements(api, device.credential, p.dmpId, [weight({ value: 987.123 }), good, heartRate({ unit: 'bpm', extra: 1 })]);
    expect(many.status).toBe(422);
    expect(many.body.errors.map((e: { path: string }) => e.path)).toEqual(['measurements[0].value', 'measurements[2].extra', 'measurements[2].unit']);
    expect(JSON.stringify(many.body)).not.toContain('987.123');
    expect(JSON.stringify(many.body)).not.toContain('bpm');
    expect(await measurementItems(api, p.dmpId)).toHaveLength(0);
  });

  it('refuses a batch that is not one with 400 (empty, over 100, unknown fields) and a body over 64 KiB with 413', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    for (const body of [
      {},
      { measurements: [] },
      { measurements: weight() },
      { measurements: Array.from({ length: 101 }, (_, i) => weight({ effectiveAt: minutesAgo(i + 1) })) },
      { measurements: [weight()], source: 'x' },
    ]) {
      const res = await api.call('POST', `/v1/records/${p.dmpId}/measurements`, { token, body });
      expect(res.status, JSON.stringify(body).slice(0, 100)).toBe(400);
      expect(res.body.errors[0].path).toMatch(/^body/);
    }
    const big = await api.call('POST', `/v1/records/${p.dmpId}/measurements`, { token, body: { measurements: [weight({ note: 'x'.repeat(70_000) })] } });
    expect(big.status).toBe(413);
    // The most a batch holds: 100.
    const hundred = await postMeasurements(
      api,
      token,
      p.dmpId,
      Array.from({ length: 100 }, (_, i) => weight({ effectiveAt: minutesAgo(i + 1) })),
    );
    expect(hundred.status).toBe(200);
    expect(hundred.body).toEqual({ stored: 100, duplicate: 0 });
    expect(await measurementItems(api, p.dmpId)).toHaveLength(100);
  });

  it('is the holders’ and their devices’: a professional may not write (403), another patient’s record is 404', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const other = await patientWithSession(api, doctor);
    expect((await postMeasurements(api, doctor, p.dmpId, [weight()])).status).toBe(403);
    expect((await postMeasurements(api, other.token, p.dmpId, [weight()])).status).toBe(404);
    expect((await postMeasurements(api, token, p.dmpId, [weight()])).status).toBe(200);
    expect(await measurementItems(api, p.dmpId)).toHaveLength(1);
  });
});

describe('GET …/measurements', () => {
  it('reads a code’s series newest first, between dates, page after page, and every code merged by instant', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const device = await pairDevice(api, token, p.dmpId);
    const now = Date.now();
    const hour = (h: number) => new Date(now - h * 3600_000).toISOString();
    const weights = Array.from({ length: 7 }, (_, i) => weight({ effectiveAt: hour(24 * (i + 1)), value: 70 + i }));
    const rates = Array.from({ length: 3 }, (_, i) => heartRate({ effectiveAt: hour(24 * (i + 1)), value: 60 + i }));
    const pressures = [bloodPressure({ effectiveAt: hour(30) }), bloodPressure({ effectiveAt: hour(5) })];
    expect((await postMeasurements(api, device.credential, p.dmpId, [...weights, ...rates, ...pressures])).body).toEqual({ stored: 12, duplicate: 0 });

    // One code: newest first, 3 a page.
    const series = await walk(token, p.dmpId, 'code=29463-7&limit=3');
    expect(series.pages).toBe(3);
    expect(series.items.map((m) => m.value)).toEqual([70, 71, 72, 73, 74, 75, 76]);
    expect(new Set(series.items.map((m) => m.measurementId)).size).toBe(7);
    // Between two instants, and between two days (both included).
    const between = await listMeasurements(api, token, p.dmpId, `code=29463-7&from=${hour(24 * 4)}&to=${hour(24 * 2)}`);
    expect(between.body.items.map((m: { value: number }) => m.value)).toEqual([71, 72, 73]);
    const day = hour(24 * 3).slice(0, 10);
    const onDay = await listMeasurements(api, token, p.dmpId, `code=8867-4&from=${day}&to=${day}`);
    expect(onDay.body.items.map((m: { value: number }) => m.value)).toEqual([62]);
    expect((await listMeasurements(api, token, p.dmpId, `from=${hour(1)}&to=${hour(200)}`)).body.items).toEqual([]);

    // Every code, merged newest first, 4 a page: each measurement once.
    const all = await walk(token, p.dmpId, 'limit=4');
    expect(all.pages).toBe(3);
    expect(all.items).toHaveLength(12);
    const instants = all.items.map((m) => m.effectiveAt);
    expect(instants).toEqual([...instants].sort().reverse());
    expect(new Set(all.items.map((m) => `${m.code} ${m.effectiveAt}`)).size).toBe(12);
    expect(all.items[0].code).toBe('85354-9');
    // Ties at one instant (a weight and a heart rate each day) are cut across pages without loss.
    const ones = await walk(token, p.dmpId, 'limit=1');
    expect(ones.items.map((m) => `${m.code} ${m.effectiveAt}`)).toEqual(all.items.map((m) => `${m.code} ${m.effectiveAt}`));
  });

  it('refuses bad queries with 400: an unknown code, a malformed date, a cursor of another list', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    for (const query of ['code=99999-9', 'from=yesterday', 'to=2026-02-30', 'limit=0', 'limit=101', 'cursor=bm90LWEtY3Vyc29y', 'colour=red']) {
      const res = await listMeasurements(api, token, p.dmpId, query);
      expect(res.status, query).toBe(400);
      expect(res.headers.get('content-type')).toBe('application/problem+json');
    }
  });

  it('is for the holders and the professionals whose profession reads patient data, with access; every read is traced', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    expect((await postMeasurements(api, token, p.dmpId, [weight()])).status).toBe(200);
    // The doctor who created the record holds an authorization; class 90 is in a doctor's row.
    const byDoctor = await listMeasurements(api, doctor, p.dmpId);
    expect(byDoctor.status).toBe(200);
    expect(byDoctor.body.items).toHaveLength(1);
    // A professional without authorization, and one whose profession may not read class 90 even when authorised.
    expect((await listMeasurements(api, await api.professional(), p.dmpId)).status).toBe(403);
    const dieticianId = randomRpps();
    const dietician = await api.professional({ professionalId: dieticianId, profession: '26' });
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${dieticianId}`, { token, body: { status: 'authorized' } })).status).toBe(200);
    const refused = await listMeasurements(api, dietician, p.dmpId);
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:dmp:problem:profession-not-allowed');
    expect((await listMeasurements(api, await api.agent(), p.dmpId)).status).toBe(403);
    const other = await patientWithSession(api, doctor);
    expect((await listMeasurements(api, other.token, p.dmpId)).status).toBe(404);

    expect((await listMeasurements(api, token, p.dmpId, 'code=29463-7')).status).toBe(200);
    const reads = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'measurements.read') as {
      actor: { kind: string; id?: string; profession?: string };
      outcome?: string;
    }[];
    expect(
      reads
        .filter((t) => t.outcome === 'allowed')
        .map((t) => t.actor.kind)
        .sort(),
    ).toEqual(['patient', 'professional']);
    // The dietician's refusal is traced too (refusals of professionals are).
    expect(reads.some((t) => t.outcome === 'refused' && t.actor.id === dieticianId)).toBe(true);
    expect((await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'measurements.write').map((t) => t.actor.kind)).toEqual(['patient']);
  });
});

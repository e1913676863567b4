/**
 * The vaccination record over HTTP: recording by the vaccinator (a pharmacist, a nurse, a doctor:
 * no authorization needed, refused when blocked) or declared by the patient; the list with the
 * claims history's deliveries (flagged as such, without the ones a recorded vaccination stands for,
 * under the claims policy); what is due from the calendar and the boosters given; bad input refused
 * naming its field with nothing stored; idempotent retries; every action traced.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchId, daysAgo, pushBatch, sourceId } from '../support/claims.ts';
import { accessLog } from '../support/documents.ts';
import { adultIdentity, canary, minorBirthDate, randomFiness, randomMobile, randomRpps, recordBody } from '../support/fixtures.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctorId: string;
let doctor: string;
let insurer: string;
beforeAll(async () => {
  api = await startTestApi();
  doctorId = randomRpps();
  doctor = await api.professional({ professionalId: doctorId });
  insurer = await api.insurer();
});
afterAll(() => api?.stop());

const FLU_CIP = '3400930000137';
const DTP_CIP = '3400930000151';
const flu = (extra: Record<string, unknown> = {}) => ({ name: 'Vaccin grippal', codeSystem: 'CIP13', code: FLU_CIP, atcValence: 'J07BB02', ...extra });
const dtp = { name: 'Revaxis', codeSystem: 'ATC_VALENCE', code: 'J07CA01' };
const hepB = { name: 'Engerix B', codeSystem: 'ATC_VALENCE', code: 'J07BC01' };
const daysAhead = (n: number): string => daysAgo(-n);

const vaccination = (extra: Record<string, unknown> = {}) => ({ date: daysAgo(3), vaccine: flu(), lotNumber: 'AB1234', doseNumber: 1, ...extra });
const record = (dmpId: string, token: string, body: unknown, headers: Record<string, string> = {}) =>
  api.call('POST', `/v1/records/${dmpId}/vaccinations`, { token, body, headers });
const list = (dmpId: string, token: string, query = '') => api.call('GET', `/v1/records/${dmpId}/vaccinations${query}`, { token });
const due = (dmpId: string, token: string) => api.call('GET', `/v1/records/${dmpId}/vaccinations/due`, { token });
const authorize = async (dmpId: string, token: string, professionalId: string, decision: Record<string, unknown> = { status: 'authorized' }) => {
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: decision });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};
const vaccinationLine = (extra: Record<string, unknown> = {}) => ({
  sourceId: sourceId(),
  category: 'vaccination',
  date: daysAgo(40),
  codeSystem: 'CIP13',
  code: FLU_CIP,
  display: 'VACCIN GRIPPAL',
  atcValence: 'J07BB02',
  quantity: 1,
  ...extra,
});
/** The record's vaccination items, but its place in the reminders' queue (there from the record's creation). */
const vaccinationItems = async (dmpId: string) => (await api.scanAll()).filter((i) => i.pk.S === `REC#${dmpId}` && String(i.sk.S).startsWith('VACC#') && i.sk.S !== 'VACC#Q');

/** A new adult (born 1975-03-14, fixtures) with a day-to-day session; `p` logs in again with its changed password. */
const patient = async () => {
  const created = await newPatient(api, doctor);
  const { token, holder } = await activeSession(api, created);
  return { p: { ...holder, ins: created.ins }, token };
};

describe('POST /v1/records/{dmpId}/vaccinations', () => {
  it('lets a pharmacist, a nurse and a doctor record what they gave without an authorization, and the patient declare one', async () => {
    const { p, token } = await patient();
    const pharmacistId = randomRpps();
    const pharmacist = await api.professional({ professionalId: pharmacistId, profession: '21', structure: randomFiness() });
    const nurseId = randomRpps();
    const nurse = await api.professional({ professionalId: nurseId, profession: '60' });

    const byPharmacist = await record(p.dmpId, pharmacist, vaccination({ nextBoosterDate: daysAhead(360) }));
    expect(byPharmacist.status, JSON.stringify(byPharmacist.body)).toBe(201);
    expect(byPharmacist.body).toEqual({
      id: expect.stringMatching(/^[a-z2-7]{12}$/),
      source: 'professional',
      author: { kind: 'professional', id: pharmacistId, profession: '21' },
      date: daysAgo(3),
      dateKind: 'administration',
      vaccine: flu(),
      lotNumber: 'AB1234',
      doseNumber: 1,
      vaccinator: { kind: 'professional', id: pharmacistId, profession: '21' },
      nextBoosterDate: daysAhead(360),
      recordedAt: expect.any(String),
    });
    const byNurse = await record(p.dmpId, nurse, vaccination({ date: daysAgo(2), vaccine: dtp, lotNumber: 'N-77/2' }));
    expect(byNurse.status).toBe(201);
    // The creating doctor holds an authorization; recording needs none all the same.
    const strangerId = randomRpps();
    const byStranger = await record(p.dmpId, await api.professional({ professionalId: strangerId }), vaccination({ date: daysAgo(1), vaccine: hepB, doseNumber: 2 }));
    expect(byStranger.status).toBe(201);
    expect(byStranger.body.author).toEqual({ kind: 'professional', id: strangerId, profession: '10' });
    const declared = await record(p.dmpId, token, { date: '2001-05-04', vaccine: hepB, doseNumber: 1, vaccinator: 'Dr Martin, Lyon' });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    expect(declared.body).toMatchObject({ source: 'patient', author: { kind: 'patient', id: p.dmpId }, vaccinator: { kind: 'declared', name: 'Dr Martin, Lyon' } });
    expect(declared.body).not.toHaveProperty('lotNumber');

    const all = await list(p.dmpId, token);
    expect(all.status).toBe(200);
    expect(all.body.items.map((i: { id: string }) => i.id)).toEqual([byStranger.body.id, byNurse.body.id, byPharmacist.body.id, declared.body.id]);
    expect(all.body.items[0]).toEqual(byStranger.body);

    // Recording needs no authorization; reading does.
    expect((await list(p.dmpId, pharmacist)).status).toBe(403);
    await authorize(p.dmpId, token, pharmacistId);
    expect((await list(p.dmpId, pharmacist)).body.items).toHaveLength(4);
  });

  it('refuses a blocked professional; a closed record is not found by professionals and read-only to its holders', async () => {
    const { p, token } = await patient();
    const blockedId = randomRpps();
    const blocked = await api.professional({ professionalId: blockedId, profession: '60' });
    await authorize(p.dmpId, token, blockedId, { status: 'blocked' });
    const refused = await record(p.dmpId, blocked, vaccination());
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:dmp:problem:blocked');

    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token, body: {} })).status).toBe(200);
    expect((await record(p.dmpId, doctor, vaccination())).status).toBe(404);
    const { token: fresh } = await activeSession(api, p);
    const readOnly = await record(p.dmpId, fresh, vaccination());
    expect(readOnly.status).toBe(409);
    expect(readOnly.body.type).toBe('urn:dmp:problem:record-closed');
    expect(await vaccinationItems(p.dmpId)).toEqual([]);
  });

  it('refuses bad input with a 4xx problem naming the field, and stores nothing', async () => {
    const { p, token } = await patient();
    const cases: [unknown, number, string][] = [
      [vaccination({ date: daysAhead(1) }), 422, 'body.date'],
      [vaccination({ date: '1975-03-13' }), 422, 'body.date'], // the day before the birth date (fixtures: 1975-03-14)
      [vaccination({ doseNumber: 0 }), 400, 'body.doseNumber'],
      [vaccination({ doseNumber: -1 }), 400, 'body.doseNumber'],
      [vaccination({ doseNumber: 1.5 }), 400, 'body.doseNumber'],
      [vaccination({ nextBoosterDate: daysAgo(4) }), 422, 'body.nextBoosterDate'],
      [vaccination({ nextBoosterDate: daysAgo(3) }), 422, 'body.nextBoosterDate'],
      [vaccination({ vaccine: flu({ code: '1234567890123' }) }), 400, 'body.vaccine.code'],
      [vaccination({ vaccine: { ...dtp, code: 'J07' } }), 400, 'body.vaccine.code'],
      [vaccination({ vaccine: { ...dtp, atcValence: 'J07CA01' } }), 400, 'body.vaccine.atcValence'],
      [vaccination({ vaccine: flu({ codeSystem: 'LOINC' }) }), 400, 'body.vaccine.codeSystem'],
      [vaccination({ vaccine: flu({ brand: 'x' }) }), 400, 'body.vaccine'],
      [vaccination({ batch: 'x' }), 400, 'body'],
      [vaccination({ date: '2026-02-30' }), 400, 'body.date'],
      [vaccination({ lotNumber: 'lot with spaces' }), 400, 'body.lotNumber'],
    ];
    for (const [body, status, path] of cases) {
      const res = await record(p.dmpId, token, body);
      expect(res.status, JSON.stringify(body)).toBe(status);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
      expect(
        (res.body.errors as { path: string }[]).map((e) => e.path),
        JSON.stringify(res.body),
      ).toContain(path);
    }
    // A professional is the vaccinator (from its token), and gives the lot number.
    const asPro = await record(p.dmpId, doctor, vaccination({ vaccinator: 'someone else' }));
    expect(asPro.status).toBe(400);
    expect(asPro.body.errors).toEqual([{ path: 'body.vaccinator', message: expect.any(String) }]);
    const noLot = await record(p.dmpId, doctor, vaccination({ lotNumber: undefined }));
    expect(noLot.status).toBe(400);
    expect(noLot.body.errors).toEqual([{ path: 'body.lotNumber', message: expect.any(String) }]);

    expect(await vaccinationItems(p.dmpId)).toEqual([]);
    expect((await list(p.dmpId, token)).body.items).toEqual([]);
    // No trace of a recording either.
    expect((await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'vaccinations.record')).toEqual([]);
  });

  it('is idempotent with an Idempotency-Key: the same request answers the same, once stored; another body under the key is refused', async () => {
    const { p } = await patient();
    const key = { 'idempotency-key': `vacc-${randomRpps()}` };
    const first = await record(p.dmpId, doctor, vaccination(), key);
    expect(first.status).toBe(201);
    const again = await record(p.dmpId, doctor, vaccination(), key);
    expect(again.status).toBe(201);
    expect(again.headers.get('idempotent-replayed')).toBe('true');
    expect(again.body).toEqual(first.body);
    expect((await vaccinationItems(p.dmpId)).filter((i) => String(i.sk.S).startsWith('VACC#E#'))).toHaveLength(1);
    expect((await record(p.dmpId, doctor, vaccination({ doseNumber: 2 }), key)).status).toBe(422);
  });
});

describe('GET /v1/records/{dmpId}/vaccinations', () => {
  it('shows the history’s deliveries flagged as such, without those a recorded vaccination stands for', async () => {
    const { p, token } = await patient();
    const fluDelivered = vaccinationLine({ date: daysAgo(40) });
    const dtpDelivered = vaccinationLine({ date: daysAgo(200), code: DTP_CIP, display: 'REPEVAX', atcValence: 'J07CA02' });
    const oldFlu = vaccinationLine({ date: daysAgo(400) });
    const medication = {
      sourceId: sourceId(),
      category: 'medication',
      date: daysAgo(10),
      codeSystem: 'CIP13',
      code: '3400930000120',
      display: 'DOLIPRANE',
      atcGroup: 'N02',
    };
    const pushed = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [fluDelivered, dtpDelivered, oldFlu, medication] }] });
    expect(pushed.body.lines.accepted, JSON.stringify(pushed.body)).toBe(4);

    // Before anything is recorded: the three deliveries, newest first.
    const before = await list(p.dmpId, token);
    expect(before.body.claimsIncluded).toBe(true);
    expect(before.body.items.map((i: { date: string; source: string; dateKind: string }) => [i.date, i.source, i.dateKind])).toEqual([
      [daysAgo(40), 'claims', 'delivery'],
      [daysAgo(200), 'claims', 'delivery'],
      [daysAgo(400), 'claims', 'delivery'],
    ]);
    expect(before.body.items[0]).toEqual({
      id: expect.any(String),
      source: 'claims',
      author: { kind: 'insurer', id: 'ALIM_AM' },
      date: daysAgo(40),
      dateKind: 'delivery',
      vaccine: { name: 'VACCIN GRIPPAL', codeSystem: 'CIP13', code: FLU_CIP, atcValence: 'J07BB02' },
    });

    // The pharmacist records the flu shot given 5 days after its delivery: that delivery leaves the list.
    const pharmacist = await api.professional({ profession: '21', structure: randomFiness() });
    const given = await record(p.dmpId, pharmacist, vaccination({ date: daysAgo(35), vaccine: flu() }));
    expect(given.status).toBe(201);
    const after = await list(p.dmpId, token);
    expect(after.body.items.map((i: { date: string; source: string }) => [i.date, i.source])).toEqual([
      [daysAgo(35), 'professional'],
      [daysAgo(200), 'claims'],
      [daysAgo(400), 'claims'],
    ]);

    // Pages follow the same order, with opaque cursors.
    const first = await list(p.dmpId, token, '?limit=2');
    expect(first.body.items.map((i: { date: string }) => i.date)).toEqual([daysAgo(35), daysAgo(200)]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await list(p.dmpId, token, `?limit=2&cursor=${first.body.nextCursor}`);
    expect(second.body.items.map((i: { date: string }) => i.date)).toEqual([daysAgo(400)]);
    expect(second.body.nextCursor).toBeNull();
    expect((await list(p.dmpId, token, `?cursor=${Buffer.from('CLAIM#x').toString('base64url')}`)).status).toBe(400);
  });

  it('shows the deliveries only to who may read the history: not a nurse, not past the patient’s mask, not a minor’s confidential ones to representatives', async () => {
    const { p, token } = await patient();
    await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [vaccinationLine()] }] });
    const nurseId = randomRpps();
    const nurse = await api.professional({ professionalId: nurseId, profession: '60' });
    expect((await record(p.dmpId, nurse, vaccination({ vaccine: dtp }))).status).toBe(201);
    await authorize(p.dmpId, token, nurseId);
    const byNurse = await list(p.dmpId, nurse);
    expect(byNurse.status).toBe(200);
    expect(byNurse.body.claimsIncluded).toBe(false);
    expect(byNurse.body.items.map((i: { source: string }) => i.source)).toEqual(['professional']);
    expect((await list(p.dmpId, doctor)).body.items.map((i: { source: string }) => i.source)).toEqual(['professional', 'claims']);

    // A profession the matrix keeps from vaccinations (a masseur-kinésithérapeute) reads nothing.
    const physioId = randomRpps();
    await authorize(p.dmpId, token, physioId);
    const physio = await list(p.dmpId, await api.professional({ professionalId: physioId, profession: '70' }));
    expect(physio.status).toBe(403);
    expect(physio.body.type).toBe('urn:dmp:problem:profession-not-allowed');

    expect((await api.call('PUT', `/v1/records/${p.dmpId}/claims/visibility`, { token, body: { maskedToProfessionals: true } })).status).toBe(200);
    const masked = await list(p.dmpId, doctor);
    expect(masked.body.claimsIncluded).toBe(false);
    expect(masked.body.items.map((i: { source: string }) => i.source)).toEqual(['professional']);
    expect((await list(p.dmpId, token)).body.items).toHaveLength(2);

    // A minor's representative does not see the deliveries the minor keeps confidential.
    const mobile = randomMobile();
    const body = recordBody({
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
    });
    const minor = await api.call('POST', '/v1/records', { token: doctor, body });
    expect(minor.status).toBe(201);
    const kept = vaccinationLine({ confidential: true, date: daysAgo(20), code: '3400930000168', atcValence: 'J07BM01', display: 'GARDASIL' });
    await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: body.ins, lines: [kept, vaccinationLine()] }] });
    const rep = minor.body.representatives[0];
    const repToken = (await activeSession(api, { dmpId: minor.body.dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile })).token;
    const seen = await list(minor.body.dmpId, repToken);
    expect(seen.body.items.map((i: { date: string }) => i.date)).toEqual([daysAgo(40)]);
    expect(JSON.stringify(seen.body)).not.toContain('GARDASIL');
    expect((await list(minor.body.dmpId, doctor)).body.items).toHaveLength(2);

    // A vaccination the representative declares: its author's id (a login id) is shown to the record's holders only.
    const declared = await record(minor.body.dmpId, repToken, { date: daysAgo(10), vaccine: hepB, doseNumber: 1 });
    expect(declared.status, JSON.stringify(declared.body)).toBe(201);
    expect(declared.body.author).toEqual({ kind: 'representative', id: rep.loginId });
    const authorSeenBy = async (token: string) => (await list(minor.body.dmpId, token)).body.items.find((i: { id: string }) => i.id === declared.body.id)?.author;
    expect(await authorSeenBy(repToken)).toEqual({ kind: 'representative', id: rep.loginId });
    expect(await authorSeenBy(doctor)).toEqual({ kind: 'representative' });
  });

  it('traces every read and every recording in the access log, and refusals of professionals', async () => {
    const { p, token } = await patient();
    expect((await record(p.dmpId, doctor, vaccination())).status).toBe(201);
    await list(p.dmpId, token);
    await list(p.dmpId, doctor);
    await due(p.dmpId, doctor);
    const strangerId = randomRpps();
    expect((await list(p.dmpId, await api.professional({ professionalId: strangerId }))).status).toBe(403);
    const log = await accessLog(api, token, p.dmpId);
    const of = (action: string) => log.filter((t) => t.action === action).map((t) => [t.actor.kind, t.actor.id, (t as { outcome?: string }).outcome]);
    expect(of('vaccinations.record')).toEqual([['professional', doctorId, 'allowed']]);
    expect(of('vaccinations.read')).toEqual(
      expect.arrayContaining([
        ['professional', doctorId, 'allowed'],
        ['patient', p.dmpId, 'allowed'],
        ['professional', strangerId, 'refused'],
      ]),
    );
    expect(of('vaccinations.read')).toHaveLength(3);
    expect(of('vaccinations.due')).toEqual([['professional', doctorId, 'allowed']]);
  });
});

describe('GET /v1/records/{dmpId}/vaccinations/due', () => {
  type Due = { id: string; kind: string; status: string; dueDate: string; vaccinationId?: string };
  const dueIds = async (dmpId: string, token: string) => {
    const res = await due(dmpId, token);
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    return (res.body.items as Due[]).map((i) => `${i.id}:${i.status}`);
  };

  it('combines the calendar from the birth date with the boosters given, and a dose (recorded or delivered) removes what it satisfies', async () => {
    // Born 1975-03-14 (fixtures): 51 today, the 45-year dtp booster (2020) was missed; 65 in 2040.
    const { p, token } = await patient();
    expect(await dueIds(p.dmpId, token)).toEqual(['dtp-45:overdue', 'dtp-65:upcoming', 'influenza-2040:upcoming']);

    const hep = await record(p.dmpId, doctor, vaccination({ vaccine: hepB, nextBoosterDate: daysAhead(20) }));
    expect(hep.status).toBe(201);
    const withBooster = (await due(p.dmpId, token)).body.items as Due[];
    expect(withBooster.find((i) => i.kind === 'booster')).toEqual({
      id: `booster-${hep.body.id}`,
      kind: 'booster',
      display: 'Engerix B',
      dueDate: daysAhead(20),
      window: { from: daysAhead(20), to: daysAhead(20) },
      status: 'upcoming',
      vaccinationId: hep.body.id,
    });

    // A dtp delivery in the history satisfies the missed booster (for those who may read the history).
    await pushBatch(api, insurer, {
      batchId: batchId(),
      patients: [{ ins: p.ins, lines: [vaccinationLine({ date: daysAgo(30), code: DTP_CIP, display: 'REPEVAX', atcValence: 'J07CA02' })] }],
    });
    expect(await dueIds(p.dmpId, token)).toEqual([`booster-${hep.body.id}:upcoming`, 'dtp-65:upcoming', 'influenza-2040:upcoming']);
    const nurseId = randomRpps();
    await authorize(p.dmpId, token, nurseId);
    const nurse = await api.professional({ professionalId: nurseId, profession: '60' });
    expect((await due(p.dmpId, nurse)).body.claimsIncluded).toBe(false);
    expect(await dueIds(p.dmpId, nurse)).toContain('dtp-45:overdue');

    // The next dose of the hepatitis B series ends the booster it was for.
    expect((await record(p.dmpId, doctor, vaccination({ date: daysAgo(0), vaccine: hepB, doseNumber: 2 }))).status).toBe(201);
    expect(await dueIds(p.dmpId, token)).toEqual(['dtp-65:upcoming', 'influenza-2040:upcoming']);
  });
});

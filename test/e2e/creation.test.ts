/**
 * DMP creation on every channel, over real HTTP against the local runtime (same handlers as
 * Lambda) on the AWS emulator. No test double here.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DMP_ID } from '../../functions/domain/identifiers.ts';
import { adultIdentity, minorBirthDate, randomFiness, randomIns, randomMobile, randomRpps, recordBody } from '../support/fixtures.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
let doctorId: string;
let agent: string;

beforeAll(async () => {
  api = await startTestApi();
  doctorId = randomRpps();
  doctor = await api.professional({ professionalId: doctorId, profession: '10' });
  agent = await api.agent();
});
afterAll(() => api.stop());

const body = (extra: Record<string, unknown> = {}) => recordBody(extra);

describe('creation by a health professional', () => {
  it('creates an active DMP and hands over provisional credentials once', async () => {
    const res = await api.call('POST', '/v1/records', { token: doctor, body: body() });
    expect(res.status).toBe(201);
    expect(res.body).toMatchObject({ status: 'active', channel: 'professional' });
    expect(res.body.dmpId).toMatch(DMP_ID);
    expect(res.body.credentials.loginId).toMatch(/^[0-9]{11}$/);
    expect(res.body.credentials.provisionalPassword).toMatch(/^[A-Za-z2-9]{14}$/);
    expect(Date.parse(res.body.createdAt)).not.toBeNaN();
  });

  it('lets the creating professional read the record, decrypted, with emergency settings defaulting to allowed', async () => {
    const input = body({ emergencyAccess: { regulation: false } });
    const created = await api.call('POST', '/v1/records', { token: doctor, body: input });
    const read = await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: doctor });
    expect(read.status).toBe(200);
    expect(read.body.identity).toEqual(input.identity);
    expect(read.body.contact).toEqual(input.contact);
    expect(read.body.emergencyAccess).toEqual({ breakGlass: true, regulation: false });
    expect(read.body).not.toHaveProperty('credentials');
    expect(JSON.stringify(read.body)).not.toContain(created.body.credentials.provisionalPassword);
  });

  it('refuses the record to another professional (403) and to an agent (403); unknown ids are 404', async () => {
    const created = await api.call('POST', '/v1/records', { token: doctor, body: body() });
    const other = await api.professional();
    expect((await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: other })).status).toBe(403);
    expect((await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: agent })).status).toBe(403);
    const unknown = await api.call('GET', '/v1/records/doesNotExist123', { token: doctor });
    expect(unknown.status).toBe(404);
    expect(unknown.headers.get('content-type')).toBe('application/problem+json');
  });

  it('creates a minor’s DMP with legal representatives, who get credentials of their own (the minor gets none until 18)', async () => {
    const reps = [
      { familyName: 'CanaryRepA', givenNames: 'Anne', relationship: 'MTH', mobile: randomMobile() },
      { familyName: 'CanaryRepB', givenNames: 'Paul', relationship: 'FTH' },
    ];
    const res = await api.call('POST', '/v1/records', {
      token: doctor,
      body: body({ identity: { ...adultIdentity(), birthDate: minorBirthDate() }, representatives: reps }),
    });
    expect(res.status).toBe(201);
    expect(res.body.representatives).toHaveLength(2);
    expect(res.body).not.toHaveProperty('credentials');
    const logins = res.body.representatives.map((r: { loginId: string }) => r.loginId);
    expect(new Set(logins).size).toBe(2);
    const read = await api.call('GET', `/v1/records/${res.body.dmpId}`, { token: doctor });
    expect(read.body.representatives).toEqual(reps);
  });

  it('refuses a minor without representative (422), changing nothing', async () => {
    const before = (await api.scanAll()).length;
    const res = await api.call('POST', '/v1/records', { token: doctor, body: body({ identity: { ...adultIdentity(), birthDate: minorBirthDate() } }) });
    expect(res.status).toBe(422);
    expect(res.body.type).toBe('urn:dmp:problem:minor-without-representative');
    expect((await api.scanAll()).length).toBe(before);
  });

  it('refuses a creation without express consent (422) and a non-boolean consent (400)', async () => {
    const refused = await api.call('POST', '/v1/records', { token: doctor, body: body({ consent: { expressConsent: false } }) });
    expect(refused.status).toBe(422);
    expect(refused.body.type).toBe('urn:dmp:problem:express-consent-required');
    const malformed = await api.call('POST', '/v1/records', { token: doctor, body: body({ consent: { expressConsent: 'true' } }) });
    expect(malformed.status).toBe(400);
    expect(malformed.body.errors[0].path).toBe('body.consent.expressConsent');
  });

  it('refuses a second DMP for the same INS (409)', async () => {
    const first = body();
    expect((await api.call('POST', '/v1/records', { token: doctor, body: first })).status).toBe(201);
    const again = await api.call('POST', '/v1/records', { token: agent, body: { ...first, identity: adultIdentity() } });
    expect(again.status).toBe(409);
    expect(JSON.stringify(again.body)).not.toContain(first.ins);
  });
});

describe('traces and consent', () => {
  it('every access leaves a trace in the record, with ids only: creation, read, search; a refused read leaves a refused one', async () => {
    const input = body({ consent: { expressConsent: true, informedAt: '2026-11-20T09:30:00Z' } });
    const created = await api.call('POST', '/v1/records', { token: doctor, body: input });
    await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: doctor });
    await api.call('POST', '/v1/records/search', { token: doctor, body: { ins: input.ins } });
    const strangerId = randomRpps();
    const refused = await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: await api.professional({ professionalId: strangerId }) });
    expect(refused.status).toBe(403);
    const items = (await api.scanAll()).filter((i) => i.pk.S === `REC#${created.body.dmpId}`);
    const traces = items.filter((i) => i.sk.S.startsWith('TRACE#')).sort((a, b) => a.sk.S.localeCompare(b.sk.S));
    const allowed = traces.filter((t) => t.outcome?.S !== 'refused');
    expect(allowed.map((t) => t.action.S)).toEqual(['record.create', 'record.read', 'record.search']);
    for (const t of allowed) {
      expect(t).toMatchObject({ actorKind: { S: 'professional' }, actorId: { S: doctorId }, actorProfession: { S: '10' }, mode: { S: 'normal' }, outcome: { S: 'allowed' } });
      expect(Object.keys(t).sort()).toEqual(['action', 'actorId', 'actorKind', 'actorProfession', 'at', 'mode', 'outcome', 'pk', 'requestId', 'sk']);
    }
    // The refused read: ids and the denial's code only, with the refused answer's request id.
    const refusals = traces.filter((t) => t.outcome?.S === 'refused');
    expect(refusals).toHaveLength(1);
    expect(refusals[0]).toMatchObject({
      action: { S: 'record.read' },
      actorId: { S: strangerId },
      code: { S: 'no-authorization' },
      requestId: { S: refused.headers.get('x-request-id') },
    });
    expect(Object.keys(refusals[0]!).sort()).toEqual(['action', 'actorId', 'actorKind', 'actorProfession', 'at', 'code', 'mode', 'outcome', 'pk', 'requestId', 'sk']);
    const meta = items.find((i) => i.sk.S === 'META');
    expect(meta?.consentInformedAt?.S).toBe('2026-11-20T09:30:00.000Z');
  });

  it('refuses a consent dated in the future (400)', async () => {
    const res = await api.call('POST', '/v1/records', { token: doctor, body: body({ consent: { expressConsent: true, informedAt: '2099-01-01T00:00:00Z' } }) });
    expect(res.status).toBe(400);
    expect(res.body.type).toBe('urn:dmp:problem:consent-in-future');
  });
});

describe('creation in a pharmacy', () => {
  it('creates through the pharmacy channel and books 1 € once in the pharmacy’s ledger', async () => {
    const finess = randomFiness();
    const pharmacist = await api.professional({ profession: '21', structure: finess });
    const key = `pharma-${Date.now()}`;
    const input = body();
    const res = await api.call('POST', '/v1/records', { token: pharmacist, body: input, headers: { 'Idempotency-Key': key } });
    expect(res.status).toBe(201);
    expect(res.body.channel).toBe('pharmacy');
    const replay = await api.call('POST', '/v1/records', { token: pharmacist, body: input, headers: { 'Idempotency-Key': key } });
    expect(replay.status).toBe(201);
    expect(replay.body).toEqual(res.body);
    const second = await api.call('POST', '/v1/records', { token: pharmacist, body: body() });
    expect(second.status).toBe(201);

    const month = res.body.createdAt.slice(0, 7);
    const ledger = await api.call('GET', `/v1/pharmacies/${finess}/creations?month=${month}`, { token: pharmacist });
    expect(ledger.status).toBe(200);
    expect(ledger.body).toMatchObject({ finess, month, count: 2, amountEur: 2 });
    expect(ledger.body.items.map((i: { dmpId: string }) => i.dmpId).sort()).toEqual([res.body.dmpId, second.body.dmpId].sort());

    expect((await api.call('GET', `/v1/pharmacies/${finess}/creations?month=${month}`, { token: agent })).body.count).toBe(2);
    const otherPharmacy = await api.professional({ profession: '21', structure: randomFiness() });
    expect((await api.call('GET', `/v1/pharmacies/${finess}/creations?month=${month}`, { token: otherPharmacy })).status).toBe(403);
    expect((await api.call('GET', `/v1/pharmacies/${finess}/creations?month=${month}`, { token: doctor })).status).toBe(403);
    expect((await api.call('GET', `/v1/pharmacies/${finess}/creations?month=2026-13`, { token: agent })).status).toBe(400);
    expect((await api.call('GET', `/v1/pharmacies/${finess}/creations`, { token: agent })).status).toBe(400);
  });

  it('lets the creating pharmacist find the record as authorized', async () => {
    const pharmacist = await api.professional({ profession: '21', structure: randomFiness() });
    const input = body();
    await api.call('POST', '/v1/records', { token: pharmacist, body: input });
    const found = await api.call('POST', '/v1/records/search', { token: pharmacist, body: { ins: input.ins } });
    expect(found.body).toMatchObject({ status: 'active', authorization: 'VALIDE', attendingPhysician: false });
  });
});

describe('creation at a CPAM desk', () => {
  it('creates through the agent channel; the agent is not authorized on the content', async () => {
    const input = body();
    const res = await api.call('POST', '/v1/records', { token: agent, body: input });
    expect(res.status).toBe(201);
    expect(res.body.channel).toBe('agent');
    expect(res.body.credentials.provisionalPassword).toBeDefined();
    const found = await api.call('POST', '/v1/records/search', { token: agent, body: { ins: input.ins } });
    expect(found.body).toEqual({ dmpId: res.body.dmpId, status: 'active', authorization: 'NON_EXISTE', attendingPhysician: false });
  });
});

describe('online creation with a creation code', () => {
  it('creates with a single-use code bound to the INS; only the login id comes back', async () => {
    const input = body();
    const code = await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: input.ins } });
    expect(code.status).toBe(201);
    expect(code.body.creationCode).toMatch(/^[0-9A-Z]{16}$/);
    expect(Date.parse(code.body.expiresAt)).toBeGreaterThan(Date.now());

    const res = await api.call('POST', '/v1/records', { body: { ...input, creationCode: code.body.creationCode, password: 'une phrase de passe longue' } });
    expect(res.status).toBe(201);
    expect(res.body.channel).toBe('online');
    expect(Object.keys(res.body.credentials)).toEqual(['loginId']);
  });

  it('refuses a code issued for another INS, and a used code (422), changing nothing', async () => {
    const owner = body();
    const code = (await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: owner.ins } })).body.creationCode;
    const before = (await api.scanAll()).length;
    const stranger = await api.call('POST', '/v1/records', { body: { ...body(), creationCode: code, password: 'une phrase de passe longue' } });
    expect(stranger.status).toBe(422);
    expect(stranger.body.type).toBe('urn:dmp:problem:creation-code-invalid');
    expect((await api.scanAll()).length).toBe(before);

    expect((await api.call('POST', '/v1/records', { body: { ...owner, creationCode: code, password: 'une phrase de passe longue' } })).status).toBe(201);
    const reuse = await api.call('POST', '/v1/records', { body: { ...body(), creationCode: code, password: 'une phrase de passe longue' } });
    expect(reuse.status).toBe(422);
  });

  it('refuses an unknown code (422), a weak password (422), a minor online (403), and online fields from a professional (400)', async () => {
    const input = body();
    const code = (await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: input.ins } })).body.creationCode;
    expect((await api.call('POST', '/v1/records', { body: { ...input, creationCode: '0000000000000000', password: 'une phrase de passe longue' } })).status).toBe(422);
    const weak = await api.call('POST', '/v1/records', { body: { ...input, creationCode: code, password: 'short' } });
    expect(weak.status).toBe(422);
    expect(weak.body.type).toBe('urn:dmp:problem:weak-password');
    const minor = await api.call('POST', '/v1/records', {
      body: {
        ...input,
        identity: { ...input.identity, birthDate: minorBirthDate() },
        creationCode: code,
        password: 'une phrase de passe longue',
        representatives: [{ familyName: 'X', givenNames: 'Y', relationship: 'MTH' }],
      },
    });
    expect(minor.status).toBe(403);
    expect((await api.call('POST', '/v1/records', { token: doctor, body: { ...input, creationCode: code } })).status).toBe(400);
    // The code is still usable after all those refusals.
    expect((await api.call('POST', '/v1/records', { body: { ...input, creationCode: code, password: 'une phrase de passe longue' } })).status).toBe(201);
  });

  it('refuses a creation code for an INS that already has a DMP (409) and to non-agents (403)', async () => {
    const input = body();
    await api.call('POST', '/v1/records', { token: doctor, body: input });
    expect((await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: input.ins } })).status).toBe(409);
    expect((await api.call('POST', '/v1/creation-codes', { token: doctor, body: { ins: randomIns() } })).status).toBe(403);
    expect((await api.call('POST', '/v1/creation-codes', { body: { ins: randomIns() } })).status).toBe(401);
  });
});

describe('search by INS', () => {
  it('tells each caller its authorization, and 404 when no DMP exists', async () => {
    const input = body();
    const created = await api.call('POST', '/v1/records', { token: doctor, body: input });
    const mine = await api.call('POST', '/v1/records/search', { token: doctor, body: { ins: input.ins } });
    expect(mine.body).toEqual({ dmpId: created.body.dmpId, status: 'active', authorization: 'VALIDE', attendingPhysician: false });
    const other = await api.call('POST', '/v1/records/search', { token: await api.professional(), body: { ins: input.ins } });
    expect(other.body.authorization).toBe('NON_EXISTE');
    const none = await api.call('POST', '/v1/records/search', { token: doctor, body: { ins: randomIns() } });
    expect(none.status).toBe(404);
    expect((await api.call('POST', '/v1/records/search', { body: { ins: input.ins } })).status).toBe(401);
  });
});

describe('statistics', () => {
  it('counts creations by channel and ISO week, for agents only', async () => {
    // The window is the day the test starts to the day after: creations near midnight still count.
    const day = (d: Date) => d.toISOString().slice(0, 10);
    const today = day(new Date());
    const window = `from=${today}&to=${day(new Date(Date.now() + 86_400_000))}`;
    const before = await api.call('GET', `/v1/stats/creations?${window}`, { token: agent });
    expect(before.status).toBe(200);
    await api.call('POST', '/v1/records', { token: doctor, body: body() });
    await api.call('POST', '/v1/records', { token: agent, body: body() });
    const after = await api.call('GET', `/v1/stats/creations?${window}`, { token: agent });
    expect(after.body.total).toBe(before.body.total + 2);
    expect(after.body.byChannel.professional).toBe(before.body.byChannel.professional + 1);
    expect(after.body.byChannel.agent).toBe(before.body.byChannel.agent + 1);
    const byWeek = after.body.byWeek as { count: number }[];
    expect(byWeek.length).toBeGreaterThanOrEqual(1);
    expect(byWeek.length).toBeLessThanOrEqual(2);
    expect(byWeek.reduce((a, w) => a + w.count, 0)).toBe(after.body.total);
    const sum = Object.values(after.body.byChannel as Record<string, number>).reduce((a, b) => a + b, 0);
    expect(sum).toBe(after.body.total);

    expect((await api.call('GET', `/v1/stats/creations?from=${today}&to=${today}`, { token: doctor })).status).toBe(403);
    expect((await api.call('GET', '/v1/stats/creations?from=2026-02-01&to=2026-01-01', { token: agent })).status).toBe(400);
    expect((await api.call('GET', '/v1/stats/creations?from=2024-01-01&to=2026-01-01', { token: agent })).status).toBe(400);
    expect((await api.call('GET', '/v1/stats/creations?from=2026-01-01', { token: agent })).status).toBe(400);
  });

  it('counts nothing for days without creations', async () => {
    const res = await api.call('GET', '/v1/stats/creations?from=2020-01-06&to=2020-01-19', { token: agent });
    expect(res.body).toEqual({
      total: 0,
      byChannel: { pharmacy: 0, professional: 0, agent: 0, online: 0 },
      byWeek: [
        { week: '2020-W02', count: 0 },
        { week: '2020-W03', count: 0 },
      ],
    });
  });
});

describe('creation notification', () => {
  it('sends an SMS through the outbox to the patient and the representatives, without name or secret', async () => {
    const patientMobile = randomMobile();
    const repMobile = randomMobile();
    const input = body({
      contact: { mobile: patientMobile },
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: 'CanaryRep', givenNames: 'Zoe', relationship: 'GRD', mobile: repMobile }],
    });
    const res = await api.call('POST', '/v1/records', { token: doctor, body: input });
    expect(await api.sms(patientMobile)).toEqual([]);
    const job = await api.runJob('outbox');
    expect(job.status).toBe(200);
    const [patientSms] = await api.sms(patientMobile);
    const [repSms] = await api.sms(repMobile);
    for (const sms of [patientSms, repSms]) {
      expect(sms?.message).toContain('DMP');
      expect(sms?.message).not.toContain(input.identity.familyName);
      expect(sms?.message).not.toContain(res.body.representatives[0].provisionalPassword);
      expect(sms?.message).not.toContain(res.body.representatives[0].loginId);
    }
    await api.runJob('outbox');
    expect(await api.sms(patientMobile)).toHaveLength(1);
  });
});

/**
 * The advance directives and the trusted person over HTTP: written by the patient only, an adult;
 * read by the record's holders and by the professions of the matrix's EXPPAT_3 exception (doctors,
 * midwives, nurses) in a mode; a document named must be a current EXPPAT_3 deposit of the record;
 * bad input is a 4xx naming the field, and nothing is stored; reads and writes are traced;
 * nothing of it is in clear at rest or in the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog, deposit } from '../support/documents.ts';
import { randomFiness, randomRpps } from '../support/fixtures.ts';
import { healthItems, minorWithRepresentative, readWishes, untraced, wishesBody, writeWishes } from '../support/health.ts';
import { captureOutput } from '../support/output.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startTestApi, type Answer, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctorId: string;
let doctor: string;
const logged: string[] = [];
let restoreOutput: () => void;
beforeAll(async () => {
  api = await startTestApi({ logLevel: 'DEBUG' });
  restoreOutput = captureOutput(logged);
  doctorId = randomRpps();
  doctor = await api.professional({ professionalId: doctorId });
});
afterAll(async () => {
  restoreOutput?.();
  await api?.stop();
});

const patient = async () => {
  const p = await newPatient(api, doctor);
  const { token } = await activeSession(api, p);
  return { dmpId: p.dmpId, token };
};

const authorize = async (dmpId: string, token: string, professionalId: string) => {
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: { status: 'authorized' } });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

const expectProblem = (res: Answer, status: number, type: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body.type).toBe(`urn:dmp:problem:${type}`);
};

const paths = (res: Answer): string[] => (res.body.errors ?? []).map((e: { path: string }) => e.path);

/** An advance directives' document (EXPPAT_3, class 90) the patient deposits. */
const directivesDocument = (api: TestApi, token: string, dmpId: string) => deposit(api, token, dmpId, { typeCode: 'EXPPAT_3', title: 'Mes directives anticipées' });

describe('GET and PUT /v1/records/{dmpId}/wishes', () => {
  it('is not declared until the patient writes it; then reads back with its provenance, replaced whole by the next write', async () => {
    const { dmpId, token } = await patient();
    const none = await readWishes(api, dmpId, token);
    expect(none.status).toBe(200);
    expect(none.body).toEqual({ declared: false });

    const documentId = await directivesDocument(api, token, dmpId);
    const body = wishesBody({ advanceDirectives: { exist: true, writtenOn: '2024-02-10', originalKeptAt: 'chez mon notaire', documentId } });
    const written = await writeWishes(api, dmpId, token, body);
    expect(written.status, JSON.stringify(written.body)).toBe(200);
    expect(written.body).toEqual({ declared: true, ...body, source: 'patient', author: { id: dmpId }, recordedAt: expect.any(String) });
    expect((await readWishes(api, dmpId, token)).body).toEqual(written.body);

    // No directives, no trusted person: what was there is gone.
    const cleared = await writeWishes(api, dmpId, token, { advanceDirectives: { exist: false } });
    expect(cleared.status).toBe(200);
    expect((await readWishes(api, dmpId, token)).body).toEqual({
      declared: true,
      advanceDirectives: { exist: false },
      source: 'patient',
      author: { id: dmpId },
      recordedAt: expect.any(String),
    });
  });

  it('is read by doctors, midwives and nurses (the EXPPAT_3 exception) in a mode, not by pharmacists or physiotherapists', async () => {
    const { dmpId, token } = await patient();
    const body = wishesBody();
    expect((await writeWishes(api, dmpId, token, body)).status).toBe(200);
    const pros = {
      nurse: { id: randomRpps(), profession: '60', reads: true },
      midwife: { id: randomRpps(), profession: '50', reads: true },
      pharmacist: { id: randomRpps(), profession: '21', reads: false },
      physio: { id: randomRpps(), profession: '70', reads: false },
    };
    expect((await readWishes(api, dmpId, doctor)).body.trustedPerson).toEqual(body.trustedPerson);
    for (const [name, p] of Object.entries(pros)) {
      const t = await api.professional({ professionalId: p.id, profession: p.profession, ...(p.profession === '21' ? { structure: randomFiness() } : {}) });
      expectProblem(await readWishes(api, dmpId, t), 403, 'no-authorization');
      await authorize(dmpId, token, p.id);
      const res = await readWishes(api, dmpId, t);
      if (p.reads) expect(res.status, name).toBe(200);
      else expectProblem(res, 403, 'profession-not-allowed');
    }

    // An emergency access the patient did not oppose opens it; blocked is blocked.
    const urgentistId = randomRpps();
    const urgentist = await api.professional({ professionalId: urgentistId });
    expect((await api.call('POST', `/v1/records/${dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'arrêt cardiaque' } })).status).toBe(200);
    expect((await readWishes(api, dmpId, urgentist)).body.advanceDirectives).toEqual(body.advanceDirectives);
    const blocked = await api.call('PUT', `/v1/records/${dmpId}/professionals/${pros.nurse.id}`, { token, body: { status: 'blocked' } });
    expect(blocked.status).toBe(200);
    const nurse = await api.professional({ professionalId: pros.nurse.id, profession: '60' });
    expectProblem(await readWishes(api, dmpId, nurse), 403, 'blocked');
    expect((await readWishes(api, dmpId, await api.agent())).status).toBe(403);

    // Every read is traced, in its mode; refusals too.
    const log = (await accessLog(api, token, dmpId)).filter((t) => t.action.startsWith('wishes.'));
    const seen = log.map((t) => [t.action, t.actor.id, t.mode, (t as { outcome?: string }).outcome]);
    expect(seen).toEqual(
      expect.arrayContaining([
        ['wishes.update', dmpId, 'normal', 'allowed'],
        ['wishes.read', doctorId, 'normal', 'allowed'],
        ['wishes.read', pros.midwife.id, 'normal', 'allowed'],
        ['wishes.read', pros.pharmacist.id, 'normal', 'refused'],
        ['wishes.read', urgentistId, 'break-glass', 'allowed'],
        ['wishes.read', pros.nurse.id, 'normal', 'refused'],
      ]),
    );
  });
});

describe('only the patient writes them, an adult', () => {
  it('refuses a representative (403), a professional (403) and a minor (422), storing nothing', async () => {
    const { dmpId, representativeToken, representativeLoginId } = await minorWithRepresentative(api, doctor);
    const before = await untraced(api, dmpId);
    expectProblem(await writeWishes(api, dmpId, representativeToken, wishesBody()), 403, 'patient-only');
    expectProblem(await writeWishes(api, dmpId, doctor, wishesBody()), 403, 'patient-writes');
    // A minor has no patient login (the record is used by the representatives until the 18th
    // birthday, then a desk reissue clears the minor flag): the only way to ask as the minor is a
    // session token signed for that record with the runtime's own signer, as a login would.
    const { accessToken: minorToken } = await api.runtime.deps.sessions.issue({
      dmpId,
      loginId: representativeLoginId,
      actor: 'patient',
      passwordChangeRequired: false,
      authenticatedAt: new Date(),
    });
    expectProblem(await writeWishes(api, dmpId, minorToken, wishesBody()), 422, 'adults-only');
    expect(await untraced(api, dmpId)).toEqual(before);
    expect(await healthItems(api, dmpId)).toEqual([]);
    // The representative reads them (nothing declared).
    expect((await readWishes(api, dmpId, representativeToken)).body).toEqual({ declared: false });
    // The professional's refusal is in the access log.
    const log = await accessLog(api, representativeToken, dmpId);
    expect(log.filter((t) => t.action === 'wishes.update').map((t) => [t.actor.id, (t as { outcome?: string }).outcome])).toEqual([[doctorId, 'refused']]);
  });
});

describe('bad input: a 4xx naming the field, and nothing stored', () => {
  let dmpId: string;
  let token: string;
  let other: { dmpId: string; token: string };
  beforeAll(async () => {
    ({ dmpId, token } = await patient());
    other = await patient();
    expect((await writeWishes(api, dmpId, token, wishesBody())).status).toBe(200);
  });

  const directives = (extra: Record<string, unknown>) => wishesBody({ advanceDirectives: { exist: true, ...extra } });
  const cases: [string, () => unknown, number, string[]][] = [
    [
      'a mobile outside the French numbering plan (a landline)',
      () => wishesBody({ trustedPerson: { ...wishesBody().trustedPerson, mobile: '+33123456789' } }),
      400,
      ['body.trustedPerson.mobile'],
    ],
    [
      'a mobile outside the French numbering plan (New Caledonia)',
      () => wishesBody({ trustedPerson: { ...wishesBody().trustedPerson, mobile: '+687751234' } }),
      400,
      ['body.trustedPerson.mobile'],
    ],
    ['a mobile not in E.164 form', () => wishesBody({ trustedPerson: { ...wishesBody().trustedPerson, mobile: '06 12 34 56 78' } }), 400, ['body.trustedPerson.mobile']],
    ['a trusted person without a name', () => wishesBody({ trustedPerson: { ...wishesBody().trustedPerson, familyName: '' } }), 400, ['body.trustedPerson.familyName']],
    ['an unknown field', () => ({ ...wishesBody(), organDonor: true }), 400, ['body']],
    ['an unknown field of the trusted person', () => wishesBody({ trustedPerson: { ...wishesBody().trustedPerson, email: 'a@b.fr' } }), 400, ['body.trustedPerson']],
    ['no advance directives part', () => ({ trustedPerson: wishesBody().trustedPerson }), 400, ['body.advanceDirectives']],
    ['a date without directives', () => wishesBody({ advanceDirectives: { exist: false, writtenOn: '2020-01-01' } }), 400, ['body.advanceDirectives.writtenOn']],
    ['a malformed document id', () => directives({ documentId: 'DOC#x' }), 400, ['body.advanceDirectives.documentId']],
    ['a date in the future', () => directives({ writtenOn: '2999-01-01' }), 422, ['body.advanceDirectives.writtenOn']],
    ['a date before the birth date (1975-03-14)', () => directives({ writtenOn: '1970-01-01' }), 422, ['body.advanceDirectives.writtenOn']],
    ['a document that does not exist', () => directives({ documentId: '0000000000000000000000000' }), 422, ['body.advanceDirectives.documentId']],
  ];

  it.each(cases)('%s', async (_name, body, status, at) => {
    const before = await untraced(api, dmpId);
    const res = await writeWishes(api, dmpId, token, body());
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(paths(res)).toEqual(at);
    expect(await untraced(api, dmpId)).toEqual(before);
  });

  it('refuses a document that is not a current EXPPAT_3 deposit of this record', async () => {
    const other_type = await deposit(api, token, dmpId, { typeCode: 'DOCPAT01' });
    const elsewhere = await directivesDocument(api, other.token, other.dmpId);
    const replaced = await directivesDocument(api, token, dmpId);
    const replacement = await deposit(api, token, dmpId, { typeCode: 'EXPPAT_3', replaces: replaced });
    const deleted = await directivesDocument(api, token, dmpId);
    expect((await api.call('DELETE', `/v1/records/${dmpId}/documents/${deleted}`, { token })).status).toBe(204);
    const before = await untraced(api, dmpId);
    for (const documentId of [other_type, elsewhere, replaced, deleted]) {
      const res = await writeWishes(api, dmpId, token, directives({ documentId }));
      expectProblem(res, 422, 'not-a-directives-document');
      expect(paths(res)).toEqual(['body.advanceDirectives.documentId']);
    }
    expect(await untraced(api, dmpId)).toEqual(before);
    const current = await writeWishes(api, dmpId, token, directives({ documentId: replacement }));
    expect(current.status, JSON.stringify(current.body)).toBe(200);
    expect(current.body.advanceDirectives.documentId).toBe(replacement);
  });
});

describe('at rest and in the logs', () => {
  it('keeps nothing of the wishes in clear: the item holds its keys and one sealed attribute', async () => {
    const { dmpId, token } = await patient();
    const body = wishesBody();
    expect((await writeWishes(api, dmpId, token, body)).status).toBe(200);
    expect((await readWishes(api, dmpId, doctor)).status).toBe(200);
    const items = await healthItems(api, dmpId);
    expect(items).toHaveLength(1);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(['pk', 'sk', 'wishes']);
    const secrets = [body.advanceDirectives.originalKeptAt, body.trustedPerson.familyName, body.trustedPerson.givenNames, body.trustedPerson.mobile, '2024-02-10'];
    const table = JSON.stringify(items);
    const logs = logged.join('');
    expect(logs).toContain('"route":"writeWishes"');
    for (const secret of secrets) {
      expect(table, secret).not.toContain(secret);
      expect(logs, secret).not.toContain(secret);
    }
  });
});

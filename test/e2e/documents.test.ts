/**
 * Documents over HTTP through the local runtime: deposit, list, read, versions, labels, archive,
 * deletion, search; who sees what (the access policy end to end), emergency access and its
 * notifications, the first-access SMS, and the access log.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRpps } from '../support/fixtures.ts';
import { accessLog, deposit, documentBody, listIds, professionalMessages } from '../support/documents.ts';
import { MovableClock, patientWithSession, startClockedApi } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

const DAY = 86_400_000;

describe('deposit and read', () => {
  it('a professional deposits without authorization; the authorised doctor and the patient read it whole', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const author = await api.professional();
    const content = randomBytes(50_000);
    const documentId = await deposit(api, author, p.dmpId, {}, content);
    const asDoctor = await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: doctor });
    expect(asDoctor.status).toBe(200);
    expect(Buffer.from(asDoctor.body.content, 'base64').equals(content)).toBe(true);
    expect(asDoctor.body).toMatchObject({ documentId, version: 1, typeCode: '11502-2', classCode: '10', status: 'current', size: 50_000 });
    const asPatient = await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token });
    expect(asPatient.status).toBe(200);
    expect(await listIds(api, token, p.dmpId)).toEqual([documentId]);
  });

  it('stores a 4 MiB document in chunks and reads it back byte for byte; one byte more is 413', async () => {
    const { p } = await patientWithSession(api, doctor);
    const content = randomBytes(4 * 1024 * 1024);
    const documentId = await deposit(api, doctor, p.dmpId, {}, content);
    const read = await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: doctor });
    expect(read.status).toBe(200);
    expect(Buffer.from(read.body.content, 'base64').equals(content)).toBe(true);
    const tooBig = await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token: doctor, body: documentBody({}, randomBytes(4 * 1024 * 1024 + 1)) });
    expect(tooBig.status).toBe(413);
  });

  it('a new version supersedes the old one, which stays retrievable with status=all', async () => {
    const { p } = await patientWithSession(api, doctor);
    const v1 = await deposit(api, doctor, p.dmpId);
    const res = await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token: doctor, body: documentBody({ replaces: v1 }) });
    expect(res.status).toBe(201);
    expect(res.body.version).toBe(2);
    expect(await listIds(api, doctor, p.dmpId)).toEqual([res.body.documentId]);
    expect(await listIds(api, doctor, p.dmpId, '?status=all')).toEqual([res.body.documentId, v1]);
    const old = await api.call('GET', `/v1/records/${p.dmpId}/documents/${v1}`, { token: doctor });
    expect(old.body.status).toBe('superseded');
    const again = await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token: doctor, body: documentBody({ replaces: v1 }) });
    expect(again.status).toBe(409);
  });

  it('finds documents by words of their title, accents and case aside', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const bio = await deposit(api, doctor, p.dmpId, { title: 'Résultats de Biologie — février' });
    await deposit(api, doctor, p.dmpId, { title: 'Compte rendu opératoire' });
    expect(await listIds(api, token, p.dmpId, '?q=biologie')).toEqual([bio]);
    expect(await listIds(api, token, p.dmpId, '?q=FEVRIER%20resultats')).toEqual([bio]);
    expect(await listIds(api, token, p.dmpId, '?q=radiologie')).toEqual([]);
  });

  it('filters by type code page by page: full pages, newest first, a cursor only while one more follows', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const prescriptions: string[] = [];
    for (let i = 0; i < 7; i++) {
      const prescription = i % 2 === 0;
      const id = await deposit(api, doctor, p.dmpId, prescription ? { typeCode: '57833-6', title: 'Ordonnance', serviceDate: `2026-0${i + 1}-15` } : {});
      if (prescription) prescriptions.unshift(id);
    }
    const page = async (query: string) => {
      const res = await api.call('GET', `/v1/records/${p.dmpId}/documents${query}`, { token });
      expect(res.status).toBe(200);
      return res.body as { items: { documentId: string; typeCode: string; classCode: string; serviceDate: string }[]; nextCursor: string | null };
    };
    const first = await page('?typeCode=57833-6&limit=2');
    expect(first.items.map((d) => d.documentId)).toEqual(prescriptions.slice(0, 2));
    expect(first.items.map((d) => [d.typeCode, d.classCode, d.serviceDate])).toEqual([
      ['57833-6', '42', '2026-07-15'],
      ['57833-6', '42', '2026-05-15'],
    ]);
    expect(first.nextCursor).not.toBeNull();
    const second = await page(`?typeCode=57833-6&limit=2&cursor=${first.nextCursor}`);
    expect(second.items.map((d) => d.documentId)).toEqual(prescriptions.slice(2, 4));
    expect(second.nextCursor).toBeNull();
    expect((await page('?typeCode=11502-2&limit=10')).items).toHaveLength(3);
    expect((await page('?typeCode=60591-5')).items).toEqual([]);
  });
});

describe('who sees what', () => {
  it('a masked document is hidden from authorised professionals but not from the attending physician or its author', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const author = await api.professional({ professionalId: randomRpps() });
    const documentId = await deposit(api, author, p.dmpId);
    const attendingId = randomRpps();
    const attending = await api.professional({ professionalId: attendingId });
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${attendingId}`, { token, body: { status: 'authorized', attendingPhysician: true } })).status).toBe(200);
    const masked = await api.call('PATCH', `/v1/records/${p.dmpId}/documents/${documentId}`, { token, body: { maskedToProfessionals: true } });
    expect(masked.status).toBe(200);
    expect(masked.body.visibility.maskedToProfessionals).toBe(true);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: doctor })).status).toBe(404);
    expect(await listIds(api, doctor, p.dmpId)).toEqual([]);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: attending })).status).toBe(200);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: author })).status).toBe(200);
  });

  it('a blocked professional is refused reads, deposits and emergency access', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const proId = randomRpps();
    const pro = await api.professional({ professionalId: proId });
    const documentId = await deposit(api, pro, p.dmpId);
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${proId}`, { token, body: { status: 'blocked' } })).status).toBe(200);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: pro })).status).toBe(403);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token: pro, body: documentBody() })).status).toBe(403);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: pro, body: { mode: 'break-glass', reason: 'inconscient' } })).status).toBe(403);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: pro, body: { mode: 'normal', patientConsent: true } })).status).toBe(403);
  });

  it('a pharmacist reads prescriptions but not lab reports (the profession matrix)', async () => {
    const { p } = await patientWithSession(api, doctor);
    const report = await deposit(api, doctor, p.dmpId);
    const prescription = await deposit(api, doctor, p.dmpId, { typeCode: '57833-6', title: 'Ordonnance' });
    const pharmacist = await api.professional({ profession: '21' });
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: pharmacist, body: { mode: 'normal', patientConsent: true } })).status).toBe(200);
    expect(await listIds(api, pharmacist, p.dmpId)).toEqual([prescription]);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${report}`, { token: pharmacist })).status).toBe(404);
  });

  it('a document invisible to the patient: hidden from the patient, announced after two weeks, visible after one month', async () => {
    clock.reset();
    const { p, token } = await patientWithSession(api, doctor);
    const documentId = await deposit(api, doctor, p.dmpId, { visibility: { invisibleToPatient: true } });
    expect(await listIds(api, token, p.dmpId)).toEqual([]);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token })).status).toBe(404);
    // The patient's access log does not show the deposit of a document hidden from them, until it is revealed.
    const early = await accessLog(api, token, p.dmpId);
    expect(early.some((t) => t.action === 'document.deposit')).toBe(false);
    expect(early.some((t) => t.documentId === documentId)).toBe(false);
    expect((await accessLog(api, doctor, p.dmpId)).some((t) => t.action === 'document.deposit' && t.documentId === documentId)).toBe(true);
    await api.runJob('outbox');
    const before = (await api.sms(p.mobile)).length;
    await api.runJob('visibility', new Date(Date.now() + 13 * DAY).toISOString());
    await api.runJob('outbox', new Date(Date.now() + 13 * DAY).toISOString());
    expect((await api.sms(p.mobile)).length).toBe(before);
    await api.runJob('visibility', new Date(Date.now() + 15 * DAY).toISOString());
    await api.runJob('outbox', new Date(Date.now() + 15 * DAY).toISOString());
    const texts = (await api.sms(p.mobile)).slice(before).map((m) => m.message);
    expect(texts).toHaveLength(1);
    expect(texts[0]).toContain('nouveau document');
    expect(texts[0]).not.toContain('Bilan');
    await api.runJob('visibility', new Date(Date.now() + 32 * DAY).toISOString());
    expect(await listIds(api, token, p.dmpId)).toEqual([documentId]);
    const log = await accessLog(api, token, p.dmpId);
    expect(log.some((t) => t.action === 'document.reveal' && t.actor.kind === 'system' && t.documentId === documentId)).toBe(true);
    expect(log.some((t) => t.action === 'document.deposit' && t.documentId === documentId)).toBe(true);
  });
});

describe('emergency access and notifications', () => {
  it('break-glass without authorization: the patient is told by SMS, the attending physician through professional messaging', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const attendingId = randomRpps();
    await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${attendingId}`, { token, body: { status: 'authorized', attendingPhysician: true } });
    const documentId = await deposit(api, doctor, p.dmpId);
    const urgentist = await api.professional();
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: urgentist })).status).toBe(403);
    const noReason = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: urgentist, body: { mode: 'break-glass' } });
    expect(noReason.status).toBe(422);
    const granted = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'Patient inconscient aux urgences' } });
    expect(granted.status).toBe(200);
    expect(granted.body).toMatchObject({ authorization: 'VALIDE', mode: 'break-glass' });
    const read = await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: urgentist });
    expect(read.status).toBe(200);
    await api.runJob('outbox');
    expect((await api.sms(p.mobile)).some((m) => m.message.includes('en urgence'))).toBe(true);
    const toAttending = await professionalMessages(api, attendingId);
    expect(toAttending).toHaveLength(1);
    expect(toAttending[0]!.message).toContain(p.dmpId);
    const log = await accessLog(api, token, p.dmpId);
    expect(log.find((t) => t.action === 'document.read' && t.documentId === documentId)?.mode).toBe('break-glass');
    expect(log.some((t) => t.action === 'access.emergency' && t.mode === 'break-glass')).toBe(true);
  });

  it('regulation needs the regulator role and the patient’s non-opposition', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const notRegulator = await api.professional();
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: notRegulator, body: { mode: 'regulation' } })).status).toBe(403);
    const regulator = await api.professional({ role: 'regulator' });
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: regulator, body: { mode: 'regulation' } })).status).toBe(200);
    await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body: { emergencyAccess: { regulation: false } } });
    const other = await api.professional({ role: 'regulator' });
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: other, body: { mode: 'regulation' } })).status).toBe(403);
    // The opposition also ends the access already declared.
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents`, { token: regulator })).body.items).toEqual([]);
    expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token: regulator })).status).toBe(403);
  });

  it('the first access of a professional is told to the patient once', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const proId = randomRpps();
    const pro = await api.professional({ professionalId: proId });
    await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${proId}`, { token, body: { status: 'authorized' } });
    const before = (await api.sms(p.mobile)).length;
    await api.call('GET', `/v1/records/${p.dmpId}/documents`, { token: pro });
    await api.call('GET', `/v1/records/${p.dmpId}`, { token: pro });
    await api.runJob('outbox');
    const texts = (await api.sms(p.mobile)).slice(before).map((m) => m.message);
    expect(texts.filter((t) => t.includes('premiere fois'))).toHaveLength(1);
  });
});

describe('labels, archive, deletion, access log', () => {
  it('the author reveals to representatives for good; archive and restore; delete by the author only', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const documentId = await deposit(api, doctor, p.dmpId);
    expect((await api.call('PATCH', `/v1/records/${p.dmpId}/documents/${documentId}`, { token, body: { archived: true } })).body.status).toBe('archived');
    expect(await listIds(api, token, p.dmpId)).toEqual([]);
    expect(await listIds(api, token, p.dmpId, '?status=archived')).toEqual([documentId]);
    expect((await api.call('PATCH', `/v1/records/${p.dmpId}/documents/${documentId}`, { token, body: { archived: false } })).body.status).toBe('current');
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/documents/${documentId}`, { token })).status).toBe(403);
    const other = await api.professional();
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: other })).status).toBe(403);
    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: doctor })).status).toBe(204);
    expect(await listIds(api, token, p.dmpId, '?status=all')).toEqual([]);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: doctor })).status).toBe(404);
    const log = await accessLog(api, token, p.dmpId);
    expect(log.some((t) => t.action === 'document.delete' && t.documentId === documentId)).toBe(true);
  });

  it('the patient deposits class 90 only; a professional cannot deposit class 90, nor mask', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token, body: documentBody({ typeCode: 'DOCPAT01' }) })).status).toBe(201);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token, body: documentBody() })).status).toBe(422);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token: doctor, body: documentBody({ typeCode: 'DOCPAT01' }) })).status).toBe(422);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token: doctor, body: documentBody({ visibility: { maskedToProfessionals: true } }) })).status).toBe(403);
  });

  it('the access log: the patient sees everything; another professional only its own actions', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const proId = randomRpps();
    const pro = await api.professional({ professionalId: proId });
    await deposit(api, pro, p.dmpId);
    await deposit(api, doctor, p.dmpId);
    const all = await accessLog(api, token, p.dmpId);
    expect(all.filter((t) => t.action === 'document.deposit')).toHaveLength(2);
    const own = await accessLog(api, pro, p.dmpId);
    expect(own.length).toBeGreaterThan(0);
    expect(own.every((t) => t.actor.id === proId)).toBe(true);
  });
});

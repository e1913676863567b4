/**
 * Labels and deletion are the document's, not one version's: every version of a document (its
 * set: the versions a deposit with `replaces` chains together) is masked, hidden from the patient
 * or from representatives, revealed and deleted with it. Over HTTP: a superseded version of a
 * masked or hidden document is not listed with `status=all`, not read, not found by `q`, and its
 * reads are traced as hidden from whom the document is hidden; deleting the current version
 * deletes every version; a superseded version's labels and deletion go through the current one.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { MAX_VERSIONS } from '../../functions/domain/documents.ts';
import { accessLog, deposit, documentBody, listIds } from '../support/documents.ts';
import { adultIdentity, canary, minorBirthDate, randomMobile, randomRpps, recordBody } from '../support/fixtures.ts';
import { activeSession, patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
beforeAll(async () => {
  api = await startTestApi();
  doctor = await api.professional();
});
afterAll(() => api?.stop());

const DAY = 86_400_000;
const docPath = (dmpId: string, documentId: string) => `/v1/records/${dmpId}/documents/${documentId}`;
const read = (token: string, dmpId: string, documentId: string) => api.call('GET', docPath(dmpId, documentId), { token });

/** A document in two versions by `author`, their titles sharing a unique word: [current, earlier, word]. */
const twoVersions = async (author: string, dmpId: string, extra: Record<string, unknown> = {}): Promise<[string, string, string]> => {
  const word = canary('Mot');
  const v1 = await deposit(api, author, dmpId, { title: `Scanner thoracique ${word}` });
  const v2 = await deposit(api, author, dmpId, { title: `Scanner thoracique ${word} corrigé`, replaces: v1, ...extra });
  return [v2, v1, word];
};

describe('a masked document is masked in every version', () => {
  it('a doctor who is not the attending physician neither lists, reads nor finds its earlier version; unmasked, both are back', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const author = await api.professional({ professionalId: randomRpps() });
    const attendingId = randomRpps();
    const attending = await api.professional({ professionalId: attendingId });
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${attendingId}`, { token, body: { status: 'authorized', attendingPhysician: true } })).status).toBe(200);
    const [v2, v1, word] = await twoVersions(author, p.dmpId);
    expect(await listIds(api, doctor, p.dmpId, '?status=all')).toEqual([v2, v1]);

    const masked = await api.call('PATCH', docPath(p.dmpId, v2), { token, body: { maskedToProfessionals: true } });
    expect(masked.status).toBe(200);
    // status=all lists superseded versions: none of this document's.
    expect(await listIds(api, doctor, p.dmpId, '?status=all')).toEqual([]);
    expect((await read(doctor, p.dmpId, v1)).status).toBe(404);
    expect(await listIds(api, doctor, p.dmpId, `?q=${word}&status=all`)).toEqual([]);
    expect(await listIds(api, doctor, p.dmpId, `?q=${word}`)).toEqual([]);
    // The attending physician, the author and the patient see both versions, each saying it is masked.
    for (const who of [attending, author, token]) expect(await listIds(api, who, p.dmpId, `?q=${word}&status=all`)).toEqual([v2, v1]);
    const earlier = await read(attending, p.dmpId, v1);
    expect(earlier.status).toBe(200);
    expect(earlier.body).toMatchObject({ status: 'superseded', visibility: { maskedToProfessionals: true } });

    // A superseded version is unmasked with its document, through the current version.
    const throughEarlier = await api.call('PATCH', docPath(p.dmpId, v1), { token, body: { maskedToProfessionals: false } });
    expect(throughEarlier.status).toBe(409);
    expect(throughEarlier.body.type).toBe('urn:dmp:problem:superseded');
    expect(await listIds(api, doctor, p.dmpId, '?status=all')).toEqual([]);
    expect((await api.call('PATCH', docPath(p.dmpId, v2), { token, body: { maskedToProfessionals: false } })).status).toBe(200);
    expect(await listIds(api, doctor, p.dmpId, '?status=all')).toEqual([v2, v1]);
    expect((await read(doctor, p.dmpId, v1)).status).toBe(200);
  });

  it('a new version keeps the mask, and so do the versions before it', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const author = await api.professional();
    const word = canary('Mot');
    const v1 = await deposit(api, author, p.dmpId, { title: `Compte rendu ${word}` });
    expect((await api.call('PATCH', docPath(p.dmpId, v1), { token, body: { maskedToProfessionals: true } })).status).toBe(200);
    const v2 = await deposit(api, author, p.dmpId, { title: `Compte rendu ${word}`, replaces: v1 });
    const v3 = await deposit(api, author, p.dmpId, { title: `Compte rendu ${word}`, replaces: v2 });
    expect(await listIds(api, author, p.dmpId, '?status=all')).toEqual([v3, v2, v1]);
    expect(await listIds(api, doctor, p.dmpId, '?status=all')).toEqual([]);
    // Unmasked through the newest version: all three are back.
    expect((await api.call('PATCH', docPath(p.dmpId, v3), { token, body: { maskedToProfessionals: false } })).status).toBe(200);
    expect(await listIds(api, doctor, p.dmpId, `?q=${word}&status=all`)).toEqual([v3, v2, v1]);
  });
});

describe('a document hidden from the patient or from representatives is hidden in every version', () => {
  it('from the patient: its earlier version is not listed, read nor found, and reads of it stay out of the patient’s log; revealed by its author, both are back, and the reads show', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const [v2, v1, word] = await twoVersions(doctor, p.dmpId, { visibility: { invisibleToPatient: true } });
    expect(await listIds(api, token, p.dmpId, '?status=all')).toEqual([]);
    expect((await read(token, p.dmpId, v1)).status).toBe(404);
    expect(await listIds(api, token, p.dmpId, `?q=${word}&status=all`)).toEqual([]);
    // A professional reads the earlier version: the patient's log does not show it while the document is hidden.
    const byDoctor = await read(doctor, p.dmpId, v1);
    expect(byDoctor.status).toBe(200);
    expect(byDoctor.body.visibility.invisibleToPatient).toBe(true);
    expect((await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'document.read')).toEqual([]);
    expect((await accessLog(api, doctor, p.dmpId)).some((t) => t.action === 'document.read' && t.documentId === v1)).toBe(true);

    expect((await api.call('PATCH', docPath(p.dmpId, v1), { token: doctor, body: { invisibleToPatient: false } })).status).toBe(409);
    expect((await api.call('PATCH', docPath(p.dmpId, v2), { token: doctor, body: { invisibleToPatient: false } })).status).toBe(200);
    expect(await listIds(api, token, p.dmpId, `?q=${word}&status=all`)).toEqual([v2, v1]);
    expect((await read(token, p.dmpId, v1)).status).toBe(200);
    // Revealed (through its current version), the document's history shows: the earlier read too.
    const reads = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'document.read' && t.actor.kind === 'professional');
    expect(reads.map((t) => t.documentId)).toEqual([v1]);
  });

  it('from the patient until the visibility job reveals the document: then every version', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const [v2, v1] = await twoVersions(doctor, p.dmpId, { visibility: { invisibleToPatient: true } });
    expect(await listIds(api, token, p.dmpId, '?status=all')).toEqual([]);
    await api.runJob('visibility', new Date(Date.now() + 15 * DAY).toISOString());
    await api.runJob('visibility', new Date(Date.now() + 32 * DAY).toISOString());
    expect(await listIds(api, token, p.dmpId, '?status=all')).toEqual([v2, v1]);
    expect((await read(token, p.dmpId, v1)).body.visibility.invisibleToPatient).toBe(false);
  });

  it('from the representatives of a minor: the earlier version too', async () => {
    const mobile = randomMobile();
    const created = await api.call('POST', '/v1/records', {
      token: doctor,
      body: recordBody({
        identity: { ...adultIdentity(), birthDate: minorBirthDate() },
        representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
      }),
    });
    expect(created.status).toBe(201);
    const dmpId: string = created.body.dmpId;
    const rep = created.body.representatives[0];
    const { token } = await activeSession(api, { dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile });
    const [v2, v1, word] = await twoVersions(doctor, dmpId, { visibility: { invisibleToRepresentatives: true } });
    expect(await listIds(api, token, dmpId, `?q=${word}&status=all`)).toEqual([]);
    expect((await read(token, dmpId, v1)).status).toBe(404);
    expect((await api.call('PATCH', docPath(dmpId, v2), { token: doctor, body: { visibleToRepresentatives: true } })).status).toBe(200);
    expect(await listIds(api, token, dmpId, `?q=${word}&status=all`)).toEqual([v2, v1]);
  });
});

describe('deleting a document deletes every version', () => {
  it('after the author deletes the current version, the earlier one is neither listed, read nor found, by anyone', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const author = await api.professional();
    const [v2, v1, word] = await twoVersions(author, p.dmpId);
    expect((await api.call('DELETE', docPath(p.dmpId, v2), { token: author })).status).toBe(204);
    for (const who of [doctor, author, token]) {
      expect(await listIds(api, who, p.dmpId, '?status=all')).toEqual([]);
      expect(await listIds(api, who, p.dmpId, `?q=${word}&status=all`)).toEqual([]);
      expect((await read(who, p.dmpId, v1)).status).toBe(404);
    }
    expect((await api.call('DELETE', docPath(p.dmpId, v1), { token: author })).status).toBe(404);
    expect((await accessLog(api, token, p.dmpId)).some((t) => t.action === 'document.delete' && t.documentId === v2)).toBe(true);
  });

  it(`a document of ${MAX_VERSIONS} versions (the most) is masked and deleted whole; one version more is refused (409), nothing written`, async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const ids = [await deposit(api, doctor, p.dmpId)];
    while (ids.length < MAX_VERSIONS) ids.unshift(await deposit(api, doctor, p.dmpId, { replaces: ids[0] }));
    const tooMany = await api.call('POST', `/v1/records/${p.dmpId}/documents`, { token: doctor, body: documentBody({ replaces: ids[0] }) });
    expect(tooMany.status).toBe(409);
    expect(tooMany.body.type).toBe('urn:dmp:problem:too-many-versions');
    expect(await listIds(api, doctor, p.dmpId, '?status=all&limit=100')).toEqual(ids);
    const other = await api.professional();
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: other, body: { mode: 'normal', patientConsent: true } })).status).toBe(200);
    expect((await api.call('PATCH', docPath(p.dmpId, ids[0]!), { token, body: { maskedToProfessionals: true } })).status).toBe(200);
    expect(await listIds(api, other, p.dmpId, '?status=all&limit=100')).toEqual([]);
    expect((await api.call('DELETE', docPath(p.dmpId, ids[0]!), { token: doctor })).status).toBe(204);
    expect(await listIds(api, token, p.dmpId, '?status=all&limit=100')).toEqual([]);
  }, 180_000);

  it('a superseded version is deleted with its document, through the current version: alone, 409 and nothing changes', async () => {
    const { p } = await patientWithSession(api, doctor);
    const [v2, v1] = await twoVersions(doctor, p.dmpId);
    const alone = await api.call('DELETE', docPath(p.dmpId, v1), { token: doctor });
    expect(alone.status).toBe(409);
    expect(alone.body.type).toBe('urn:dmp:problem:superseded');
    expect(await listIds(api, doctor, p.dmpId, '?status=all')).toEqual([v2, v1]);
  });
});

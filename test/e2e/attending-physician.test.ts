/**
 * The attending physician (médecin traitant) over HTTP: the patient's choice (PUT
 * .../professionals/{id}), never the professional's. Declaring an access (POST .../access)
 * neither names nor unnames one, creating or reactivating a record does not either, and what the
 * patient chose keeps deciding who reads masked documents and the whole access log.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { randomRpps } from '../support/fixtures.ts';
import { accessLog, deposit, listIds } from '../support/documents.ts';
import { MovableClock, NEW_PASSWORD, activeSession, patientWithSession, startClockedApi } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

const REFUSED = 'urn:dmp:problem:attending-physician-is-the-patients-choice';

/** The patient's list of professionals, as the patient reads it: one professional's entry. */
const entryOf = async (token: string, dmpId: string, professionalId: string) => {
  const res = await api.call('GET', `/v1/records/${dmpId}/professionals`, { token });
  expect(res.status).toBe(200);
  return (res.body.items as { professionalId: string; status: string; attendingPhysician: boolean }[]).find((i) => i.professionalId === professionalId);
};

/** A record whose patient masked a document, and a doctor X with a token. */
const maskedRecord = async () => {
  const { p, token } = await patientWithSession(api, doctor);
  const documentId = await deposit(api, doctor, p.dmpId);
  const masked = await api.call('PATCH', `/v1/records/${p.dmpId}/documents/${documentId}`, { token, body: { maskedToProfessionals: true } });
  expect(masked.status).toBe(200);
  const xId = randomRpps();
  const x = await api.professional({ professionalId: xId, profession: '10' });
  return { p, token, documentId, xId, x };
};

describe('a professional does not make himself attending physician', () => {
  it('the patient set X "not attending": X asking to be attending is refused, and X still reads neither the masked document nor the whole log', async () => {
    const { p, token, documentId, xId, x } = await maskedRecord();
    const decided = await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${xId}`, { token, body: { status: 'authorized', attendingPhysician: false } });
    expect(decided.status).toBe(200);

    const asked = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: x, body: { mode: 'normal', patientConsent: true, attendingPhysician: true } });
    expect(asked.status, JSON.stringify(asked.body)).toBe(403);
    expect(asked.headers.get('content-type')).toContain('application/problem+json');
    expect(asked.body.type).toBe(REFUSED);

    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: x })).status).toBe(404);
    expect(await listIds(api, x, p.dmpId)).toEqual([]);
    const log = await accessLog(api, x, p.dmpId);
    expect(log.every((t) => t.actor.kind === 'professional' && t.actor.id === xId)).toBe(true);
    // The patient's own actions (the mask, the decision on X) are not X's to read.
    expect(log.some((t) => t.action === 'authorization.grant')).toBe(false);
    expect(await entryOf(token, p.dmpId, xId)).toMatchObject({ status: 'authorized', attendingPhysician: false });
    const record = await api.call('GET', `/v1/records/${p.dmpId}`, { token });
    expect(record.body.attendingPhysicians).toEqual([]);
  });

  it('X never on the list: asking to be attending is refused and writes nothing; consent alone authorises X, not as attending physician', async () => {
    const { p, token, documentId, xId, x } = await maskedRecord();
    const asked = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: x, body: { mode: 'normal', patientConsent: true, attendingPhysician: true } });
    expect(asked.status).toBe(403);
    expect(asked.body.type).toBe(REFUSED);
    expect(await entryOf(token, p.dmpId, xId)).toBeUndefined();
    // Refused: traced as a refusal, never as a consent recorded.
    const consents = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'access.consent') as { outcome?: string; requestId?: string }[];
    expect(consents).toEqual([expect.objectContaining({ outcome: 'refused', requestId: asked.headers.get('x-request-id') })]);

    const consent = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: x, body: { mode: 'normal', patientConsent: true } });
    expect(consent.status).toBe(200);
    expect(await entryOf(token, p.dmpId, xId)).toMatchObject({ status: 'authorized', attendingPhysician: false });
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: x })).status).toBe(404);
    expect((await accessLog(api, x, p.dmpId)).every((t) => t.actor.id === xId)).toBe(true);
  });

  it('is refused in the emergency modes too, and the emergency access is not granted', async () => {
    const { p, documentId, x } = await maskedRecord();
    const asked = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: x, body: { mode: 'break-glass', reason: 'inconscient', attendingPhysician: true } });
    expect(asked.status).toBe(403);
    expect(asked.body.type).toBe(REFUSED);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: x })).status).toBe(403);
  });

  it('the patient named X attending physician: X recording consent with attendingPhysician false leaves the patient’s choice as it is', async () => {
    const { p, token, documentId, xId, x } = await maskedRecord();
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${xId}`, { token, body: { status: 'authorized', attendingPhysician: true } })).status).toBe(200);
    const consent = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: x, body: { mode: 'normal', patientConsent: true, attendingPhysician: false } });
    expect(consent.status).toBe(200);
    expect(await entryOf(token, p.dmpId, xId)).toMatchObject({ status: 'authorized', attendingPhysician: true });
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents/${documentId}`, { token: x })).status).toBe(200);
  });

  it('creating or reactivating a record authorises the professional, never as attending physician; the patient’s “not attending” stands', async () => {
    const creatorId = randomRpps();
    const creator = await api.professional({ professionalId: creatorId, profession: '10' });
    const { p, token } = await patientWithSession(api, creator);
    expect(await entryOf(token, p.dmpId, creatorId)).toMatchObject({ status: 'authorized', attendingPhysician: false });

    const xId = randomRpps();
    const x = await api.professional({ professionalId: xId, profession: '10' });
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${xId}`, { token, body: { status: 'authorized', attendingPhysician: false } })).status).toBe(200);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token })).status).toBe(200);
    const reactivated = await api.call('POST', `/v1/records/${p.dmpId}/reactivation`, { token: x, body: { consent: { expressConsent: true } } });
    expect(reactivated.status).toBe(200);
    // The closure ended the patient's session: a new one reads the list.
    const { token: fresh } = await activeSession(api, { ...p, password: NEW_PASSWORD });
    expect(await entryOf(fresh, p.dmpId, xId)).toMatchObject({ status: 'authorized', attendingPhysician: false });
  });
});

/**
 * A professional refused on a record leaves a trace the patient reads in the access log: who, which
 * action, the outcome `refused`, the refusal's code and the request id of the refused answer. The
 * refused professional's answers stay what they were, and a professional hammering refused requests
 * leaves a bounded number of traces.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/documents.ts';
import { randomRpps } from '../support/fixtures.ts';
import { MovableClock, patientWithSession, startClockedApi } from '../support/patients.ts';
import type { Answer, TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

type Entry = Awaited<ReturnType<typeof accessLog>>[number] & { outcome?: string; requestId?: string; reason?: string };

const code = (answer: Answer): string => String(answer.body.code ?? answer.body.type).replace('urn:dmp:problem:', '');

const refusedEntry = (log: Entry[], proId: string, answer: Answer): Entry | undefined =>
  log.find((t) => t.requestId === answer.headers.get('x-request-id') && t.actor.id === proId);

describe('refusal traces', () => {
  it('a non-authorised professional’s read leaves a refused entry the patient sees; the answer is unchanged', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const proId = randomRpps();
    const pro = await api.professional({ professionalId: proId });
    const refused = await api.call('GET', `/v1/records/${p.dmpId}`, { token: pro });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:dmp:problem:no-authorization');
    const entry = refusedEntry((await accessLog(api, token, p.dmpId)) as Entry[], proId, refused);
    expect(entry).toMatchObject({ actor: { kind: 'professional', id: proId }, action: 'record.read', outcome: 'refused', reason: 'no-authorization' });
    // The same refusal, the same answer, nothing of the trace in it.
    const again = await api.call('GET', `/v1/records/${p.dmpId}`, { token: pro });
    expect({ status: again.status, body: { ...again.body, instance: undefined, requestId: undefined } }).toEqual({
      status: refused.status,
      body: { ...refused.body, instance: undefined, requestId: undefined },
    });
  });

  it('a blocked professional’s read leaves a refused entry with the code `blocked`', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const proId = randomRpps();
    const pro = await api.professional({ professionalId: proId });
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${proId}`, { token, body: { status: 'blocked' } })).status).toBe(200);
    const refused = await api.call('GET', `/v1/records/${p.dmpId}/documents`, { token: pro });
    expect(refused.status).toBe(403);
    expect(refused.body.type).toBe('urn:dmp:problem:blocked');
    const log = (await accessLog(api, token, p.dmpId)) as Entry[];
    expect(refusedEntry(log, proId, refused)).toMatchObject({ actor: { kind: 'professional', id: proId }, action: 'document.list', outcome: 'refused', reason: 'blocked' });
    // Allowed entries say so.
    expect(log.filter((t) => t.actor.id !== proId).every((t) => t.outcome === 'allowed')).toBe(true);
  });

  it('a break-glass declaration the patient opposed leaves a refused entry with the code `patient-opposed`', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    expect((await api.call('PATCH', `/v1/records/${p.dmpId}/settings`, { token, body: { emergencyAccess: { breakGlass: false } } })).status).toBe(200);
    const proId = randomRpps();
    const pro = await api.professional({ professionalId: proId });
    const refused = await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: pro, body: { mode: 'break-glass', reason: 'unconscious at the ER' } });
    expect(refused.status).toBe(403);
    expect(code(refused)).toBe('patient-opposed');
    const entry = refusedEntry((await accessLog(api, token, p.dmpId)) as Entry[], proId, refused);
    expect(entry).toMatchObject({ actor: { kind: 'professional', id: proId }, action: 'access.emergency', outcome: 'refused', reason: 'patient-opposed' });
  });

  it('20 refused reads in a row leave a bounded number of entries', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const proId = randomRpps();
    const pro = await api.professional({ professionalId: proId });
    for (let i = 0; i < 20; i++) expect((await api.call('GET', `/v1/records/${p.dmpId}`, { token: pro })).status).toBe(403);
    const mine = ((await accessLog(api, token, p.dmpId)) as Entry[]).filter((t) => t.actor.id === proId);
    expect(mine.length).toBeGreaterThanOrEqual(1);
    expect(mine.length).toBeLessThanOrEqual(2);
    expect(mine.every((t) => t.outcome === 'refused' && t.action === 'record.read')).toBe(true);
    // A minute later, the next refusal is traced again.
    clock.advance(61_000);
    const later = await api.call('GET', `/v1/records/${p.dmpId}`, { token: pro });
    expect(refusedEntry((await accessLog(api, token, p.dmpId)) as Entry[], proId, later)).toMatchObject({ outcome: 'refused' });
  });
});

/**
 * A document the caller may not see changes none of the caller's answers: not the listing's
 * paging, not the access log, not the answer to a new version that names it. Each answer is
 * compared whole (ids and times aside) with the same request on a record without that document.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newDocumentId } from '../../functions/domain/documents.ts';
import { randomRpps } from '../support/fixtures.ts';
import { deposit, documentBody } from '../support/documents.ts';
import { MovableClock, patientWithSession, startClockedApi } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

type Answer = { status: number; body: Record<string, unknown> };
const IDS = /^(documentId|at|depositedAt|instance|id|title)$/;
/** An answer without what differs from record to record anyway (ids, times, titles); cursors reduced to their presence. */
const shape = (a: Answer): unknown =>
  JSON.parse(
    JSON.stringify({ status: a.status, body: a.body }, (k, v) => {
      if (IDS.test(k)) return undefined;
      if (k === 'nextCursor') return v === null ? null : 'cursor';
      if (typeof v === 'string' && v.includes(' ') === false && /^[A-Za-z0-9_-]{20,}$/.test(v)) return '<id>';
      return v;
    }),
  );

describe('a document the caller may not see', () => {
  it('does not show in the listing’s paging: no cursor to an empty page', async () => {
    const hidden = await patientWithSession(api, doctor);
    const control = await patientWithSession(api, doctor);
    await deposit(api, doctor, hidden.p.dmpId, { visibility: { invisibleToPatient: true } });
    const shown = await deposit(api, doctor, hidden.p.dmpId);
    await deposit(api, doctor, control.p.dmpId);

    const page = await api.call('GET', `/v1/records/${hidden.p.dmpId}/documents?limit=1`, { token: hidden.token });
    const same = await api.call('GET', `/v1/records/${control.p.dmpId}/documents?limit=1`, { token: control.token });
    expect(page.status).toBe(200);
    expect((page.body.items as { documentId: string }[]).map((i) => i.documentId)).toEqual([shown]);
    expect(page.body.nextCursor).toBeNull();
    expect(shape(page)).toEqual(shape(same));
  });

  it('does not show in the patient’s access log until it is revealed; then its history does', async () => {
    const hidden = await patientWithSession(api, doctor);
    const control = await patientWithSession(api, doctor);
    const log = (dmpId: string, token: string, q = '?limit=100') => api.call('GET', `/v1/records/${dmpId}/access-log${q}`, { token });
    const documentId = await deposit(api, doctor, hidden.p.dmpId, { visibility: { invisibleToPatient: true } });

    expect(shape(await log(hidden.p.dmpId, hidden.token))).toEqual(shape(await log(control.p.dmpId, control.token)));
    // Paging too: the first page is the one the record without the document gives.
    const first = await log(hidden.p.dmpId, hidden.token, '?limit=1');
    expect(shape(first)).toEqual(shape(await log(control.p.dmpId, control.token, '?limit=1')));
    expect((first.body.items as unknown[]).length).toBe(1);
    // The professional who may see it sees its deposit.
    const asDoctor = (await log(hidden.p.dmpId, doctor)).body.items as { action: string; documentId?: string }[];
    expect(asDoctor.some((t) => t.action === 'document.deposit' && t.documentId === documentId)).toBe(true);

    const revealed = await api.call('PATCH', `/v1/records/${hidden.p.dmpId}/documents/${documentId}`, { token: doctor, body: { invisibleToPatient: false } });
    expect(revealed.status, JSON.stringify(revealed.body)).toBe(200);
    const after = (await log(hidden.p.dmpId, hidden.token)).body.items as { action: string; documentId?: string }[];
    expect(after.some((t) => t.action === 'document.deposit' && t.documentId === documentId)).toBe(true);
    expect(after.some((t) => t.action === 'document.update' && t.documentId === documentId)).toBe(true);
  });

  it('named by `replaces`, answers as a document that does not exist', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const masked = await deposit(api, doctor, p.dmpId);
    expect((await api.call('PATCH', `/v1/records/${p.dmpId}/documents/${masked}`, { token, body: { maskedToProfessionals: true } })).status).toBe(200);
    const visible = await deposit(api, doctor, p.dmpId);
    const missing = newDocumentId(new Date(), randomBytes);
    const replace = (who: string, replaces: string) => api.call('POST', `/v1/records/${p.dmpId}/documents`, { token: who, body: documentBody({ replaces }) });

    // An authorised professional who is not the attending physician: the mask hides the document.
    const authorised = await api.professional({ professionalId: randomRpps() });
    expect((await api.call('POST', `/v1/records/${p.dmpId}/access`, { token: authorised, body: { mode: 'normal', patientConsent: true } })).status).toBe(200);
    const absent = await replace(authorised, missing);
    expect(absent.status).toBe(404);
    expect(shape(await replace(authorised, masked))).toEqual(shape(absent));

    // A professional without authorization deposits, but sees only its own documents.
    const stranger = await api.professional({ professionalId: randomRpps() });
    expect(shape(await replace(stranger, visible))).toEqual(shape(await replace(stranger, missing)));
    expect(shape(await replace(stranger, masked))).toEqual(shape(await replace(stranger, missing)));
  });
});

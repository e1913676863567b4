/**
 * A professional the patient blocked gets what every blocked caller gets, on the access log too:
 * a refusal, not even his own entries (which would tell him when he last read the record and that
 * it still exists for him).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog, deposit } from '../support/documents.ts';
import { MovableClock, patientWithSession, startClockedApi } from '../support/patients.ts';
import type { TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
const clock = new MovableClock();
beforeAll(async () => void ({ api, doctor } = await startClockedApi(clock)));
afterAll(() => api?.stop());

describe('the access log of a blocked professional', () => {
  it('is refused as every read of a blocked professional is, and readable again once the block is lifted', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    await deposit(api, doctor, p.dmpId);
    const me = await api.call('GET', `/v1/records/${p.dmpId}/access-log`, { token: doctor });
    expect(me.status).toBe(200);
    const doctorId = (me.body.items as { actor: { id?: string } }[])[0]?.actor.id;
    expect(doctorId).toBeDefined();

    const blocked = await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${doctorId}`, { token, body: { status: 'blocked' } });
    expect(blocked.status).toBe(200);
    const refused = await api.call('GET', `/v1/records/${p.dmpId}/access-log`, { token: doctor });
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(refused.body.type).toBe('urn:dmp:problem:blocked');
    expect(refused.body.items).toBeUndefined();
    // The same answer as his other reads.
    expect((await api.call('GET', `/v1/records/${p.dmpId}/documents`, { token: doctor })).body.type).toBe('urn:dmp:problem:blocked');

    const lifted = await api.call('DELETE', `/v1/records/${p.dmpId}/professionals/${doctorId}`, { token });
    expect(lifted.status).toBe(204);
    const again = await accessLog(api, doctor, p.dmpId);
    expect(again.length).toBeGreaterThan(0);
    expect(again.every((t) => t.actor.id === doctorId)).toBe(true);
  });
});

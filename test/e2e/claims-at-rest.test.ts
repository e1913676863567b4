/**
 * Nothing of the care in clear, at rest or in the logs: after batches of the insurer's sync (one of
 * them failing half-way, so that errors are logged too), refused lines and reads of the history,
 * neither the table's claim and batch items nor anything the process wrote holds an INS, a code, a
 * label, a prescriber's or performer's id or name. Logging at DEBUG, so that every line is there.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { batchId, medicationLine, pushBatch, stayLine } from '../support/claims.ts';
import { failAfter } from '../support/faults.ts';
import { captureOutput } from '../support/output.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
const logged: string[] = [];
let restoreOutput: () => void;
beforeAll(async () => {
  api = await startTestApi({ logLevel: 'DEBUG' });
  restoreOutput = captureOutput(logged);
});
afterAll(async () => {
  restoreOutput?.();
  await api?.stop();
});

describe('the reimbursed-care history at rest and in the logs', () => {
  it('keeps no INS, code, label, id or name of care in clear, in the table or the logs', async () => {
    const doctor = await api.professional();
    const insurer = await api.insurer();
    const p = await newPatient(api, doctor);
    const line = medicationLine({
      code: '3400938765432',
      display: 'CanaryMedicamentSecret',
      performer: { finess: '750000001', id: '810009876543', name: 'CanaryPharmacieDesLilas' },
    });
    const refused = medicationLine({ code: '34009BADCODE', display: 'CanaryLibelleRefuse' });
    const body = { batchId: batchId(), patients: [{ ins: p.ins, lines: [line, refused, stayLine({ display: 'CanarySejour' })] }] };
    const restore = failAfter(api.runtime.deps.db, 'BatchWriteItemCommand', 0);
    expect((await pushBatch(api, insurer, body)).status).toBe(503);
    restore();
    const done = await pushBatch(api, insurer, body);
    expect(done.status).toBe(200);
    expect(done.body.lines).toEqual({ accepted: 2, corrected: 0, duplicate: 0, rejected: 1 });
    const { token } = await activeSession(api, p);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/claims`, { token })).body.items).toHaveLength(2);
    expect((await api.call('GET', `/v1/records/${p.dmpId}/claims`, { token: doctor })).status).toBe(200);

    const secrets = [
      p.ins,
      line.code,
      line.display,
      'CanaryPharmacieDesLilas',
      '810009876543',
      line.prescriber.id,
      line.sourceId,
      refused.code,
      'CanaryLibelleRefuse',
      'CanarySejour',
      'N02BE01',
    ];
    const items = (await api.scanAll()).filter((i) => String(i.sk?.S).startsWith('CLAIM') || String(i.pk?.S).startsWith('CLAIMBATCH#'));
    expect(items.length).toBeGreaterThanOrEqual(3);
    const table = JSON.stringify(items);
    const logs = logged.join('');
    expect(logs).toContain('claims batch ingested');
    expect(logs).toContain('request failed');
    for (const secret of secrets) {
      expect(table, secret).not.toContain(secret);
      expect(logs, secret).not.toContain(secret);
    }
  });
});

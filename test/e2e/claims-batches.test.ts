/**
 * The Assurance Maladie's sync over HTTP: POST /v1/claims/batches. Idempotent by batchId, each line
 * checked alone (refusals with their indexes and field paths), unknown and closed records counted
 * and left alone, a line stored once whatever the batches that carry it, one trace per patient and
 * batch; only the insurer's token writes, and it reads nothing.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/capabilities/index.ts';
import { accessLog } from '../support/documents.ts';
import { batchId, claimItems, daysAgo, labLine, medicationLine, pushBatch, stayLine, tooOld } from '../support/claims.ts';
import { randomIns } from '../support/fixtures.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
let insurer: string;
beforeAll(async () => {
  api = await startTestApi();
  doctor = await api.professional();
  insurer = await api.insurer();
});
afterAll(() => api?.stop());

describe('POST /v1/claims/batches', () => {
  it('stores the lines of known patients and answers counts only', async () => {
    const p = await newPatient(api, doctor);
    const lines = [medicationLine(), labLine(), stayLine()];
    const res = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines }] });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toEqual({ patients: { stored: 1, unknown: 0, closed: 0 }, lines: { accepted: 3, corrected: 0, duplicate: 0, rejected: 0 }, rejected: [] });
    expect(await claimItems(api, p.dmpId)).toHaveLength(3);
    // Never an INS, a code or a label in the answer.
    const text = JSON.stringify(res.body);
    for (const secret of [p.ins, ...lines.map((l) => l.code), ...lines.map((l) => l.display)]) expect(text).not.toContain(secret);
  });

  it('is idempotent by batchId: the same body answers the same, another body is 422 and stores nothing', async () => {
    const p = await newPatient(api, doctor);
    const body = { batchId: batchId(), patients: [{ ins: p.ins, lines: [medicationLine(), labLine()] }] };
    const first = await pushBatch(api, insurer, body);
    const again = await pushBatch(api, insurer, body);
    expect(first.status).toBe(200);
    expect(again.status).toBe(200);
    expect(again.body).toEqual(first.body);
    expect(await claimItems(api, p.dmpId)).toHaveLength(2);

    const other = await pushBatch(api, insurer, { ...body, patients: [{ ins: p.ins, lines: [labLine()] }] });
    expect(other.status).toBe(422);
    expect(other.headers.get('content-type')).toContain('application/problem+json');
    expect(other.body.type).toBe('urn:dmp:problem:batch-id-reused');
    expect(await claimItems(api, p.dmpId)).toHaveLength(2);
  });

  it('refuses each faulty line alone, with its patient index, line index, field path and reason', async () => {
    const p = await newPatient(api, doctor);
    const q = await newPatient(api, doctor);
    const good = medicationLine();
    const res = await pushBatch(api, insurer, {
      batchId: batchId(),
      patients: [
        {
          ins: p.ins,
          lines: [
            good,
            medicationLine({ category: 'potion' }),
            medicationLine({ codeSystem: 'XYZ' }),
            medicationLine({ code: '123' }),
            medicationLine({ atcGroup: undefined }),
            medicationLine({ date: daysAgo(-2) }),
            medicationLine({ date: tooOld() }),
            stayLine({ performer: undefined }),
            medicationLine({ prescriber: { id: 'nope', profession: '10' } }),
          ],
        },
        { ins: q.ins, lines: [labLine({ codeSystem: 'CIP13' }), labLine({ colour: 'red' })] },
        { ins: '123', lines: [labLine()] },
      ],
    });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body.lines).toEqual({ accepted: 1, corrected: 0, duplicate: 0, rejected: 11 });
    expect(res.body.patients).toEqual({ stored: 2, unknown: 0, closed: 0 });
    const where = res.body.rejected.map((r: { patient: number; line: number; path: string }) => [r.patient, r.line, r.path]);
    expect(where).toEqual([
      [0, 1, 'category'],
      [0, 2, 'codeSystem'],
      [0, 3, 'code'],
      [0, 4, 'atcGroup'],
      [0, 5, 'date'],
      [0, 6, 'date'],
      [0, 7, 'performer.finess'],
      [0, 8, 'prescriber.id'],
      [1, 0, 'codeSystem'],
      [1, 1, 'colour'],
      [2, -1, 'ins'],
    ]);
    for (const r of res.body.rejected) expect(r.reason).toMatch(/\w/);
    expect(JSON.stringify(res.body)).not.toContain(good.display);
    expect(await claimItems(api, p.dmpId)).toHaveLength(1);
    expect(await claimItems(api, q.dmpId)).toHaveLength(0);
  });

  it('counts patients without a DMP and closed records, and stores none of their lines', async () => {
    const closed = await newPatient(api, doctor);
    const { token } = await activeSession(api, closed);
    expect((await api.call('POST', `/v1/records/${closed.dmpId}/closure`, { token, body: {} })).status).toBe(200);
    const res = await pushBatch(api, insurer, {
      batchId: batchId(),
      patients: [
        { ins: randomIns(), lines: [labLine()] },
        { ins: closed.ins, lines: [labLine(), medicationLine()] },
      ],
    });
    expect(res.status).toBe(200);
    expect(res.body.patients).toEqual({ stored: 0, unknown: 1, closed: 1 });
    expect(res.body.lines).toEqual({ accepted: 0, corrected: 0, duplicate: 0, rejected: 0 });
    expect(await claimItems(api, closed.dmpId)).toHaveLength(0);
  });

  it('stores a line once whatever the batches that carry it, and traces each batch once per patient', async () => {
    const p = await newPatient(api, doctor);
    const line = medicationLine();
    const first = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line, line] }] });
    expect(first.body.lines).toEqual({ accepted: 1, corrected: 0, duplicate: 1, rejected: 0 });
    const second = await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line, labLine()] }] });
    expect(second.body.lines).toEqual({ accepted: 1, corrected: 0, duplicate: 1, rejected: 0 });
    expect(await claimItems(api, p.dmpId)).toHaveLength(2);
    // The same patient twice in one batch: its line once, counted once.
    const twice = await pushBatch(api, insurer, {
      batchId: batchId(),
      patients: [
        { ins: p.ins, lines: [line] },
        { ins: p.ins, lines: [line, stayLine()] },
      ],
    });
    expect(twice.body.lines).toEqual({ accepted: 1, corrected: 0, duplicate: 2, rejected: 0 });
    expect(twice.body.patients.stored).toBe(2);
    expect(await claimItems(api, p.dmpId)).toHaveLength(3);

    const { token } = await activeSession(api, p);
    const updates = (await accessLog(api, token, p.dmpId)).filter((t) => t.action === 'claims.update');
    expect(updates).toHaveLength(3);
    expect(updates[0]?.actor.kind).toBe('insurer');
  });

  it('takes a batch of 500 patients, the most one holds', async () => {
    const p = await newPatient(api, doctor);
    const patients = [{ ins: p.ins, lines: [labLine(), medicationLine()] }, ...Array.from({ length: 499 }, () => ({ ins: randomIns(), lines: [labLine()] }))];
    const res = await pushBatch(api, insurer, { batchId: batchId(), patients });
    expect(res.status, JSON.stringify(res.body).slice(0, 300)).toBe(200);
    expect(res.body.patients).toEqual({ stored: 1, unknown: 499, closed: 0 });
    expect(res.body.lines.accepted).toBe(2);
  });

  it('refuses whole requests with a problem document and stores nothing', async () => {
    const p = await newPatient(api, doctor);
    const patients = [{ ins: p.ins, lines: [labLine()] }];
    const cases = [
      await api.call('POST', '/v1/claims/batches', { token: insurer, raw: '{"batchId": "x", "patients": [', headers: { 'content-type': 'application/json' } }),
      await pushBatch(api, insurer, { batchId: batchId(), patients: Array.from({ length: 501 }, () => patients[0]) }),
      await pushBatch(api, insurer, { batchId: batchId(), patients, extra: true }),
      await pushBatch(api, insurer, { batchId: 'not a batch id', patients }),
      await pushBatch(api, doctor, { batchId: batchId(), patients }),
      await pushBatch(api, await api.agent(), { batchId: batchId(), patients }),
      await pushBatch(api, (await activeSession(api, p)).token, { batchId: batchId(), patients }),
      await pushBatch(api, await api.insurer({ scope: 'claims:read' }), { batchId: batchId(), patients }),
      // The insurer's client under another audience (the agents'), or signed as another issuer's: not the sync.
      await pushBatch(api, await api.runtime.idp.issue({ kind: 'insurer', clientId: 'cnam-claims-sync' }, { audience: 'dmp-api' }), { batchId: batchId(), patients }),
      await api.call('POST', '/v1/claims/batches', {
        token: insurer,
        raw: JSON.stringify({ batchId: batchId(), patients: [{ ins: p.ins, lines: [labLine({ display: 'x'.repeat(6 * 1024 * 1024) })] }] }),
        headers: { 'content-type': 'application/json' },
      }),
    ];
    expect(cases.map((c) => c.status)).toEqual([400, 400, 400, 400, 403, 403, 403, 401, 401, 413]);
    for (const c of cases) expect(c.headers.get('content-type')).toContain('application/problem+json');
    expect(await claimItems(api, p.dmpId)).toHaveLength(0);
  });

  it('gives the insurer’s token nothing of a record: every other route refuses it', async () => {
    const p = await newPatient(api, doctor);
    const reads = [
      ['GET', `/v1/records/${p.dmpId}`],
      ['GET', `/v1/records/${p.dmpId}/documents`],
      ['GET', `/v1/records/${p.dmpId}/access-log`],
      ['GET', `/v1/records/${p.dmpId}/claims`],
      ['GET', `/v1/records/${p.dmpId}/professionals`],
    ] as const;
    for (const [method, path] of reads) expect((await api.call(method, path, { token: insurer })).status, path).toBe(403);
    expect((await api.call('POST', '/v1/records/search', { token: insurer, body: { ins: p.ins } })).status).toBe(403);
  });

  it('is refused by every route of the manifest but its own, with 403, whatever the route', async () => {
    const p = await newPatient(api, doctor);
    const others = ROUTES.filter((r) => !(r.callers as readonly string[]).includes('insurer'));
    expect(others.length).toBe(ROUTES.length - 1);
    for (const route of others) {
      const path = route.path.replace('{dmpId}', p.dmpId).replace(/\{\w+\}/g, '810001234567');
      const res = await api.call(route.method, path, { token: insurer, ...(route.body ? { body: {} } : {}) });
      expect(res.status, `${route.method} ${route.path}`).toBe(403);
    }
  });
});

/**
 * The claims import through the local runtime, over real HTTP: POST /_local/jobs/claims-import on a
 * file of this machine and on an object of the emulator's inbox bucket, bad bodies refused; then the
 * same import through the real claims core, crashed in the middle of a file and run again.
 *
 * In the first part, `FakeClaimsCore` stands in for the claims ingestion core
 * (functions/capabilities/claims/ingest.ts), to count the batches the import sends; the last test
 * uses the real core on the emulator.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HeadObjectCommand, PutObjectCommand } from '@aws-sdk/client-s3';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { s3Client } from '../../functions/adapters/aws.ts';
import type { BatchOutcome, ClaimsBatches } from '../../functions/domain/jobs/claims-import.ts';
import { claimItems, labLine, medicationLine } from '../support/claims.ts';
import { failAfter } from '../support/faults.ts';
import { randomIns } from '../support/fixtures.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { startTestApi, startWarmTestApi, type TestApi } from '../support/runtime.ts';

class FakeClaimsCore implements ClaimsBatches {
  readonly stored = new Map<string, string>();
  readonly calls: string[] = [];
  async ingest(batchId: string, patients: unknown[]): Promise<BatchOutcome> {
    this.calls.push(batchId);
    let accepted = 0;
    let duplicate = 0;
    for (const p of patients as { lines: { sourceId: string }[] }[]) {
      for (const l of p.lines) {
        const by = this.stored.get(l.sourceId) ?? batchId;
        this.stored.set(l.sourceId, by);
        if (by === batchId) accepted += 1;
        else duplicate += 1;
      }
    }
    return { patients: { stored: patients.length, unknown: 0, closed: 0 }, lines: { accepted, corrected: 0, duplicate, rejected: 0 }, rejected: [] };
  }
}

const ndjson = (count: number, tag: string): string =>
  `${Array.from({ length: count }, (_, i) => JSON.stringify({ ins: `1${String(850_000_000_000 + i).padStart(12, '0')}`, lines: [{ sourceId: `${tag}-${i}` }] })).join('\n')}\n`;

const core = new FakeClaimsCore();
let api: TestApi;
let dir: string;
beforeAll(async () => {
  api = await startTestApi({ claimsBatches: core });
  dir = mkdtempSync(join(tmpdir(), 'claims-import-'));
});
afterAll(async () => {
  await api?.stop();
  rmSync(dir, { recursive: true, force: true });
});

describe('POST /_local/jobs/claims-import', () => {
  it('imports a file of this machine, leaves it in place, and stores nothing twice when run again', async () => {
    const path = join(dir, 'night.ndjson');
    writeFileSync(path, `${ndjson(620, 'F')}{oops\n`);
    const res = await api.call('POST', '/_local/jobs/claims-import', { body: { path } });
    expect(res.status).toBe(200);
    expect(res.body).toEqual({
      job: 'claims-import',
      result: {
        status: 'complete',
        totals: { batches: 2, records: 621, malformed: 1, patients: { stored: 620, unknown: 0, closed: 0 }, lines: { accepted: 620, corrected: 0, duplicate: 0, rejected: 0 } },
        rejections: [{ record: 621, path: '', reason: 'the line is not valid JSON' }],
      },
    });
    expect(JSON.stringify(res.body)).not.toContain('185');
    // Complete: the same file again sends nothing.
    const again = await api.call('POST', '/_local/jobs/claims-import', { body: { path } });
    expect(again.body.result.totals).toEqual(res.body.result.totals);
    expect(core.calls).toHaveLength(2);
  });

  it('imports an object of the emulator’s inbox bucket and deletes it', async () => {
    const s3 = s3Client({ region: api.runtime.config.region, endpoint: api.runtime.endpoint });
    const key = `nightly/${randomUUID()}.ndjson`;
    await s3.send(new PutObjectCommand({ Bucket: api.runtime.inboxBucket, Key: key, Body: ndjson(30, 'B') }));
    const res = await api.call('POST', '/_local/jobs/claims-import', { body: { key } });
    expect(res.status).toBe(200);
    expect(res.body.result).toMatchObject({ status: 'complete', totals: { batches: 1, records: 30, patients: { stored: 30 } } });
    await expect(s3.send(new HeadObjectCommand({ Bucket: api.runtime.inboxBucket, Key: key }))).rejects.toMatchObject({ $metadata: { httpStatusCode: 404 } });
    expect((await api.call('POST', '/_local/jobs/claims-import', { body: { key } })).status).toBe(404);
  });

  it('refuses a body that names neither a file nor an object, or both, and a file that does not exist', async () => {
    for (const body of [{}, { path: '' }, { path: 'a', key: 'b' }, { key: 'x', now: '2026-01-01T00:00:00Z' }, { path: 42 }]) {
      const res = await api.call('POST', '/_local/jobs/claims-import', { body });
      expect(res.status, JSON.stringify(body)).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
    const missing = await api.call('POST', '/_local/jobs/claims-import', { body: { path: join(dir, 'absent.ndjson') } });
    expect(missing.status).toBe(404);
  });
});

describe('through the claims core', () => {
  // 3 patients with a DMP among 600 entries: two batches (at most 500 patients each), one patient
  // in the first, two in the second; the others have no DMP (counted unknown, nothing stored).
  it('stores every line once, even when the import crashes in the middle of the file and is run again', async () => {
    const { api: real, doctor } = await startWarmTestApi();
    try {
      const patients = await Promise.all([0, 1, 2].map(() => newPatient(real, doctor)));
      const at = new Map([
        [10, patients[0]],
        [520, patients[1]],
        [560, patients[2]],
      ]);
      const entries = Array.from({ length: 600 }, (_, i) => {
        const p = at.get(i);
        return p ? { ins: p.ins, lines: [medicationLine(), labLine(), medicationLine()] } : { ins: randomIns(), lines: [labLine()] };
      });
      const path = join(dir, 'real.ndjson');
      writeFileSync(path, `${entries.map((e) => JSON.stringify(e)).join('\n')}\n`);

      // The second batch's lines fail to be written: the import stops there, the first batch stays done.
      const restore = failAfter(real.runtime.deps.db, 'BatchWriteItemCommand', 1, 1, 'after');
      const crashed = await real.call('POST', '/_local/jobs/claims-import', { body: { path } });
      restore();
      expect(crashed.status).toBe(503);

      const resumed = await real.call('POST', '/_local/jobs/claims-import', { body: { path } });
      expect(resumed.status, JSON.stringify(resumed.body)).toBe(200);
      for (const p of patients) {
        const items = await claimItems(real, p.dmpId);
        expect(items).toHaveLength(3);
        const session = await activeSession(real, p);
        const read = await real.call('GET', `/v1/records/${p.dmpId}/claims`, { token: session.token });
        expect(read.status).toBe(200);
        expect(read.body.items).toHaveLength(3);
      }
      // Nothing of a patient without a DMP was stored: the 9 lines are the 3 patients' own.
      expect(await claimItems(real)).toHaveLength(9);
    } finally {
      await real.stop();
    }
  });
});

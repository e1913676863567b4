/**
 * Destruction of closed records after ten years, against the emulator's DynamoDB: what goes, in
 * which order, what stays, and how an interrupted destruction resumes. Each test has its own table,
 * since a sweep looks at every record of the table.
 */
import { ConditionsRefused } from '#domain/errors';
import { GetItemCommand, ScanCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { makeLogger } from '../../functions/adapters/logger.ts';
import { describe, expect, it } from 'vitest';
import { DataKeyCache } from '../../functions/adapters/envelope.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { RecordStore } from '../../functions/adapters/record-store.ts';
import type { NewRecord } from '../../functions/domain/records.ts';
import { DynamoRetentionStore } from '../../functions/adapters/retention.ts';
import { RetentionJob } from '../../functions/domain/jobs/retention.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { transact } from '../../functions/adapters/transactions.ts';
import { retainUntil } from '../../functions/domain/lifecycle.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { emulator } from '../support/aws.ts';
import { failNext } from '../support/faults.ts';

type Item = Record<string, AttributeValue>;

const CREATED = new Date('2025-06-01T08:00:00.000Z');
const CLOSED = new Date('2026-03-10T09:00:00.000Z');
const DUE = retainUntil(CLOSED); // 2036-03-10T09:00:00.000Z

let n = 0;
const world = async () => {
  const env = await emulator();
  const store = new RecordStore(env.db, env.tableName);
  const keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
  const job = new RetentionJob(new DynamoRetentionStore(env.db, env.tableName), makeLogger({ logLevel: 'SILENT' }));

  /** A record with a patient login, a representative login, an authorization and a pharmacy ledger entry. */
  const create = async (dmpId: string) => {
    const patientLogin = String(40_000_000_000 + ++n);
    const representativeLogin = String(50_000_000_000 + n);
    const insHash = `ins-hash-${dmpId}`;
    const r: NewRecord = {
      dmpId,
      channel: 'pharmacy',
      createdAt: CREATED,
      createdBy: 'professional:810000000001',
      consentInformedAt: CREATED,
      minor: true,
      emergencyAccess: { breakGlass: true, regulation: true },
      identity: { familyName: 'Martin', givenNames: 'Léa', birthDate: '2015-01-01', sex: 'F' },
      contact: { mobile: '+33611111111' },
      representatives: [{ familyName: 'Martin', givenNames: 'Paul', relationship: 'father', mobile: '+33622222222', loginId: representativeLogin }],
      logins: [
        { loginId: patientLogin, actor: 'patient', passwordHash: 'scrypt$p', mustChangePassword: true },
        { loginId: representativeLogin, actor: 'representative', passwordHash: 'scrypt$r', mustChangePassword: true },
      ],
      insHash,
      authorizedProfessional: '810000000001',
      ledger: { finess: '750000009', month: '2025-06' },
      notifications: [{ message: { to: '+33622222222', template: 'record-created' }, id: `n${n}` }],
      trace: { trace: { actor: { kind: 'professional', id: '810000000001', profession: '10' }, action: 'record.create', mode: 'normal' }, id: `t${n}` },
    };
    const { key, wrapped } = await keyRing.generate(dmpId);
    await store.create(key, wrapped, r);
    return { dmpId, insHash, logins: [patientLogin, representativeLogin] };
  };
  const close = (dmpId: string, at = CLOSED) => transact(env.db, store.closeWrites(dmpId, at, retainUntil(at)));
  const reactivate = (dmpId: string) => transact(env.db, store.reactivateWrites(dmpId));

  const scan = async (): Promise<Item[]> => {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await env.db.send(new ScanCommand({ TableName: env.tableName, ConsistentRead: true, ...(start ? { ExclusiveStartKey: start } : {}) }));
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.sort((a, b) => `${a.pk?.S}|${a.sk?.S}`.localeCompare(`${b.pk?.S}|${b.sk?.S}`));
  };
  const get = async (key: { pk: string; sk: string }) => (await env.db.send(new GetItemCommand({ TableName: env.tableName, Key: keyItem(key), ConsistentRead: true }))).Item;

  return { env, store, job, create, close, reactivate, scan, get };
};

type Created = { dmpId: string; insHash: string; logins: string[] };
/** The items a record owns: its partition, its logins and its INS entry (not the pharmacy ledger). */
const ownedBy = (r: Created) => (i: Item) => i.pk?.S === `REC#${r.dmpId}` || r.logins.some((l) => i.pk?.S === `LOGIN#${l}`) || i.pk?.S === `INS#${r.insHash}`;
const not =
  <T>(f: (x: T) => boolean) =>
  (x: T) =>
    !f(x);

describe('retention sweep', () => {
  it('destroys nothing before the retention date; at it, everything the record owns, and nothing else', async () => {
    const w = await world();
    const due = await w.create('rec-due-0001');
    const active = await w.create('rec-active-01');
    const closedLater = await w.create('rec-later-001');
    const reactivated = await w.create('rec-react-001');
    await w.close(due.dmpId);
    await w.close(closedLater.dmpId, new Date(CLOSED.getTime() + 86_400_000));
    await w.close(reactivated.dmpId);
    await w.reactivate(reactivated.dmpId);
    const before = await w.scan();
    expect(before.filter(ownedBy(due)).map((i) => i.pk!.S!.split('#')[0])).toEqual(expect.arrayContaining(['INS', 'LOGIN', 'REC']));

    expect(await w.job.sweep(new Date(DUE.getTime() - 1))).toEqual({ destroyed: 0, kept: 0 });
    expect(await w.scan()).toEqual(before);

    expect(await w.job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    const after = await w.scan();
    // Exactly the record's own items are gone: its partition, both logins, its INS entry.
    expect(after).toEqual(before.filter(not(ownedBy(due))));
    expect(after.filter((i) => i.pk?.S === `REC#${due.dmpId}`)).toEqual([]);
    for (const login of due.logins) expect(await w.get(keys.login(login))).toBeUndefined();
    expect(await w.get(keys.insIndex(due.insHash))).toBeUndefined();
    expect(await w.store.load(due.dmpId)).toBeUndefined();
    expect(await w.store.dmpIdByInsHash(due.insHash)).toBeUndefined();
    // The pharmacy ledger is accounting: it stays, for every record.
    expect((await w.store.ledger('750000009', '2025-06')).map((e) => e.dmpId).sort()).toEqual([active.dmpId, closedLater.dmpId, due.dmpId, reactivated.dmpId].sort());
    // The others are untouched, item for item.
    for (const other of [active, closedLater, reactivated]) {
      expect(after.filter(ownedBy(other))).toEqual(before.filter(ownedBy(other)));
      expect(after.filter(ownedBy(other)).length).toBeGreaterThan(5);
    }
    expect((await w.store.load(reactivated.dmpId))?.status).toBe('active');
    expect((await w.store.load(closedLater.dmpId))?.status).toBe('closed');
  });

  it('frees the INS: a new record can be created for the same person afterwards, not before', async () => {
    const w = await world();
    const due = await w.create('rec-due-0002');
    await w.close(due.dmpId);
    const keyRing = new KeyRing(w.env.kms, w.env.dataKeyId, new DataKeyCache(systemClock));
    const sameIns = async (dmpId: string, loginId: string) => {
      const { key, wrapped } = await keyRing.generate(dmpId);
      const at = new Date('2036-04-01T00:00:00Z');
      await w.store.create(key, wrapped, {
        dmpId,
        channel: 'professional',
        createdAt: at,
        createdBy: 'professional:810000000001',
        consentInformedAt: at,
        minor: false,
        emergencyAccess: { breakGlass: true, regulation: true },
        identity: { familyName: 'Martin', givenNames: 'Léa', birthDate: '2015-01-01', sex: 'F' },
        contact: {},
        representatives: [],
        logins: [{ loginId, actor: 'patient', passwordHash: 'scrypt$x', mustChangePassword: true }],
        insHash: due.insHash,
        notifications: [],
        trace: { trace: { actor: { kind: 'professional', id: '810000000001', profession: '10' }, action: 'record.create', mode: 'normal' }, id: `t-${dmpId}` },
      });
    };
    // While the closed record is kept, its INS has a DMP.
    const refused = await sameIns('rec-early-002', '60000000001').catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConditionsRefused);
    expect([...(refused as ConditionsRefused).labels]).toEqual(['ins']);
    await w.job.sweep(DUE);
    await sameIns('rec-again-002', '60000000002');
    expect(await w.store.dmpIdByInsHash(due.insHash)).toBe('rec-again-002');
  });

  it('running the sweep twice is harmless', async () => {
    const w = await world();
    const due = await w.create('rec-due-0003');
    const active = await w.create('rec-active-03');
    await w.close(due.dmpId);
    expect(await w.job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    const once = await w.scan();
    expect(once.filter(ownedBy(due))).toEqual([]);
    expect(await w.job.sweep(DUE)).toEqual({ destroyed: 0, kept: 0 });
    expect(await w.job.sweep(new Date('2050-01-01T00:00:00Z'))).toEqual({ destroyed: 0, kept: 0 });
    expect(await w.scan()).toEqual(once);
    expect((await w.store.load(active.dmpId))?.status).toBe('active');
  });

  it('destroys the key first: interrupted after the shred, the record is unreadable and cannot be reactivated; the next sweep finishes', async () => {
    const w = await world();
    const due = await w.create('rec-due-0004');
    const other = await w.create('rec-other-04');
    await w.close(due.dmpId);
    const before = await w.scan();

    const restore = failNext(w.env.db, 'BatchWriteItemCommand');
    await expect(w.job.sweep(DUE)).rejects.toThrow('injected BatchWriteItemCommand failure');
    restore();

    expect(await w.get(keys.dataKey(due.dmpId))).toBeUndefined();
    const meta = await w.get(keys.record(due.dmpId));
    expect(meta?.status?.S).toBe('destroying');
    expect(meta?.destroyingSince?.S).toBe(DUE.toISOString());
    expect(await w.store.load(due.dmpId)).toBeUndefined();
    // The queue entry stays until the end, so the job resumes.
    expect(await w.get(keys.retention(due.dmpId))).toBeDefined();
    // The key went first: the logins and the INS entry are still there.
    for (const login of due.logins) expect(await w.get(keys.login(login))).toBeDefined();
    expect(await w.get(keys.insIndex(due.insHash))).toBeDefined();
    // No way back once the key is gone.
    const refused = await w.reactivate(due.dmpId).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConditionsRefused);
    expect((refused as ConditionsRefused).labels).toEqual(new Set(['record', 'key']));
    expect((await w.get(keys.record(due.dmpId)))?.status?.S).toBe('destroying');
    // Another record is untouched by the interrupted run.
    expect((await w.scan()).filter(ownedBy(other))).toEqual(before.filter(ownedBy(other)));

    expect(await w.job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    expect(await w.scan()).toEqual(before.filter(not(ownedBy(due))));
  });

  it('resumes when the answer of a deletion was lost after it happened', async () => {
    const w = await world();
    const due = await w.create('rec-due-0005');
    await w.close(due.dmpId);
    const before = await w.scan();
    // The first DeleteItem of the destruction (the INS entry) happens, but its answer is lost.
    const restore = failNext(w.env.db, 'DeleteItemCommand', 1, 'after');
    await expect(w.job.sweep(DUE)).rejects.toThrow();
    restore();
    expect(await w.get(keys.insIndex(due.insHash))).toBeUndefined();
    expect((await w.get(keys.record(due.dmpId)))?.status?.S).toBe('destroying');
    expect(await w.job.sweep(DUE)).toEqual({ destroyed: 1, kept: 0 });
    expect(await w.scan()).toEqual(before.filter(not(ownedBy(due))));
  });

  it('keeps a record reactivated after its retention date, until it is closed again and due again', async () => {
    const w = await world();
    const r = await w.create('rec-react-006');
    await w.close(r.dmpId);
    await w.reactivate(r.dmpId);
    const before = await w.scan();
    expect(await w.job.sweep(new Date('2050-01-01T00:00:00Z'))).toEqual({ destroyed: 0, kept: 0 });
    expect(await w.scan()).toEqual(before);
    const reclosed = new Date('2040-01-01T00:00:00Z');
    await w.close(r.dmpId, reclosed);
    expect(await w.job.sweep(new Date(retainUntil(reclosed).getTime() - 1))).toEqual({ destroyed: 0, kept: 0 });
    expect(await w.job.sweep(retainUntil(reclosed))).toEqual({ destroyed: 1, kept: 0 });
    expect((await w.scan()).filter(ownedBy(r))).toEqual([]);
  });
});

describe('destroying one record', () => {
  it('an active record (reactivated between being found and being shredded) is kept: false, nothing deleted', async () => {
    const w = await world();
    const r = await w.create('rec-active-07');
    await w.close(r.dmpId);
    await w.reactivate(r.dmpId);
    const before = await w.scan();
    expect(await w.job.destroy(r.dmpId, DUE)).toBe(false);
    expect(await w.job.destroy(r.dmpId, new Date('2099-01-01T00:00:00Z'))).toBe(false);
    expect(await w.scan()).toEqual(before);
    expect((await w.store.load(r.dmpId))?.status).toBe('active');
  });

  it('a record never closed is kept', async () => {
    const w = await world();
    const r = await w.create('rec-active-08');
    const before = await w.scan();
    expect(await w.job.destroy(r.dmpId, new Date('2099-01-01T00:00:00Z'))).toBe(false);
    expect(await w.scan()).toEqual(before);
  });

  it('a closed record not yet due is kept, and goes at its instant', async () => {
    const w = await world();
    const r = await w.create('rec-closed-09');
    await w.close(r.dmpId);
    const before = await w.scan();
    expect(await w.job.destroy(r.dmpId, new Date(DUE.getTime() - 1))).toBe(false);
    expect(await w.scan()).toEqual(before);
    expect(await w.job.destroy(r.dmpId, DUE)).toBe(true);
    expect((await w.scan()).filter(ownedBy(r))).toEqual([]);
  });
});

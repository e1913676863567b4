/** The creation transaction's invariants, straight against the emulator's DynamoDB. */
import { ConditionsRefused } from '#domain/errors';
import { GetItemCommand, ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataKeyCache } from '../../functions/adapters/envelope.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { LoginStore } from '../../functions/adapters/login-store.ts';
import { RecordStore } from '../../functions/adapters/record-store.ts';
import { openRecord } from '../../functions/adapters/record-sealing.ts';
import type { NewRecord } from '../../functions/domain/records.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { transact } from '../../functions/adapters/transactions.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { emulator } from '../support/aws.ts';

let env: Awaited<ReturnType<typeof emulator>>;
let store: RecordStore;
let keyRing: KeyRing;
beforeAll(async () => {
  env = await emulator();
  store = new RecordStore(env.db, env.tableName);
  keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
});

/** When this file began: its records were created between then and now (maybe across midnight). */
const startedAt = new Date();
let n = 0;
const record = (dmpId: string, insHash: string, extra: Partial<NewRecord> = {}): NewRecord => ({
  dmpId,
  channel: 'professional',
  createdAt: new Date(),
  createdBy: 'professional:810000000001',
  consentInformedAt: new Date(),
  minor: false,
  emergencyAccess: { breakGlass: true, regulation: true },
  identity: { familyName: 'Martin', givenNames: 'Léa', birthDate: '1980-01-01', sex: 'F' },
  contact: { mobile: '+33611111111' },
  representatives: [],
  logins: [{ loginId: `${Date.now()}${n++}`.slice(-11), actor: 'patient', passwordHash: 'scrypt$x', mustChangePassword: true }],
  insHash,
  notifications: [],
  trace: { trace: { actor: { kind: 'professional', id: '810000000001', profession: '10' }, action: 'record.create', mode: 'normal' }, id: `t${n}` },
  ...extra,
});

const create = async (dmpId: string, insHash: string, extra: Partial<NewRecord> = {}) => {
  const { key, wrapped } = await keyRing.generate(dmpId);
  return store.create(key, wrapped, record(dmpId, insHash, extra));
};

describe('creation transaction', () => {
  it('writes the record and reads it back sealed, then opened', async () => {
    await create('store-rec-0001', 'hash-0001');
    const stored = await store.load('store-rec-0001');
    expect(stored?.status).toBe('active');
    const key = await keyRing.unwrap('store-rec-0001', stored!.wrappedKey);
    expect(openRecord(key, stored!).identity.givenNames).toBe('Léa');
    expect(await store.dmpIdByInsHash('hash-0001')).toBe('store-rec-0001');
  });

  it('refuses a second record for an INS hash, naming the invariant, and writes none of its items', async () => {
    await create('store-rec-0002', 'hash-0002');
    const before = (await env.db.send(new ScanCommand({ TableName: env.tableName }))).Count;
    const error = await create('store-rec-0003', 'hash-0002').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConditionsRefused);
    expect([...(error as ConditionsRefused).labels]).toEqual(['ins']);
    expect((await env.db.send(new ScanCommand({ TableName: env.tableName }))).Count).toBe(before);
    expect(await store.load('store-rec-0003')).toBeUndefined();
  });

  it('under a race of twenty creations for one INS, exactly one commits', async () => {
    const results = await Promise.allSettled([...Array(20)].map((_, i) => create(`store-race-${String(i).padStart(4, '0')}`, 'hash-race')));
    expect(results.filter((r) => r.status === 'fulfilled')).toHaveLength(1);
    const refused = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
    expect(refused.every((r) => r.reason instanceof ConditionsRefused && r.reason.labels.has('ins'))).toBe(true);
    const metas = ((await env.db.send(new ScanCommand({ TableName: env.tableName }))).Items ?? []).filter((i) => i.pk?.S?.startsWith('REC#store-race-') && i.sk?.S === 'META');
    expect(metas).toHaveLength(1);
  });

  it('writes a pharmacy ledger entry once, in the same transaction', async () => {
    await create('store-rec-0004', 'hash-0004', { channel: 'pharmacy', ledger: { finess: '750000009', month: '2026-11' } });
    expect((await store.ledger('750000009', '2026-11')).map((e) => e.amountCents)).toEqual([100]);
    await expect(create('store-rec-0005', 'hash-0004', { channel: 'pharmacy', ledger: { finess: '750000009', month: '2026-11' } })).rejects.toBeInstanceOf(ConditionsRefused);
    expect(await store.ledger('750000009', '2026-11')).toHaveLength(1);
  });

  it('uses a creation code once, only for its INS, only before it expires', async () => {
    const now = new Date();
    await store.putCreationCode('code-hash-1', 'hash-0006', now, new Date(now.getTime() + 60_000), 'agent:a');
    await store.putCreationCode('code-hash-2', 'hash-0007', new Date(now.getTime() - 120_000), new Date(now.getTime() - 60_000), 'agent:a');
    expect(await store.creationCode('code-hash-1')).toEqual({ insHash: 'hash-0006', expiresAt: new Date(now.getTime() + 60_000).toISOString(), usedAt: undefined });
    expect(await store.creationCode('no-such-code')).toBeUndefined();
    const wrongIns = await create('store-rec-0006', 'hash-other', { creationCode: { hash: 'code-hash-1', insHash: 'hash-other' } }).catch((e: unknown) => e);
    expect([...(wrongIns as ConditionsRefused).labels]).toEqual(['creation-code']);
    const expired = await create('store-rec-0007', 'hash-0007', { creationCode: { hash: 'code-hash-2', insHash: 'hash-0007' } }).catch((e: unknown) => e);
    expect([...(expired as ConditionsRefused).labels]).toEqual(['creation-code']);
    const unknown = await create('store-rec-0008', 'hash-0008', { creationCode: { hash: 'no-such-code', insHash: 'hash-0008' } }).catch((e: unknown) => e);
    expect([...(unknown as ConditionsRefused).labels]).toEqual(['creation-code']);
    await create('store-rec-0009', 'hash-0006', { creationCode: { hash: 'code-hash-1', insHash: 'hash-0006' } });
    expect((await store.creationCode('code-hash-1'))?.usedAt).toEqual(expect.any(String));
    await store.putCreationCode('code-hash-3', 'hash-0010', now, new Date(now.getTime() + 60_000), 'agent:a');
    await create('store-rec-0010', 'hash-0010', { creationCode: { hash: 'code-hash-3', insHash: 'hash-0010' } });
    const again = await create('store-rec-0011', 'hash-0011', { creationCode: { hash: 'code-hash-3', insHash: 'hash-0010' } }).catch((e: unknown) => e);
    expect((again as ConditionsRefused).labels.has('creation-code')).toBe(true);
  });

  it('lists creations of a day from the sparse index with their channel', async () => {
    const days = new Set([startedAt, new Date()].map((d) => d.toISOString().slice(0, 10)));
    const channels = (await Promise.all([...days].map((day) => store.creationsOn(day)))).flat();
    expect(channels.length).toBeGreaterThanOrEqual(5);
    expect(channels).toContain('pharmacy');
    expect(await store.creationsOn('1999-01-01')).toEqual([]);
  });
});

describe('logins', () => {
  const rawItem = async (key: { pk: string; sk: string }) =>
    (await env.db.send(new GetItemCommand({ TableName: env.tableName, Key: keyItem(key), ConsistentRead: true }))).Item ?? {};
  const withoutKey = ({ pk: _pk, sk: _sk, ...rest }: Record<string, unknown>) => rest;

  it('a login created with its record and one issued later at a desk are the same items', async () => {
    const at = new Date('2026-11-23T10:07:00.000Z');
    const login = { actor: 'patient' as const, passwordHash: 'scrypt$same', mustChangePassword: true };
    await create('store-login-0001', 'hash-login-0001', { createdAt: at, logins: [{ loginId: '71000000001', ...login }] });
    await transact(env.db, new LoginStore(env.db, env.tableName).loginPuts('store-login-0001', { loginId: '71000000002', ...login }, at));

    const [created, issued] = await Promise.all([rawItem(keys.login('71000000001')), rawItem(keys.login('71000000002'))]);
    expect(Object.keys(created).sort()).toEqual(Object.keys(issued).sort());
    expect(withoutKey(created)).toEqual(withoutKey(issued));
    const [createdRef, issuedRef] = await Promise.all([rawItem(keys.loginRef('store-login-0001', '71000000001')), rawItem(keys.loginRef('store-login-0001', '71000000002'))]);
    expect(Object.keys(createdRef).sort()).toEqual(Object.keys(issuedRef).sort());
    expect(withoutKey(createdRef)).toEqual(withoutKey(issuedRef));
  });
});

/**
 * The health store against the emulator's DynamoDB, through the real SDK: the profile and the
 * wishes sealed whole and bound to their items, the profile written only on the version read (of
 * two writers on one version, one is refused), both read back by the emergency summary's reader in
 * one Query, and both removed with the record's partition by the ten-year purge.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { readHealthData } from '../../functions/capabilities/health/summary.ts';
import { PROFILE_VERSION, HealthStore } from '../../functions/capabilities/health/store.ts';
import { EMPTY_PROFILE, type HealthProfile, type HealthWishes } from '../../functions/capabilities/health/rules.ts';
import { DataKeyCache, SealedValueError } from '../../functions/adapters/envelope.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { DynamoRetentionStore } from '../../functions/adapters/retention.ts';
import { DynamoTransactions } from '../../functions/adapters/transactions.ts';
import { ConditionsRefused } from '../../functions/domain/errors.ts';
import { systemClock, type DataKey } from '../../functions/domain/ports.ts';
import { emulator, partitionItems } from '../support/aws.ts';
import { recordCalls } from '../support/faults.ts';

let env: Awaited<ReturnType<typeof emulator>>;
let store: HealthStore;
let keyRing: KeyRing;
let transactions: DynamoTransactions;
beforeAll(async () => {
  env = await emulator();
  store = new HealthStore(env.db, env.tableName);
  keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
  transactions = new DynamoTransactions(env.db);
});

let n = 0;
const recordKey = async (): Promise<DataKey> => (await keyRing.generate(`hs-${++n}-${Date.now()}`)).key;

const by = { source: 'patient' as const, author: { id: 'rec' }, recordedAt: '2026-11-20T10:00:00.000Z' };
const profile = (substance: string): HealthProfile => ({
  bloodGroup: { abo: 'O', rh: '-', ...by },
  allergies: [{ id: 'aaaaaaaaaaaaaaaa', substance, category: 'food', criticality: 'high', ...by }],
  conditions: [],
  treatments: [],
  updatedAt: by.recordedAt,
});
const wishes: HealthWishes = {
  advanceDirectives: { exist: true, originalKeptAt: 'CanaryTiroir' },
  trustedPerson: { familyName: 'CanaryDurand', givenNames: 'Anne', relationship: 'sœur', mobile: '+33611223344' },
  source: 'patient',
  author: { id: 'rec' },
  recordedAt: by.recordedAt,
};

describe('the health store', () => {
  it('seals each item whole, bound to it: only keys and the version in clear', async () => {
    const key = await recordKey();
    await transactions.commit([store.profileWrite(key, profile('CanaryArachide'), 0), store.wishesWrite(key, wishes)]);
    const items = await partitionItems(env.db, env.tableName, key.dmpId, 'HEALTH#');
    expect(items.map((i) => Object.keys(i).sort())).toEqual([
      ['pk', 'profile', 'sk', 'version'],
      ['pk', 'sk', 'wishes'],
    ]);
    expect(JSON.stringify(items)).not.toContain('Canary');
    const stored = await store.profile(key.dmpId);
    expect(stored.version).toBe(1);
    expect(store.openProfile(key, stored.sealed ?? new Uint8Array())).toEqual(profile('CanaryArachide'));
    // The profile's ciphertext does not open as the wishes (another item), nor under another record's key.
    expect(() => store.openWishes(key, stored.sealed ?? new Uint8Array())).toThrow(SealedValueError);
    expect(() => store.openProfile({ ...key, dmpId: 'another-record' }, stored.sealed ?? new Uint8Array())).toThrow(SealedValueError);
  });

  it('writes the profile only on the version read: of two writers on one version, the second is refused', async () => {
    const key = await recordKey();
    expect((await store.profile(key.dmpId)).version).toBe(0);
    await transactions.commit([store.profileWrite(key, profile('first'), 0)]);
    const refusedFirst = await transactions.commit([store.profileWrite(key, profile('second'), 0)]).catch((e: unknown) => e);
    expect(refusedFirst).toBeInstanceOf(ConditionsRefused);
    expect([...(refusedFirst as ConditionsRefused).labels]).toEqual([PROFILE_VERSION]);

    await transactions.commit([store.profileWrite(key, profile('third'), 1)]);
    const refused = await transactions.commit([store.profileWrite(key, profile('fourth'), 1)]).catch((e: unknown) => e);
    expect(refused).toBeInstanceOf(ConditionsRefused);
    const stored = await store.profile(key.dmpId);
    expect(stored.version).toBe(2);
    expect(store.openProfile(key, stored.sealed ?? new Uint8Array()).allergies[0]?.substance).toBe('third');
  });

  it('reads the profile and the wishes for the emergency summary in one Query, opened', async () => {
    const key = await recordKey();
    const empty = await readHealthData({ health: store }, key.dmpId, key);
    expect(empty).toEqual({ profile: EMPTY_PROFILE, version: 0, wishes: undefined });

    await transactions.commit([store.profileWrite(key, profile('CanaryArachide'), 0), store.wishesWrite(key, wishes)]);
    const recorder = recordCalls(env.db);
    const both = await readHealthData({ health: store }, key.dmpId, key).finally(() => recorder.stop());
    expect(both).toEqual({ profile: profile('CanaryArachide'), version: 1, wishes });
    expect(recorder.calls.map((c) => c.command)).toEqual(['QueryCommand']);
    await expect(readHealthData({ health: store }, 'another-record', key)).rejects.toThrow();
  });

  it('goes with the record’s partition at the ten-year purge', async () => {
    const key = await recordKey();
    await transactions.commit([store.profileWrite(key, profile('x'), 0), store.wishesWrite(key, wishes)]);
    expect(await partitionItems(env.db, env.tableName, key.dmpId, 'HEALTH#')).toHaveLength(2);
    await new DynamoRetentionStore(env.db, env.tableName).deleteContents(key.dmpId);
    expect(await partitionItems(env.db, env.tableName, key.dmpId, 'HEALTH#')).toEqual([]);
  });
});

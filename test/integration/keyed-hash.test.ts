/** The keyed-hash secret: generated once by KMS, stored wrapped, shared by every process. */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { KeyedHasher } from '../../functions/adapters/keyed-hash.ts';
import { emulator } from '../support/aws.ts';

let env: Awaited<ReturnType<typeof emulator>>;
beforeAll(async () => {
  env = await emulator();
});

const hasher = () => new KeyedHasher(env.db, env.kms, env.tableName, env.dataKeyId);

describe('keyed hashes', () => {
  it('ten processes starting at once agree on one secret', async () => {
    const hashers = [...Array(10)].map(hasher);
    const hashes = await Promise.all(hashers.map((h) => h.hash('ins', '255081416802538')));
    expect(new Set(hashes).size).toBe(1);
    const items = (await env.db.send(new ScanCommand({ TableName: env.tableName }))).Items ?? [];
    expect(items.filter((i) => i.pk?.S === 'SYS')).toHaveLength(1);
  });

  it('stores the secret only wrapped, and the hash reveals nothing of the value', async () => {
    const h = await hasher().hash('ins', '255081416802538');
    expect(h).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(h).not.toContain('2550814');
    const [item] = (await env.db.send(new ScanCommand({ TableName: env.tableName }))).Items ?? [];
    expect(Object.keys(item ?? {}).sort()).toEqual(['masterKeyId', 'pk', 'sk', 'wrapped']);
  });

  it('gives each purpose its own key', async () => {
    const h = hasher();
    const [ins, code, idem] = await Promise.all([h.hash('ins', 'same'), h.hash('creation-code', 'same'), h.hash('idempotency', 'same')]);
    expect(new Set([ins, code, idem]).size).toBe(3);
  });
});

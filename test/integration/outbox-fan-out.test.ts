/**
 * The outbox's fan-out against the emulator's DynamoDB through the real SDK: one item written with
 * the action, expanded by the dispatcher's store into one sealed message per attending physician
 * whose authorization was valid when it was written (the professional it excepts aside), and an
 * expansion run again writes nothing twice and leaves the messages already sent as they are.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { DeleteItemCommand, PutItemCommand } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessStore } from '../../functions/adapters/access-store.ts';
import { B, N, S } from '../../functions/adapters/attributes.ts';
import { DataKeyCache } from '../../functions/adapters/envelope.ts';
import type { DataKey } from '../../functions/domain/ports.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { DynamoOutbox, outboxMessageRef, type DynamoClaim } from '../../functions/adapters/outbox-dispatch.ts';
import { fanOutPut } from '../../functions/adapters/outbox-store.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { transact } from '../../functions/adapters/transactions.ts';
import { newEventId } from '../../functions/domain/identifiers.ts';
import type { MessageRef } from '../../functions/domain/jobs/outbox.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { emulator, partitionItems } from '../support/aws.ts';

let env: Awaited<ReturnType<typeof emulator>>;
let keyRing: KeyRing;
let access: AccessStore;
let outbox: DynamoOutbox;
beforeAll(async () => {
  env = await emulator();
  keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
  access = new AccessStore(env.db, env.tableName);
  outbox = new DynamoOutbox(env.db, env.tableName, keyRing);
});

const AT = new Date('2026-11-22T10:00:00.000Z');
const LATER = new Date('2026-11-22T10:00:05.000Z');
const LEASE = new Date('2026-11-22T10:01:05.000Z');
let n = 0;

/** A record's data key, stored wrapped as a record's is. */
const newRecord = async (): Promise<DataKey> => {
  const dmpId = `fo-${++n}-${randomUUID().slice(0, 8)}`;
  const { key, wrapped } = await keyRing.generate(dmpId);
  await env.db.send(
    new PutItemCommand({
      TableName: env.tableName,
      Item: { ...keyItem(keys.dataKey(dmpId)), wrapped: B(wrapped.ciphertext), masterKeyId: S(wrapped.masterKeyId), version: N(wrapped.version) },
    }),
  );
  return key;
};

const authorise = async (dmpId: string, ids: string[], attending: boolean, status: 'authorized' | 'blocked' = 'authorized') => {
  for (let i = 0; i < ids.length; i += 25) {
    await transact(
      env.db,
      ids.slice(i, i + 25).map((id) => access.decisionWrite(dmpId, id, status, attending, AT.toISOString())),
    );
  }
};

const writeFanOut = async (key: DataKey, except?: string): Promise<MessageRef> => {
  const id = newEventId(randomBytes);
  const write = fanOutPut(
    env.tableName,
    key,
    { audience: 'attending-physicians', template: 'emergency-access-professional', params: { dmpId: key.dmpId, mode: 'break-glass' }, ...(except ? { except } : {}) },
    AT,
    id,
  );
  await transact(env.db, [{ label: 'notification', item: write }]);
  const sk = keys.outbox(key.dmpId, AT.toISOString(), id).sk;
  return outboxMessageRef(keys.record(key.dmpId).pk, sk) as MessageRef;
};

const ids = (from: number, count: number) => Array.from({ length: count }, (_, i) => `81${String(from + i).padStart(10, '0')}`);

describe('fan-out to the attending physicians', () => {
  it('is claimed as a fan-out and expanded into one sealed message per attending physician, the excepted one, the others and the blocked aside', async () => {
    const key = await newRecord();
    const attending = ids(0, 40);
    const [actor] = attending;
    await authorise(key.dmpId, attending, true);
    await authorise(key.dmpId, ids(500, 3), false);
    await authorise(key.dmpId, ids(600, 2), false, 'blocked');
    // An attending physician whose authorization had expired when the access was declared.
    await env.db.send(
      new PutItemCommand({
        TableName: env.tableName,
        Item: {
          ...keyItem(keys.authorization(key.dmpId, '819999999999')),
          professionalId: S('819999999999'),
          status: S('authorized'),
          attendingPhysician: { BOOL: true },
          since: S('2025-01-01T00:00:00.000Z'),
          expiresAt: S('2026-01-01T00:00:00.000Z'),
        },
      }),
    );
    const ref = await writeFanOut(key, actor);

    const claim = (await outbox.claim(ref, LATER, LEASE)) as DynamoClaim;
    expect(claim).toMatchObject({ dmpId: key.dmpId, attempts: 1, fanOut: true });
    const messages = (await outbox.expand(ref, claim)) ?? [];
    expect(messages).toHaveLength(39);
    const told: string[] = [];
    for (const message of messages) {
      const c = (await outbox.claim(message, LATER, LEASE)) as DynamoClaim;
      expect(c.fanOut).toBe(false);
      const opened = await outbox.open(message, c);
      expect(opened?.channel).toBe('professional');
      expect(opened?.text).toContain(key.dmpId);
      expect(opened?.text).toContain('break-glass');
      told.push(opened?.to ?? '');
    }
    expect(told.sort()).toEqual(attending.slice(1).sort());
    // Nothing of the recipients in clear: only the authorization items name professionals.
    const outboxItems = await partitionItems(env.db, env.tableName, key.dmpId, 'OUTBOX#');
    expect(outboxItems).toHaveLength(40);
    expect(JSON.stringify(outboxItems.map((i) => ({ ...i, recipient: undefined, params: undefined, except: undefined })))).not.toMatch(/81\d{10}/);
  });

  it('expanded again, it writes nothing twice and leaves the messages sent as they are; marked expanded, it leaves the queue', async () => {
    const key = await newRecord();
    await authorise(key.dmpId, ids(0, 30), true);
    const ref = await writeFanOut(key);
    const claim = (await outbox.claim(ref, LATER, LEASE)) as DynamoClaim;
    const first = (await outbox.expand(ref, claim)) ?? [];
    expect(first).toHaveLength(30);
    await outbox.finish(first[0] as MessageRef, 'sent', LATER);

    const again = (await outbox.expand(ref, claim)) ?? [];
    expect([...again].sort()).toEqual([...first].sort());
    const items = await partitionItems(env.db, env.tableName, key.dmpId, 'OUTBOX#');
    expect(items).toHaveLength(31);
    expect(items.filter((i) => i.status?.S === 'sent')).toHaveLength(1);
    expect(await outbox.claim(first[0] as MessageRef, LATER, LEASE)).toBeUndefined();

    await outbox.finish(ref, 'expanded', LATER);
    const fanOut = (await partitionItems(env.db, env.tableName, key.dmpId, 'OUTBOX#')).find((i) => i.kind?.S === 'fan-out');
    expect(fanOut?.status?.S).toBe('expanded');
    expect(fanOut?.gsi1pk).toBeUndefined();
    expect(await outbox.claim(ref, LATER, LEASE)).toBeUndefined();
  });

  it('of a destroyed record (its key gone): nothing to expand', async () => {
    const key = await newRecord();
    await authorise(key.dmpId, ids(0, 2), true);
    const ref = await writeFanOut(key);
    const claim = (await outbox.claim(ref, LATER, LEASE)) as DynamoClaim;
    await env.db.send(new DeleteItemCommand({ TableName: env.tableName, Key: keyItem(keys.dataKey(key.dmpId)) }));
    expect(await outbox.expand(ref, claim)).toBeUndefined();
    expect(await partitionItems(env.db, env.tableName, key.dmpId, 'OUTBOX#')).toHaveLength(1);
  });
});

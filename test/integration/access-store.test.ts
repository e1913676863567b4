/**
 * A professional's standing on a record, against the emulator's DynamoDB through the real SDK:
 * authorization (or block), emergency access and first access read by their keys in one
 * BatchGetItem (with the record's own items when both are asked at once), the writes that
 * change them, the sealed emergency reason, and the list of authorizations.
 */
import { ConditionsRefused } from '#domain/errors';
import { GetItemCommand, QueryCommand, type AttributeValue } from '@aws-sdk/client-dynamodb';
import { beforeAll, describe, expect, it } from 'vitest';
import { AccessStore } from '../../functions/adapters/access-store.ts';
import { DataKeyCache, open, SealedValueError } from '../../functions/adapters/envelope.ts';
import type { DataKey } from '../../functions/domain/ports.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { RecordStore } from '../../functions/adapters/record-store.ts';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { tracePut } from '../../functions/adapters/trace-store.ts';
import { transact } from '../../functions/adapters/transactions.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { emulator } from '../support/aws.ts';
import { recordCalls } from '../support/faults.ts';

type Item = Record<string, AttributeValue>;

let env: Awaited<ReturnType<typeof emulator>>;
let access: AccessStore;
let records: RecordStore;
let keyRing: KeyRing;
beforeAll(async () => {
  env = await emulator();
  access = new AccessStore(env.db, env.tableName);
  records = new RecordStore(env.db, env.tableName);
  keyRing = new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));
});

let n = 0;
const dmp = (label: string) => `as-${label}-${++n}`;
const recordKey = async (label: string): Promise<DataKey> => (await keyRing.generate(dmp(label))).key;

const AT = new Date('2026-11-22T10:00:00.000Z');
const UNTIL = new Date('2026-11-22T22:00:00.000Z');
const RPPS = '810000000001';
const RPPS_2 = '810000000002';
const ADELI = '0123456789';

const getItem = async (k: { pk: string; sk: string }): Promise<Item | undefined> =>
  (await env.db.send(new GetItemCommand({ TableName: env.tableName, Key: keyItem(k), ConsistentRead: true }))).Item;
const proItems = async (dmpId: string): Promise<Item[]> =>
  (
    await env.db.send(
      new QueryCommand({
        TableName: env.tableName,
        KeyConditionExpression: 'pk = :pk AND begins_with(sk, :p)',
        ExpressionAttributeValues: { ':pk': { S: keys.record(dmpId).pk }, ':p': { S: 'PRO#' } },
        ConsistentRead: true,
      }),
    )
  ).Items ?? [];

const refusal = async (p: Promise<unknown>): Promise<string[]> => {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ConditionsRefused);
  return [...(error as ConditionsRefused).labels].sort();
};

/** Authorization, emergency access and first access of one professional. */
const everything = async (key: DataKey, professionalId: string, attending = false) =>
  transact(env.db, [
    access.decisionWrite(key.dmpId, professionalId, 'authorized', attending, AT.toISOString()),
    access.emergencyWrite(key, professionalId, 'break-glass', 'Patient inconscient', AT, UNTIL),
    access.seenWrite(key.dmpId, professionalId, AT),
  ]);

describe('standing', () => {
  it('reads authorization, emergency access and first access in one consistent BatchGetItem of their keys', async () => {
    const key = await recordKey('one-query');
    await everything(key, RPPS, true);
    const calls = recordCalls(env.db);
    const standing = await access.standing(key.dmpId, RPPS);
    calls.stop();
    expect(calls.calls.map((c) => c.command)).toEqual(['BatchGetItemCommand']);
    const asked = calls.calls[0]!.input.RequestItems[env.tableName];
    expect(asked.ConsistentRead).toBe(true);
    expect(asked.Keys.map((k: Item) => k.sk?.S).sort()).toEqual([`PRO#${RPPS}`, `PRO#${RPPS}#EMERGENCY`, `PRO#${RPPS}#NOTICE`, `PRO#${RPPS}#SEEN`]);
    expect(standing).toEqual({
      relation: { status: 'authorized', attendingPhysician: true, expiresAt: undefined },
      since: AT.toISOString(),
      emergency: { mode: 'break-glass', until: UNTIL.toISOString() },
      seenAt: AT.toISOString(),
    });
  });

  it('is read with the record in one call when both are asked at once (as every request on a record does)', async () => {
    const key = await recordKey('with-record');
    await everything(key, RPPS, true);
    const calls = recordCalls(env.db);
    const [record, standing] = await Promise.all([records.load(key.dmpId), access.standing(key.dmpId, RPPS)]);
    calls.stop();
    expect(calls.calls.map((c) => c.command)).toEqual(['BatchGetItemCommand']);
    expect(calls.calls[0]!.input.RequestItems[env.tableName].Keys).toHaveLength(6);
    expect(standing.relation?.status).toBe('authorized');
    // everything() writes the standing's items only: no record here, and that is what load says.
    expect(record).toBeUndefined();
  });

  it('is empty for a professional the record has never met, still in one call each', async () => {
    const key = await recordKey('empty');
    await everything(key, RPPS);
    const calls = recordCalls(env.db);
    expect(await access.standing(key.dmpId, RPPS_2)).toEqual({});
    expect(await access.standing(dmp('none'), RPPS)).toEqual({});
    calls.stop();
    expect(calls.calls.map((c) => c.command)).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand']);
  });

  it.each([
    ['an ADELI id and a longer id it prefixes', ADELI, `${ADELI}0`],
    ['an RPPS id and a longer id it prefixes', RPPS, `${RPPS}9`],
    ['an id and a shorter id prefixing it', `${ADELI}1`, ADELI],
  ])('is not confused by %s', async (_case, mine, other) => {
    const key = await recordKey('prefix');
    // The other professional: blocked, with an emergency access and a first access.
    await transact(env.db, [
      access.decisionWrite(key.dmpId, other, 'blocked', false, AT.toISOString()),
      access.emergencyWrite(key, other, 'regulation', undefined, AT, UNTIL),
      access.seenWrite(key.dmpId, other, AT),
    ]);
    expect(await access.standing(key.dmpId, mine)).toEqual({});
    // Mine: authorized only.
    await transact(env.db, [access.decisionWrite(key.dmpId, mine, 'authorized', false, '2026-11-23T00:00:00.000Z')]);
    expect(await access.standing(key.dmpId, mine)).toEqual({
      relation: { status: 'authorized', attendingPhysician: false, expiresAt: undefined },
      since: '2026-11-23T00:00:00.000Z',
    });
    expect(await access.standing(key.dmpId, other)).toEqual({
      relation: { status: 'blocked', attendingPhysician: false, expiresAt: undefined },
      since: AT.toISOString(),
      emergency: { mode: 'regulation', until: UNTIL.toISOString() },
      seenAt: AT.toISOString(),
    });
  });

  it('an emergency access replaces the previous one', async () => {
    const key = await recordKey('replace');
    await transact(env.db, [access.emergencyWrite(key, RPPS, 'break-glass', 'first', AT, UNTIL)]);
    const later = new Date(UNTIL.getTime() + 3600_000);
    await transact(env.db, [access.emergencyWrite(key, RPPS, 'regulation', undefined, AT, later)]);
    expect((await access.standing(key.dmpId, RPPS)).emergency).toEqual({ mode: 'regulation', until: later.toISOString() });
    expect((await getItem(keys.emergency(key.dmpId, RPPS)))?.reason).toBeUndefined();
  });
});

describe('decisions', () => {
  it('authorize, name attending physician, block (never attending), remove; removing twice is refused', async () => {
    const key = await recordKey('decide');
    await transact(env.db, [access.decisionWrite(key.dmpId, RPPS, 'authorized', true, AT.toISOString())]);
    expect((await access.standing(key.dmpId, RPPS)).relation).toEqual({ status: 'authorized', attendingPhysician: true, expiresAt: undefined });
    const raw = await getItem(keys.authorization(key.dmpId, RPPS));
    expect(raw).toMatchObject({
      professionalId: { S: RPPS },
      status: { S: 'authorized' },
      attendingPhysician: { BOOL: true },
      since: { S: AT.toISOString() },
      source: { S: 'patient' },
    });

    const blockedAt = '2026-11-24T09:00:00.000Z';
    await transact(env.db, [access.decisionWrite(key.dmpId, RPPS, 'blocked', true, blockedAt)]);
    expect(await access.standing(key.dmpId, RPPS)).toEqual({ relation: { status: 'blocked', attendingPhysician: false, expiresAt: undefined }, since: blockedAt });

    await transact(env.db, [access.emergencyWrite(key, RPPS, 'break-glass', 'x', AT, UNTIL), access.seenWrite(key.dmpId, RPPS, AT)]);
    await transact(env.db, [access.removeAuthorizationWrite(key.dmpId, RPPS)]);
    // The authorization goes; the emergency access and the first access stay.
    expect(await access.standing(key.dmpId, RPPS)).toEqual({ emergency: { mode: 'break-glass', until: UNTIL.toISOString() }, seenAt: AT.toISOString() });
    expect(await refusal(transact(env.db, [access.removeAuthorizationWrite(key.dmpId, RPPS)]))).toEqual(['authorization']);
    expect(await refusal(transact(env.db, [access.removeAuthorizationWrite(key.dmpId, RPPS_2)]))).toEqual(['authorization']);
  });

  it('an authorization from consent (consultation, reactivation) keeps the patient’s attending choice and names no one', async () => {
    const key = await recordKey('consent-keeps-attending');
    const later = new Date(AT.getTime() + 3600_000);
    // Never on the list: authorized, not attending.
    await transact(env.db, [records.authorizationWrite(key.dmpId, RPPS, AT, 'consultation')]);
    expect((await access.standing(key.dmpId, RPPS)).relation).toEqual({ status: 'authorized', attendingPhysician: false, expiresAt: undefined });
    // The patient's "not attending" and "attending" both stand.
    for (const attending of [false, true]) {
      await transact(env.db, [access.decisionWrite(key.dmpId, RPPS_2, 'authorized', attending, AT.toISOString())]);
      await transact(env.db, [records.authorizationWrite(key.dmpId, RPPS_2, later, 'consultation')]);
      await transact(env.db, [records.authorizationWrite(key.dmpId, RPPS_2, later, 'reactivation')]);
      expect((await access.standing(key.dmpId, RPPS_2)).relation).toEqual({ status: 'authorized', attendingPhysician: attending, expiresAt: undefined });
    }
  });

  it('the first access is recorded once: the second seenWrite is refused, the first date stays', async () => {
    const key = await recordKey('seen');
    await transact(env.db, [access.seenWrite(key.dmpId, RPPS, AT)]);
    expect(await refusal(transact(env.db, [access.seenWrite(key.dmpId, RPPS, UNTIL)]))).toEqual(['seen']);
    expect((await access.standing(key.dmpId, RPPS)).seenAt).toBe(AT.toISOString());
    // Another professional's first access is its own.
    await transact(env.db, [access.seenWrite(key.dmpId, RPPS_2, UNTIL)]);
  });

  it('of ten concurrent first accesses, exactly one commits, with its trace; the others write nothing', async () => {
    const key = await recordKey('seen-race');
    const at = (i: number) => new Date(AT.getTime() + i);
    const results = await Promise.allSettled(
      Array.from({ length: 10 }, (_, i) =>
        transact(env.db, [
          {
            label: 'trace',
            item: tracePut(
              env.tableName,
              key.dmpId,
              { actor: { kind: 'professional', id: RPPS, profession: '10' }, action: 'record.read', mode: 'normal' },
              at(i),
              `race${String(i).padStart(8, '0')}`,
            ),
          },
          access.seenWrite(key.dmpId, RPPS, at(i)),
        ]),
      ),
    );
    const won = results.flatMap((r, i) => (r.status === 'fulfilled' ? [i] : []));
    expect(won).toHaveLength(1);
    for (const r of results) {
      if (r.status === 'rejected') {
        expect(r.reason).toBeInstanceOf(ConditionsRefused);
        expect([...(r.reason as ConditionsRefused).labels]).toEqual(['seen']);
      }
    }
    expect((await access.standing(key.dmpId, RPPS)).seenAt).toBe(at(won[0]!).toISOString());
    const traces = (
      await env.db.send(
        new QueryCommand({
          TableName: env.tableName,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :t)',
          ExpressionAttributeValues: { ':pk': { S: keys.record(key.dmpId).pk }, ':t': { S: 'TRACE#' } },
          ConsistentRead: true,
        }),
      )
    ).Items;
    expect(traces?.map((t) => t.at?.S)).toEqual([at(won[0]!).toISOString()]);
  });
});

describe('the emergency reason', () => {
  it('is sealed under the record’s key, bound to its item: no clear text in the raw item', async () => {
    const key = await recordKey('reason');
    const reason = 'Patient inconscient CanaryMotif77 aux urgences';
    await transact(env.db, [access.emergencyWrite(key, RPPS, 'break-glass', reason, AT, UNTIL)]);
    const k = keys.emergency(key.dmpId, RPPS);
    const raw = (await getItem(k))!;
    expect(raw.mode?.S).toBe('break-glass');
    expect(raw.at?.S).toBe(AT.toISOString());
    expect(raw.until?.S).toBe(UNTIL.toISOString());
    const sealed = raw.reason?.B;
    expect(sealed).toBeInstanceOf(Uint8Array);
    expect(Buffer.from(sealed!).includes(Buffer.from('CanaryMotif77'))).toBe(false);
    expect(JSON.stringify(raw)).not.toContain('CanaryMotif77');
    expect(JSON.stringify(raw)).not.toContain('inconscient');
    expect(open(key, k.sk, 'reason', sealed!).toString('utf8')).toBe(reason);
    expect(() => open(key, keys.emergency(key.dmpId, RPPS_2).sk, 'reason', sealed!)).toThrow(SealedValueError);
    const other = await recordKey('reason-other');
    expect(() => open({ ...other, dmpId: key.dmpId }, k.sk, 'reason', sealed!)).toThrow(SealedValueError);
  });

  it('an emergency access without a reason stores none', async () => {
    const key = await recordKey('no-reason');
    await transact(env.db, [access.emergencyWrite(key, RPPS, 'regulation', undefined, AT, UNTIL)]);
    expect(Object.keys((await getItem(keys.emergency(key.dmpId, RPPS)))!).sort()).toEqual(['at', 'mode', 'pk', 'sk', 'until']);
  });
});

describe('the list of authorizations', () => {
  it('holds only PRO#<id> items: not emergency accesses nor first accesses', async () => {
    const key = await recordKey('list');
    await everything(key, RPPS, true);
    await transact(env.db, [access.decisionWrite(key.dmpId, ADELI, 'blocked', false, AT.toISOString()), access.seenWrite(key.dmpId, ADELI, AT)]);
    // A professional with an emergency access and a first access, but no authorization.
    await transact(env.db, [access.emergencyWrite(key, RPPS_2, 'break-glass', 'x', AT, UNTIL), access.seenWrite(key.dmpId, RPPS_2, AT)]);
    expect(await proItems(key.dmpId)).toHaveLength(7);

    const list = await records.authorizations(key.dmpId);
    expect(list.sort((a, b) => a.professionalId.localeCompare(b.professionalId))).toEqual([
      { professionalId: ADELI, status: 'blocked', attendingPhysician: false, since: AT.toISOString(), expiresAt: undefined },
      { professionalId: RPPS, status: 'authorized', attendingPhysician: true, since: AT.toISOString(), expiresAt: undefined },
    ]);
    await transact(env.db, [access.removeAuthorizationWrite(key.dmpId, RPPS)]);
    expect((await records.authorizations(key.dmpId)).map((a) => a.professionalId)).toEqual([ADELI]);
    expect(await records.authorizations(dmp('nobody'))).toEqual([]);
  });
});

/**
 * Device credentials against the emulator: a credential issued for a device authenticates it until
 * its item's hash is removed (revocation), a forged or altered one never does, the check reads
 * only the credential's hash; and the API's authorizer (its Lambda entry, configured from the
 * environment as in AWS) accepts a device's credential and refuses a revoked one.
 */
import type { APIGatewayAuthorizerResult, APIGatewayRequestAuthorizerEvent } from 'aws-lambda';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DeviceCredentials } from '../../functions/adapters/device-credentials.ts';
import { InvalidToken } from '../../functions/adapters/tokens.ts';
import { transact } from '../../functions/adapters/transactions.ts';
import { DeviceStore } from '../../functions/capabilities/measurements/device-store.ts';
import type { DataKey } from '../../functions/domain/ports.ts';
import { recordCalls } from '../support/faults.ts';
import { emulator } from '../support/aws.ts';

let env: Awaited<ReturnType<typeof emulator>>;
let credentials: DeviceCredentials;
let store: DeviceStore;
beforeAll(async () => {
  env = await emulator();
  credentials = new DeviceCredentials(env.db, env.tableName);
  store = new DeviceStore(env.db, env.tableName);
});

const bytes = (n: number) => crypto.getRandomValues(new Uint8Array(n));
const keyOf = (dmpId: string): DataKey => ({ dmpId, version: 1, material: Buffer.alloc(32, 7) });

/** A device paired with a record, as the pairing writes it: its credential. */
const pair = async (dmpId: string): Promise<{ deviceId: string; credential: string }> => {
  const issued = credentials.issue(dmpId, bytes);
  await transact(env.db, [store.pairWrite(keyOf(dmpId), issued.deviceId, issued.hash, { name: 'Balance', pairedBy: { kind: 'patient', id: dmpId } }, new Date())]);
  return issued;
};

const revoke = (dmpId: string, deviceId: string) => transact(env.db, [store.revokeWrite(dmpId, deviceId, new Date())]);

describe('DeviceCredentials', () => {
  it('authenticates a paired device as itself on its record, with one GetItem of the hash only', async () => {
    const { deviceId, credential } = await pair('record-aaaaaaaa');
    const calls = recordCalls(env.db);
    try {
      expect(await credentials.verify(credential)).toEqual({ kind: 'device', id: deviceId, dmpId: 'record-aaaaaaaa' });
    } finally {
      calls.stop();
    }
    expect(calls.calls.map((c) => c.command)).toEqual(['GetItemCommand']);
    expect(calls.calls[0]?.input).toMatchObject({ ConsistentRead: true, ProjectionExpression: 'pk, sk, credentialHash' });
  });

  it('refuses altered, forged and misplaced credentials', async () => {
    const { deviceId, credential } = await pair('record-bbbbbbbb');
    const other = await pair('record-cccccccc');
    const secret = credential.split('.').at(-1) as string;
    const forged = [
      `${credential.slice(0, -1)}${credential.endsWith('A') ? 'B' : 'A'}`,
      // The right secret under another record or another device: the hash binds both.
      `dmpdev_record-cccccccc.${deviceId}.${secret}`,
      `dmpdev_record-bbbbbbbb.${other.deviceId}.${secret}`,
      'dmpdev_record-bbbbbbbb',
      `${credential}x`,
      credential.replace('dmpdev_', 'dmpdev-'),
    ];
    for (const f of forged) await expect(credentials.verify(f), f).rejects.toBeInstanceOf(InvalidToken);
  });

  it('stops authenticating a revoked device at once', async () => {
    const { deviceId, credential } = await pair('record-dddddddd');
    await expect(credentials.verify(credential)).resolves.toMatchObject({ kind: 'device' });
    await revoke('record-dddddddd', deviceId);
    await expect(credentials.verify(credential)).rejects.toBeInstanceOf(InvalidToken);
  });
});

describe('the API’s authorizer', () => {
  const saved = { ...process.env };
  let handler: (event: APIGatewayRequestAuthorizerEvent) => Promise<APIGatewayAuthorizerResult>;
  beforeAll(async () => {
    // As lib/api.ts configures it: the table's name, no issuers needed for devices.
    Object.assign(process.env, { TABLE_NAME: env.tableName, DMP_AWS_ENDPOINT: env.endpoint, AWS_REGION: 'eu-west-3' });
    ({ handler } = await import('../../functions/http/authorizer.ts'));
  });
  afterAll(() => {
    for (const name of ['TABLE_NAME', 'DMP_AWS_ENDPOINT', 'AWS_REGION']) {
      if (saved[name] === undefined) delete process.env[name];
      else process.env[name] = saved[name];
    }
  });
  const event = (authorization: string) =>
    ({
      headers: { Authorization: authorization },
      methodArn: 'arn:aws:execute-api:eu-west-3:111122223333:abcdef/api/POST/v1/records/x/measurements',
    }) as unknown as APIGatewayRequestAuthorizerEvent;

  it('accepts a paired device’s credential, and refuses it once revoked', async () => {
    const { deviceId, credential } = await pair('record-eeeeeeee');
    const allowed = await handler(event(`Bearer ${credential}`));
    expect(allowed).toMatchObject({ principalId: 'device', context: { actorKind: 'device' } });
    // Allowed at the gateway on its own record's POST …/measurements only.
    expect(allowed.policyDocument.Statement).toEqual([
      { Action: 'execute-api:Invoke', Effect: 'Allow', Resource: 'arn:aws:execute-api:eu-west-3:111122223333:abcdef/api/POST/v1/records/record-eeeeeeee/measurements' },
    ]);
    await revoke('record-eeeeeeee', deviceId);
    await expect(handler(event(`Bearer ${credential}`))).rejects.toThrow('Unauthorized');
    await expect(handler(event('Bearer dmpdev_record-eeeeeeee.x.y'))).rejects.toThrow('Unauthorized');
  });
});

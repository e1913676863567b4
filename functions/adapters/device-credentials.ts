/**
 * Device credentials: what a connected device or app the patient paired presents to write
 * measurements to that record, and nothing else. An ordinary bearer token, which every HTTP client
 * library sends as it is:
 *
 *   Authorization: Bearer dmpdev_<dmpId>.<deviceId>.<secret>
 *
 * `<secret>` is 32 random bytes (base64url, 43 characters), shown once, in the pairing's answer,
 * and never stored: the device's item (REC#<dmpId> / DEVICE#<deviceId>) keeps the SHA-256 of the
 * record, the device and the secret. A plain SHA-256 suffices, not a keyed hash: a keyed hash
 * protects guessable values (an INS, a 6-digit code), and nobody guesses 256 random bits from their
 * hash; a keyed hash would make every check (the API's authorizer's too) depend on KMS for nothing.
 *
 * The credential names its record and device, so that checking it is one consistent GetItem of the
 * device's own item, in the record's partition: a revocation (which removes the hash) holds from
 * the next request on, there is no lookup item outside the record's partition (no index and its
 * delay either), and the ten-year purge, which deletes the partition, takes the devices with it.
 * The `dmpdev_` prefix tells it from a JWT at a glance (and lets secret scanners find a leaked one).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { Actor } from '#domain/actor';
import { DMP_ID } from '#domain/identifiers';
import { DEVICE_CREDENTIAL_PREFIX, DEVICE_ID, isDeviceCredential, newDeviceId } from '#domain/measurements';
import { dynamoClient, type AwsSettings } from './aws.ts';
import { DEVICE_CREDENTIAL_HASH, DEVICE_LOOKUP_ATTRIBUTES } from './storage-contract.ts';
import { keyItem, keys } from './table.ts';
import { InvalidToken } from './tokens.ts';

const SECRET = /^[A-Za-z0-9_-]{43}$/;

const parse = (credential: string): { dmpId: string; deviceId: string; secret: string } | undefined => {
  if (!isDeviceCredential(credential)) return undefined;
  const [dmpId = '', deviceId = '', secret = '', ...rest] = credential.slice(DEVICE_CREDENTIAL_PREFIX.length).split('.');
  if (rest.length > 0 || !DMP_ID.test(dmpId) || !DEVICE_ID.test(deviceId) || !SECRET.test(secret)) return undefined;
  return { dmpId, deviceId, secret };
};

/** What the device's item keeps of its credential: bound to the record and the device, so that it matches on that item only. */
const credentialHash = (dmpId: string, deviceId: string, secret: string): string =>
  createHash('sha256').update(`dmp-device-credential/v1\n${dmpId}\n${deviceId}\n${secret}`, 'utf8').digest('base64url');

/** Checks device credentials against their devices' items (the API's functions and its authorizer). */
export class DeviceCredentials {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** A new device of a record: its id, the credential (shown once) and the hash its item keeps. */
  issue(dmpId: string, bytes: (n: number) => Uint8Array): { deviceId: string; credential: string; hash: string } {
    const deviceId = newDeviceId(bytes);
    const secret = Buffer.from(bytes(32)).toString('base64url');
    return { deviceId, credential: `${DEVICE_CREDENTIAL_PREFIX}${dmpId}.${deviceId}.${secret}`, hash: credentialHash(dmpId, deviceId, secret) };
  }

  /**
   * The device a credential authenticates; InvalidToken (401) when it is malformed, unknown or
   * revoked. Reads the credential's hash only (the authorizer may read nothing else).
   */
  async verify(credential: string): Promise<Actor> {
    const parts = parse(credential);
    if (!parts) throw new InvalidToken('malformed device credential');
    const out = await this.db.send(
      new GetItemCommand({
        TableName: this.table,
        Key: keyItem(keys.device(parts.dmpId, parts.deviceId)),
        ConsistentRead: true,
        ProjectionExpression: DEVICE_LOOKUP_ATTRIBUTES.join(', '),
      }),
    );
    const stored = out.Item?.[DEVICE_CREDENTIAL_HASH]?.S;
    const presented = credentialHash(parts.dmpId, parts.deviceId, parts.secret);
    if (!stored || stored.length !== presented.length || !timingSafeEqual(Buffer.from(stored), Buffer.from(presented))) {
      throw new InvalidToken('unknown or revoked device credential');
    }
    return { kind: 'device', id: parts.deviceId, dmpId: parts.dmpId };
  }
}

/** The check as the API's authorizer builds it, on its own DynamoDB client (created on the first device credential). */
export const deviceCredentialsOn = (settings: AwsSettings & { tableName: string }): DeviceCredentials => new DeviceCredentials(dynamoClient(settings), settings.tableName);

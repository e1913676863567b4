/**
 * A record's paired devices, in the record's partition (the ten-year purge deletes them with it):
 *
 *   REC#<dmpId>   DEVICE#<deviceId>   credentialHash: the SHA-256 of the device's credential
 *                                     (adapters/device-credentials.ts), removed at revocation;
 *                                     pairedAt, revokedAt: clear instants; `device`: its name and
 *                                     who paired it, sealed with the record's data key
 *
 * The credential itself is never stored: the pairing's answer shows it once.
 */
import { BatchGetItemCommand, QueryCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { B, S, bin, str, type Item } from '#adapters/attributes';
import { openJson, sealJson } from '#adapters/envelope';
import { DEVICE_CREDENTIAL_HASH } from '#adapters/storage-contract';
import { keyItem, keys } from '#adapters/table';
import type { LabelledWrite } from '#adapters/transactions';
import type { DataKey } from '#domain/ports';

const PREFIX = 'DEVICE#';

/** A paired device as its holders list it. */
export interface DeviceView {
  deviceId: string;
  name: string;
  pairedAt: string;
  pairedBy: { kind: 'patient' | 'representative'; id: string };
  revokedAt?: string | undefined;
}

interface SealedDevice {
  name: string;
  pairedBy: DeviceView['pairedBy'];
}

export class DeviceStore {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  /** A new device, as one write of the pairing's transaction (refused, label `device`, if its id is taken). */
  pairWrite(key: DataKey, deviceId: string, credentialHash: string, device: SealedDevice, now: Date): LabelledWrite {
    const k = keys.device(key.dmpId, deviceId);
    return {
      label: 'device',
      item: {
        Put: {
          TableName: this.table,
          Item: {
            ...keyItem(k),
            [DEVICE_CREDENTIAL_HASH]: S(credentialHash),
            pairedAt: S(now.toISOString()),
            device: B(sealJson(key, k.sk, 'device', device)),
          },
          ConditionExpression: 'attribute_not_exists(pk)',
        },
      },
    };
  }

  /**
   * A revocation, as one write of its transaction: the credential's hash goes (the credential
   * authenticates nobody from then on), the first revocation's instant stays. Refused (label
   * `device`) when the record has no such device.
   */
  revokeWrite(dmpId: string, deviceId: string, now: Date): LabelledWrite {
    return {
      label: 'device',
      item: {
        Update: {
          TableName: this.table,
          Key: keyItem(keys.device(dmpId, deviceId)),
          UpdateExpression: 'SET revokedAt = if_not_exists(revokedAt, :now) REMOVE #hash',
          ConditionExpression: 'attribute_exists(pk)',
          ExpressionAttributeNames: { '#hash': DEVICE_CREDENTIAL_HASH },
          ExpressionAttributeValues: { ':now': S(now.toISOString()) },
        },
      },
    };
  }

  /** The record's devices, revoked ones included, in the order of their ids (one Query; a record has few). */
  async list(key: DataKey): Promise<DeviceView[]> {
    const items: Item[] = [];
    let start: Item | undefined;
    do {
      const out = await this.db.send(
        new QueryCommand({
          TableName: this.table,
          KeyConditionExpression: 'pk = :pk AND begins_with(sk, :device)',
          ExpressionAttributeValues: { ':pk': S(keys.record(key.dmpId).pk), ':device': S(PREFIX) },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      items.push(...(out.Items ?? []));
      start = out.LastEvaluatedKey;
    } while (start);
    return items.map((item) => {
      const sk = str(item, 'sk') ?? '';
      const sealed = openJson<SealedDevice>(key, sk, 'device', bin(item, 'device') ?? new Uint8Array());
      const revokedAt = str(item, 'revokedAt');
      return {
        deviceId: sk.slice(PREFIX.length),
        name: sealed.name,
        pairedAt: str(item, 'pairedAt') ?? '',
        pairedBy: sealed.pairedBy,
        ...(revokedAt ? { revokedAt } : {}),
      };
    });
  }

  /** Which of these devices were ever paired with the record (revoked ones included): one BatchGetItem. */
  async known(dmpId: string, deviceIds: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    if (deviceIds.length === 0) return found;
    let pending: Item[] = deviceIds.map((id) => keyItem(keys.device(dmpId, id)));
    for (let attempt = 0; pending.length > 0; attempt++) {
      if (attempt >= 5) throw new Error('devices could not be read');
      const out = await this.db.send(new BatchGetItemCommand({ RequestItems: { [this.table]: { Keys: pending, ConsistentRead: true, ProjectionExpression: 'sk' } } }));
      for (const item of out.Responses?.[this.table] ?? []) found.add((str(item, 'sk') ?? '').slice(PREFIX.length));
      pending = (out.UnprocessedKeys?.[this.table]?.Keys as Item[] | undefined) ?? [];
    }
    return found;
  }
}

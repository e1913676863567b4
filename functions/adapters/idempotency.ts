/**
 * Idempotent writes for software clients. The first response is stored, sealed with the record's
 * data key (it can hold provisional credentials), in the same transaction as the write itself: a
 * retry either finds it complete or finds nothing, never half a write. The request is recognised
 * by a keyed hash of its body, so the stored fingerprint reveals nothing of it.
 */
import { GetItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { LabelledWrite } from './transactions.ts';
import { B, N, S, epochSeconds, num, str, bin } from './attributes.ts';
import { openJson, sealJson } from './envelope.ts';
import type { DataKey } from '#domain/ports';
import type { Idempotency, Lookup, StoredResponse } from '#domain/stores';
import { keyItem, keys } from './table.ts';

export const IDEMPOTENCY_TTL_SECONDS = 24 * 3600;

export class IdempotencyStore implements Idempotency {
  private readonly db: DynamoDBClient;
  private readonly table: string;
  constructor(db: DynamoDBClient, tableName: string) {
    this.db = db;
    this.table = tableName;
  }

  async lookup(scope: string, key: string, requestHash: string, now: Date): Promise<Lookup> {
    const k = keys.idempotency(scope, key);
    const out = await this.db.send(new GetItemCommand({ TableName: this.table, Key: keyItem(k), ConsistentRead: true }));
    const item = out.Item;
    if (!item || (num(item, 'ttl') ?? 0) <= epochSeconds(now)) return { kind: 'none' };
    if (str(item, 'requestHash') !== requestHash) return { kind: 'mismatch' };
    return {
      kind: 'replay',
      dmpId: str(item, 'dmpId') ?? '',
      keyVersion: num(item, 'keyVersion') ?? 1,
      sealed: bin(item, 'response') ?? new Uint8Array(),
      itemName: k.pk,
    };
  }

  open(key: DataKey, lookup: Extract<Lookup, { kind: 'replay' }>): StoredResponse {
    return openJson<StoredResponse>(key, lookup.itemName, 'response', lookup.sealed);
  }

  /** The transaction part that records the response; refused if the key was taken meanwhile. */
  put(scope: string, key: string, requestHash: string, dataKey: DataKey, response: StoredResponse, now: Date): LabelledWrite {
    const k = keys.idempotency(scope, key);
    return {
      label: 'idempotency',
      item: {
        Put: {
          TableName: this.table,
          ConditionExpression: 'attribute_not_exists(pk) OR #ttl <= :now',
          ExpressionAttributeNames: { '#ttl': 'ttl' },
          ExpressionAttributeValues: { ':now': N(epochSeconds(now)) },
          Item: {
            ...keyItem(k),
            requestHash: S(requestHash),
            dmpId: S(dataKey.dmpId),
            keyVersion: N(dataKey.version),
            response: B(sealJson(dataKey, k.pk, 'response', response)),
            createdAt: S(now.toISOString()),
            ttl: N(epochSeconds(now) + IDEMPOTENCY_TTL_SECONDS),
          },
        },
      },
    };
  }
}

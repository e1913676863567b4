/** DynamoDB and the stores over it; with KMS, the envelope keys and keyed hashes. */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { dynamoClient, kmsClient } from '#adapters/aws';
import { AccessStore } from '#adapters/access-store';
import { DataKeyCache } from '#adapters/envelope';
import { IdempotencyStore } from '#adapters/idempotency';
import { KeyedHasher } from '#adapters/keyed-hash';
import { KeyRing } from '#adapters/keyring';
import { RecordStore } from '#adapters/record-store';
import { SessionPublicKey } from '#adapters/sessions';
import type { Config } from './config.ts';
import { httpDeps, type HttpDeps, type Overrides } from './deps.ts';

export interface DataDeps extends HttpDeps {
  db: DynamoDBClient;
  records: RecordStore;
}

export interface CryptoDeps extends DataDeps {
  /** Professionals' standing on records: authorizations, emergency accesses, first accesses. */
  access: AccessStore;
  kms: KMSClient;
  keyRing: KeyRing;
  hasher: KeyedHasher;
  idempotency: IdempotencyStore;
}

export interface Clients {
  db?: DynamoDBClient;
  kms?: KMSClient;
}

export const dataDeps = (config: Config, o: Overrides & Clients = {}): DataDeps => {
  if (!config.tableName) throw new Error('missing configuration: TABLE_NAME');
  const db = o.db ?? dynamoClient(config);
  return { ...httpDeps(config, o), db, records: new RecordStore(db, config.tableName) };
};

export const cryptoDeps = (config: Config, o: Overrides & Clients = {}): CryptoDeps => {
  if (!config.dataKeyId) throw new Error('missing configuration: DATA_KEY_ID');
  const kms = o.kms ?? kmsClient(config);
  const sessionKey = o.sessionKey ?? (config.sessions ? new SessionPublicKey(kms, config.sessions.keyId) : undefined);
  const base = dataDeps(config, { ...o, ...(sessionKey ? { sessionKey } : {}) });
  return {
    ...base,
    access: new AccessStore(base.db, config.tableName),
    kms,
    keyRing: new KeyRing(kms, config.dataKeyId, new DataKeyCache(base.clock)),
    hasher: new KeyedHasher(base.db, kms, config.tableName, config.dataKeyId),
    idempotency: new IdempotencyStore(base.db, config.tableName),
  };
};

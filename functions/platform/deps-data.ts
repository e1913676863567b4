/**
 * The stores over DynamoDB, and with KMS the envelope keys and keyed hashes, as the domain's ports:
 * use cases see only the ports (functions/domain/stores.ts, ports.ts). The AWS clients they are
 * built on come along for wiring (a capability's own store, the local runtime), outside the ports.
 */
import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import type { KMSClient } from '@aws-sdk/client-kms';
import { dynamoClient, kmsClient } from '#adapters/aws';
import { AccessStore } from '#adapters/access-store';
import { DataKeyCache } from '#adapters/envelope';
import { IdempotencyStore } from '#adapters/idempotency';
import { KeyedHasher } from '#adapters/keyed-hash';
import { KeyRing } from '#adapters/keyring';
import { OutboxNotifications } from '#adapters/outbox-store';
import { RecordStore } from '#adapters/record-store';
import { SessionPublicKey } from '#adapters/sessions';
import { DynamoSmsBudgets } from '#adapters/sms-budget';
import { DynamoTraces } from '#adapters/trace-store';
import { DynamoTransactions } from '#adapters/transactions';
import type { CreationReports, Hasher, KeyRing as KeyRingPort, Transactions } from '#domain/ports';
import type { Idempotency, Notifications, Records, SmsBudgets, Standings, Traces } from '#domain/stores';
import type { Config } from './config.ts';
import { httpDeps, type HttpDeps, type Overrides } from './deps.ts';

export interface DataDeps extends HttpDeps {
  records: Records & CreationReports;
  transactions: Transactions;
  traces: Traces;
  notifications: Notifications;
  smsBudgets: SmsBudgets;
}

export interface CryptoDeps extends DataDeps {
  /** Professionals' standing on records: authorizations, emergency accesses, first accesses. */
  access: Standings;
  keyRing: KeyRingPort;
  hasher: Hasher;
  idempotency: Idempotency;
}

/** The AWS clients the stores are built on: for wiring, never part of what a use case sees. */
export interface AwsClients {
  db: DynamoDBClient;
  kms: KMSClient;
}

export interface Clients {
  db?: DynamoDBClient;
  kms?: KMSClient;
}

export const dataDeps = (config: Config, o: Overrides & Clients = {}): DataDeps & Pick<AwsClients, 'db'> => {
  if (!config.tableName) throw new Error('missing configuration: TABLE_NAME');
  const db = o.db ?? dynamoClient(config);
  const table = config.tableName;
  return {
    ...httpDeps(config, o),
    db,
    records: new RecordStore(db, table),
    transactions: new DynamoTransactions(db),
    traces: new DynamoTraces(db, table),
    notifications: new OutboxNotifications(table),
    smsBudgets: new DynamoSmsBudgets(table),
  };
};

export const cryptoDeps = (config: Config, o: Overrides & Clients = {}): CryptoDeps & AwsClients => {
  if (!config.dataKeyId) throw new Error('missing configuration: DATA_KEY_ID');
  const kms = o.kms ?? kmsClient(config);
  const sessionKey = o.sessionKey ?? (config.sessions ? new SessionPublicKey(kms, config.sessions.keyId) : undefined);
  const base = dataDeps(config, { ...o, ...(sessionKey ? { sessionKey } : {}) });
  return {
    ...base,
    kms,
    access: new AccessStore(base.db, config.tableName),
    keyRing: new KeyRing(kms, config.dataKeyId, new DataKeyCache(base.clock)),
    hasher: new KeyedHasher(base.db, kms, config.tableName, config.dataKeyId),
    idempotency: new IdempotencyStore(base.db, config.tableName),
  };
};

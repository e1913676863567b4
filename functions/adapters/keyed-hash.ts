/**
 * Keyed hashes (HMAC-SHA256) that let us find a record by INS, a creation code by its value, or
 * recognise an idempotent retry, without keeping any of those values in clear. The secret is
 * generated once by KMS, stored wrapped in the table, unwrapped once per process (one Decrypt at
 * cold start) and split into one sub-key per purpose with HKDF.
 */
import { KEYED_INDEX_CONTEXT } from './storage-contract.ts';
import { createHmac, hkdfSync } from 'node:crypto';
import { ConditionalCheckFailedException, GetItemCommand, PutItemCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DecryptCommand, GenerateDataKeyCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { HashPurpose, Hasher } from '#domain/ports';
import { keyItem, keys } from './table.ts';

export class KeyedHasher implements Hasher {
  private subkeys: Promise<Map<HashPurpose, Buffer>> | undefined;
  private readonly db: DynamoDBClient;
  private readonly kms: KMSClient;
  private readonly tableName: string;
  private readonly masterKeyId: string;
  constructor(db: DynamoDBClient, kms: KMSClient, tableName: string, masterKeyId: string) {
    this.db = db;
    this.kms = kms;
    this.tableName = tableName;
    this.masterKeyId = masterKeyId;
  }

  async hash(purpose: HashPurpose, value: string): Promise<string> {
    const key = (await this.load()).get(purpose);
    if (!key) throw new Error(`no sub-key for ${purpose}`);
    return createHmac('sha256', key).update(value, 'utf8').digest('base64url');
  }

  private load(): Promise<Map<HashPurpose, Buffer>> {
    this.subkeys ??= this.unwrapSecret().catch((error: unknown) => {
      this.subkeys = undefined; // a failed start may succeed on the next request
      throw error;
    });
    return this.subkeys;
  }

  private async unwrapSecret(): Promise<Map<HashPurpose, Buffer>> {
    const wrapped = (await this.readWrapped()) ?? (await this.createWrapped());
    const out = await this.kms.send(new DecryptCommand({ CiphertextBlob: wrapped, KeyId: this.masterKeyId, EncryptionContext: { ...KEYED_INDEX_CONTEXT } }));
    if (!out.Plaintext) throw new Error('KMS returned no plaintext');
    const secret = Buffer.from(out.Plaintext);
    const purposes: HashPurpose[] = ['ins', 'creation-code', 'idempotency', 'login-code', 'source'];
    const map = new Map(purposes.map((p) => [p, Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), `dmp/${p}`, 32))]));
    secret.fill(0);
    out.Plaintext.fill(0);
    return map;
  }

  private async readWrapped(): Promise<Uint8Array | undefined> {
    const out = await this.db.send(new GetItemCommand({ TableName: this.tableName, Key: keyItem(keys.insIndexSecret()), ConsistentRead: true }));
    return out.Item?.wrapped?.B;
  }

  /** First start ever: generate the secret; a concurrent start that wins the race is kept. */
  private async createWrapped(): Promise<Uint8Array> {
    const out = await this.kms.send(new GenerateDataKeyCommand({ KeyId: this.masterKeyId, KeySpec: 'AES_256', EncryptionContext: { ...KEYED_INDEX_CONTEXT } }));
    if (!out.CiphertextBlob) throw new Error('KMS returned no data key');
    out.Plaintext?.fill(0);
    try {
      await this.db.send(
        new PutItemCommand({
          TableName: this.tableName,
          Item: { ...keyItem(keys.insIndexSecret()), wrapped: { B: out.CiphertextBlob }, masterKeyId: { S: out.KeyId ?? this.masterKeyId } },
          ConditionExpression: 'attribute_not_exists(pk)',
        }),
      );
      return out.CiphertextBlob;
    } catch (error) {
      if (!(error instanceof ConditionalCheckFailedException)) throw error;
      const winner = await this.readWrapped();
      if (!winner) throw error;
      return winner;
    }
  }
}

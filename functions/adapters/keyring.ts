/**
 * The KMS side of the envelope (see envelope.ts): one GenerateDataKey per new record, one Decrypt
 * per record whose key is not cached, and re-wrapping under a new master key with ReEncrypt.
 */
import { encryptionContext } from './storage-contract.ts';
import { DecryptCommand, GenerateDataKeyCommand, ReEncryptCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { DataKeyCache } from './envelope.ts';
import type { DataKey, KeyRing as KeyRingPort, WrappedKey } from '#domain/ports';

export class KeyRing implements KeyRingPort {
  private readonly kms: KMSClient;
  private readonly masterKeyId: string;
  private readonly cache: DataKeyCache;
  constructor(kms: KMSClient, masterKeyId: string, cache: DataKeyCache) {
    this.kms = kms;
    this.masterKeyId = masterKeyId;
    this.cache = cache;
  }

  /** A new data key for a new record: one GenerateDataKey call. */
  async generate(dmpId: string): Promise<{ key: DataKey; wrapped: WrappedKey }> {
    const out = await this.kms.send(new GenerateDataKeyCommand({ KeyId: this.masterKeyId, KeySpec: 'AES_256', EncryptionContext: encryptionContext(dmpId) }));
    if (!out.Plaintext || !out.CiphertextBlob || !out.KeyId) throw new Error('KMS returned no data key');
    const key: DataKey = { dmpId, version: 1, material: Buffer.from(out.Plaintext) };
    this.cache.put({ ...key, material: Buffer.from(key.material) });
    return { key, wrapped: { ciphertext: out.CiphertextBlob, masterKeyId: out.KeyId, version: 1 } };
  }

  /** The record's data key: from the cache, or one KMS Decrypt. */
  async unwrap(dmpId: string, wrapped: WrappedKey): Promise<DataKey> {
    const cached = this.cache.get(dmpId);
    if (cached && cached.version === wrapped.version) return cached;
    const out = await this.kms.send(new DecryptCommand({ CiphertextBlob: wrapped.ciphertext, KeyId: wrapped.masterKeyId, EncryptionContext: encryptionContext(dmpId) }));
    if (!out.Plaintext) throw new Error('KMS returned no plaintext');
    const key: DataKey = { dmpId, version: wrapped.version, material: Buffer.from(out.Plaintext) };
    this.cache.put(key);
    return key;
  }

  cached(dmpId: string): DataKey | undefined {
    return this.cache.get(dmpId);
  }

  /**
   * Re-wrap a data key under another master key (after a master key change) without ever seeing
   * it in clear: the data key and every sealed value stay as they are.
   */
  async rewrap(dmpId: string, wrapped: WrappedKey, destinationKeyId: string): Promise<WrappedKey> {
    const out = await this.kms.send(
      new ReEncryptCommand({
        CiphertextBlob: wrapped.ciphertext,
        SourceKeyId: wrapped.masterKeyId,
        SourceEncryptionContext: encryptionContext(dmpId),
        DestinationKeyId: destinationKeyId,
        DestinationEncryptionContext: encryptionContext(dmpId),
      }),
    );
    if (!out.CiphertextBlob || !out.KeyId) throw new Error('KMS returned no ciphertext');
    return { ciphertext: out.CiphertextBlob, masterKeyId: out.KeyId, version: wrapped.version };
  }

  forget(dmpId: string): void {
    this.cache.evict(dmpId);
  }
}

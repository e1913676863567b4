/** Per-patient envelope encryption against the emulator's KMS (real SDK client, real KMS API). */
import { CreateKeyCommand, DecryptCommand } from '@aws-sdk/client-kms';
import { beforeAll, describe, expect, it } from 'vitest';
import { DataKeyCache, open, seal, SealedValueError } from '../../functions/adapters/envelope.ts';
import { KeyRing } from '../../functions/adapters/keyring.ts';
import { systemClock } from '../../functions/domain/ports.ts';
import { recordCalls } from '../support/faults.ts';
import { emulator } from '../support/aws.ts';

let env: Awaited<ReturnType<typeof emulator>>;
beforeAll(async () => {
  env = await emulator();
});

const ring = () => new KeyRing(env.kms, env.dataKeyId, new DataKeyCache(systemClock));

describe('data keys', () => {
  it('a generated key unwraps, in another process’s cache, to the same key', async () => {
    const { key, wrapped } = await ring().generate('record-one-123');
    const unwrapped = await ring().unwrap('record-one-123', wrapped);
    expect(Buffer.from(unwrapped.material).equals(Buffer.from(key.material))).toBe(true);
    expect(wrapped.masterKeyId).toContain(env.dataKeyId);
  });

  it('a wrapped key does not unwrap under another record’s encryption context', async () => {
    const { wrapped } = await ring().generate('record-two-123');
    await expect(ring().unwrap('record-xxx-123', wrapped)).rejects.toThrow();
    await expect(env.kms.send(new DecryptCommand({ CiphertextBlob: wrapped.ciphertext, KeyId: env.dataKeyId }))).rejects.toThrow();
  });

  it('a tampered wrapped key does not unwrap', async () => {
    const { wrapped } = await ring().generate('record-three-1');
    const tampered = Buffer.from(wrapped.ciphertext);
    tampered[tampered.length - 5] = (tampered[tampered.length - 5] as number) ^ 0xff;
    await expect(ring().unwrap('record-three-1', { ...wrapped, ciphertext: tampered })).rejects.toThrow();
  });

  it('one patient’s key cannot open another patient’s data', async () => {
    const a = await ring().generate('patient-a-123');
    const b = await ring().generate('patient-b-123');
    const sealed = seal(a.key, 'META', 'identity', Buffer.from('Dupont'));
    expect(() => open(b.key, 'META', 'identity', sealed)).toThrow(SealedValueError);
    expect(() => open({ ...b.key, dmpId: a.key.dmpId }, 'META', 'identity', sealed)).toThrow(SealedValueError);
    expect(open(a.key, 'META', 'identity', sealed).toString()).toBe('Dupont');
  });

  it('a cached key costs no KMS call; an evicted one costs exactly one Decrypt', async () => {
    const keyRing = ring();
    const { wrapped } = await keyRing.generate('record-cache-1');
    const calls = recordCalls(env.kms);
    await keyRing.unwrap('record-cache-1', wrapped);
    await keyRing.unwrap('record-cache-1', wrapped);
    expect(calls.calls).toHaveLength(0);
    keyRing.forget('record-cache-1');
    await keyRing.unwrap('record-cache-1', wrapped);
    await keyRing.unwrap('record-cache-1', wrapped);
    calls.stop();
    expect(calls.calls.map((c) => c.command)).toEqual(['DecryptCommand']);
  });

  it('re-wraps a data key under a new master key: old sealed values still open, the old wrapping is not needed', async () => {
    const keyRing = ring();
    const { key, wrapped } = await keyRing.generate('record-rotate1');
    const sealed = seal(key, 'META', 'contact', Buffer.from('+33600000000'));
    const newMaster = (await env.kms.send(new CreateKeyCommand({ KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT' }))).KeyMetadata!.KeyId!;
    const rewrapped = await keyRing.rewrap('record-rotate1', wrapped, newMaster);
    expect(rewrapped.masterKeyId).toContain(newMaster);
    expect(Buffer.from(rewrapped.ciphertext).equals(Buffer.from(wrapped.ciphertext))).toBe(false);
    const fresh = ring();
    const reopened = await fresh.unwrap('record-rotate1', rewrapped);
    expect(open(reopened, 'META', 'contact', sealed).toString()).toBe('+33600000000');
  });
});

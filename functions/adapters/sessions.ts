/**
 * Session tokens of patients and representatives: JWTs signed ES256 by an asymmetric KMS key
 * (the private key never leaves KMS: one Sign per login) and verified by `jose` with the public key,
 * fetched once per process and cached, so that verifying a session costs no KMS call.
 */
import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import { GetPublicKeyCommand, SignCommand, type KMSClient } from '@aws-sdk/client-kms';
import type { Clock } from '#domain/ports';
import { SESSION_TTL_SECONDS } from '#domain/login';

/** The sessions this API issues: who signs them, and the issuer and audience they carry. */
export interface SessionConfig {
  /** The asymmetric KMS key (ECC_NIST_P256, SIGN_VERIFY) that signs session tokens. */
  keyId: string;
  issuer: string;
  audience: string;
}

export interface SessionClaims {
  dmpId: string;
  loginId: string;
  actor: 'patient' | 'representative';
  /** The provisional password is still in use: the session may only change it. */
  passwordChangeRequired: boolean;
  /** When the password was checked (the login's first factor): the session dates from then. */
  authenticatedAt: Date;
  /** The session ends then at the latest (a representative's, at the person's 18th birthday). */
  notAfter?: Date | undefined;
}

const b64url = (value: string | Uint8Array): string => Buffer.from(value).toString('base64url');

/** The key id published in tokens: a digest of the KMS key id (no account or ARN in tokens). */
export const sessionKid = (keyId: string): string => createHash('sha256').update(keyId).digest('base64url').slice(0, 16);

/**
 * KMS returns ECDSA signatures DER-encoded (SEQUENCE { INTEGER r, INTEGER s }); JWS wants the two
 * integers as fixed-width big-endian halves (RFC 7518 §3.4). Hand-written because it is twelve
 * lines and jose exposes no converter.
 */
export const derToJose = (der: Uint8Array, size = 32): Buffer => {
  const fail = (): never => {
    throw new Error('not a DER ECDSA signature');
  };
  // SEQUENCE, short-form length (a P-256 signature is at most 72 bytes), exactly the rest.
  if (der.length < 8 || der[0] !== 0x30 || der[1]! & 0x80 || der[1] !== der.length - 2) fail();
  let at = 2;
  const int = (): Buffer => {
    if (der[at] !== 0x02) fail();
    const len = der[at + 1]!;
    if (len === 0 || len & 0x80 || at + 2 + len > der.length) fail();
    let bytes = Buffer.from(der.subarray(at + 2, at + 2 + len));
    at += 2 + len;
    while (bytes.length > size && bytes[0] === 0) bytes = bytes.subarray(1);
    if (bytes.length > size) fail();
    return Buffer.concat([Buffer.alloc(size - bytes.length), bytes]);
  };
  const r = int();
  const s = int();
  if (at !== der.length) fail();
  return Buffer.concat([r, s]);
};

export class SessionSigner {
  private readonly kms: KMSClient;
  private readonly config: SessionConfig;
  private readonly clock: Clock;
  private readonly newId: () => string;
  constructor(kms: KMSClient, config: SessionConfig, clock: Clock, newId: () => string) {
    this.kms = kms;
    this.config = config;
    this.clock = clock;
    this.newId = newId;
  }

  /** One KMS Sign. */
  async issue(claims: SessionClaims): Promise<{ accessToken: string; expiresIn: number }> {
    const iat = Math.floor(this.clock.now().getTime() / 1000);
    const exp = Math.min(iat + SESSION_TTL_SECONDS, claims.notAfter ? Math.floor(claims.notAfter.getTime() / 1000) : Number.POSITIVE_INFINITY);
    const header = { alg: 'ES256', typ: 'JWT', kid: sessionKid(this.config.keyId) };
    const payload = {
      iss: this.config.issuer,
      aud: this.config.audience,
      sub: claims.dmpId,
      actor: claims.actor,
      lid: claims.loginId,
      ...(claims.passwordChangeRequired ? { pcr: true } : {}),
      iat,
      // When the password was checked, to the millisecond: a credential change or a closure ends
      // the sessions authenticated before it — a login begun with the old password too — which a
      // whole second would blur (see sessionEnd in domain/login.ts).
      authms: claims.authenticatedAt.getTime(),
      exp,
      jti: this.newId(),
    };
    const input = `${b64url(JSON.stringify(header))}.${b64url(JSON.stringify(payload))}`;
    const out = await this.kms.send(new SignCommand({ KeyId: this.config.keyId, Message: Buffer.from(input), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
    if (!out.Signature) throw new Error('KMS returned no signature');
    return { accessToken: `${input}.${b64url(derToJose(out.Signature))}`, expiresIn: Math.max(0, exp - iat) };
  }
}

/** The session key's public half: one GetPublicKey per process, then cached. */
export class SessionPublicKey {
  private key: Promise<KeyObject> | undefined;
  private readonly kms: KMSClient;
  readonly keyId: string;
  readonly kid: string;
  constructor(kms: KMSClient, keyId: string) {
    this.kms = kms;
    this.keyId = keyId;
    this.kid = sessionKid(keyId);
  }

  get(): Promise<KeyObject> {
    this.key ??= this.fetch().catch((error: unknown) => {
      this.key = undefined; // a failed fetch may succeed on the next request
      throw error;
    });
    return this.key;
  }

  private async fetch(): Promise<KeyObject> {
    const out = await this.kms.send(new GetPublicKeyCommand({ KeyId: this.keyId }));
    if (!out.PublicKey) throw new Error('KMS returned no public key');
    const key = createPublicKey({ key: Buffer.from(out.PublicKey), format: 'der', type: 'spki' });
    // Checked on the key itself (moto omits KeySpec): ES256 needs P-256.
    if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') throw new Error('the session key is not a P-256 key');
    return key;
  }
}

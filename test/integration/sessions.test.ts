/**
 * Patient and representative sessions: tokens signed by an asymmetric KMS key on the emulator
 * (real SDK client, real KMS Sign and GetPublicKey) and verified by the same TokenVerifier that
 * verifies every bearer token.
 */
import { createHmac, generateKeyPairSync, sign as nodeSign, verify as nodeVerify, type KeyObject } from 'node:crypto';
import { SignCommand } from '@aws-sdk/client-kms';
import fc from 'fast-check';
import { beforeAll, describe, expect, it } from 'vitest';
import { ensureSigningKey } from '../../bin/local-aws.ts';
import { SessionPublicKey, SessionSigner, derToJose, sessionKid, type SessionClaims, type SessionConfig } from '../../functions/adapters/sessions.ts';
import { IdentityProviderUnavailable, InvalidToken, TokenVerifier } from '../../functions/adapters/tokens.ts';
import { SESSION_TTL_SECONDS } from '../../functions/domain/login.ts';
import type { Clock } from '../../functions/domain/ports.ts';
import { emulator } from '../support/aws.ts';
import { failNext, recordCalls } from '../support/faults.ts';

let env: Awaited<ReturnType<typeof emulator>>;
let keyId: string;
let otherKeyId: string;
beforeAll(async () => {
  env = await emulator();
  keyId = await ensureSigningKey(env.kms, `alias/${env.tableName}-sessions`);
  otherKeyId = await ensureSigningKey(env.kms, `alias/${env.tableName}-other`);
});

const ISSUER = 'https://dmp.test/sessions';
const AUDIENCE = 'dmp-api';
const T0 = Date.parse('2026-11-23T10:00:00Z');
const clockAt = (t: number): Clock & { t: number } => ({
  t,
  now() {
    return new Date(this.t);
  },
});

let ids = 0;
const config = (over: Partial<SessionConfig> = {}): SessionConfig => ({ keyId, issuer: ISSUER, audience: AUDIENCE, ...over });
const signer = (clock: Clock = clockAt(T0), over: Partial<SessionConfig> = {}) => new SessionSigner(env.kms, config(over), clock, () => `jti-${++ids}`);
const verifier = (clock: Clock = clockAt(T0), key = new SessionPublicKey(env.kms, keyId)) => new TokenVerifier([], clock, { issuer: ISSUER, audience: AUDIENCE, key });

const claims = (over: Partial<SessionClaims> = {}): SessionClaims => ({
  dmpId: 'Dmp_record-0001',
  loginId: '12345678901',
  actor: 'patient',
  passwordChangeRequired: false,
  authenticatedAt: new Date(T0 - 60_000),
  ...over,
});

const b64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');
const parts = (token: string) => {
  const [h, p, s] = token.split('.') as [string, string, string];
  return { header: JSON.parse(Buffer.from(h, 'base64url').toString()), payload: JSON.parse(Buffer.from(p, 'base64url').toString()), h, p, s };
};

/** A token signed by KMS with any header and payload: what an attacker holding a signing oracle could not make, used to isolate each check. */
const kmsToken = async (header: object, payload: object, signingKey = keyId): Promise<string> => {
  const input = `${b64(header)}.${b64(payload)}`;
  const out = await env.kms.send(new SignCommand({ KeyId: signingKey, Message: Buffer.from(input), MessageType: 'RAW', SigningAlgorithm: 'ECDSA_SHA_256' }));
  return `${input}.${derToJose(out.Signature!).toString('base64url')}`;
};
const validPayload = (over: object = {}) => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'Dmp_record-0001',
  actor: 'patient',
  lid: '12345678901',
  iat: Math.floor(T0 / 1000),
  exp: Math.floor(T0 / 1000) + SESSION_TTL_SECONDS,
  jti: 'forged',
  ...over,
});
const validHeader = (over: object = {}) => ({ alg: 'ES256', typ: 'JWT', kid: sessionKid(keyId), ...over });

describe('issuing and verifying sessions', () => {
  it('a patient session verifies to the patient actor, with the claims it was issued for', async () => {
    const { accessToken, expiresIn } = await signer().issue(claims());
    expect(expiresIn).toBe(SESSION_TTL_SECONDS);
    const { header, payload } = parts(accessToken);
    expect(header).toEqual({ alg: 'ES256', typ: 'JWT', kid: sessionKid(keyId) });
    expect(header.kid).not.toContain(keyId);
    expect(payload.exp - payload.iat).toBe(SESSION_TTL_SECONDS);
    expect(payload.iat).toBe(T0 / 1000);
    expect(await verifier().verify(accessToken)).toEqual({ kind: 'patient', dmpId: 'Dmp_record-0001', loginId: '12345678901', authenticatedAt: T0 - 60_000 });
  });

  it('a representative session with a provisional password says so', async () => {
    const { accessToken } = await signer().issue(claims({ actor: 'representative', loginId: '10987654321', passwordChangeRequired: true }));
    expect(await verifier().verify(accessToken)).toEqual({
      kind: 'representative',
      dmpId: 'Dmp_record-0001',
      loginId: '10987654321',
      authenticatedAt: T0 - 60_000,
      passwordChangeRequired: true,
    });
  });

  it('issuing costs one KMS Sign per token; verifying 100 tokens costs one GetPublicKey in all and nothing else', async () => {
    const s = signer();
    const issuing = recordCalls(env.kms);
    const tokens: string[] = [];
    for (let i = 0; i < 100; i++) tokens.push((await s.issue(claims({ loginId: String(10_000_000_000 + i) }))).accessToken);
    issuing.stop();
    expect(issuing.calls.map((c) => c.command)).toEqual(Array(100).fill('SignCommand'));
    expect(issuing.calls.every((c) => c.input.KeyId === keyId && c.input.SigningAlgorithm === 'ECDSA_SHA_256')).toBe(true);

    const v = verifier();
    const verifying = recordCalls(env.kms);
    // The first 50 at once (concurrent first uses share one fetch), the rest one by one.
    const first = await Promise.all(tokens.slice(0, 50).map((t) => v.verify(t)));
    const rest: Awaited<ReturnType<TokenVerifier['verify']>>[] = [];
    for (const t of tokens.slice(50)) rest.push(await v.verify(t));
    verifying.stop();
    expect(verifying.calls.map((c) => c.command)).toEqual(['GetPublicKeyCommand']);
    expect([...first, ...rest].map((a) => (a.kind === 'patient' ? a.loginId : a.kind))).toEqual(tokens.map((_, i) => String(10_000_000_000 + i)));
  });

  it('each token carries its own id', async () => {
    const s = signer();
    const a = parts((await s.issue(claims())).accessToken).payload.jti;
    const b = parts((await s.issue(claims())).accessToken).payload.jti;
    expect(a).not.toBe(b);
  });
});

describe('refused sessions', () => {
  const refuses = async (token: string, v = verifier()) => {
    await expect(v.verify(token)).rejects.toBeInstanceOf(InvalidToken);
  };

  it('the control: a KMS-signed token built by hand with the right header and claims is accepted', async () => {
    expect(await verifier().verify(await kmsToken(validHeader(), validPayload()))).toMatchObject({ kind: 'patient', loginId: '12345678901' });
  });

  it('a token whose payload was altered (another record, another actor)', async () => {
    const { accessToken } = await signer().issue(claims());
    const { h, p, s, payload } = parts(accessToken);
    await refuses(`${h}.${b64({ ...payload, sub: 'Dmp_record-0002' })}.${s}`);
    await refuses(`${h}.${b64({ ...payload, actor: 'representative' })}.${s}`);
    await refuses(`${h}.${b64({ ...payload, exp: payload.exp + 3600 })}.${s}`);
    // The untouched token still verifies: the refusals come from the alterations.
    expect((await verifier().verify(`${h}.${p}.${s}`)).kind).toBe('patient');
  });

  it('a token signed by another KMS key, under its own kid or under the session kid', async () => {
    const { accessToken } = await signer(clockAt(T0), { keyId: otherKeyId }).issue(claims());
    expect(parts(accessToken).header.kid).toBe(sessionKid(otherKeyId));
    await refuses(accessToken);
    await refuses(await kmsToken(validHeader(), validPayload(), otherKeyId));
  });

  it('an expired token (the clock moves past the 15 minutes and the 30 s tolerance)', async () => {
    const clock = clockAt(T0);
    const v = verifier(clock);
    const { accessToken } = await signer(clockAt(T0)).issue(claims());
    clock.t = T0 + (SESSION_TTL_SECONDS - 1) * 1000;
    expect((await v.verify(accessToken)).kind).toBe('patient');
    clock.t = T0 + (SESSION_TTL_SECONDS + 31) * 1000;
    await refuses(accessToken, v);
    clock.t = T0 + 24 * 3600_000;
    await refuses(accessToken, v);
  });

  it('a token for another audience or from another issuer', async () => {
    await refuses((await signer(clockAt(T0), { audience: 'another-api' }).issue(claims())).accessToken);
    await refuses((await signer(clockAt(T0), { issuer: 'https://elsewhere.test/sessions' }).issue(claims())).accessToken);
    await refuses(await kmsToken(validHeader(), validPayload({ aud: 'another-api' })));
  });

  it('an unsigned token (alg none) and a token MACed with the public key (HS256)', async () => {
    const none = `${b64({ alg: 'none', typ: 'JWT', kid: sessionKid(keyId) })}.${b64(validPayload())}.`;
    await refuses(none);
    const pub = await new SessionPublicKey(env.kms, keyId).get();
    const input = `${b64(validHeader({ alg: 'HS256' }))}.${b64(validPayload())}`;
    const mac = createHmac('sha256', pub.export({ format: 'der', type: 'spki' }))
      .update(input)
      .digest('base64url');
    await refuses(`${input}.${mac}`);
    const pemMac = createHmac('sha256', pub.export({ format: 'pem', type: 'spki' }) as string)
      .update(input)
      .digest('base64url');
    await refuses(`${input}.${pemMac}`);
  });

  it('a correctly signed token with a wrong kid, or none', async () => {
    await refuses(await kmsToken(validHeader({ kid: 'not-the-session-k' }), validPayload()));
    await refuses(await kmsToken(validHeader({ kid: sessionKid(otherKeyId) }), validPayload()));
    const { kid: _dropped, ...noKid } = validHeader();
    await refuses(await kmsToken(noKid, validPayload()));
  });

  it('a correctly signed session token carrying another actor (agent, professional) or malformed ids', async () => {
    await refuses(await kmsToken(validHeader(), validPayload({ actor: 'agent', organisation: 'CPAM 75', sub: 'agent-1' })));
    await refuses(await kmsToken(validHeader(), validPayload({ actor: 'agent' })));
    await refuses(await kmsToken(validHeader(), validPayload({ actor: 'professional', profession: '10', sub: '810000000001' })));
    await refuses(await kmsToken(validHeader(), validPayload({ lid: '1234' })));
    await refuses(await kmsToken(validHeader(), validPayload({ sub: 'bad id with spaces' })));
    await refuses(await kmsToken(validHeader(), validPayload({ pcr: false })));
    const { exp: _exp, ...noExp } = validPayload();
    await refuses(await kmsToken(validHeader(), noExp));
  });

  it('malformed tokens', async () => {
    for (const token of ['', 'a.b.c', 'not a token', `${b64(validHeader())}.${b64(validPayload())}`]) await refuses(token);
  });
});

describe('DER to JOSE signature conversion', () => {
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  beforeAll(() => {
    ({ privateKey, publicKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' }));
  });

  it('turns any P-256 DER signature into the 64-byte signature node verifies as IEEE P1363', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 512 }), (message) => {
        const der = nodeSign('sha256', message, { key: privateKey, dsaEncoding: 'der' });
        const jose = derToJose(der);
        expect(jose).toHaveLength(64);
        expect(nodeVerify('sha256', message, { key: publicKey, dsaEncoding: 'ieee-p1363' }, jose)).toBe(true);
      }),
      { numRuns: 1000 },
    );
  });

  it('keeps short integers right-aligned and drops the sign byte of long ones', () => {
    const r = Buffer.alloc(31, 0x11); // a 31-byte r: one leading zero byte to restore
    const s = Buffer.concat([Buffer.from([0x00]), Buffer.alloc(32, 0xff)]); // high bit set: DER adds 0x00
    const der = Buffer.concat([Buffer.from([0x30, 2 + r.length + 2 + s.length, 0x02, r.length]), r, Buffer.from([0x02, s.length]), s]);
    expect(derToJose(der).toString('hex')).toBe(`00${'11'.repeat(31)}${'ff'.repeat(32)}`);
  });

  it('on arbitrary bytes either throws or returns 64 bytes, never another length', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.uint8Array({ maxLength: 80 }),
          // Plausible prefixes, so the generator reaches past the first tag.
          fc.tuple(fc.integer({ min: 0, max: 255 }), fc.uint8Array({ maxLength: 80 })).map(([len, rest]) => Uint8Array.from([0x30, len, 0x02, ...rest])),
        ),
        (bytes) => {
          let out: Buffer | undefined;
          try {
            out = derToJose(bytes);
          } catch (error) {
            expect((error as Error).message).toBe('not a DER ECDSA signature');
            return;
          }
          expect(out).toHaveLength(64);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('throws on input that is not a DER signature at all', () => {
    for (const garbage of [
      new Uint8Array(0),
      Uint8Array.from([0x31, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01]), // not a SEQUENCE
      Uint8Array.from([0x30, 0x06, 0x04, 0x01, 0x01, 0x02, 0x01, 0x01]), // r not an INTEGER
      Uint8Array.from([0x30, 0x06, 0x02, 0x01, 0x01, 0x05, 0x01, 0x01]), // s not an INTEGER
      Uint8Array.from([0x30, 0x25, 0x02, 0x21, 0x01, ...Array(32).fill(1), 0x02, 0x01, 0x01]), // r wider than 32 bytes
      Buffer.alloc(64, 0xab), // already a JOSE signature
    ]) {
      expect(() => derToJose(garbage)).toThrow('not a DER ECDSA signature');
    }
  });

  describe('throws on a damaged DER signature instead of converting it into another signature', () => {
    const der = () => nodeSign('sha256', Buffer.from('session'), { key: privateKey, dsaEncoding: 'der' });
    it.each([
      ['truncated by one byte', (d: Buffer) => d.subarray(0, d.length - 1)],
      ['truncated in the middle of s', (d: Buffer) => d.subarray(0, d.length - 10)],
      ['with trailing bytes', (d: Buffer) => Buffer.concat([d, Buffer.from([0x00, 0x01])])],
      ['with a sequence length that does not match', (d: Buffer) => Buffer.concat([Buffer.from([0x30, (d[1]! + 5) & 0x7f]), d.subarray(2)])],
      ['with empty integers', () => Buffer.from([0x30, 0x04, 0x02, 0x00, 0x02, 0x00])],
    ])('%s', (_label, damage) => {
      const original = der();
      expect(derToJose(original)).toHaveLength(64);
      expect(() => derToJose(damage(original))).toThrow('not a DER ECDSA signature');
    });
  });
});

describe('the session public key', () => {
  it('is fetched once and cached, and carries the kid of its key id', async () => {
    const key = new SessionPublicKey(env.kms, keyId);
    expect(key.kid).toBe(sessionKid(keyId));
    expect(key.kid).toHaveLength(16);
    const calls = recordCalls(env.kms);
    const [a, b] = await Promise.all([key.get(), key.get()]);
    const c = await key.get();
    calls.stop();
    expect(a).toBe(b);
    expect(a).toBe(c);
    expect(a.asymmetricKeyDetails?.namedCurve).toBe('prime256v1');
    expect(calls.calls.map((x) => x.command)).toEqual(['GetPublicKeyCommand']);
  });

  it('an unavailable key makes verification fail as unavailable (not as a bad token), and is fetched again next time', async () => {
    const { accessToken } = await signer().issue(claims());
    const v = verifier();
    const calls = recordCalls(env.kms);
    const restore = failNext(env.kms, 'GetPublicKeyCommand');
    await expect(v.verify(accessToken)).rejects.toBeInstanceOf(IdentityProviderUnavailable);
    restore();
    expect((await v.verify(accessToken)).kind).toBe('patient');
    expect((await v.verify(accessToken)).kind).toBe('patient');
    calls.stop();
    expect(calls.calls.map((c) => c.command)).toEqual(['GetPublicKeyCommand', 'GetPublicKeyCommand']);
  });

  it('is refused when the key is not a P-256 signing key', async () => {
    await expect(new SessionPublicKey(env.kms, env.dataKeyId).get()).rejects.toThrow();
  });
});

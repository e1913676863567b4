/**
 * An issuer's signing keys (JWKS), fetched with node:http(s) and handed to jose's
 * createLocalJWKSet, which does all the cryptographic work.
 *
 * Why not jose's createRemoteJWKSet: it builds a WHATWG `Headers` when constructed, which makes
 * Node load its whole fetch implementation (undici) — 13 to 16 ms of every cold start (see
 * `npm run bench`) — while the AWS SDK already loaded node:https. The caching policy is jose's:
 * keys kept 10 minutes, refetched on an unknown key id at most every 30 seconds, one fetch in
 * flight at a time, 3-second timeout; plus a size cap on the answer.
 */
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { createLocalJWKSet, errors, type JSONWebKeySet, type JWTVerifyGetKey } from 'jose';
import type { Clock } from '#domain/ports';

/** The issuer's keys could not be fetched or read: not the client's fault. */
export class IdentityProviderUnavailable extends Error {
  override readonly name = 'IdentityProviderUnavailable';
}

export interface KeySetPolicy {
  cacheMaxAgeMs: number;
  cooldownMs: number;
  timeoutMs: number;
  maxBytes: number;
}

export const DEFAULT_POLICY: KeySetPolicy = { cacheMaxAgeMs: 600_000, cooldownMs: 30_000, timeoutMs: 3_000, maxBytes: 64 * 1024 };

const fetchJson = (url: URL, policy: KeySetPolicy): Promise<unknown> =>
  new Promise((resolve, reject) => {
    const send = url.protocol === 'https:' ? httpsRequest : url.protocol === 'http:' ? httpRequest : undefined;
    if (!send) return reject(new IdentityProviderUnavailable('JWKS URL is neither http nor https'));
    const req = send(url, { method: 'GET', headers: { accept: 'application/json' }, timeout: policy.timeoutMs }, (res: IncomingMessage) => {
      if (res.statusCode !== 200) {
        res.resume();
        return reject(new IdentityProviderUnavailable(`JWKS endpoint answered ${res.statusCode}`));
      }
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > policy.maxBytes) req.destroy(new IdentityProviderUnavailable('JWKS answer too large'));
        else chunks.push(chunk);
      });
      res.on('end', () => {
        try {
          resolve(JSON.parse(Buffer.concat(chunks).toString('utf8')));
        } catch {
          reject(new IdentityProviderUnavailable('JWKS answer is not JSON'));
        }
      });
      res.on('error', (e) => reject(new IdentityProviderUnavailable(`JWKS answer failed: ${e.name}`)));
    });
    req.on('timeout', () => req.destroy(new IdentityProviderUnavailable('JWKS endpoint timed out')));
    req.on('error', (e) => reject(e instanceof IdentityProviderUnavailable ? e : new IdentityProviderUnavailable(`JWKS endpoint unreachable: ${e.name}`)));
    req.end();
  });

export class RemoteKeySet {
  private current: { keys: JWTVerifyGetKey; fetchedAt: number } | undefined;
  private reloading: Promise<void> | undefined;
  private readonly url: URL;
  private readonly clock: Clock;
  private readonly policy: KeySetPolicy;
  constructor(url: URL, clock: Clock, policy: KeySetPolicy = DEFAULT_POLICY) {
    this.url = url;
    this.clock = clock;
    this.policy = policy;
  }

  /** jose's key resolver: the key for a token's header, from the cached set or a fresh one. */
  readonly getKey: JWTVerifyGetKey = async (header, token) => {
    const now = this.clock.now().getTime();
    if (!this.current || now - this.current.fetchedAt >= this.policy.cacheMaxAgeMs) await this.reload();
    try {
      return await this.current!.keys(header, token);
    } catch (error) {
      // A key id we do not know: the issuer may have rotated its keys; look again, not too often.
      if (error instanceof errors.JWKSNoMatchingKey && now - this.current!.fetchedAt >= this.policy.cooldownMs) {
        await this.reload();
        return this.current!.keys(header, token);
      }
      throw error;
    }
  };

  private reload(): Promise<void> {
    this.reloading ??= (async () => {
      try {
        const json = await fetchJson(this.url, this.policy);
        let keys: JWTVerifyGetKey;
        try {
          keys = createLocalJWKSet(json as JSONWebKeySet);
        } catch {
          throw new IdentityProviderUnavailable('JWKS answer is not a key set');
        }
        this.current = { keys, fetchedAt: this.clock.now().getTime() };
      } finally {
        this.reloading = undefined;
      }
    })();
    return this.reloading;
  }
}

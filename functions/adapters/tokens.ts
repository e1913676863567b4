/**
 * Bearer token verification with `jose`, against configured issuers: Pro Santé Connect for health
 * professionals, the Assurance Maladie identity provider for CPAM agents. Algorithm allow-list,
 * issuer, audience and expiry are enforced; keys come from each issuer's JWKS (fetched, cached).
 * The local stand-in identity provider is verified by exactly this code, through its own JWKS URL.
 * Patient and representative sessions, which this API issues itself (sessions.ts), are verified
 * here too, with the session key's cached public key and ES256 only.
 */
import { decodeJwt, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import * as z from 'zod/mini';
import type { Actor } from '#domain/actor';
import { DMP_ID, FINESS, PROFESSIONAL_ID } from '#domain/identifiers';
import { isProfessionCode } from '#domain/reference-data';
import type { Clock } from '#domain/ports';
import { IdentityProviderUnavailable, RemoteKeySet } from './jwks.ts';
import type { SessionPublicKey } from './sessions.ts';

export { IdentityProviderUnavailable };

export interface IssuerConfig {
  kind: 'professional' | 'agent' | 'insurer';
  issuer: string;
  jwksUrl: string;
  audience: string;
}

export const ALLOWED_ALGORITHMS = ['ES256', 'RS256', 'PS256'];

/** The token is missing, malformed, forged, expired or from an unknown issuer. */
export class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
}

// Built on first use, like the contract's schemas (functions/http/schemas.ts): a cold function builds the one it needs.
const professionalClaims = z.lazy(() =>
  z.object({
    sub: z.string().check(z.regex(PROFESSIONAL_ID)),
    profession: z.string().check(z.refine(isProfessionCode)),
    structure: z.optional(z.string().check(z.regex(FINESS))),
    role: z.optional(z.string().check(z.maxLength(32))),
  }),
);
const sessionClaims = z.lazy(() =>
  z.object({
    sub: z.string().check(z.regex(DMP_ID)),
    actor: z.enum(['patient', 'representative']),
    lid: z.string().check(z.regex(/^[0-9]{11}$/)),
    pcr: z.optional(z.literal(true)),
    iat: z.optional(z.number()),
    authms: z.optional(z.int()),
  }),
);
const agentClaims = z.lazy(() =>
  z.object({
    sub: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
    actor: z.literal('agent'),
    organisation: z.string().check(z.minLength(1), z.maxLength(64)),
  }),
);

/** The scope a client-credentials token of the insurer's sync must carry to write claims. */
export const CLAIMS_WRITE_SCOPE = 'claims:write';

// OAuth 2.0 scopes are one space-separated string (RFC 6749 §3.3); `client_id` when present names the same client as `sub`.
const insurerClaims = z.lazy(() =>
  z.object({
    sub: z.string().check(z.regex(/^[A-Za-z0-9_.:-]{1,64}$/)),
    scope: z.string().check(
      z.maxLength(1024),
      z.refine((s) => s.split(' ').includes(CLAIMS_WRITE_SCOPE)),
    ),
  }),
);

export interface SessionIssuer {
  issuer: string;
  audience: string;
  key: SessionPublicKey;
}

interface Trusted {
  kind: 'professional' | 'agent' | 'insurer' | 'session';
  issuer: string;
  audience: string;
  algorithms: string[];
  getKey: JWTVerifyGetKey;
}

export class TokenVerifier {
  private readonly issuers: Map<string, Trusted>;
  private readonly clock: Clock;
  constructor(issuers: IssuerConfig[], clock: Clock, sessions?: SessionIssuer) {
    this.clock = clock;
    this.issuers = new Map(
      issuers.map((i) => [
        i.issuer,
        { kind: i.kind, issuer: i.issuer, audience: i.audience, algorithms: ALLOWED_ALGORITHMS, getKey: new RemoteKeySet(new URL(i.jwksUrl), clock).getKey },
      ]),
    );
    if (sessions) {
      const { key } = sessions;
      this.issuers.set(sessions.issuer, {
        kind: 'session',
        issuer: sessions.issuer,
        audience: sessions.audience,
        algorithms: ['ES256'],
        getKey: async (header) => {
          if (header.kid !== key.kid) throw new InvalidToken('unknown session key');
          try {
            return await key.get();
          } catch (error) {
            throw new IdentityProviderUnavailable(`session key unavailable: ${(error as Error).name}`);
          }
        },
      });
    }
  }

  async verify(token: string): Promise<Actor> {
    let iss: string | undefined;
    try {
      iss = decodeJwt(token).iss;
    } catch {
      throw new InvalidToken('malformed token');
    }
    const issuer = iss ? this.issuers.get(iss) : undefined;
    if (!issuer) throw new InvalidToken('unknown issuer');
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, issuer.getKey, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: issuer.algorithms,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
        currentDate: this.clock.now(),
      }));
    } catch (error) {
      if (error instanceof IdentityProviderUnavailable) throw error;
      throw new InvalidToken('token rejected');
    }
    switch (issuer.kind) {
      case 'professional':
        return toProfessional(payload);
      case 'agent':
        return toAgent(payload);
      case 'insurer':
        return toInsurer(payload);
      case 'session':
        return toSession(payload);
    }
  }
}

/**
 * The `scope` claim (OAuth 2.0: one space-separated string) of a token that verify() accepted, or
 * undefined when it has none: read after verification only, when the claims are the issuer's. A
 * `scope` claim that is not a string counts as an empty scope (it narrows to nothing, never widens).
 */
export const tokenScope = (token: string): string | undefined => {
  let payload: JWTPayload;
  try {
    payload = decodeJwt(token);
  } catch {
    return undefined;
  }
  if (payload.scope === undefined) return undefined;
  return typeof payload.scope === 'string' ? payload.scope : '';
};

const toProfessional = (payload: JWTPayload): Actor => {
  const c = professionalClaims.safeParse(payload);
  if (!c.success) throw new InvalidToken('professional claims missing or malformed');
  return {
    kind: 'professional',
    id: c.data.sub,
    profession: c.data.profession,
    ...(c.data.structure ? { structure: c.data.structure } : {}),
    ...(c.data.role ? { role: c.data.role } : {}),
  };
};

const toAgent = (payload: JWTPayload): Actor => {
  const c = agentClaims.safeParse(payload);
  if (!c.success) throw new InvalidToken('agent claims missing or malformed');
  return { kind: 'agent', id: c.data.sub, organisation: c.data.organisation };
};

/** A token of the insurer's issuer without the `claims:write` scope authenticates no one. */
const toInsurer = (payload: JWTPayload): Actor => {
  const c = insurerClaims.safeParse(payload);
  if (!c.success) throw new InvalidToken('insurer claims missing or malformed (the claims:write scope is required)');
  return { kind: 'insurer', id: c.data.sub };
};

const toSession = (payload: JWTPayload): Actor => {
  const c = sessionClaims.safeParse(payload);
  if (!c.success) throw new InvalidToken('session claims missing or malformed');
  return {
    kind: c.data.actor,
    dmpId: c.data.sub,
    loginId: c.data.lid,
    authenticatedAt: c.data.authms ?? (c.data.iat ?? 0) * 1000,
    ...(c.data.pcr ? { passwordChangeRequired: true } : {}),
  };
};

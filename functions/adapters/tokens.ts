/**
 * Bearer token verification with `jose`, against configured issuers: Pro Santé Connect for health
 * professionals, the Assurance Maladie identity provider for CPAM agents. Algorithm allow-list,
 * issuer, audience and expiry are enforced; keys come from each issuer's JWKS (fetched, cached).
 * The local stand-in identity provider is verified by exactly this code, through its own JWKS URL.
 */
import { decodeJwt, jwtVerify, type JWTPayload } from 'jose';
import * as z from 'zod/mini';
import type { Actor } from '#domain/actor';
import { FINESS, PROFESSIONAL_ID } from '#domain/identifiers';
import { isProfessionCode } from '#domain/reference-data';
import type { Clock } from '#domain/ports';
import { IdentityProviderUnavailable, RemoteKeySet } from './jwks.ts';

export { IdentityProviderUnavailable };

export interface IssuerConfig {
  kind: 'professional' | 'agent';
  issuer: string;
  jwksUrl: string;
  audience: string;
}

export const ALLOWED_ALGORITHMS = ['ES256', 'RS256', 'PS256'];

/** The token is missing, malformed, forged, expired or from an unknown issuer. */
export class InvalidToken extends Error {
  override readonly name = 'InvalidToken';
}

const professionalClaims = z.object({
  sub: z.string().check(z.regex(PROFESSIONAL_ID)),
  profession: z.string().check(z.refine(isProfessionCode)),
  structure: z.optional(z.string().check(z.regex(FINESS))),
  role: z.optional(z.string().check(z.maxLength(32))),
});
const agentClaims = z.object({
  sub: z.string().check(z.regex(/^[A-Za-z0-9_-]{1,64}$/)),
  actor: z.literal('agent'),
  organisation: z.string().check(z.minLength(1), z.maxLength(64)),
});

export class TokenVerifier {
  private readonly issuers: Map<string, IssuerConfig & { keys: RemoteKeySet }>;
  private readonly clock: Clock;
  constructor(issuers: IssuerConfig[], clock: Clock) {
    this.clock = clock;
    this.issuers = new Map(
      issuers.map((i) => [
        i.issuer,
        { ...i, keys: new RemoteKeySet(new URL(i.jwksUrl), clock) },
      ]),
    );
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
      ({ payload } = await jwtVerify(token, issuer.keys.getKey, {
        issuer: issuer.issuer,
        audience: issuer.audience,
        algorithms: ALLOWED_ALGORITHMS,
        requiredClaims: ['exp', 'sub'],
        clockTolerance: 30,
        currentDate: this.clock.now(),
      }));
    } catch (error) {
      if (error instanceof IdentityProviderUnavailable) throw error;
      throw new InvalidToken('token rejected');
    }
    return issuer.kind === 'professional' ? toProfessional(payload) : toAgent(payload);
  }
}

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

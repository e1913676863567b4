/**
 * The local stand-in identity provider (never deployed): signs professional and agent tokens with
 * a key generated at start-up and publishes its JWKS, so that tokens are verified by exactly the
 * code path used for Pro Santé Connect and the Assurance Maladie issuer.
 */
import { exportJWK, generateKeyPair, SignJWT, type JWK, type JWTPayload } from 'jose';
import { z } from 'zod';
import type { IssuerConfig } from '#adapters/tokens';
import { FINESS, PROFESSIONAL_ID } from '#domain/identifiers';
import { systemClock, type Clock } from '#domain/ports';
import { isProfessionCode } from '#domain/reference-data';

export const LOCAL_AUDIENCE = 'dmp-api';
/** The insurer's sync has an audience of its own: a professional or agent token is never one of its tokens. */
export const LOCAL_INSURER_AUDIENCE = 'dmp-claims-sync';

export const TokenRequest = z.discriminatedUnion('kind', [
  z.strictObject({
    kind: z.literal('professional'),
    professionalId: z.string().regex(PROFESSIONAL_ID, 'IdNat_PS: 8 + 11-digit RPPS, or 0 + 9-digit ADELI'),
    profession: z.string().refine(isProfessionCode, 'a TRE_G15 profession code from data/professions.json'),
    structure: z.string().regex(FINESS).optional(),
    role: z.string().max(32).optional(),
    name: z.string().max(200).optional(),
    // SMART scopes (space-separated), which narrow what the token may do on /fhir; none: the caller's rights.
    scope: z.string().max(1024).optional(),
  }),
  z.strictObject({
    kind: z.literal('agent'),
    agentId: z.string().regex(/^[A-Za-z0-9_-]{1,64}$/),
    organisation: z.string().min(1).max(64),
  }),
  // The Assurance Maladie's claim-history sync: a client-credentials token (scope `claims:write` unless told otherwise).
  z.strictObject({
    kind: z.literal('insurer'),
    clientId: z.string().regex(/^[A-Za-z0-9_.:-]{1,64}$/),
    scope: z.string().max(1024).optional(),
  }),
]);
export type TokenRequest = z.infer<typeof TokenRequest>;

export interface LocalIdp {
  jwks: { keys: JWK[] };
  issuers: IssuerConfig[];
  /** Signs a token for the request; `override` lets tests forge expired or odd tokens. */
  issue(request: TokenRequest, override?: { expiresInSeconds?: number; issuer?: string; audience?: string }): Promise<string>;
  /** Signs arbitrary claims with the local key (tests). */
  sign(claims: JWTPayload, issuer: string, audience: string, expiresInSeconds: number): Promise<string>;
}

/** `clock`: the runtime's, so that tokens live in the same (possibly simulated) time as their checks. */
export const createLocalIdp = async (baseUrl: string, clock: Clock = systemClock): Promise<LocalIdp> => {
  const { privateKey, publicKey } = await generateKeyPair('ES256', { extractable: true });
  const kid = `local-${Date.now().toString(36)}`;
  const jwk = { ...(await exportJWK(publicKey)), kid, alg: 'ES256', use: 'sig' };
  const jwksUrl = `${baseUrl}/_local/jwks.json`;
  const pscIssuer = `${baseUrl}/_local/psc`;
  const agentIssuer = `${baseUrl}/_local/agent`;
  const insurerIssuer = `${baseUrl}/_local/insurer`;
  const sign: LocalIdp['sign'] = (claims, issuer, audience, expiresInSeconds) =>
    new SignJWT(claims)
      .setProtectedHeader({ alg: 'ES256', kid, typ: 'JWT' })
      .setIssuer(issuer)
      .setAudience(audience)
      .setIssuedAt(Math.floor(clock.now().getTime() / 1000))
      .setExpirationTime(Math.floor(clock.now().getTime() / 1000) + expiresInSeconds)
      .sign(privateKey);
  return {
    jwks: { keys: [jwk] },
    issuers: [
      { kind: 'professional', issuer: pscIssuer, jwksUrl, audience: LOCAL_AUDIENCE },
      { kind: 'agent', issuer: agentIssuer, jwksUrl, audience: LOCAL_AUDIENCE },
      { kind: 'insurer', issuer: insurerIssuer, jwksUrl, audience: LOCAL_INSURER_AUDIENCE },
    ],
    sign,
    issue: (r, o = {}) => {
      if (r.kind === 'insurer') {
        return sign(
          { sub: r.clientId, client_id: r.clientId, scope: r.scope ?? 'claims:write' },
          o.issuer ?? insurerIssuer,
          o.audience ?? LOCAL_INSURER_AUDIENCE,
          o.expiresInSeconds ?? 3600,
        );
      }
      const claims: JWTPayload =
        r.kind === 'professional'
          ? {
              sub: r.professionalId,
              profession: r.profession,
              ...(r.structure ? { structure: r.structure } : {}),
              ...(r.role ? { role: r.role } : {}),
              ...(r.name ? { name: r.name } : {}),
              ...(r.scope !== undefined ? { scope: r.scope } : {}),
            }
          : { sub: r.agentId, actor: 'agent', organisation: r.organisation };
      return sign(claims, o.issuer ?? (r.kind === 'professional' ? pscIssuer : agentIssuer), o.audience ?? LOCAL_AUDIENCE, o.expiresInSeconds ?? 3600);
    },
  };
};

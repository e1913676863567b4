/**
 * SMART on FHIR scopes, as a narrowing of what a caller may already do. The bearer token stays the
 * credential and the access policy decides every access to a record; a token's `scope` claim,
 * when it has one, only takes away: a /fhir request whose resource type and access (read or write)
 * none of the token's resource scopes covers is refused (403), whatever the policy would allow. A
 * token without a `scope` claim keeps the caller's rights as they are (the DMP's own tokens, Pro
 * Santé Connect's and the patient sessions, have none).
 *
 * Understood: SMART v1 (`patient/*.read`, `user/DocumentReference.write`, `user/*.*`) and v2
 * (`patient/Observation.rs`, `user/*.cruds`) resource scopes, with the `patient/`, `user/` and
 * `system/` contexts alike: which patient a request reaches is the access policy's decision (a
 * patient session reaches its own record only), never the scope's. Other scopes (`openid`,
 * `fhirUser`, `launch`, `offline_access`, the claims sync's `claims:write`) grant nothing here: a
 * token whose scope holds no resource scope reads and writes no FHIR resource.
 */

export type FhirAccess = 'read' | 'write';

export interface ResourceScope {
  /** A resource type, or `*` for every type. */
  type: string;
  read: boolean;
  write: boolean;
}

/** What a token allows on /fhir: everything its caller may do (no scope claim), or its resource scopes. */
export type FhirScopes = { kind: 'unrestricted' } | { kind: 'scoped'; scopes: readonly ResourceScope[] };

const RESOURCE_SCOPE = /^(?:patient|user|system)\/(\*|[A-Z][A-Za-z]{1,63})\.(\*|read|write|[cruds]{1,5})(?:\?.*)?$/;

/** One scope of a token's space-separated `scope` claim, or undefined when it is not a resource scope. */
const resourceScope = (token: string): ResourceScope | undefined => {
  const m = RESOURCE_SCOPE.exec(token);
  if (!m?.[1] || !m[2]) return undefined;
  const [type, access] = [m[1], m[2]];
  if (access === '*') return { type, read: true, write: true };
  if (access === 'read') return { type, read: true, write: false };
  if (access === 'write') return { type, read: false, write: true };
  // SMART v2: c(reate) r(ead) u(pdate) d(elete) s(earch); reads are r and s, writes c, u and d.
  return { type, read: /[rs]/.test(access), write: /[cud]/.test(access) };
};

/** The scopes of a token: unrestricted without a `scope` claim; else only its resource scopes count. */
export const parseScopes = (claim: string | undefined): FhirScopes => {
  if (claim === undefined) return { kind: 'unrestricted' };
  const scopes = claim
    .split(/\s+/)
    .filter((s) => s.length > 0)
    .map(resourceScope)
    .filter((s): s is ResourceScope => s !== undefined);
  return { kind: 'scoped', scopes };
};

/** Whether the token's scopes allow this access to resources of this type. */
export const scopeCovers = (scopes: FhirScopes, type: string, access: FhirAccess): boolean =>
  scopes.kind === 'unrestricted' || scopes.scopes.some((s) => (s.type === '*' || s.type === type) && s[access]);

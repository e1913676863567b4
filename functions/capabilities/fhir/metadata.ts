/**
 * The CapabilityStatement of GET /fhir/metadata, built from the route manifest's /fhir routes
 * (their `fhir` declarations): what it lists is exactly what is served, and a route added or
 * removed changes it by itself (test/unit/fhir.test.ts compares the two).
 */
import type { CapabilityStatement, CapabilityStatementRestResource } from '@medplum/fhirtypes';
import type { FhirInteraction, Route } from '#http/route';

/** When this interface's shape was last defined (CapabilityStatement.date is required). */
const DEFINED = '2026-12-02';

const OPERATION_DEFINITIONS: Readonly<Record<string, string>> = {
  everything: 'http://hl7.org/fhir/OperationDefinition/Patient-everything',
};

const REST_DOCUMENTATION =
  'The DMP’s FHIR R4 interface: a view over the same records, access policy, traces and encryption as /v1. Search is strict (handling=strict): a search parameter not listed here, or a value of the wrong type, is refused with 400 and an OperationOutcome, never ignored. Every error is an OperationOutcome with the HTTP status of the /v1 problem document. Paging follows the `next` link of each searchset Bundle.';

const SECURITY_DESCRIPTION =
  'Bearer tokens as on /v1 (Pro Santé Connect for professionals, the DMP’s patient sessions). A token’s `scope` claim, when present, narrows what a request may do with SMART scopes (patient/*.read, user/DocumentReference.write, user/*.*, v2 .cruds): a request its resource scopes do not cover is refused (403). A token without a scope claim keeps its caller’s rights; the access policy decides every access to a record either way.';

export const capabilityStatement = (routes: readonly Route[], baseUrl: string): CapabilityStatement => {
  const byType = new Map<string, FhirInteraction[]>();
  for (const r of routes) {
    if (!r.fhir || r.fhir.interaction === 'capabilities') continue;
    byType.set(r.fhir.type, [...(byType.get(r.fhir.type) ?? []), r.fhir]);
  }
  const resource = [...byType].map(([type, served]): CapabilityStatementRestResource => {
    const interactions = served.filter((f) => f.interaction !== 'operation').map((f) => ({ code: f.interaction as 'read' | 'search-type' | 'create' }));
    const searchParam = served.flatMap((f) => Object.entries(f.searchParams ?? {}).map(([name, t]) => ({ name, type: t })));
    const operation = served
      .filter((f) => f.interaction === 'operation' && f.operation)
      .map((f) => ({ name: f.operation ?? '', definition: OPERATION_DEFINITIONS[f.operation ?? ''] ?? `${baseUrl}/OperationDefinition/${type}-${f.operation}` }));
    return {
      // A resource type of FHIR R4: the manifest's declarations are (the unit test validates the statement).
      type: type as CapabilityStatementRestResource['type'],
      ...(interactions.length > 0 ? { interaction: interactions } : {}),
      ...(searchParam.length > 0 ? { searchParam } : {}),
      ...(operation.length > 0 ? { operation } : {}),
    };
  });
  return {
    resourceType: 'CapabilityStatement',
    status: 'active',
    date: DEFINED,
    kind: 'instance',
    software: { name: 'DMP backend' },
    implementation: { description: 'Dossier Médical Partagé: FHIR R4 interface', url: baseUrl },
    fhirVersion: '4.0.1',
    format: ['application/fhir+json', 'json'],
    rest: [
      {
        mode: 'server',
        documentation: REST_DOCUMENTATION,
        security: {
          service: [{ coding: [{ system: 'http://terminology.hl7.org/CodeSystem/restful-security-service', code: 'SMART-on-FHIR' }] }],
          description: SECURITY_DESCRIPTION,
        },
        resource,
      },
    ],
  };
};

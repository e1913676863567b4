/**
 * The FHIR interface's pure parts: the CapabilityStatement built from the manifest (it lists
 * exactly the /fhir routes, and validates as FHIR R4), SMART scopes (narrowing only), the ids of
 * records and documents as FHIR ids, and OperationOutcome and searchset Bundle shapes.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { capabilityStatement } from '../../functions/capabilities/fhir/metadata.ts';
import { ROUTES } from '../../functions/capabilities/index.ts';
import { searchsetBundle } from '../../functions/domain/fhir/bundle.ts';
import { documentOf, documentResourceId, dmpIdOf, dmpIdOfReference, patientId } from '../../functions/domain/fhir/ids.ts';
import { operationOutcome } from '../../functions/domain/fhir/outcome.ts';
import { parseScopes, scopeCovers } from '../../functions/domain/fhir/scopes.ts';
import { fieldsOf } from '../../functions/http/route.ts';
import { expectValidFhir, fhirProblems, loadFhirDefinitions } from '../support/fhir-validate.ts';

beforeAll(() => loadFhirDefinitions());

/** The parameters of paging, which the CapabilityStatement does not list as search parameters. */
const PAGING = ['_count', '_cursor', '_offset'];

describe('CapabilityStatement', () => {
  const statement = capabilityStatement(ROUTES, 'https://api.example/fhir');

  it('lists every /fhir route of the manifest that has a FHIR interaction, and nothing else', () => {
    const listed = (statement.rest?.[0]?.resource ?? []).flatMap((r) => [
      ...(r.interaction ?? []).map((i) => `${r.type} ${i.code}`),
      ...(r.operation ?? []).map((o) => `${r.type} $${o.name}`),
    ]);
    const served = ROUTES.filter((r) => r.fhir && r.fhir.interaction !== 'capabilities').map((r) =>
      r.fhir?.interaction === 'operation' ? `${r.fhir.type} $${r.fhir.operation}` : `${r.fhir?.type} ${r.fhir?.interaction}`,
    );
    expect(listed.sort()).toEqual(served.sort());
    // Every FHIR declaration is on a /fhir path, and every /fhir route either has one or is a catch-all answering 404/405.
    for (const r of ROUTES) if (r.fhir) expect(r.path.startsWith('/fhir/'), r.id).toBe(true);
    for (const r of ROUTES.filter((x) => x.path.startsWith('/fhir/') && !x.fhir)) expect(r.errors, r.id).toEqual(expect.arrayContaining([404, 405]));
  });

  it('lists as search parameters exactly what each search route’s query admits, paging aside', () => {
    for (const r of ROUTES.filter((x) => x.fhir?.interaction === 'search-type')) {
      const admitted = Object.keys(fieldsOf(r.query)).filter((n) => !PAGING.includes(n));
      expect(Object.keys(r.fhir?.searchParams ?? {}).sort(), r.id).toEqual(admitted.sort());
      const listed = statement.rest?.[0]?.resource?.find((x) => x.type === r.fhir?.type)?.searchParam?.map((p) => p.name);
      expect(listed?.sort(), r.id).toEqual(admitted.sort());
    }
  });

  it('lists the word searches _content and _text (type string) on DocumentReference and Observation, the types that serve them', () => {
    const params = (type: string) => statement.rest?.[0]?.resource?.find((x) => x.type === type)?.searchParam ?? [];
    const words = [
      { name: '_content', type: 'string' },
      { name: '_text', type: 'string' },
    ];
    for (const type of ['DocumentReference', 'Observation']) expect(params(type), type).toEqual(expect.arrayContaining(words));
    const served = (statement.rest?.[0]?.resource ?? []).filter((r) => r.searchParam?.some((p) => p.name === '_content' || p.name === '_text')).map((r) => r.type);
    expect(served.sort()).toEqual(['DocumentReference', 'Observation']);
  });

  it('is a valid FHIR R4 CapabilityStatement', () => {
    expectValidFhir(statement);
  });
});

describe('SMART scopes', () => {
  it('no scope claim: the caller’s rights as they are', () => {
    expect(scopeCovers(parseScopes(undefined), 'DocumentReference', 'write')).toBe(true);
  });

  it('v1 and v2 resource scopes narrow by type and access; other scopes grant nothing', () => {
    const reads = parseScopes('openid patient/*.read');
    expect(scopeCovers(reads, 'Patient', 'read')).toBe(true);
    expect(scopeCovers(reads, 'DocumentReference', 'write')).toBe(false);
    const docs = parseScopes('user/DocumentReference.write user/Binary.rs');
    expect(scopeCovers(docs, 'DocumentReference', 'write')).toBe(true);
    expect(scopeCovers(docs, 'DocumentReference', 'read')).toBe(false);
    expect(scopeCovers(docs, 'Binary', 'read')).toBe(true);
    expect(scopeCovers(docs, 'Binary', 'write')).toBe(false);
    expect(scopeCovers(parseScopes('user/*.*'), 'Observation', 'write')).toBe(true);
    expect(scopeCovers(parseScopes('system/Patient.cruds'), 'Patient', 'write')).toBe(true);
    for (const none of ['', 'openid fhirUser launch', 'claims:write', 'user/*.admin', 'patient/../*.read']) {
      expect(scopeCovers(parseScopes(none), 'Patient', 'read'), none).toBe(false);
    }
  });
});

describe('ids', () => {
  it('maps a dmpId to a FHIR id and back, `_` as `.`', () => {
    const dmpId = 'Ab_c-9_xyzAb_c-9_xyzAB';
    expect(patientId(dmpId)).toBe('Ab.c-9.xyzAb.c-9.xyzAB');
    expect(dmpIdOf(patientId(dmpId))).toBe(dmpId);
    expect(dmpIdOf('a_b')).toBeUndefined();
    expect(dmpIdOfReference(`Patient/${patientId(dmpId)}`)).toBe(dmpId);
    expect(dmpIdOfReference('Observation/abcdefghij')).toBeUndefined();
  });

  it('a document’s id names its record: found back, never under another record', () => {
    const id = documentResourceId('Ab_c-9_xyzAb_c-9_xyzAB', '0123456789abcdefghjkmnpqr');
    expect(id.length).toBeLessThanOrEqual(64);
    expect(documentOf(id)).toEqual({ dmpId: 'Ab_c-9_xyzAb_c-9_xyzAB', documentId: '0123456789abcdefghjkmnpqr' });
    expect(documentOf('0123456789abcdefghjkmnpqr')).toBeUndefined();
    expect(documentOf(`${'I'.repeat(25)}-abcdefghij`)).toBeUndefined();
  });
});

describe('shapes', () => {
  it('OperationOutcome and searchset Bundle validate; the next link carries the page position', () => {
    expectValidFhir(
      operationOutcome(400, 'The query does not match the contract.', { code: 'invalid', issues: [{ expression: 'query._count', diagnostics: '_count is 1 to 100' }] }),
    );
    expectValidFhir(operationOutcome(503, 'Retry later.'));
    const bundle = searchsetBundle({
      baseUrl: 'https://api.example/fhir',
      path: 'DocumentReference',
      query: { patient: 'abcdefghij', _count: '2' },
      pageParam: '_cursor',
      next: 'CURSOR',
      matches: [{ resourceType: 'Patient', id: 'abcdefghij' }],
    });
    expectValidFhir(bundle);
    expect(bundle.link?.find((l) => l.relation === 'next')?.url).toBe('https://api.example/fhir/DocumentReference?_count=2&_cursor=CURSOR&patient=abcdefghij');
    expect(fhirProblems({ resourceType: 'Patient', id: 'a_b' })).toEqual(['Patient.id: not a FHIR id']);
  });
});

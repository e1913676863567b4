/**
 * The FHIR R4 interface end to end: a third-party FHIR client (fhir-kit-client) over real HTTP
 * against the local runtime, every resource it receives checked by an independent validator
 * (@medplum/core with the R4 definitions, test/support/fhir-validate.ts). Search, read, create,
 * Binary, $everything and its pages; the same data and traces as /v1; bad input and SMART scopes
 * that do not cover a request refused with a 4xx OperationOutcome, nothing stored.
 */
import { randomBytes } from 'node:crypto';
import { Client } from 'fhir-kit-client';
import type { Bundle, CapabilityStatement, DocumentReference, Resource } from '@medplum/fhirtypes';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ROUTES } from '../../functions/capabilities/index.ts';
import { patientId } from '../../functions/domain/fhir/ids.ts';
import { accessLog, deposit, listIds } from '../support/documents.ts';
import { expectValidFhir, loadFhirDefinitions } from '../support/fhir-validate.ts';
import { newPatient, patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
beforeAll(async () => {
  loadFhirDefinitions();
  api = await startTestApi();
  doctor = await api.professional();
});
afterAll(() => api?.stop());

const client = (token?: string) => new Client({ baseUrl: `${api.runtime.url}/fhir`, ...(token ? { bearerToken: token } : {}) });

/** A professional token with a `scope` claim, as the local identity provider issues it. */
const scopedProfessional = async (scope: string): Promise<string> => {
  const professionalId = `8${String(Math.floor(Math.random() * 1e11)).padStart(11, '0')}`;
  const res = await api.call('POST', '/_local/tokens', { body: { kind: 'professional', professionalId, profession: '10', scope } });
  expect(res.status).toBe(200);
  return res.body.accessToken as string;
};

const documentReferenceBody = (dmpId: string, content: Buffer, extra: Partial<DocumentReference> = {}): DocumentReference => ({
  resourceType: 'DocumentReference',
  status: 'current',
  type: { coding: [{ system: 'http://loinc.org', code: '11502-2' }] },
  subject: { reference: `Patient/${patientId(dmpId)}` },
  description: 'Bilan sanguin',
  context: { period: { start: '2026-11-20' } },
  content: [{ attachment: { contentType: 'application/pdf', data: content.toString('base64') } }],
  ...extra,
});

/** The failure a fhir-kit-client call was refused with: its status and OperationOutcome. */
const refusal = async (p: Promise<unknown>): Promise<{ status: number; data: any }> => {
  try {
    await p;
  } catch (error) {
    const response = (error as { response?: { status: number; data: any } }).response;
    if (response) return response;
    throw error;
  }
  throw new Error('the request was not refused');
};

/** The table's items but for traces (a refused access is traced): what a refused request must leave alone. */
const storedItems = async () =>
  (await api.scanAll())
    .filter((i) => !String(i.sk?.S).startsWith('TRACE#'))
    .map((i) => `${i.pk?.S} ${i.sk?.S} ${i.revision?.N ?? ''}`)
    .sort();

describe('CapabilityStatement', () => {
  it('lists exactly the /fhir routes of the manifest, anonymously, and validates', async () => {
    const res = await api.call('GET', '/fhir/metadata');
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/fhir+json');
    const statement = (await client().capabilityStatement()) as unknown as CapabilityStatement;
    expectValidFhir(statement, 'metadata');
    expect(statement.fhirVersion).toBe('4.0.1');
    const listed = (statement.rest?.[0]?.resource ?? []).flatMap((r) => [
      ...(r.interaction ?? []).map((i) => `${r.type} ${i.code}`),
      ...(r.operation ?? []).map((o) => `${r.type} $${o.name}`),
    ]);
    const served = ROUTES.flatMap((r) =>
      r.fhir && r.fhir.interaction !== 'capabilities' ? [`${r.fhir.type} ${r.fhir.interaction === 'operation' ? `$${r.fhir.operation}` : r.fhir.interaction}`] : [],
    );
    expect(listed.sort()).toEqual(served.sort());
    expect(listed).toEqual(
      expect.arrayContaining(['Patient read', 'Patient $everything', 'DocumentReference search-type', 'DocumentReference read', 'DocumentReference create', 'Binary read']),
    );
    expect(statement.rest?.[0]?.documentation).toContain('handling=strict');
  });
});

describe('documents as MHD', () => {
  it('creates a DocumentReference, reads it and its Binary, finds it by search: the same document /v1 shows, read traces and all', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const fhir = client(doctor);
    const content = randomBytes(3000);
    const created = (await fhir.create({ resourceType: 'DocumentReference', body: documentReferenceBody(p.dmpId, content) as never })) as unknown as DocumentReference;
    expectValidFhir(created, 'create');
    expect(created.id).toMatch(new RegExp(`-${patientId(p.dmpId).replaceAll('.', '\\.')}$`));
    expect(created.content[0]?.attachment.data).toBeUndefined();

    // Another, hidden from the patient by its label (securityLabel): /v1 shows the same documents, label included.
    const hidden = (await fhir.create({
      resourceType: 'DocumentReference',
      body: documentReferenceBody(p.dmpId, randomBytes(10), { securityLabel: [{ coding: [{ system: 'urn:dmp:document-label', code: 'invisible-to-patient' }] }] }) as never,
    })) as unknown as DocumentReference;
    const [hiddenId, documentId] = await listIds(api, doctor, p.dmpId);
    expect(created.id?.startsWith(documentId ?? '?')).toBe(true);
    expect(hidden.id?.startsWith(hiddenId ?? '?')).toBe(true);
    const v1 = await api.call('GET', `/v1/records/${p.dmpId}/documents/${hiddenId}`, { token: doctor });
    expect(v1.body.visibility.invisibleToPatient).toBe(true);
    const hiddenRead = (await fhir.read({ resourceType: 'DocumentReference', id: hidden.id ?? '' })) as unknown as DocumentReference;
    expectValidFhir(hiddenRead, 'hidden read');
    expect(hiddenRead.securityLabel?.[0]?.coding?.map((c) => c.code)).toEqual(['invisible-to-patient']);
    expect(hiddenRead.meta?.security?.map((c) => c.code)).toEqual(['invisible-to-patient']);

    const read = (await fhir.read({ resourceType: 'DocumentReference', id: created.id ?? '' })) as unknown as DocumentReference;
    expectValidFhir(read, 'read');
    expect(read).toMatchObject({
      status: 'current',
      description: 'Bilan sanguin',
      subject: { reference: `Patient/${patientId(p.dmpId)}` },
      context: { period: { start: '2026-11-20' } },
    });
    expect(read.type?.coding?.[0]).toMatchObject({ system: 'http://loinc.org', code: '11502-2' });
    expect(read.securityLabel).toBeUndefined();
    expect(read.content[0]?.attachment.size).toBe(3000);

    const binary = (await fhir.read({ resourceType: 'Binary', id: created.id ?? '' })) as Resource & { data?: string; contentType?: string };
    expectValidFhir(binary, 'binary');
    expect(Buffer.from(binary.data ?? '', 'base64').equals(content)).toBe(true);
    expect(binary.contentType).toBe('application/pdf');

    // The patient finds it too; the reads above are in the patient's access log as document reads.
    const found = (await client(token).search({ resourceType: 'DocumentReference', searchParams: { patient: `Patient/${patientId(p.dmpId)}` } })) as unknown as Bundle;
    expectValidFhir(found, 'search');
    expect(found.entry?.map((e) => e.resource?.id)).toEqual([created.id]);
    const log = await accessLog(api, token, p.dmpId);
    expect(log.filter((t) => t.action === 'document.read' && t.documentId === documentId).length).toBeGreaterThanOrEqual(2);
    expect(log.some((t) => t.action === 'document.deposit' && t.documentId === documentId)).toBe(true);
  });

  it('pages a search with _count and next links, filters by type, date and status', async () => {
    const p = await newPatient(api, doctor);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.unshift(await deposit(api, doctor, p.dmpId, i === 0 ? { typeCode: '11488-4' } : {}));
    const fhir = client(doctor);
    const seen: string[] = [];
    let page = (await fhir.search({ resourceType: 'DocumentReference', searchParams: { patient: patientId(p.dmpId), _count: 2 } })) as unknown as Bundle | undefined;
    let pages = 0;
    while (page) {
      expectValidFhir(page, `page ${pages}`);
      expect(page.entry?.length ?? 0).toBeLessThanOrEqual(2);
      seen.push(...(page.entry ?? []).map((e) => (e.resource?.id ?? '').slice(0, 25)));
      pages++;
      page = page.link?.some((l) => l.relation === 'next') ? ((await fhir.nextPage({ bundle: page as never })) as unknown as Bundle) : undefined;
    }
    expect(seen).toEqual(ids);
    expect(pages).toBe(3);

    const byType = (await fhir.search({ resourceType: 'DocumentReference', searchParams: { patient: patientId(p.dmpId), type: 'http://loinc.org|11488-4' } })) as unknown as Bundle;
    expect(byType.entry?.map((e) => (e.resource?.id ?? '').slice(0, 25))).toEqual([ids[4]]);
    const future = (await fhir.search({ resourceType: 'DocumentReference', searchParams: { patient: patientId(p.dmpId), date: 'ge2999-01-01' } })) as unknown as Bundle;
    expectValidFhir(future, 'empty search');
    expect(future.entry ?? []).toEqual([]);

    // A new version: the old one is superseded, and found with status=superseded only.
    const v2 = await api.call('POST', `/v1/records/${p.dmpId}/documents`, {
      token: doctor,
      body: { typeCode: '11502-2', title: 'Bilan v2', serviceDate: '2026-11-21', contentType: 'text/plain', content: Buffer.from('v2').toString('base64'), replaces: ids[0] },
    });
    expect(v2.status).toBe(201);
    const superseded = (await fhir.search({ resourceType: 'DocumentReference', searchParams: { patient: patientId(p.dmpId), status: 'superseded' } })) as unknown as Bundle;
    expectValidFhir(superseded, 'superseded');
    expect(superseded.entry?.map((e) => (e.resource as DocumentReference).status)).toEqual(['superseded']);
    const current = (await fhir.search({ resourceType: 'DocumentReference', searchParams: { patient: patientId(p.dmpId), _count: 1 } })) as unknown as Bundle;
    const newest = current.entry?.[0]?.resource as DocumentReference;
    expectValidFhir(newest, 'new version');
    expect(newest.relatesTo?.[0]?.target.reference).toBe(`DocumentReference/${ids[0]}-${patientId(p.dmpId)}`);
  });
});

describe('Patient and $everything', () => {
  it('the patient reads its Patient and exports its record page by page; a doctor the same', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    for (let i = 0; i < 3; i++) await deposit(api, doctor, p.dmpId);
    const patient = await client(token).read({ resourceType: 'Patient', id: patientId(p.dmpId) });
    expectValidFhir(patient, 'patient');
    expect(patient).toMatchObject({ resourceType: 'Patient', id: patientId(p.dmpId), active: true });

    for (const who of [token, doctor]) {
      const fhir = client(who);
      const types: string[] = [];
      let page = (await fhir.operation({ name: '$everything', resourceType: 'Patient', id: patientId(p.dmpId), method: 'GET', input: { _count: '4' } })) as unknown as
        | Bundle
        | undefined;
      let pages = 0;
      while (page && pages < 20) {
        expectValidFhir(page, 'everything');
        pages++;
        types.push(...(page.entry ?? []).map((e) => e.resource?.resourceType ?? ''));
        page = page.link?.some((l) => l.relation === 'next') ? ((await fhir.nextPage({ bundle: page as never })) as unknown as Bundle) : undefined;
      }
      // The Patient first, then its documents, then the health data the caller may see: the
      // access log (AuditEvent) and the boosters due by age (ImmunizationRecommendation) at least.
      expect(pages).toBeGreaterThan(1);
      expect(types.slice(0, 4)).toEqual(['Patient', 'DocumentReference', 'DocumentReference', 'DocumentReference']);
      expect(types).toContain('AuditEvent');
    }
  });

  it('a professional without authorization gets an OperationOutcome, and the refusal is traced', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const stranger = await api.professional();
    const refused = await refusal(client(stranger).read({ resourceType: 'Patient', id: patientId(p.dmpId) }));
    expect(refused.status).toBeGreaterThanOrEqual(400);
    expect(refused.status).toBeLessThan(500);
    expectValidFhir(refused.data, 'refusal');
    expect(refused.data.resourceType).toBe('OperationOutcome');
    const log = await api.call('GET', `/v1/records/${p.dmpId}/access-log?limit=100`, { token });
    expect(JSON.stringify(log.body)).toContain('record.read');
  });
});

describe('bad input: a 4xx OperationOutcome, nothing stored', () => {
  it('refuses malformed JSON, invalid resources, other resource types, wrong-typed and unknown search parameters', async () => {
    const p = await newPatient(api, doctor);
    const ok = documentReferenceBody(p.dmpId, randomBytes(100));
    const before = await storedItems();
    const post = (raw: string, contentType = 'application/fhir+json') =>
      api.call('POST', '/fhir/DocumentReference', { token: doctor, raw, headers: { 'content-type': contentType } });
    const { content: _content, ...noContent } = ok;
    const cases: [string, Promise<{ status: number; headers: Headers; body: any }>][] = [
      ['malformed JSON', post('{"resourceType": "DocumentReference",')],
      ['not FHIR JSON', post(JSON.stringify(ok), 'text/plain')],
      ['no content', post(JSON.stringify(noContent))],
      ['unknown element', post(JSON.stringify({ ...ok, foo: 1 }))],
      ['another resource type in the body', post(JSON.stringify({ ...ok, resourceType: 'Observation' }))],
      ['content not base64', post(JSON.stringify({ ...ok, content: [{ attachment: { contentType: 'application/pdf', data: '!!!!' } }] }))],
      ['unknown type code', post(JSON.stringify({ ...ok, type: { coding: [{ system: 'http://loinc.org', code: '99999-9' }] } }))],
      ['unknown label', post(JSON.stringify({ ...ok, securityLabel: [{ coding: [{ system: 'urn:dmp:document-label', code: 'secret' }] }] }))],
      ['a resource type not served', api.call('POST', '/fhir/Observation', { token: doctor, body: { resourceType: 'Observation' } })],
      ['a search not served', api.call('GET', '/fhir/Patient?name=x', { token: doctor })],
      ['an unknown search parameter', api.call('GET', `/fhir/DocumentReference?patient=${patientId(p.dmpId)}&author=x`, { token: doctor })],
      ['a wrong-typed _count', api.call('GET', `/fhir/DocumentReference?patient=${patientId(p.dmpId)}&_count=many`, { token: doctor })],
      ['a wrong-typed date', api.call('GET', `/fhir/DocumentReference?patient=${patientId(p.dmpId)}&date=yesterday`, { token: doctor })],
      ['no patient', api.call('GET', '/fhir/DocumentReference', { token: doctor })],
      ['an id that is no FHIR id', api.call('GET', '/fhir/Patient/a_b', { token: doctor })],
      ['a DocumentReference id of no document', api.call('GET', `/fhir/DocumentReference/${patientId(p.dmpId)}`, { token: doctor })],
    ];
    for (const [name, request] of cases) {
      const res = await request;
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBeGreaterThanOrEqual(400);
      expect(res.status, name).toBeLessThan(500);
      expect(res.headers.get('content-type'), name).toBe('application/fhir+json');
      expect(res.body.resourceType, name).toBe('OperationOutcome');
      expectValidFhir(res.body, name);
    }
    expect(await storedItems()).toEqual(before);
  });

  it('refuses the Binary of a record the caller may not read, and a document under another record’s id', async () => {
    const mine = await newPatient(api, doctor);
    const otherDoctor = await api.professional();
    const theirs = await newPatient(api, otherDoctor);
    const theirDocument = await deposit(api, otherDoctor, theirs.dmpId);
    const myDocument = await deposit(api, doctor, mine.dmpId);
    const direct = await refusal(client(doctor).read({ resourceType: 'Binary', id: `${theirDocument}-${patientId(theirs.dmpId)}` }));
    expect([403, 404]).toContain(direct.status);
    expectValidFhir(direct.data, 'binary of another record');
    // Their document under my record's id: no such document in my record.
    const crossed = await refusal(client(doctor).read({ resourceType: 'Binary', id: `${theirDocument}-${patientId(mine.dmpId)}` }));
    expect(crossed.status).toBe(404);
    expectValidFhir(crossed.data, 'crossed id');
    const own = await client(doctor).read({ resourceType: 'Binary', id: `${myDocument}-${patientId(mine.dmpId)}` });
    expect(own.resourceType).toBe('Binary');
  });

  it('a token whose SMART scopes do not cover the request is refused (403), one that does is served', async () => {
    const reader = await scopedProfessional('openid user/DocumentReference.read');
    const p = await newPatient(api, reader);
    await deposit(api, reader, p.dmpId);
    const fhir = client(reader);
    const found = (await fhir.search({ resourceType: 'DocumentReference', searchParams: { patient: patientId(p.dmpId) } })) as unknown as Bundle;
    expect(found.entry?.length).toBe(1);
    const before = await storedItems();
    const create = await refusal(fhir.create({ resourceType: 'DocumentReference', body: documentReferenceBody(p.dmpId, randomBytes(100)) as never }));
    expect(create.status).toBe(403);
    expectValidFhir(create.data, 'scope create');
    expect(create.data.issue[0].details.coding[0].code).toBe('insufficient-scope');
    const patient = await refusal(fhir.read({ resourceType: 'Patient', id: patientId(p.dmpId) }));
    expect(patient.status).toBe(403);
    const binary = await refusal(fhir.read({ resourceType: 'Binary', id: found.entry?.[0]?.resource?.id ?? '' }));
    expect(binary.status).toBe(403);
    expect(await storedItems()).toEqual(before);

    // patient/*.read: reads everything the caller may read, writes nothing; user/*.* does both.
    const allReads = await scopedProfessional('patient/*.read');
    expect((await refusal(client(allReads).create({ resourceType: 'DocumentReference', body: documentReferenceBody(p.dmpId, randomBytes(100)) as never }))).status).toBe(403);
    const everything = await scopedProfessional('user/*.*');
    const mine = await newPatient(api, everything);
    const created = await client(everything).create({ resourceType: 'DocumentReference', body: documentReferenceBody(mine.dmpId, randomBytes(100)) as never });
    expect(created.resourceType).toBe('DocumentReference');
    // A scope claim holding no resource scope covers nothing.
    const none = await scopedProfessional('openid fhirUser');
    expect((await refusal(client(none).search({ resourceType: 'DocumentReference', searchParams: { patient: patientId(mine.dmpId) } }))).status).toBe(403);
  });
});

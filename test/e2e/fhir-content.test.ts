/**
 * FHIR DocumentReference search by words (`_content`, `_text`) end to end: a third-party FHIR
 * client (fhir-kit-client) over real HTTP against the local runtime, on a record indexed by the
 * index job (POST /_local/jobs/search-index). A word of a document's body is found by either
 * parameter, as the same DocumentReference the plain search returns, in the keyword search's order
 * (newest first), page after page through `next` links; `type`, `date` and `status=current` filter
 * what the words find. The access policy is the keyword search's: a non-attending professional no
 * longer finds a document the patient masked, a blocked one is refused with an OperationOutcome;
 * each search is in the patient's access log. Observation takes the same words, of a measurement's
 * name: the series of the codes they find. Bad input is a 400 OperationOutcome. Every resource
 * received is checked by the independent validator (test/support/fhir-validate.ts).
 *
 * The words are canaries (letters and digits: the index keeps them whole), unique to each run.
 */
import type { Bundle, DocumentReference, Observation } from '@medplum/fhirtypes';
import { Client } from 'fhir-kit-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentResourceId, patientId } from '../../functions/domain/fhir/ids.ts';
import { daysAgo } from '../support/claims.ts';
import { accessLog, deposit } from '../support/documents.ts';
import { recordCalls } from '../support/faults.ts';
import { expectValidFhir, loadFhirDefinitions } from '../support/fhir-validate.ts';
import { canary, randomRpps } from '../support/fixtures.ts';
import { heartRate, minutesAgo, postMeasurements, weight } from '../support/measurements.ts';
import { activeSession, newPatient, patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
beforeAll(async () => {
  loadFhirDefinitions();
  api = await startTestApi();
  doctor = await api.professional();
});
afterAll(() => api?.stop());

const client = (token: string) => new Client({ baseUrl: `${api.runtime.url}/fhir`, bearerToken: token });

/** A professional, its id and token. */
const pro = async () => {
  const id = randomRpps();
  return { id, token: await api.professional({ professionalId: id }) };
};

const text = (s: string) => ({ contentType: 'text/plain', content: Buffer.from(s, 'utf8').toString('base64') });

/** A searchset Bundle, validated, and the DocumentReferences it holds. */
const search = async (token: string, searchParams: Record<string, string | number>): Promise<{ bundle: Bundle; docs: DocumentReference[] }> => {
  const bundle = (await client(token).search({ resourceType: 'DocumentReference', searchParams })) as unknown as Bundle;
  expectValidFhir(bundle, JSON.stringify(searchParams));
  const docs = (bundle.entry ?? []).map((e) => e.resource as DocumentReference);
  for (const d of docs) expectValidFhir(d, d.id);
  return { bundle, docs };
};

/** A raw GET of the search (bad input a client would not build), as its status and body. */
const rawSearch = (token: string, query: string) => api.call('GET', `/fhir/DocumentReference?${query}`, { token });

/**
 * A record with, deposited by the doctor (authorised by the creation's consent), three text
 * documents: `shared` in the body of all three (20, 10 and 5 days old; the newest a discharge
 * summary, 11490-0), `body` in the oldest one's body only, `masked` in the middle one's. A second
 * doctor, authorised by the patient (not attending); a doctor blocked by the patient.
 */
const fixture = async () => {
  const w = { body: canary('Body'), shared: canary('Shared'), masked: canary('Masked') };
  const p = await newPatient(api, doctor);
  const oldest = await deposit(api, doctor, p.dmpId, { title: 'Compte rendu', serviceDate: daysAgo(20), ...text(`Examen : ${w.body} et ${w.shared}.`) });
  const middle = await deposit(api, doctor, p.dmpId, { title: 'Consultation', serviceDate: daysAgo(10), ...text(`Consultation ${w.masked}, ${w.shared}.`) });
  const newest = await deposit(api, doctor, p.dmpId, { typeCode: '11490-0', title: 'Lettre de sortie', serviceDate: daysAgo(5), ...text(`Sortie ${w.shared}.`) });
  const { token } = await activeSession(api, p);
  const [doctor2, blocked] = await Promise.all([pro(), pro()]);
  for (const [x, status] of [
    [doctor2, 'authorized'],
    [blocked, 'authorized'],
    [blocked, 'blocked'],
  ] as const) {
    const res = await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${x.id}`, { token, body: { status } });
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  }
  const indexed = await api.runJob('search-index');
  expect(indexed.status, JSON.stringify(indexed.body)).toBe(200);
  const ref = (documentId: string) => documentResourceId(p.dmpId, documentId);
  return { p, token, w, oldest: ref(oldest), middle: ref(middle), newest: ref(newest), doctor2, blocked };
};

let r: Awaited<ReturnType<typeof fixture>>;
beforeAll(async () => {
  r = await fixture();
}, 120_000);

describe('DocumentReference?_content and ?_text', () => {
  it('a word of a document’s body is found by _content and by _text, as the same DocumentReference the plain search returns', async () => {
    const patient = patientId(r.p.dmpId);
    const plain = await search(doctor, { patient });
    const expected = plain.docs.find((d) => d.id === r.oldest);
    expect(expected).toBeDefined();
    for (const param of ['_content', '_text']) {
      for (const token of [doctor, r.token, r.doctor2.token]) {
        const { bundle, docs } = await search(token, { patient, [param]: r.w.body });
        expect(docs.map((d) => d.id)).toEqual([r.oldest]);
        expect(bundle.link?.some((l) => l.relation === 'next')).toBe(false);
      }
      const { docs } = await search(doctor, { patient: `Patient/${patient}`, [param]: r.w.body });
      expect(docs).toEqual([expected]);
    }
    // Both given: every word of both (the oldest holds body and shared, the middle one shared only).
    expect((await search(doctor, { patient, _content: r.w.shared, _text: r.w.body })).docs.map((d) => d.id)).toEqual([r.oldest]);
    // Every word must be found in the same document; a word of no document finds nothing.
    expect((await search(doctor, { patient, _content: `${r.w.body} ${r.w.masked}` })).docs).toEqual([]);
    expect((await search(doctor, { patient, _content: canary('Nowhere') })).docs).toEqual([]);
  });

  it('in the keyword search’s order (newest first), page after page through next links carrying its cursor', async () => {
    const patient = patientId(r.p.dmpId);
    const v1 = await api.call('GET', `/v1/records/${r.p.dmpId}/search?q=${r.w.shared}&kind=document`, { token: doctor });
    expect(v1.status).toBe(200);
    const order = (v1.body.items as { id: string }[]).map((i) => documentResourceId(r.p.dmpId, i.id));
    expect(order).toEqual([r.newest, r.middle, r.oldest]);
    const calls = recordCalls(api.runtime.deps.db);
    const found = await search(doctor, { patient, _content: r.w.shared }).finally(() => calls.stop());
    expect(found.docs.map((d) => d.id)).toEqual(order);
    // The search decides the three (unchanged since deposit) on their postings without reading them;
    // the page's three documents are then read together (one BatchGetItem), none by a GetItem of its own.
    const documentReads = calls.calls
      .map((c) => ({ command: c.command, sks: [c.input.Key, ...((Object.values(c.input.RequestItems ?? {})[0] as any)?.Keys ?? [])].map((k: any) => k?.sk?.S) }))
      .filter((c) => c.sks.some((sk) => sk?.startsWith('DOC#')));
    expect(documentReads.map((c) => c.command)).toEqual(['BatchGetItemCommand']);
    expect(documentReads.map((c) => c.sks.filter((sk) => sk?.startsWith('DOC#')).length)).toEqual([3]);

    const fhir = client(doctor);
    const seen: string[] = [];
    let page: Bundle | undefined = (await search(doctor, { patient, _text: r.w.shared, _count: 1 })).bundle;
    let pages = 0;
    while (page && pages < 10) {
      expectValidFhir(page, `page ${pages}`);
      pages++;
      seen.push(...(page.entry ?? []).map((e) => e.resource?.id ?? ''));
      const next: string | undefined = page.link?.find((l) => l.relation === 'next')?.url;
      if (next) {
        const url = new URL(next, api.runtime.url);
        expect(url.searchParams.get('_text')).toBe(r.w.shared);
        expect(url.searchParams.get('_cursor')).toMatch(/.+/);
      }
      page = next ? ((await fhir.nextPage({ bundle: page as never })) as unknown as Bundle) : undefined;
    }
    expect(seen).toEqual(order);
    expect(pages).toBe(3);
  });

  it('type, date and status=current filter what the words find; an archived document is left out, as the plain search leaves it out', async () => {
    const patient = patientId(r.p.dmpId);
    const ids = async (params: Record<string, string>) => (await search(doctor, { patient, _content: r.w.shared, ...params })).docs.map((d) => d.id);
    expect(await ids({ type: 'http://loinc.org|11490-0' })).toEqual([r.newest]);
    expect(await ids({ type: '11502-2' })).toEqual([r.middle, r.oldest]);
    expect(await ids({ status: 'current' })).toEqual([r.newest, r.middle, r.oldest]);
    // The deposit day, as the plain search's date: all three deposited today.
    expect(await ids({ date: `ge${daysAgo(1)}` })).toEqual([r.newest, r.middle, r.oldest]);
    expect(await ids({ date: 'ge2999-01-01' })).toEqual([]);
    // An archived document: the keyword search finds it, the plain search (status current) leaves it out, and so does _content.
    const documentId = r.newest.slice(0, 25);
    const archive = (archived: boolean) => api.call('PATCH', `/v1/records/${r.p.dmpId}/documents/${documentId}`, { token: doctor, body: { archived } });
    expect((await archive(true)).status).toBe(200);
    expect(await ids({})).toEqual([r.middle, r.oldest]);
    expect((await search(doctor, { patient })).docs.map((d) => d.id)).not.toContain(r.newest);
    expect((await archive(false)).status).toBe(200);
    expect(await ids({})).toEqual([r.newest, r.middle, r.oldest]);
  });

  it('the search is traced: the patient’s access log shows it, by whom', async () => {
    const probe = await pro();
    const res = await api.call('PUT', `/v1/records/${r.p.dmpId}/professionals/${probe.id}`, { token: r.token, body: { status: 'authorized' } });
    expect(res.status).toBe(200);
    expect((await search(probe.token, { patient: patientId(r.p.dmpId), _content: r.w.body })).docs.map((d) => d.id)).toEqual([r.oldest]);
    const log = await accessLog(api, r.token, r.p.dmpId);
    expect(log.filter((t) => t.actor.id === probe.id).map((t) => t.action)).toEqual(['record.keyword-search']);
  });
});

describe('DocumentReference?_content: the access policy', () => {
  it('a document the patient masked is no longer found by a non-attending professional; its author still finds it', async () => {
    const patient = patientId(r.p.dmpId);
    const ids = async (token: string) => (await search(token, { patient, _content: r.w.masked })).docs.map((d) => d.id);
    expect(await ids(r.doctor2.token)).toEqual([r.middle]);
    const documentId = r.middle.slice(0, 25);
    const masked = await api.call('PATCH', `/v1/records/${r.p.dmpId}/documents/${documentId}`, { token: r.token, body: { maskedToProfessionals: true } });
    expect(masked.status, JSON.stringify(masked.body)).toBe(200);
    expect(await ids(r.doctor2.token)).toEqual([]);
    expect(JSON.stringify((await search(r.doctor2.token, { patient, _text: r.w.shared })).bundle)).not.toContain(documentId);
    expect(await ids(doctor)).toEqual([r.middle]);
    expect(await ids(r.token)).toEqual([r.middle]);
    const unmasked = await api.call('PATCH', `/v1/records/${r.p.dmpId}/documents/${documentId}`, { token: r.token, body: { maskedToProfessionals: false } });
    expect(unmasked.status, JSON.stringify(unmasked.body)).toBe(200);
  });

  it('a blocked professional is refused with an OperationOutcome that names no document, and the refusal is traced; a stranger finds nothing', async () => {
    const refused = await rawSearch(r.blocked.token, `patient=${patientId(r.p.dmpId)}&_content=${r.w.body}`);
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toBe('application/fhir+json');
    expect(refused.body.resourceType).toBe('OperationOutcome');
    expectValidFhir(refused.body, 'refusal');
    expect(JSON.stringify(refused.body)).not.toContain(r.oldest.slice(0, 25));
    const log = await accessLog(api, r.token, r.p.dmpId);
    expect(log.filter((t) => t.actor.id === r.blocked.id && t.action === 'record.keyword-search')).toEqual([expect.objectContaining({ outcome: 'refused', reason: 'blocked' })]);
    // Never authorised: only the documents it deposited itself (none).
    const stranger = await pro();
    expect((await search(stranger.token, { patient: patientId(r.p.dmpId), _content: r.w.body })).docs).toEqual([]);
  });
});

describe('DocumentReference?_content: bad input', () => {
  it('is a 400 OperationOutcome naming the parameter', async () => {
    const patient = `patient=${patientId(r.p.dmpId)}`;
    const many = Array.from({ length: 9 }, () => canary('W')).join(' ');
    const cases: [string, string, string][] = [
      ['empty _content', `${patient}&_content=`, 'query._content'],
      ['empty _text', `${patient}&_text=`, 'query._text'],
      ['wildcards only', `${patient}&_content=${encodeURIComponent('* %')}`, 'query._content'],
      ['no searchable word', `${patient}&_text=${encodeURIComponent('" - "')}`, 'query._text'],
      ['too many words', `${patient}&_content=${encodeURIComponent(many)}`, 'query._content'],
      ['too long', `${patient}&_content=${'x'.repeat(201)}`, 'query._content'],
      [
        '_content and _text together, too many words',
        `${patient}&_content=${encodeURIComponent(many.split(' ').slice(0, 5).join(' '))}&_text=${encodeURIComponent(many.split(' ').slice(5).join(' '))}`,
        'query._text',
      ],
      ['superseded versions', `${patient}&_content=${r.w.body}&status=superseded`, 'query.status'],
      ['no patient', `_content=${r.w.body}`, 'query.patient'],
    ];
    for (const [name, query, expression] of cases) {
      const res = await rawSearch(doctor, query);
      expect(res.status, `${name}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.headers.get('content-type'), name).toBe('application/fhir+json');
      expect(res.body.resourceType, name).toBe('OperationOutcome');
      expectValidFhir(res.body, name);
      expect(
        res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []),
        name,
      ).toContain(expression);
      // The words searched are not echoed back.
      expect(JSON.stringify(res.body), name).not.toContain(r.w.body);
    }
    // A cursor of another list (the plain search's) is refused too, not answered with a 5xx.
    const plain = await search(doctor, { patient: patientId(r.p.dmpId), _count: 1 });
    const cursor = new URL(plain.bundle.link?.find((l) => l.relation === 'next')?.url ?? '', api.runtime.url).searchParams.get('_cursor') ?? '';
    expect(cursor).not.toBe('');
    const wrong = await rawSearch(doctor, `${patient}&_content=${r.w.shared}&_cursor=${encodeURIComponent(cursor)}`);
    expect(wrong.status, JSON.stringify(wrong.body)).toBe(400);
    expect(wrong.body.resourceType).toBe('OperationOutcome');
  });
});

describe('Observation?_content and ?_text', () => {
  it('a word of a measurement’s name finds its series, as the plain search by code returns it; only for those who may read measurements; traced', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const posted = await postMeasurements(api, token, p.dmpId, [
      heartRate({ effectiveAt: minutesAgo(30) }),
      heartRate({ effectiveAt: minutesAgo(20), value: 70 }),
      weight({ effectiveAt: minutesAgo(10) }),
    ]);
    expect(posted.status, JSON.stringify(posted.body)).toBe(200);
    const indexed = await api.runJob('search-index');
    expect(indexed.status).toBe(200);
    const patient = patientId(p.dmpId);
    const observations = async (who: string, searchParams: Record<string, string>) => {
      const bundle = (await client(who).search({ resourceType: 'Observation', searchParams: { patient, ...searchParams } })) as unknown as Bundle;
      expectValidFhir(bundle, JSON.stringify(searchParams));
      const found = (bundle.entry ?? []).map((e) => e.resource as Observation);
      for (const o of found) expectValidFhir(o, o.id);
      return found;
    };
    const series = await observations(doctor, { code: '8867-4' });
    expect(series).toHaveLength(2);
    // The name the API shows (Fréquence cardiaque): case and accents do not matter.
    for (const [param, words] of [
      ['_content', 'cardiaque'],
      ['_text', 'FREQUENCE'],
    ]) {
      expect(await observations(doctor, { [param as string]: words as string }), param).toEqual(series);
      expect(await observations(token, { [param as string]: words as string }), param).toEqual(series);
    }
    expect((await observations(doctor, { _content: 'poids' })).map((o) => o.code.coding?.[0]?.code)).toEqual(['29463-7']);
    expect(await observations(doctor, { _content: 'cardiaque', code: 'http://loinc.org|29463-7' })).toEqual([]);
    expect(await observations(doctor, { _content: 'cardiaque', _text: 'frequence' })).toEqual(series);
    expect(await observations(doctor, { _content: 'cardiaque', _text: 'poids' })).toEqual([]);
    expect(await observations(doctor, { _content: 'cardiaque', date: 'ge2999-01-01' })).toEqual([]);
    expect(await observations(doctor, { _content: canary('Nowhere') })).toEqual([]);

    // A profession the matrix keeps from patient data is refused, words or not, as the plain search refuses it.
    const dieticianId = randomRpps();
    const dietician = await api.professional({ professionalId: dieticianId, profession: '26' });
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${dieticianId}`, { token, body: { status: 'authorized' } })).status).toBe(200);
    const refused = await api.call('GET', `/fhir/Observation?patient=${patient}&_content=cardiaque`, { token: dietician });
    expect(refused.status).toBe(403);
    expect(refused.body.resourceType).toBe('OperationOutcome');
    expectValidFhir(refused.body, 'refused');

    // Traced: the search and the read of the measurements, by whom.
    const probe = await pro();
    expect((await api.call('PUT', `/v1/records/${p.dmpId}/professionals/${probe.id}`, { token, body: { status: 'authorized' } })).status).toBe(200);
    expect(await observations(probe.token, { _content: 'cardiaque' })).toEqual(series);
    const log = await accessLog(api, token, p.dmpId);
    expect(
      log
        .filter((t) => t.actor.id === probe.id)
        .map((t) => t.action)
        .sort(),
    ).toEqual(['measurements.read', 'record.keyword-search']);

    // Bad input: a 400 OperationOutcome naming the parameter.
    for (const [query, expression] of [
      [`_content=${encodeURIComponent('*')}`, 'query._content'],
      ['_text=', 'query._text'],
      [`_content=${encodeURIComponent('a1 b2 c3 d4 e5')}&_text=${encodeURIComponent('f6 g7 h8 i9')}`, 'query._text'],
    ]) {
      const res = await api.call('GET', `/fhir/Observation?patient=${patient}&${query}`, { token: doctor });
      expect(res.status, query).toBe(400);
      expectValidFhir(res.body, query as string);
      expect(
        res.body.issue.flatMap((i: { expression?: string[] }) => i.expression ?? []),
        query,
      ).toContain(expression);
    }
  });

  it('the other health-data searches do not take words: a 400 OperationOutcome', async () => {
    const patient = patientId(r.p.dmpId);
    for (const type of ['AllergyIntolerance', 'Condition', 'Immunization', 'MedicationDispense']) {
      const res = await api.call('GET', `/fhir/${type}?patient=${patient}&_content=${r.w.body}`, { token: doctor });
      expect(res.status, type).toBe(400);
      expect(res.body.resourceType, type).toBe('OperationOutcome');
    }
  });
});

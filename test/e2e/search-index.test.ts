/**
 * The keyword index over HTTP and the local runtime's change feed (the stand-in for the table's
 * stream): what deposits and entries write is indexed by the job, off the request's path, and found
 * through SearchIndex.postings: a word of a document's body (text, PDF, CDA, FHIR), its title, a
 * claims label and code, an allergy of the health profile, a vaccine's name, a measurement's name.
 * Supersession, deletion, a claims line's expiry and the ten-year purge take postings away; a
 * replayed change indexes once; a document whose text cannot be read is still stored and listed,
 * indexed by its title, and its manifest says so. Blind: equal words of two records give unrelated
 * tokens, and no word, id or code is in clear in the index's items.
 */
import { PutItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sealJson } from '../../functions/adapters/envelope.ts';
import { indexKeys, SearchIndex } from '../../functions/adapters/search-index.ts';
import { keyItem } from '../../functions/adapters/table.ts';
import { SearchIndexJob } from '../../functions/domain/jobs/search-index.ts';
import { words } from '../../functions/domain/search/words.ts';
import { SearchIndexTable } from '../../functions/jobs/search-sources.ts';
import { partitionItems } from '../support/aws.ts';
import { batchId, daysAgo, medicationLine, pushBatch } from '../support/claims.ts';
import { deposit, listIds } from '../support/documents.ts';
import { canary, randomRpps } from '../support/fixtures.ts';
import { profileBody, writeProfile } from '../support/health.ts';
import { postMeasurements, weight } from '../support/measurements.ts';
import { garbagePdf, pdfWithText } from '../support/pdf.ts';
import { newPatient, patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;
let doctorId: string;
let insurer: string;
let index: SearchIndex;

beforeAll(async () => {
  api = await startTestApi();
  doctorId = randomRpps();
  doctor = await api.professional({ professionalId: doctorId });
  insurer = await api.insurer();
  index = new SearchIndex(api.runtime.deps.db, api.runtime.config.tableName, api.runtime.deps.keyRing);
});
afterAll(() => api?.stop());

/** Runs the index job on what the runtime's writes recorded; its counts. */
const indexNow = async () => {
  const res = await api.runJob('search-index');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.result as { changes: number; indexed: number; unchanged: number; removed: number; unreadable: number; written: number; failed: number };
};
/** The postings of one word (normalised as the index does), as kind:id:field. */
const found = async (dmpId: string, word: string): Promise<string[]> => {
  const [normalised] = words(word);
  if (!normalised) throw new Error(`no word in ${word}`);
  return (await index.postings(dmpId, normalised)).map((p) => `${p.kind}:${p.id}:${p.field}`).sort();
};
/** The index job's own code, run here on the runtime's client rather than through the runtime's feed. */
const newJob = () =>
  new SearchIndexJob(
    new SearchIndexTable({ db: api.runtime.deps.db, tableName: api.runtime.config.tableName, keyRing: api.runtime.deps.keyRing, clock: { now: () => new Date() } }),
    { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  );
const indexItems = async (dmpId: string) => partitionItems(api.runtime.deps.db, api.runtime.config.tableName, dmpId, 'IDX');
const text = (s: string) => Buffer.from(s, 'utf8');

const CDA = (word: string) =>
  text(`<?xml version="1.0"?><ClinicalDocument xmlns="urn:hl7-org:v3"><title>Lettre de liaison</title>
<component><structuredBody><component><section><title>Conclusion</title><text><paragraph>Bronchite ${word} traitée.</paragraph></text></section></component></structuredBody></component></ClinicalDocument>`);
const FHIR = (word: string) =>
  text(JSON.stringify({ resourceType: 'Composition', title: 'Synthèse', text: { status: 'generated', div: `<div><p>Hypertension ${word}</p></div>` } }));

describe('the keyword index job', () => {
  it('indexes the words of documents (title, text, PDF, CDA, FHIR), claims lines, the profile, vaccinations and measurements', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const w = { plain: canary('Corps'), pdf: canary('Pdf'), cda: canary('Cda'), fhir: canary('Fhir'), title: canary('Titre') };
    const plain = await deposit(api, doctor, p.dmpId, { title: `Compte rendu ${w.title}`, contentType: 'text/plain' }, text(`Allergie à l'amoxicilline. ${w.plain}.`));
    const pdf = await deposit(api, doctor, p.dmpId, { contentType: 'application/pdf' }, pdfWithText(['Scanner thoracique', `Conclusion ${w.pdf}`]));
    const cda = await deposit(api, doctor, p.dmpId, { contentType: 'text/xml' }, CDA(w.cda));
    const fhir = await deposit(api, doctor, p.dmpId, { contentType: 'application/fhir+json' }, FHIR(w.fhir));
    const line = medicationLine({ display: 'AMOXICILLINE BIOGARAN 1G', atcValence: 'J01CA04' });
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line] }] })).body.lines.accepted).toBe(1);
    const profile = profileBody({ allergies: [{ substance: 'Pénicillines', category: 'medication', reaction: 'Urticaire', criticality: 'high' }] });
    expect((await writeProfile(api, p.dmpId, token, profile, '"v0"')).status).toBe(200);
    const vaccination = await api.call('POST', `/v1/records/${p.dmpId}/vaccinations`, {
      token: doctor,
      body: { date: daysAgo(3), vaccine: { name: 'Revaxis', codeSystem: 'ATC_VALENCE', code: 'J07CA01' }, lotNumber: 'AB1234', doseNumber: 1 },
    });
    expect(vaccination.status, JSON.stringify(vaccination.body)).toBe(201);
    expect((await postMeasurements(api, token, p.dmpId, [weight(), weight({ value: 71, effectiveAt: new Date(Date.now() - 60_000).toISOString() })])).status).toBe(200);

    // Nothing is indexed on the request's path: only the job writes index items.
    expect(await indexItems(p.dmpId)).toEqual([]);
    const report = await indexNow();
    expect(report).toMatchObject({ failed: 0, unreadable: 0 });
    // 4 documents, 1 line, the profile, 1 vaccination, 1 code measured (twice: its second change finds it done).
    expect(report.indexed).toBe(8);

    expect(await found(p.dmpId, w.plain)).toEqual([`document:${plain}:text`]);
    expect(await found(p.dmpId, w.title)).toEqual([`document:${plain}:title`]);
    expect(await found(p.dmpId, w.pdf)).toEqual([`document:${pdf}:text`]);
    expect(await found(p.dmpId, 'thoraciques')).toEqual([`document:${pdf}:text`]);
    expect(await found(p.dmpId, w.cda)).toEqual([`document:${cda}:text`]);
    expect(await found(p.dmpId, 'bronchites')).toEqual([`document:${cda}:text`]);
    expect(await found(p.dmpId, w.fhir)).toEqual([`document:${fhir}:text`]);
    const claims = await api.call('GET', `/v1/records/${p.dmpId}/claims`, { token });
    const lineId = claims.body.items[0].lineId as string;
    expect(await found(p.dmpId, "l'Amoxicilline")).toEqual([`claim:${lineId}:display`, `document:${plain}:text`]);
    expect(await found(p.dmpId, 'J01CA04')).toEqual([`claim:${lineId}:code`]);
    const allergyId = (await api.call('GET', `/v1/records/${p.dmpId}/profile`, { token })).body.allergies[0].id as string;
    expect(await found(p.dmpId, 'pénicilline')).toEqual([`profile:${allergyId}:allergies.substance`]);
    expect(await found(p.dmpId, 'urticaire')).toEqual([`profile:${allergyId}:allergies.reaction`]);
    expect(await found(p.dmpId, 'revaxis')).toEqual([`vaccination:${vaccination.body.id}:vaccine.name`]);
    expect(await found(p.dmpId, 'poids')).toEqual(['measurement:29463-7:display']);
    expect(await found(p.dmpId, '29463-7')).toEqual(['measurement:29463-7:code']);

    // A posting says where the word stands, what a result shows, and (a document's) the access
    // facts read when it was indexed: status, labels (masked, hidden from the patient, from
    // representatives), class and type codes, author.
    const [posting] = await index.postings(p.dmpId, words('Scanner')[0] as string);
    expect(posting).toEqual({
      kind: 'document',
      id: pdf,
      date: '2026-11-20',
      title: expect.any(String),
      field: 'text',
      positions: [0],
      state: ['current', '000', expect.any(String), expect.any(String), 'professional', doctorId],
    });

    // Another record with the same words finds none of these.
    const other = await newPatient(api, doctor);
    expect(await found(other.dmpId, w.plain)).toEqual([]);
    expect(await found(other.dmpId, 'amoxicilline')).toEqual([]);
  });

  it('indexes a replayed or repeated change once, and a change of labels not at all', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    await indexNow();
    const id = await deposit(api, doctor, p.dmpId, { contentType: 'text/plain' }, text('Échographie abdominale normale.'));
    expect(await indexNow()).toMatchObject({ changes: 1, indexed: 1 });
    const before = (await indexItems(p.dmpId)).map((i) => `${i.sk?.S}`).sort();
    expect((await api.call('PATCH', `/v1/records/${p.dmpId}/documents/${id}`, { token, body: { maskedToProfessionals: true } })).status).toBe(200);
    expect(await indexNow()).toMatchObject({ changes: 1, indexed: 0, unchanged: 1, written: 0 });
    // The same change delivered again (a stream retry), twice in one batch and in another run.
    const job = newJob();
    const change = { dmpId: p.dmpId, sk: `DOC#${id}` };
    expect((await job.run([change, change])).report).toMatchObject({ indexed: 0, unchanged: 2, written: 0, deleted: 0 });
    expect((await indexItems(p.dmpId)).map((i) => `${i.sk?.S}`).sort()).toEqual(before);
    expect(await found(p.dmpId, 'échographie')).toEqual([`document:${id}:text`]);
  });

  it('follows supersession, deletion and a claims line’s expiry', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const author = await api.professional();
    const old = canary('Ancien');
    const v1 = await deposit(api, author, p.dmpId, { contentType: 'text/plain', title: 'Compte rendu opératoire' }, text(`Appendicectomie ${old}.`));
    await indexNow();
    expect(await found(p.dmpId, old)).toEqual([`document:${v1}:text`]);
    const fresh = canary('Nouveau');
    const v2 = await deposit(api, author, p.dmpId, { contentType: 'text/plain', title: 'Compte rendu opératoire', replaces: v1 }, text(`Appendicectomie ${fresh}.`));
    expect(await indexNow()).toMatchObject({ indexed: 1, removed: 1, failed: 0 });
    expect(await found(p.dmpId, old)).toEqual([]);
    expect(await found(p.dmpId, fresh)).toEqual([`document:${v2}:text`]);
    expect(await found(p.dmpId, 'appendicectomie')).toEqual([`document:${v2}:text`]);

    expect((await api.call('DELETE', `/v1/records/${p.dmpId}/documents/${v2}`, { token: author })).status).toBe(204);
    expect(await indexNow()).toMatchObject({ removed: 1, failed: 0 });
    expect(await found(p.dmpId, fresh)).toEqual([]);
    expect(await found(p.dmpId, 'opératoire')).toEqual([]);

    const line = medicationLine({ display: 'KARDEGIC 75 MG', date: daysAgo(5) });
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line] }] })).body.lines.accepted).toBe(1);
    await indexNow();
    expect(await found(p.dmpId, 'kardegic')).toHaveLength(1);
    // Twenty-five months later the line has expired (DynamoDB's TTL in AWS, the purge job here).
    expect((await api.runJob('claims-purge', new Date(Date.now() + 25 * 31 * 86_400_000).toISOString())).status).toBe(200);
    // (The purge runs over the whole table: other tests' lines expire too.)
    expect((await indexNow()).removed).toBeGreaterThanOrEqual(1);
    expect(await found(p.dmpId, 'kardegic')).toEqual([]);
    // Nothing of these sources is left in the index.
    expect(await indexItems(p.dmpId)).toEqual([]);
    expect(await listIds(api, token, p.dmpId)).toEqual([]);
  });

  it('stores and lists a document whose text cannot be read, indexes its title, records it, and does not try again', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    const title = canary('Illisible');
    const id = await deposit(api, doctor, p.dmpId, { contentType: 'application/pdf', title: `Radiographie ${title}` }, text('Canary: this is no PDF'));
    const garbage = await deposit(api, doctor, p.dmpId, { contentType: 'application/pdf' }, garbagePdf());
    expect(await indexNow()).toMatchObject({ indexed: 2, unreadable: 1, failed: 0 });
    expect(await listIds(api, token, p.dmpId)).toEqual([garbage, id]);
    expect(await found(p.dmpId, title)).toEqual([`document:${id}:title`]);
    const key = await index.recordKey(p.dmpId);
    if (!key) throw new Error('no record key');
    expect(await index.manifest(key, { kind: 'document', id })).toMatchObject({ text: 'unreadable', item: `DOC#${id}` });
    expect(await index.manifest(key, { kind: 'document', id: garbage })).toMatchObject({ text: 'indexed' });
    // A later change of the document does not extract it again.
    expect((await api.call('PATCH', `/v1/records/${p.dmpId}/documents/${id}`, { token, body: { maskedToProfessionals: true } })).status).toBe(200);
    expect(await indexNow()).toMatchObject({ unchanged: 1, unreadable: 0, written: 0 });
  });

  it('keeps every source of a word when the job indexes sources of one record at once (lists are written on condition of their version)', async () => {
    const { p } = await patientWithSession(api, doctor);
    const shared = canary('Commun');
    // 20 documents holding one word, few enough to share one list (bucket 0): their updates race on it.
    const ids: string[] = [];
    for (let i = 0; i < 20; i++) ids.push(await deposit(api, doctor, p.dmpId, { contentType: 'text/plain', title: `Note ${i}` }, text(`Observation ${shared} numéro ${i}.`)));
    const runs = await Promise.all(ids.map((id) => newJob().run([{ dmpId: p.dmpId, sk: `DOC#${id}` }])));
    expect(runs.map((r) => r.report.failed)).toEqual(ids.map(() => 0));
    expect(runs.map((r) => r.report.indexed)).toEqual(ids.map(() => 1));
    expect(await found(p.dmpId, shared)).toEqual(ids.map((id) => `document:${id}:text`).sort());
    // One list per bucket holding the word at most, however many sources; these few, in bucket 0 only.
    const lists = (await indexItems(p.dmpId)).filter((i) => i.sk?.S?.startsWith('IDX#'));
    expect(new Set(lists.map((i) => i.sk?.S)).size).toBe(lists.length);
    const token = (await index.recordKey(p.dmpId))?.token(words(shared)[0] as string);
    expect(lists.filter((i) => i.sk?.S?.startsWith(`IDX#${token}#`)).map((i) => i.sk?.S)).toEqual([`IDX#${token}#0`]);
  });

  it('a word of few sources is one list (bucket 0); past its size its sources spread over the other buckets, each found once and taken out of whichever holds it', async () => {
    const { p } = await patientWithSession(api, doctor);
    const key = await index.recordKey(p.dmpId);
    if (!key) throw new Error('no data key');
    const word = canary('mot').toLowerCase();
    // Postings of some 470 bytes: bucket 0 (16 KiB sealed) holds the first thirty-odd sources.
    const ref = (i: number) => ({ kind: 'claim' as const, id: `line-${i}` });
    const put = (i: number) =>
      index.replace(key, undefined, { ...ref(i), version: 'v1|test', item: `CLAIMSRC#${i}`, text: 'indexed', complete: true }, [
        { word, fieldIndex: 0, posting: { ...ref(i), date: '2026-01-01', title: `${'X'.repeat(400)} ${i}`, field: 'display', positions: [0] } },
      ]);
    const ids = Array.from({ length: 60 }, (_, i) => i);
    for (const i of ids) await put(i);
    const buckets = async () => {
      const token = key.token(word);
      const lists = (await indexItems(p.dmpId)).filter((i) => i.sk?.S?.startsWith(`IDX#${token}#`));
      return new Map(lists.map((i) => [Number(i.sk?.S?.split('#')[2]), i.l?.B?.length ?? 0]));
    };
    const spread = await buckets();
    expect(spread.get(0)).toBeGreaterThan(10_000);
    expect(spread.get(0)).toBeLessThanOrEqual(16_384);
    expect([...spread.keys()].filter((b) => b > 0).length).toBeGreaterThan(3);
    const postingIds = async () => (await index.postings(p.dmpId, word)).map((x) => x.id).sort();
    expect(await postingIds()).toEqual(ids.map((i) => `line-${i}`).sort());

    // Half of them removed, from bucket 0 and the others alike; a source indexed again is still found once.
    for (const i of ids.filter((i) => i % 2 === 0)) {
      const manifest = await index.manifest(key, ref(i));
      if (!manifest) throw new Error(`no manifest for ${i}`);
      await index.remove(key, manifest);
    }
    await put(1);
    expect(await postingIds()).toEqual(
      ids
        .filter((i) => i % 2 === 1)
        .map((i) => `line-${i}`)
        .sort(),
    );
    // A new source goes to bucket 0 again, now that it has room.
    const before = await buckets();
    await put(100);
    const after = await buckets();
    expect(after.get(0)).toBeGreaterThan(before.get(0) ?? 0);
    expect([...after].filter(([b]) => b > 0)).toEqual([...before].filter(([b]) => b > 0));

    // An index written before bucket 0 took small words kept a source in its hash's bucket (0‥7):
    // indexed again, the source leaves that list for bucket 0, and is found once.
    const B64 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
    const at = (i: number) => B64.indexOf(key.source('claim', `line-${i}`)[0] ?? 'A');
    const old = ids.map((i) => i + 200).find((i) => at(i) % 8 !== 0 && at(i) % 8 !== 1 + (at(i) % 7));
    if (old === undefined) throw new Error('no source whose former bucket is neither 0 nor its own');
    const formerWord = canary('ancien').toLowerCase();
    const k = indexKeys.list(p.dmpId, key.token(formerWord), at(old) % 8);
    const entry = { [`${key.source('claim', `line-${old}`)}#0`]: { ...ref(old), date: '2026-01-01', title: 'X', field: 'display', positions: [0] } };
    await api.runtime.deps.db.send(
      new PutItemCommand({ TableName: api.runtime.config.tableName, Item: { ...keyItem(k), l: { B: sealJson(key.key, k.sk, 'l', entry) }, v: { N: '1' } } }),
    );
    expect((await index.postings(p.dmpId, formerWord)).map((x) => x.id)).toEqual([`line-${old}`]);
    await index.replace(key, undefined, { ...ref(old), version: 'v1|test', item: `CLAIMSRC#${old}`, text: 'indexed', complete: true }, [
      { word: formerWord, fieldIndex: 0, posting: { ...ref(old), date: '2026-01-01', title: 'Y', field: 'display', positions: [0] } },
    ]);
    expect((await index.postings(p.dmpId, formerWord)).map((x) => [x.id, x.title])).toEqual([[`line-${old}`, 'Y']]);
    const formerLists = (await indexItems(p.dmpId)).filter((i) => i.sk?.S?.startsWith(`IDX#${key.token(formerWord)}#`)).map((i) => i.sk?.S);
    expect(formerLists).toEqual([`IDX#${key.token(formerWord)}#0`]);
  });

  it('is blind: equal words of two records give unrelated tokens, and nothing is in clear in the index items', async () => {
    const shared = canary('Partage');
    const a = await patientWithSession(api, doctor);
    const b = await patientWithSession(api, doctor);
    const docA = await deposit(api, doctor, a.p.dmpId, { contentType: 'text/plain', title: `Bilan ${shared}` }, text(`Hémoglobine glyquée ${shared} 4548-4`));
    await deposit(api, doctor, b.p.dmpId, { contentType: 'text/plain', title: `Bilan ${shared}` }, text(`Hémoglobine glyquée ${shared} 4548-4`));
    await postMeasurements(api, a.token, a.p.dmpId, [weight()]);
    await indexNow();
    const tokensOf = async (dmpId: string) => new Set((await indexItems(dmpId)).filter((i) => i.sk?.S?.startsWith('IDX#')).map((i) => i.sk?.S?.split('#')[1]));
    const [ta, tb] = [await tokensOf(a.p.dmpId), await tokensOf(b.p.dmpId)];
    expect(ta.size).toBeGreaterThan(3);
    expect(tb.size).toBeGreaterThan(3);
    expect([...ta].filter((t) => tb.has(t))).toEqual([]);

    const planted = [shared, docA, '4548-4', '29463-7', 'Hémoglobine', 'hemoglobin', 'glyque', 'Bilan', 'bilan', 'Poids', 'poids', 'document', 'measurement', 'title', 'text'];
    for (const item of await indexItems(a.p.dmpId)) {
      expect(Object.keys(item).sort()).toEqual(item.sk?.S?.startsWith('IDXSRC#') ? ['m', 'pk', 'sk'] : ['l', 'pk', 'sk', 'v']);
      const raw = Object.values(item)
        .map((v) => (v.B ? `${Buffer.from(v.B).toString('utf8')}|${Buffer.from(v.B).toString('latin1')}` : (v.S ?? '')))
        .join('|');
      for (const word of planted) expect(raw.includes(word), word).toBe(false);
    }
  });

  it('goes with the record at its destruction, ten years after its closure (the whole partition is deleted)', async () => {
    const { p, token } = await patientWithSession(api, doctor);
    await deposit(api, doctor, p.dmpId, { contentType: 'text/plain' }, text('Compte rendu de coloscopie.'));
    await indexNow();
    expect((await indexItems(p.dmpId)).length).toBeGreaterThan(0);
    expect((await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token })).status).toBe(200);
    const run = await api.runJob('retention', new Date(Date.now() + 11 * 366 * 86_400_000).toISOString());
    expect(run.body.result).toMatchObject({ destroyed: 1 });
    expect(await indexItems(p.dmpId)).toEqual([]);
    // The record's key is gone: the index has nothing to open.
    expect(await index.postings(p.dmpId, 'coloscopi')).toEqual([]);
  });
});

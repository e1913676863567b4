/**
 * No document title or content in clear at rest, in logs or in messages: deposit documents with
 * unique canary titles and contents — by a professional and by the patient, with labels, new
 * versions, several chunks, a uniqueId, a break-glass reason — then search every attribute of
 * the raw table (bytes read as UTF-8 and Latin-1 too), everything the service logged, and every
 * SMS and professional message. Search words of titles are keyed tokens, per record. Nor the
 * facts of care of a document in clear in any document item: its type and class codes, its
 * service date, its content's type, its author's profession and id (they are sealed, and still
 * answer as deposited).
 */
import { createHash } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { searchWords } from '../../functions/domain/documents.ts';
import { documentType } from '../../functions/domain/reference-data.ts';
import { canary, randomRpps } from '../support/fixtures.ts';
import { failNext } from '../support/faults.ts';
import { documentBody, listIds, professionalMessages } from '../support/documents.ts';
import { newPatient, patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';
import { captureOutput } from '../support/output.ts';

let api: TestApi;
const logged: string[] = [];
let dmpId: string;
let otherDmpId: string;
let mobile: string;
let attendingId: string;
const ids: Record<string, string> = {};

const planted = {
  proTitle: canary('TitrePro'),
  proContent: canary('ContenuPro'),
  hiddenTitle: canary('TitreCache'),
  hiddenContent: canary('ContenuCache'),
  bigTitle: canary('TitreGros'),
  bigContent: canary('ContenuGros'),
  v2Title: canary('TitreVersion'),
  v2Content: canary('ContenuVersion'),
  patientTitle: canary('TitrePatient'),
  patientContent: canary('ContenuPatient'),
  refusedTitle: canary('TitreRefuse'),
  refusedContent: canary('ContenuRefuse'),
  failedReadTitle: canary('TitreLu'),
  failedReadContent: canary('ContenuLu'),
  reason: canary('Motif'),
  uniqueId: canary('Uid'),
  /** A word of a title, searched for: its keyed token is stored, never the word. */
  word: canary('Mot'),
  /** The same word in titles of two records. */
  shared: canary('Partage'),
};
/** Plain words of titles and contents (no canary): not found in clear either. */
const plainWords = ['Échographie', 'abdominale', 'hémoglobine', 'glycémie', 'Directives', 'anticipées', 'Amoxicilline'];
const submittedContents: string[] = [];
/** What each deposit said of its document's care, and who deposited it (a profession code, or the patient). */
const deposited: { name: string; typeCode: string; serviceDate: string; contentType: string; record: string; author: string }[] = [];
/** Each author's profession code (none for the patient). */
const professionOf: Record<string, string | undefined> = {};
/** The professional authors' ids. */
const authorIds: string[] = [];

const text = (s: string) => Buffer.from(s, 'utf8');
const docs = (d = dmpId) => `/v1/records/${d}/documents`;

beforeAll(async () => {
  api = await startTestApi({ logLevel: 'DEBUG' });
  const restoreOutput = captureOutput(logged);
  try {
    authorIds.push(randomRpps(), randomRpps());
    const doctor = await api.professional({ professionalId: authorIds[0] });
    // A dentist deposits a prescription: another profession code, another class.
    const dentist = await api.professional({ professionalId: authorIds[1], profession: '40' });
    const { p, token } = await patientWithSession(api, doctor);
    professionOf[doctor] = '10';
    professionOf[dentist] = '40';
    professionOf[token] = undefined;
    dmpId = p.dmpId;
    mobile = p.mobile;
    otherDmpId = (await newPatient(api, doctor)).dmpId;
    attendingId = randomRpps();
    expect((await api.call('PUT', `/v1/records/${dmpId}/professionals/${attendingId}`, { token, body: { status: 'authorized', attendingPhysician: true } })).status).toBe(200);

    const put = async (name: string, who: string, extra: Record<string, unknown>, content: Buffer, headers: Record<string, string> = {}, record = dmpId) => {
      // Each deposit on a service date of its own, long past (no deposit or trace date is near it).
      const body = documentBody(
        { contentType: 'text/plain', serviceDate: `20${String(10 + deposited.length).padStart(2, '0')}-0${(deposited.length % 9) + 1}-1${deposited.length % 10}`, ...extra },
        content,
      );
      submittedContents.push(body.content);
      const res = await api.call('POST', docs(record), { token: who, body, headers });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
      ids[name] = res.body.documentId;
      deposited.push({ name, typeCode: body.typeCode, serviceDate: body.serviceDate, contentType: body.contentType, record, author: who });
    };
    // A professional's report, with a uniqueId and an Idempotency-Key (its answer is kept, sealed).
    await put(
      'pro',
      doctor,
      { title: `Échographie abdominale ${planted.proTitle} ${planted.word}`, uniqueId: planted.uniqueId },
      text(`Compte rendu : ${planted.proContent}. Foie normal, hémoglobine 13,2 g/dl.`),
      { 'Idempotency-Key': 'at-rest-documents-1' },
    );
    // Hidden from the patient until the announcement consultation.
    await put(
      'hidden',
      doctor,
      { typeCode: '18748-4', contentType: 'image/tiff', title: `Résultat ${planted.hiddenTitle}`, visibility: { invisibleToPatient: true } },
      text(`Glycémie ${planted.hiddenContent} élevée`),
    );
    // Several chunks, a canary in each, one across the first chunk boundary (350 000 bytes).
    const big = Buffer.alloc(1_000_000, 'Ligne de texte clinique sans objet particulier. ');
    for (const offset of [10, 349_990, 700_000, 999_000]) text(planted.bigContent).copy(big, offset);
    await put('big', doctor, { typeCode: '34874-8', title: `Dossier ${planted.bigTitle}` }, big);
    await put('dentist', dentist, { typeCode: '57833-6', title: 'Ordonnance' }, text('Amoxicilline'));
    // A new version of the report.
    await put('v2', doctor, { title: `Échographie abdominale ${planted.v2Title}`, replaces: ids.pro }, text(`Version corrigée ${planted.v2Content}`));
    // The patient's own document, then the patient masks the report's new version.
    await put('patient', token, { typeCode: 'EXPPAT_3', title: `Directives anticipées ${planted.patientTitle}` }, text(`Je soussigné ${planted.patientContent}`));
    expect((await api.call('PATCH', `${docs()}/${ids.v2}`, { token, body: { maskedToProfessionals: true } })).status).toBe(200);
    expect((await api.call('PATCH', `${docs()}/${ids.patient}`, { token, body: { archived: true } })).status).toBe(200);
    // The same word in a title of each record.
    await put('sharedHere', doctor, { title: planted.shared }, text('a'));
    await put('sharedThere', doctor, { title: planted.shared }, text('b'), {}, otherDmpId);

    // An emergency access whose reason is a canary, and its reads.
    const urgentist = await api.professional();
    expect((await api.call('POST', `/v1/records/${dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: `Inconscient ${planted.reason}` } })).status).toBe(200);
    for (const id of [ids.big, ids.hidden]) expect((await api.call('GET', `${docs()}/${id}`, { token: urgentist })).status).toBe(200);
    // The report's first version is masked with its new version: not for the urgentist, for its author.
    expect((await api.call('GET', `${docs()}/${ids.pro}`, { token: urgentist })).status).toBe(404);
    expect((await api.call('GET', `${docs()}/${ids.pro}`, { token: doctor })).status).toBe(200);
    expect((await api.call('GET', `${docs()}/${ids.patient}`, { token })).status).toBe(200);
    expect(await listIds(api, token, dmpId, `?q=${encodeURIComponent(planted.word)}&status=all`)).toEqual([ids.pro]);

    // Refused and failing requests log too: make some.
    const refused = documentBody(
      { title: planted.refusedTitle, contentType: 'text/plain', visibility: { invisibleToPatient: true, maskedToProfessionals: true } },
      text(planted.refusedContent),
    );
    expect((await api.call('POST', docs(), { token: doctor, body: refused })).status).toBe(422);
    expect((await api.call('POST', docs(), { token: doctor, body: { ...refused, visibility: undefined, content: `${refused.content}!` } })).status).toBe(400);
    await put('failedRead', doctor, { title: planted.failedReadTitle }, text(planted.failedReadContent));
    await listIds(api, doctor, dmpId);
    const restore = failNext(api.runtime.deps.db, 'PutItemCommand');
    const failed = await api.call('GET', `${docs()}/${ids.failedRead}`, { token: doctor });
    restore();
    expect(failed.status).toBe(503);

    await api.runJob('outbox');
    await api.runJob('visibility', new Date(Date.now() + 15 * 86_400_000).toISOString());
    await api.runJob('outbox', new Date(Date.now() + 15 * 86_400_000).toISOString());
  } finally {
    restoreOutput();
  }
});
afterAll(() => api?.stop());

/** Every way a value could show: text, numbers, bytes read as UTF-8 and Latin-1. */
const renderings = (value: any): string[] => {
  if (value === null || typeof value !== 'object') return [String(value)];
  if (value instanceof Uint8Array) return [Buffer.from(value).toString('utf8'), Buffer.from(value).toString('latin1')];
  return Object.values(value).flatMap(renderings);
};

/** Canaries as planted, and as the keyword search folds them (lower case, no accents). */
const needles = (): string[] => {
  const values = [...Object.values(planted), ...plainWords];
  const folded = values.flatMap((v) => searchWords(v));
  return [...new Set([...values, ...folded, ...submittedContents.filter((c) => c.length < 400)])];
};

const mine = async (d = dmpId) => (await api.scanAll()).filter((i) => i.pk?.S === `REC#${d}`);

describe('nothing of a document in clear at rest', () => {
  it('the raw table holds no title, content, uniqueId, search word or emergency reason, in any attribute or key', async () => {
    const items = await api.scanAll();
    // The scan did see this record's documents, chunks and emergency access.
    const here = items.filter((i) => i.pk?.S === `REC#${dmpId}`);
    expect(here.filter((i) => i.sk.S.startsWith('DOC#')).length).toBeGreaterThanOrEqual(7);
    expect(here.some((i) => i.sk.S.endsWith('#EMERGENCY'))).toBe(true);
    const haystack = items.flatMap(renderings).join('\n');
    const lower = haystack.toLowerCase();
    for (const needle of needles()) {
      expect(haystack, needle).not.toContain(needle);
      expect(lower, needle).not.toContain(needle.toLowerCase());
    }
  });

  it('titles and the emergency reason are sealed bytes; no title attribute is text', async () => {
    const items = await mine();
    const documents = items.filter((i) => i.sk.S.startsWith('DOC#'));
    for (const doc of documents) {
      expect(doc.title?.B).toBeInstanceOf(Uint8Array);
      expect(doc.title.S).toBeUndefined();
    }
    const emergency = items.find((i) => i.sk.S.endsWith('#EMERGENCY'))!;
    expect(emergency.reason?.B).toBeInstanceOf(Uint8Array);
  });

  it('CHUNK items hold binary only: their keys and one sealed content', async () => {
    const chunks = (await mine()).filter((i) => i.sk.S.startsWith('CHUNK#'));
    expect(chunks.filter((c) => c.sk.S.startsWith(`CHUNK#${ids.big}#`))).toHaveLength(3);
    for (const chunk of chunks) {
      expect(Object.keys(chunk).sort()).toEqual(['content', 'pk', 'sk']);
      expect(Object.keys(chunk.content)).toEqual(['B']);
      expect(chunk.content.B).toBeInstanceOf(Uint8Array);
    }
  });

  it('search words are stored as keyed tokens: not the words, not their plain hashes', async () => {
    const documents = (await mine()).filter((i) => i.sk.S.startsWith('DOC#'));
    const tokens = documents.flatMap((d) => d.titleTokens?.SS ?? []) as string[];
    expect(tokens.length).toBeGreaterThan(10);
    const words = needles().flatMap((n) => searchWords(n));
    const plainHashes = words.flatMap((w) => [createHash('sha256').update(w).digest('base64url').slice(0, 16), createHash('sha256').update(w).digest('hex').slice(0, 16)]);
    for (const token of tokens) {
      expect(token).toMatch(/^[A-Za-z0-9_-]{16}$/);
      expect(words).not.toContain(token.toLowerCase());
      expect(plainHashes).not.toContain(token);
    }
  });

  it('the same word has different tokens in two records (keyed per record), yet each record finds it', async () => {
    const here = (await mine()).find((i) => i.sk.S === `DOC#${ids.sharedHere}`)!;
    const there = (await mine(otherDmpId)).find((i) => i.sk.S === `DOC#${ids.sharedThere}`)!;
    expect(here.titleTokens.SS).toHaveLength(1);
    expect(there.titleTokens.SS).toHaveLength(1);
    expect(here.titleTokens.SS[0]).not.toBe(there.titleTokens.SS[0]);
    const doctor = await api.professional();
    expect((await api.call('POST', `/v1/records/${dmpId}/access`, { token: doctor, body: { mode: 'normal', patientConsent: true } })).status).toBe(200);
    expect((await api.call('POST', `/v1/records/${otherDmpId}/access`, { token: doctor, body: { mode: 'normal', patientConsent: true } })).status).toBe(200);
    expect(await listIds(api, doctor, dmpId, `?q=${planted.shared}`)).toEqual([ids.sharedHere]);
    expect(await listIds(api, doctor, otherDmpId, `?q=${planted.shared}`)).toEqual([ids.sharedThere]);
  });
});

/** The facts of care the deposits gave: type codes, their class codes, service dates, the authors' professions. */
const factsOfCare = () => {
  const typeCodes = [...new Set(deposited.map((d) => d.typeCode))];
  const classCodes = [...new Set(typeCodes.map((t) => documentType(t)!.classCode))];
  const serviceDates = [...new Set(deposited.map((d) => d.serviceDate))];
  const professions = [...new Set(deposited.flatMap((d) => professionOf[d.author] ?? []))];
  const contentTypes = [...new Set(deposited.map((d) => d.contentType))];
  return { typeCodes, classCodes, serviceDates, professions, contentTypes };
};

/** What a document's metadata item may hold besides its sealed `facts` and `title`: keys, ids, counts, status, labels, dates, keyed title tokens. */
const CLEAR_DOCUMENT_ATTRIBUTES = new Set([
  ...['pk', 'sk', 'gsi1pk', 'gsi1sk', 'documentId', 'setId', 'replaces', 'earlier', 'version', 'revision', 'size', 'chunks', 'status'],
  ...['maskedToProfessionals', 'invisibleToPatient', 'invisibleToRepresentatives', 'depositedAt', 'deletedAt', 'visibilityStep', 'titleTokens', 'facts', 'title'],
]);
/** Attributes that hold counts (sizes, versions, revisions), not codes. */
const COUNTS = new Set(['version', 'size', 'chunks', 'revision']);
/** Every value of an item a reader sees without the key: strings and numbers, keys included, whole and cut at separators. */
const clearPieces = (item: Record<string, any>): string[] =>
  Object.entries(item).flatMap(([name, v]) => {
    const values: string[] = v.S !== undefined ? [v.S] : v.SS ? v.SS : v.N !== undefined && !COUNTS.has(name) ? [v.N] : v.NS ? v.NS : v.L || v.M ? renderings(v) : [];
    // Split at the keys' separators, not at ':' — an instant stays whole, so its minutes and seconds
    // ("…T20:40:…") are not taken for a two-digit code.
    return values.flatMap((x) => [x, ...x.split(/[#@|/,;=\s]+/)]);
  });
const documentItems = async () => (await api.scanAll()).filter((i) => /^(DOC|DOCUID|CHUNK|UPLOAD)#/.test(i.sk?.S ?? ''));

describe('the facts of care of a document are sealed', () => {
  it('no document item holds a deposited type code, class code, service date, content type, author profession or author id in clear, in any attribute or key', async () => {
    const items = await documentItems();
    const facts = factsOfCare();
    // The deposits did give varied facts, and the scan saw every document they made.
    expect(facts.typeCodes.length).toBeGreaterThanOrEqual(5);
    expect(facts.classCodes.length).toBeGreaterThanOrEqual(4);
    expect(facts.serviceDates).toHaveLength(deposited.length);
    expect(facts.professions.sort()).toEqual(['10', '40']);
    expect(facts.contentTypes.sort()).toEqual(['image/tiff', 'text/plain']);
    const documentIds = items.filter((i) => i.sk.S.startsWith('DOC#')).map((i) => i.documentId?.S);
    expect(documentIds).toEqual(expect.arrayContaining(Object.values(ids)));

    const exact = [...facts.typeCodes, ...facts.classCodes, ...facts.serviceDates, ...facts.professions, ...facts.contentTypes, ...authorIds];
    // Long enough to search inside any value, bytes too (a date also without its dashes).
    const inside = [...facts.typeCodes, ...facts.serviceDates, ...facts.serviceDates.map((d) => d.replaceAll('-', '')), ...facts.contentTypes, ...authorIds];
    for (const item of items) {
      const where = `${item.pk.S} ${item.sk.S}`;
      for (const name of ['typeCode', 'classCode', 'serviceDate', 'authorProfession', 'contentType', 'authorKind', 'authorId']) expect(item, where).not.toHaveProperty(name);
      const pieces = clearPieces(item);
      for (const fact of exact) expect(pieces, `${fact} in clear in ${where}`).not.toContain(fact);
      const rendered = renderings(item).join('\n');
      for (const fact of inside) expect(rendered, `${fact} in ${where}`).not.toContain(fact);
    }
  });

  it('every version’s item carries its facts sealed, in bytes, and in clear only ids, counts, status, labels, dates and keyed tokens', async () => {
    const documents = (await documentItems()).filter((i) => i.sk.S.startsWith('DOC#'));
    expect(documents.length).toBeGreaterThanOrEqual(deposited.length);
    for (const doc of documents) {
      expect(doc.facts?.B).toBeInstanceOf(Uint8Array);
      expect(doc.facts.S).toBeUndefined();
      expect(
        Object.keys(doc).filter((name) => !CLEAR_DOCUMENT_ATTRIBUTES.has(name)),
        doc.sk.S,
      ).toEqual([]);
    }
  });

  it('the sealed facts answer as deposited: read, listed, and filtered by type after opening', async () => {
    // The attending physician: every document of the record, masked ones too, is his to read.
    const doctor = await api.professional({ professionalId: attendingId });
    const listed = await api.call('GET', `${docs()}?status=all&limit=100`, { token: doctor });
    expect(listed.status).toBe(200);
    const byId = new Map((listed.body.items as any[]).map((i) => [i.documentId, i]));
    const here = deposited.filter((d) => d.record === dmpId);
    expect(here.length).toBeGreaterThanOrEqual(8);
    for (const d of here) {
      const profession = professionOf[d.author];
      const expected = {
        typeCode: d.typeCode,
        classCode: documentType(d.typeCode)!.classCode,
        serviceDate: d.serviceDate,
        contentType: d.contentType,
        author: profession ? expect.objectContaining({ kind: 'professional', profession }) : { kind: 'patient', id: dmpId },
      };
      expect(byId.get(ids[d.name]), d.name).toMatchObject(expected);
      const read = await api.call('GET', `${docs()}/${ids[d.name]}`, { token: doctor });
      expect(read.status, d.name).toBe(200);
      expect(read.body, d.name).toMatchObject(expected);
    }
    // The patient's own document carries no profession.
    expect(byId.get(ids.patient)).toMatchObject({ typeCode: 'EXPPAT_3', classCode: '90' });
    expect(byId.get(ids.patient).author).toEqual({ kind: 'patient', id: dmpId });
    // The type filter, applied once the facts are opened.
    expect(await listIds(api, doctor, dmpId, '?typeCode=34874-8&status=all')).toEqual([ids.big]);
    expect(await listIds(api, doctor, dmpId, '?typeCode=57833-6')).toEqual([ids.dentist]);
    expect(await listIds(api, doctor, dmpId, '?typeCode=60591-5')).toEqual([]);
  });
});

describe('nothing of a document in logs or messages', () => {
  it('the logs hold no title, content or reason, yet the service did log its requests and its failure', () => {
    const all = logged.join('');
    expect(all).toContain('"route":"depositDocument"');
    expect(all).toContain('request failed');
    const lower = all.toLowerCase();
    for (const needle of needles()) expect(lower, needle).not.toContain(needle.toLowerCase());
  });

  it('the SMS to the patient and the messages to the attending physician name no document', async () => {
    const sms = await api.sms(mobile);
    expect(sms.some((m) => m.message.includes('en urgence'))).toBe(true);
    expect(sms.some((m) => m.message.includes('nouveau document'))).toBe(true);
    const toAttending = await professionalMessages(api, attendingId);
    expect(toAttending.length).toBeGreaterThan(0);
    const all = [...sms, ...toAttending]
      .map((m) => m.message)
      .join('\n')
      .toLowerCase();
    for (const needle of needles()) expect(all, needle).not.toContain(needle.toLowerCase());
  });
});

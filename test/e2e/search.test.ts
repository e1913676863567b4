/**
 * The keyword search over HTTP (GET …/search), on records indexed by the index job (drained with
 * POST /_local/jobs/search-index): a word of a document's body, a claims label, an allergy and a
 * vaccine name are each found by the professionals and the patient who may read them, and never
 * by anyone else (a professional without authorization, a blocked one, one whose profession the
 * matrix excludes, a non-attending professional once the patient masked a document, a
 * representative for a line a minor keeps confidential, the patient for a document hidden from
 * them); several words, phrases side by side first, pages, refusals of bad input, and traces.
 *
 * The words are canaries (letters and digits: the index keeps them whole), unique to each run.
 */
import { GetItemCommand, UpdateItemCommand } from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { keyItem, keys } from '../../functions/adapters/table.ts';
import { accessLog, deposit } from '../support/documents.ts';
import { batchId, daysAgo, medicationLine, pushBatch } from '../support/claims.ts';
import { adultIdentity, canary, minorBirthDate, randomMobile, randomRpps, recordBody } from '../support/fixtures.ts';
import { profileBody, writeOnCurrent } from '../support/health.ts';
import { recordCalls } from '../support/faults.ts';
import { activeSession, newPatient } from '../support/patients.ts';
import { searchRecord } from '../support/search.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctorId: string;
let doctor: string;
let insurer: string;
beforeAll(async () => {
  api = await startTestApi();
  doctorId = randomRpps();
  doctor = await api.professional({ professionalId: doctorId });
  insurer = await api.insurer();
});
afterAll(() => api?.stop());

const search = (dmpId: string, token: string, query: string) => searchRecord(api, dmpId, token, query);
const q = (text: string, extra = '') => `q=${encodeURIComponent(text)}${extra}`;
/** The ids a caller finds for a query (and the answer was a 200). */
const found = async (dmpId: string, token: string, text: string, extra = ''): Promise<string[]> => {
  const res = await search(dmpId, token, q(text, extra));
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res.body.items.map((i) => i.id);
};
const indexed = async () => {
  const res = await api.runJob('search-index');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};
const text = (s: string) => ({ contentType: 'text/plain', content: Buffer.from(s, 'utf8').toString('base64') });

const authorize = async (dmpId: string, token: string, professionalId: string, decision: Record<string, unknown> = { status: 'authorized' }) => {
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: decision });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

/** A professional of a profession, and its id. */
const pro = async (profession?: string) => {
  const id = randomRpps();
  return { id, token: await api.professional({ professionalId: id, ...(profession ? { profession } : {}) }) };
};

/**
 * A record with, deposited or recorded by the doctor (authorised by the creation's consent): two
 * text documents (a lab report 20 days old holding `body`, `alpha` `beta` side by side; a newer
 * one holding `beta` then `alpha` apart), a document to be masked, one hidden from the patient; a
 * claims line; an allergy in the profile (written by the patient); a vaccination. Professionals:
 * a second doctor, a nurse (60: no class 60), a physiotherapist (70: no 45, 60, 90), a dietitian
 * (80: classes 11 and 42 only), all authorised; a doctor never authorised; a doctor blocked.
 */
const fullRecord = async () => {
  const w = {
    body: canary('Body'),
    alpha: canary('Alpha'),
    beta: canary('Beta'),
    masked: canary('Masked'),
    hidden: canary('Hidden'),
    claim: canary('Claim'),
    allergy: canary('Allergy'),
    vaccine: canary('Vaccine'),
  };
  const p = await newPatient(api, doctor);
  const docA = await deposit(api, doctor, p.dmpId, {
    title: `Compte rendu ${w.body}`,
    serviceDate: daysAgo(20),
    ...text(`Compte rendu : ${w.body} ; examen ${w.alpha} ${w.beta} sans particularité.`),
  });
  const docB = await deposit(api, doctor, p.dmpId, { title: 'Lettre', serviceDate: daysAgo(5), ...text(`Lettre : ${w.beta} puis, plus tard, ${w.alpha}.`) });
  const docMasked = await deposit(api, doctor, p.dmpId, { title: 'Consultation', serviceDate: daysAgo(8), ...text(`Consultation ${w.masked}.`) });
  const docHidden = await deposit(api, doctor, p.dmpId, {
    title: 'Résultat à annoncer',
    serviceDate: daysAgo(3),
    visibility: { invisibleToPatient: true },
    ...text(`Résultat ${w.hidden}.`),
  });
  const line = medicationLine({ date: daysAgo(12), display: `AMOXICILLINE ${w.claim}` });
  expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins: p.ins, lines: [line] }] })).body.lines.accepted).toBe(1);
  const { token } = await activeSession(api, p);
  const written = await writeOnCurrent(api, p.dmpId, token, () =>
    profileBody({ allergies: [{ substance: `Pénicilline ${w.allergy}`, category: 'medication', criticality: 'high' }] }),
  );
  expect(written.status, JSON.stringify(written.body)).toBe(200);
  const allergyId = written.body.allergies[0].id as string;
  const vaccination = await api.call('POST', `/v1/records/${p.dmpId}/vaccinations`, {
    token: doctor,
    body: { date: daysAgo(30), vaccine: { name: `Revaxis ${w.vaccine}`, codeSystem: 'ATC_VALENCE', code: 'J07CA01' }, lotNumber: 'N-77/2', doseNumber: 1 },
  });
  expect(vaccination.status, JSON.stringify(vaccination.body)).toBe(201);

  const [doctor2, nurse, physio, dietitian, stranger, blocked] = await Promise.all([pro(), pro('60'), pro('70'), pro('80'), pro(), pro()]);
  for (const x of [doctor2, nurse, physio, dietitian, blocked]) await authorize(p.dmpId, token, x.id);
  await authorize(p.dmpId, token, blocked.id, { status: 'blocked' });
  await indexed();
  return { p, token, w, docA, docB, docMasked, docHidden, allergyId, vaccinationId: vaccination.body.id as string, doctor2, nurse, physio, dietitian, stranger, blocked };
};

let r: Awaited<ReturnType<typeof fullRecord>>;
beforeAll(async () => {
  r = await fullRecord();
}, 120_000);

describe('GET /v1/records/{dmpId}/search: who finds what', () => {
  it('a word of a document’s body: the patient and the professionals whose profession reads the document; not the dietitian, the stranger, the blocked', async () => {
    for (const token of [r.token, doctor, r.doctor2.token, r.nurse.token, r.physio.token]) expect(await found(r.p.dmpId, token, r.w.body)).toEqual([r.docA]);
    const hit = (await search(r.p.dmpId, r.token, q(r.w.body))).body.items[0];
    expect(hit).toMatchObject({ kind: 'document', id: r.docA, date: daysAgo(20), title: `Compte rendu ${r.w.body}` });
    expect(['title', 'text']).toContain(hit?.field);
    // The matrix: a dietitian reads classes 11 and 42, not a lab report.
    expect(await found(r.p.dmpId, r.dietitian.token, r.w.body)).toEqual([]);
    // Without authorization: the documents it deposited itself only (none).
    expect(await found(r.p.dmpId, r.stranger.token, r.w.body)).toEqual([]);
    const refused = await search(r.p.dmpId, r.blocked.token, q(r.w.body));
    expect(refused.status).toBe(403);
    expect(refused.headers.get('content-type')).toContain('application/problem+json');
    expect(JSON.stringify(refused.body)).not.toContain(r.docA);
  });

  it('a claims label: the patient and the doctors; not the nurse nor the physiotherapist (the matrix), nor the stranger', async () => {
    for (const token of [r.token, doctor, r.doctor2.token]) {
      const res = await search(r.p.dmpId, token, q(r.w.claim));
      expect(res.body.items).toEqual([expect.objectContaining({ kind: 'claim', date: daysAgo(12), title: `AMOXICILLINE ${r.w.claim}` })]);
    }
    for (const token of [r.nurse.token, r.physio.token, r.stranger.token]) expect(await found(r.p.dmpId, token, r.w.claim)).toEqual([]);
  });

  it('an allergy: the patient and every authorised profession (the profile is class 11); not the stranger', async () => {
    for (const token of [r.token, doctor, r.nurse.token, r.physio.token, r.dietitian.token]) {
      const res = await search(r.p.dmpId, token, q(r.w.allergy));
      expect(res.body.items).toEqual([expect.objectContaining({ kind: 'profile', title: `Pénicilline ${r.w.allergy}` })]);
      expect(res.body.items[0]?.id).toBe(r.allergyId);
    }
    expect(await found(r.p.dmpId, r.stranger.token, r.w.allergy)).toEqual([]);
    expect((await search(r.p.dmpId, r.blocked.token, q(r.w.allergy))).status).toBe(403);
  });

  it('a vaccine name: the patient, the doctor and the nurse; not the physiotherapist nor the dietitian (class 45), nor the stranger', async () => {
    for (const token of [r.token, doctor, r.nurse.token]) {
      expect((await search(r.p.dmpId, token, q(r.w.vaccine))).body.items).toEqual([
        expect.objectContaining({ kind: 'vaccination', id: r.vaccinationId, date: daysAgo(30), title: `Revaxis ${r.w.vaccine}` }),
      ]);
    }
    for (const token of [r.physio.token, r.dietitian.token, r.stranger.token]) expect(await found(r.p.dmpId, token, r.w.vaccine)).toEqual([]);
  });

  it('a document hidden from the patient: its author finds it, the patient does not', async () => {
    expect(await found(r.p.dmpId, doctor, r.w.hidden)).toEqual([r.docHidden]);
    expect(await found(r.p.dmpId, r.token, r.w.hidden)).toEqual([]);
  });

  it('a document the patient masks after it was indexed: gone for a non-attending professional at once; its author and the patient still find it', async () => {
    expect(await found(r.p.dmpId, r.doctor2.token, r.w.masked)).toEqual([r.docMasked]);
    const masked = await api.call('PATCH', `/v1/records/${r.p.dmpId}/documents/${r.docMasked}`, { token: r.token, body: { maskedToProfessionals: true } });
    expect(masked.status, JSON.stringify(masked.body)).toBe(200);
    // No indexing in between: the search weighs the document as it is now.
    expect(await found(r.p.dmpId, r.doctor2.token, r.w.masked)).toEqual([]);
    expect(await found(r.p.dmpId, r.nurse.token, r.w.masked)).toEqual([]);
    expect(await found(r.p.dmpId, doctor, r.w.masked)).toEqual([r.docMasked]);
    expect(await found(r.p.dmpId, r.token, r.w.masked)).toEqual([r.docMasked]);
  });

  it('a document deleted, or replaced by a new version, after it was indexed: the deleted one is found by no one at once, the replaced version never again', async () => {
    const gone = canary('Gone');
    const kept = canary('Kept');
    const deleted = await deposit(api, doctor, r.p.dmpId, { title: 'Compte rendu', serviceDate: daysAgo(2), ...text(`Examen ${gone}.`) });
    const replaced = await deposit(api, doctor, r.p.dmpId, { title: 'Ordonnance', serviceDate: daysAgo(2), ...text(`Ordonnance ${kept}.`) });
    await indexed();
    expect(await found(r.p.dmpId, r.token, gone)).toEqual([deleted]);
    expect(await found(r.p.dmpId, r.doctor2.token, kept)).toEqual([replaced]);
    const removed = await api.call('DELETE', `/v1/records/${r.p.dmpId}/documents/${deleted}`, { token: doctor });
    expect(removed.status, JSON.stringify(removed.body)).toBe(204);
    const replacing = await deposit(api, doctor, r.p.dmpId, { title: 'Ordonnance', serviceDate: daysAgo(1), replaces: replaced, ...text(`Ordonnance ${kept} modifiée.`) });
    // Whether or not the index job has run since (the runtime drains it every second): the search
    // weighs each version as it is now.
    for (const token of [r.token, doctor, r.doctor2.token]) {
      expect(await found(r.p.dmpId, token, gone)).toEqual([]);
      expect(await found(r.p.dmpId, token, kept)).not.toContain(replaced);
    }
    await indexed();
    for (const token of [r.token, doctor, r.doctor2.token]) expect(await found(r.p.dmpId, token, kept)).toEqual([replacing]);
  });

  it('a document masked then shown again: the non-attending professional finds it again, without indexing in between', async () => {
    const word = canary('Again');
    const doc = await deposit(api, doctor, r.p.dmpId, { title: 'Bilan', serviceDate: daysAgo(4), ...text(`Bilan ${word}.`) });
    await indexed();
    const patch = async (maskedToProfessionals: boolean) => {
      const res = await api.call('PATCH', `/v1/records/${r.p.dmpId}/documents/${doc}`, { token: r.token, body: { maskedToProfessionals } });
      expect(res.status, JSON.stringify(res.body)).toBe(200);
    };
    await patch(true);
    expect(await found(r.p.dmpId, r.doctor2.token, word)).toEqual([]);
    await patch(false);
    expect(await found(r.p.dmpId, r.doctor2.token, word)).toEqual([doc]);
  });

  it('a document masked by a writer that leaves no mark (an API older than the marks): the index job marks it, and the search weighs it as it is now from then on', async () => {
    const word = canary('Unmarked');
    const doc = await deposit(api, doctor, r.p.dmpId, { title: 'Bilan', serviceDate: daysAgo(4), ...text(`Bilan ${word}.`) });
    await indexed();
    expect(await found(r.p.dmpId, r.doctor2.token, word)).toEqual([doc]);
    const k = keys.document(r.p.dmpId, doc);
    // The change as the previous version of the documents store wrote it: labels and revision, no mark.
    await api.runtime.deps.db.send(
      new UpdateItemCommand({
        TableName: api.runtime.config.tableName,
        Key: keyItem(k),
        UpdateExpression: 'SET maskedToProfessionals = :t, revision = revision + :one',
        ExpressionAttributeValues: { ':t': { BOOL: true }, ':one': { N: '1' } },
      }),
    );
    await indexed();
    const mark = await api.runtime.deps.db.send(
      new GetItemCommand({ TableName: api.runtime.config.tableName, Key: keyItem(keys.documentChanged(r.p.dmpId, doc)), ConsistentRead: true }),
    );
    expect(mark.Item).toBeDefined();
    expect(await found(r.p.dmpId, r.doctor2.token, word)).toEqual([]);
    expect(await found(r.p.dmpId, doctor, word)).toEqual([doc]);
  });

  it('a line a minor keeps confidential: the minor’s professionals find it, the representative does not (nor learns it exists)', async () => {
    const mobile = randomMobile();
    const body = recordBody({
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
    });
    const created = await api.call('POST', '/v1/records', { token: doctor, body });
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    const rep = created.body.representatives[0];
    const minor = {
      dmpId: created.body.dmpId as string,
      representativeToken: (await activeSession(api, { dmpId: created.body.dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile })).token,
    };
    const ins = body.ins;
    const kept = canary('Kept');
    const open = canary('Open');
    const lines = [medicationLine({ confidential: true, display: `PILULE ${kept}` }), medicationLine({ confidential: false, display: `SIROP ${open}` })];
    expect((await pushBatch(api, insurer, { batchId: batchId(), patients: [{ ins, lines }] })).body.lines.accepted).toBe(2);
    await indexed();
    expect(await found(minor.dmpId, minor.representativeToken, open)).toHaveLength(1);
    const asRepresentative = await search(minor.dmpId, minor.representativeToken, q(kept));
    expect(asRepresentative.body).toEqual({ items: [], nextCursor: null });
    expect(await found(minor.dmpId, doctor, kept)).toHaveLength(1);
  });
});

describe('GET /v1/records/{dmpId}/search: words, phrases, pages', () => {
  it('several words: the items holding all of them', async () => {
    expect(await found(r.p.dmpId, r.token, `${r.w.body} ${r.w.alpha}`)).toEqual([r.docA]);
    expect(await found(r.p.dmpId, r.token, `${r.w.alpha} ${r.w.beta}`)).toEqual([r.docB, r.docA]);
    expect(await found(r.p.dmpId, r.token, `${r.w.body} ${r.w.claim}`)).toEqual([]);
  });

  it('a quoted phrase ranks first the items where its words stand side by side; without quotes, the newest first', async () => {
    expect(await found(r.p.dmpId, r.token, `"${r.w.alpha} ${r.w.beta}"`)).toEqual([r.docA, r.docB]);
    expect(await found(r.p.dmpId, r.token, `${r.w.alpha} ${r.w.beta}`)).toEqual([r.docB, r.docA]);
    // In the other order, neither stands side by side: newest first.
    expect(await found(r.p.dmpId, r.token, `"${r.w.beta} ${r.w.alpha}"`)).toEqual([r.docB, r.docA]);
  });

  it('pages with opaque cursors; an altered cursor is refused', async () => {
    const first = await search(r.p.dmpId, r.token, q(r.w.alpha, '&limit=1'));
    expect(first.body.items.map((i) => i.id)).toEqual([r.docB]);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const second = await search(r.p.dmpId, r.token, q(r.w.alpha, `&limit=1&cursor=${first.body.nextCursor}`));
    expect(second.body.items.map((i) => i.id)).toEqual([r.docA]);
    expect(second.body.nextCursor).toBeNull();
    const forged = await search(r.p.dmpId, r.token, q(r.w.alpha, `&cursor=${Buffer.from('DOC#x').toString('base64url')}`));
    expect(forged.status).toBe(400);
  });

  it('filters by kind and by day', async () => {
    expect(await found(r.p.dmpId, r.token, r.w.claim, '&kind=claim')).toHaveLength(1);
    expect(await found(r.p.dmpId, r.token, r.w.claim, '&kind=document,vaccination')).toEqual([]);
    expect(await found(r.p.dmpId, r.token, r.w.alpha, `&from=${daysAgo(10)}`)).toEqual([r.docB]);
    expect(await found(r.p.dmpId, r.token, r.w.alpha, `&from=${daysAgo(25)}&to=${daysAgo(15)}`)).toEqual([r.docA]);
  });

  it('reads the record and every word’s lists in one call once the record’s key is in memory, of the page’s unchanged documents only their change marks, and a line of the history not again', async () => {
    // A first search puts the record's key in the runtime's memory.
    expect(await found(r.p.dmpId, doctor, r.w.alpha)).toEqual([r.docB, r.docA]);
    const calls = recordCalls(api.runtime.deps.db);
    const documents = await found(r.p.dmpId, doctor, `${r.w.alpha} ${r.w.beta}`).finally(() => calls.stop());
    const lineCalls = recordCalls(api.runtime.deps.db);
    const lines = await search(r.p.dmpId, doctor, q(r.w.claim)).finally(() => lineCalls.stop());
    const words = calls.calls;
    const line = lineCalls.calls;
    expect(documents).toEqual([r.docB, r.docA]);
    expect(words.map((c) => c.command).sort()).toEqual(['BatchGetItemCommand', 'BatchGetItemCommand', 'PutItemCommand']);
    const [first, second] = words.filter((c) => c.command === 'BatchGetItemCommand').map((c) => Object.values(c.input.RequestItems)[0] as any);
    const firstKeys: string[] = first.Keys.map((k: any) => k.sk.S);
    // The record, its data key, the doctor's standing, the history's mask, and 8 lists a word.
    expect(firstKeys).toEqual(expect.arrayContaining(['META', 'KEY']));
    expect(firstKeys.filter((sk) => sk.startsWith('IDX#'))).toHaveLength(16);
    expect(first.ConsistentRead).toBe(true);
    // The page's two documents, unchanged since deposit: only their change marks are looked up (not
    // found), not the documents; their postings carry the facts their decision reads.
    expect(second.Keys.map((k: any) => k.sk.S).sort()).toEqual([`DOCCHANGED#${r.docA}`, `DOCCHANGED#${r.docB}`].sort());
    expect(Object.values(second.ExpressionAttributeNames).sort()).toEqual(
      ['sk', 'status', 'maskedToProfessionals', 'invisibleToPatient', 'invisibleToRepresentatives', 'facts', 'line', 'entry', 'profile'].sort(),
    );
    // A doctor's line of the history: the posting is shown, the line is not read again (only a representative's is).
    expect(lines.body.items).toEqual([expect.objectContaining({ kind: 'claim', date: daysAgo(12), title: `AMOXICILLINE ${r.w.claim}` })]);
    expect(line.map((c) => c.command).sort()).toEqual(['BatchGetItemCommand', 'PutItemCommand']);
  });

  it('every search is traced for the patient to read; a blocked professional’s refusal too', async () => {
    const log = await accessLog(api, r.token, r.p.dmpId);
    expect(log.filter((t) => t.action === 'record.keyword-search' && t.actor.id === doctorId).length).toBeGreaterThan(0);
    const refused = log.filter((t) => t.action === 'record.keyword-search' && t.actor.id === r.blocked.id);
    expect(refused).toEqual(expect.arrayContaining([expect.objectContaining({ outcome: 'refused', reason: 'blocked' })]));
  });
});

describe('GET /v1/records/{dmpId}/search: bad input', () => {
  it('refuses an empty or over-long query, too many words, wildcards only, unknown kinds, from after to, unknown fields: 400 problem documents', async () => {
    const many = Array.from({ length: 9 }, () => canary('W')).join(' ');
    for (const query of [
      'q=',
      q('x'.repeat(201)),
      q(many),
      q('*'),
      q('%'),
      q('?'),
      q(' * ? '),
      q(r.w.body, '&kind=secret'),
      q(r.w.body, '&kind=document,'),
      q(r.w.body, `&from=${daysAgo(1)}&to=${daysAgo(2)}`),
      q(r.w.body, '&sort=asc'),
      '',
    ]) {
      const res = await search(r.p.dmpId, r.token, query);
      expect(res.status, `${query}: ${JSON.stringify(res.body)}`).toBe(400);
      expect(res.headers.get('content-type')).toContain('application/problem+json');
    }
  });
});

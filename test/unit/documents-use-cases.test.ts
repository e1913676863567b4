/**
 * The documents use cases (functions/capabilities/documents/use-cases.ts) with in-memory fakes of
 * their ports (test/support/fakes.ts, fake-documents.ts): deposits and their rules, new versions,
 * idempotent replays and the guards that a block landing first trips; listings with their paging,
 * filters and the labels that hide documents; reads, their traces and the first access told to
 * the patient; label changes on the revision that was read; deletion by the author. The same
 * routes over HTTP, on the emulator: test/e2e/documents*.test.ts, hidden-documents.test.ts.
 */
import { randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { capability } from '../../functions/capabilities/documents/use-cases.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { noticeAt } from '../../functions/domain/documents.ts';
import { InvalidCursor } from '../../functions/domain/errors.ts';
import { withFakeDocuments } from '../support/fake-documents.ts';
import { fakeDeps, type SeedOptions } from '../support/fakes.ts';
import { adultIdentity, minorBirthDate } from '../support/fixtures.ts';
import { caller, type Input } from '../support/use-case-calls.ts';

type Professional = Extract<Actor, { kind: 'professional' }>;
const author: Professional = { kind: 'professional', id: '810000000020', profession: '10' };
const colleague: Professional = { kind: 'professional', id: '810000000021', profession: '10' };
const attending: Professional = { kind: 'professional', id: '810000000022', profession: '10' };
/** A physiotherapist (profession 70): no class 45 (vaccination) in the matrix. */
const physio: Professional = { kind: 'professional', id: '810000000023', profession: '70' };
const SECOND = 1000;

/** A lab report (class 10) with random content; `extra` overrides. */
const body = (extra: Record<string, unknown> = {}, content: Buffer = randomBytes(600)) => ({
  typeCode: '11502-2',
  title: 'Bilan sanguin de contrôle',
  serviceDate: '2026-11-20',
  contentType: 'application/pdf',
  content: content.toString('base64'),
  ...extra,
});

const setup = async (o: SeedOptions & { evaluate?: number } = {}) => {
  const f = fakeDeps();
  const deps = withFakeDocuments(f, { evaluate: o.evaluate });
  const call = caller(capability, deps);
  const seeded = await f.seed(o);
  const { dmpId } = seeded;
  /** A relation the patient decided, written as the access capability writes it. */
  const relate = (p: Professional, status: 'authorized' | 'blocked', attendingPhysician = false) =>
    f.world.authorizations.set(`${dmpId}|${p.id}`, { professionalId: p.id, status, attendingPhysician, since: f.clock.now().toISOString(), source: 'patient' });
  /** A deposit, one second after the previous one (document ids sort by deposit time). */
  const deposit = async (actor: Actor, extra: Record<string, unknown> = {}, input: Input = {}, content?: Buffer) => {
    f.clock.advance(SECOND);
    return call('depositDocument', actor, { params: { dmpId }, body: body(extra, content), ...input });
  };
  const depositOk = async (actor: Actor, extra: Record<string, unknown> = {}): Promise<string> => {
    const res = await deposit(actor, extra);
    expect(res.status, JSON.stringify(res)).toBe(201);
    return res.body.documentId as string;
  };
  const list = (actor: Actor, query: Record<string, string> = {}) => call('listDocuments', actor, { params: { dmpId }, query });
  const listIds = async (actor: Actor, query: Record<string, string> = {}): Promise<string[]> => {
    const res = await list(actor, query);
    expect(res.status, JSON.stringify(res)).toBe(200);
    return res.body.items.map((d: { documentId: string }) => d.documentId);
  };
  const read = (actor: Actor, documentId: string) => call('readDocument', actor, { params: { dmpId, documentId } });
  const update = (actor: Actor, documentId: string, change: Record<string, unknown>) => call('updateDocument', actor, { params: { dmpId, documentId }, body: change });
  const remove = (actor: Actor, documentId: string) => call('deleteDocument', actor, { params: { dmpId, documentId } });
  const stored = (documentId: string) => f.world.documents.get(`${dmpId}|${documentId}`);
  const traces = (action: string) => f.world.traces(dmpId).filter((t) => t.action === action);
  return { ...f, ...seeded, deps, call, relate, deposit, depositOk, list, listIds, read, update, remove, stored, traces };
};

describe('deposit', () => {
  it('by a professional, without authorization: the version committed whole, its facts and title sealed, traced', async () => {
    const t = await setup();
    const content = randomBytes(1500);
    const res = await t.deposit(author, {}, {}, content);
    expect(res).toMatchObject({ status: 201, body: { version: 1, status: 'current' } });
    const id = res.body.documentId as string;
    const doc = t.stored(id)!;
    expect(doc).toMatchObject({ version: 1, setId: id, earlier: [], status: 'current', size: 1500, chunks: 1, revision: 1 });
    expect(doc.visibilityStep).toBeUndefined();
    // The facts of care and the title are sealed, bound to their item: they open with the record's key only.
    expect(Buffer.from(doc.sealedTitle).toString('latin1')).not.toContain('Bilan');
    expect(Buffer.from(doc.sealedFacts).toString('latin1')).not.toContain('11502-2');
    const key = await t.deps.keyRing.unwrap(t.dmpId, t.world.record(t.dmpId).wrappedKey);
    expect(t.deps.documents.openDocument(key, doc)).toMatchObject({ typeCode: '11502-2', classCode: '10', author: { kind: 'professional', id: author.id, profession: '10' } });
    expect(t.deps.documents.openTitle(key, doc)).toBe('Bilan sanguin de contrôle');
    expect(() => t.deps.documents.openTitle(key, { ...doc, documentId: 'x'.repeat(25) })).toThrow();
    expect(await t.deps.documents.readContent(key, doc)).toEqual(content);
    expect(t.traces('document.deposit')).toMatchObject([{ actor: { kind: 'professional', id: author.id }, documentId: id, mode: 'normal', outcome: 'allowed' }]);
    // One transaction: the item, its chunk, the trace and the guards.
    expect(t.world.commits.at(-1)).toEqual(['document', 'upload', 'trace', 'record-active', 'not-blocked']);
  });

  it('by the patient: class 90 only, its author the record', async () => {
    const t = await setup();
    const res = await t.deposit(t.patient, { typeCode: 'DOCPAT01', title: 'Mes directives' });
    expect(res.status).toBe(201);
    const read = await t.read(t.patient, res.body.documentId);
    expect(read).toMatchObject({ status: 200, body: { classCode: '90', title: 'Mes directives', author: { kind: 'patient', id: t.dmpId } } });
    expect(await t.deposit(t.patient)).toMatchObject({ status: 422, code: 'patient-class' });
    expect(await t.deposit(t.patient, { typeCode: 'DOCPAT01', visibility: { invisibleToPatient: true } })).toMatchObject({ status: 403, code: 'label-not-yours' });
    // Another patient's record answers as none.
    const other = await t.seed();
    expect(await t.deposit(other.patient, { typeCode: 'DOCPAT01' })).toMatchObject({ status: 404 });
    expect(t.world.documents.size).toBe(1);
  });

  it('the class, type and label rules refuse a deposit and leave nothing', async () => {
    const t = await setup();
    expect(await t.deposit(author, { typeCode: 'DOCPAT01' })).toMatchObject({ status: 422, code: 'patient-class' });
    expect(await t.deposit(author, { typeCode: 'REMB' })).toMatchObject({ status: 422, code: 'reserved-class' });
    expect(await t.deposit(author, { typeCode: 'NOPE-1' })).toMatchObject({ status: 422, code: 'unknown-type-code' });
    expect(await t.deposit(author, { visibility: { maskedToProfessionals: true } })).toMatchObject({ status: 403, code: 'label-not-yours' });
    // An adult's record: no document is hidden from representatives.
    expect(await t.deposit(author, { visibility: { invisibleToRepresentatives: true } })).toMatchObject({ status: 422, code: 'not-a-minor' });
    expect(await t.deposit(t.patient, { typeCode: 'DOCPAT01', visibility: { invisibleToPatient: true, maskedToProfessionals: true } })).toMatchObject({
      status: 422,
      code: 'contradictory-labels',
    });
    expect(await t.deposit(author, { content: 'QUJD!===' })).toMatchObject({ status: 400 });
    t.relate(author, 'blocked');
    // Refusals of access are traced, one per professional, action and minute.
    t.clock.advance(60 * SECOND);
    expect(await t.deposit(author)).toMatchObject({ status: 403, code: 'blocked' });
    expect(t.world.documents.size).toBe(0);
    expect(t.world.chunks.size).toBe(0);
    expect(t.traces('document.deposit').map((x) => `${x.outcome} ${x.code}`)).toEqual(['refused label-not-yours', 'refused blocked']);
  });

  it('an idempotent replay answers the first response again; the same key with another body is refused', async () => {
    const t = await setup();
    const first = await t.deposit(author, { uniqueId: '1.2.250.1.1' }, { idempotencyKey: 'key-1' });
    expect(first.status).toBe(201);
    const again = await t.call('depositDocument', author, { params: { dmpId: t.dmpId }, body: body({ uniqueId: '1.2.250.1.1' }), idempotencyKey: 'key-1' });
    // The body is another (random content): refused, nothing written.
    expect(again).toMatchObject({ status: 422, code: 'idempotency-key-reused' });
    const b = body({ uniqueId: '1.2.250.1.2' });
    const one = await t.call('depositDocument', author, { params: { dmpId: t.dmpId }, body: b, idempotencyKey: 'key-2' });
    t.clock.advance(SECOND);
    const replay = await t.call('depositDocument', author, { params: { dmpId: t.dmpId }, body: b, idempotencyKey: 'key-2' });
    expect(replay).toMatchObject({ status: 201, body: one.body, headers: { 'Idempotent-Replayed': 'true' } });
    expect(t.world.documents.size).toBe(2);
    expect(t.traces('document.deposit')).toHaveLength(2);
    // Without a key, the uniqueId is what refuses a second deposit of one document.
    expect(await t.call('depositDocument', author, { params: { dmpId: t.dmpId }, body: b })).toMatchObject({ status: 409, code: 'document-exists' });
    expect(t.world.documents.size).toBe(2);
    expect(t.world.chunks.size).toBe(2);
  });

  it('hidden from the patient: queued for its notice, its trace hidden from the patient, absent from the patient’s list', async () => {
    const t = await setup();
    const id = await t.depositOk(author, { visibility: { invisibleToPatient: true } });
    expect(t.stored(id)).toMatchObject({
      labels: { invisibleToPatient: true, maskedToProfessionals: false },
      visibilityStep: { step: 'notice', at: noticeAt(t.clock.now()).toISOString() },
    });
    expect(t.traces('document.deposit')).toMatchObject([{ documentId: id, hiddenFrom: 'patient' }]);
    expect(await t.listIds(t.patient)).toEqual([]);
    expect(await t.listIds(author)).toEqual([id]);
  });

  it('a new version supersedes the previous one, inherits the patient’s mask, and its labels become every version’s', async () => {
    const t = await setup();
    const v1 = await t.depositOk(author);
    expect(await t.update(t.patient, v1, { maskedToProfessionals: true })).toMatchObject({ status: 200 });
    const second = await t.deposit(author, { replaces: v1, title: 'Bilan corrigé' });
    expect(second).toMatchObject({ status: 201, body: { version: 2 } });
    const v2 = second.body.documentId as string;
    expect(t.stored(v1)).toMatchObject({ status: 'superseded', labels: { maskedToProfessionals: true } });
    expect(t.stored(v2)).toMatchObject({ status: 'current', setId: v1, replaces: v1, earlier: [v1], labels: { maskedToProfessionals: true } });
    // The patient unmasks through the current version: every version follows.
    expect(await t.update(t.patient, v2, { maskedToProfessionals: false })).toMatchObject({ status: 200 });
    expect(t.stored(v1)?.labels.maskedToProfessionals).toBe(false);
    // The author hides v3 from the patient: v1 and v2 are hidden with it.
    const v3 = (await t.deposit(author, { replaces: v2, visibility: { invisibleToPatient: true } })).body.documentId as string;
    expect(t.stored(v3)).toMatchObject({ version: 3, earlier: [v1, v2] });
    for (const id of [v1, v2, v3]) expect(t.stored(id)?.labels.invisibleToPatient).toBe(true);
    expect(await t.listIds(t.patient, { status: 'all' })).toEqual([]);
    expect(await t.listIds(author, { status: 'all' })).toEqual([v3, v2, v1]);
    expect(await t.listIds(author)).toEqual([v3]);
    // A superseded version is replaced no more; another professional replaces nothing.
    expect(await t.deposit(author, { replaces: v1 })).toMatchObject({ status: 409, code: 'superseded' });
    t.relate(colleague, 'authorized');
    expect(await t.deposit(colleague, { replaces: v3 })).toMatchObject({ status: 403, code: 'not-author' });
    expect(await t.deposit(author, { replaces: 'a'.repeat(25) })).toMatchObject({ status: 404 });
    expect(t.world.documents.size).toBe(3);
  });

  it('the version to replace changed meanwhile: 409, nothing deposited', async () => {
    const t = await setup();
    const v1 = await t.depositOk(author);
    t.world.beforeNextCommit(() => {
      t.stored(v1)!.revision += 1;
    });
    expect(await t.deposit(author, { replaces: v1 })).toMatchObject({ status: 409, code: 'state-changed' });
    expect([...t.world.documents.keys()]).toEqual([`${t.dmpId}|${v1}`]);
    expect(t.stored(v1)?.status).toBe('current');
  });

  it('the professional blocked meanwhile: the block wins, the staged chunks are discarded, the refusal traced', async () => {
    const t = await setup();
    t.world.beforeNextCommit(() => t.relate(author, 'blocked'));
    // Two chunks: written ahead of the commit, under an upload intent.
    const res = await t.deposit(author, {}, {}, randomBytes(400_000));
    expect(res).toMatchObject({ status: 403, code: 'blocked' });
    expect(t.world.documents.size).toBe(0);
    expect(t.world.chunks.size).toBe(0);
    expect(t.world.uploads.size).toBe(0);
    expect(t.traces('document.deposit')).toMatchObject([{ outcome: 'refused', code: 'blocked' }]);
    // The record closed meanwhile: answered as no record.
    const u = await setup();
    u.world.beforeNextCommit(() => {
      u.world.record(u.dmpId).status = 'closed';
    });
    expect(await u.deposit(author)).toMatchObject({ status: 404 });
    expect(u.world.documents.size).toBe(0);
  });

  it('a content of several chunks is read back whole', async () => {
    const t = await setup();
    const content = randomBytes(800_000);
    const id = (await t.deposit(author, {}, {}, content)).body.documentId as string;
    expect(t.stored(id)).toMatchObject({ chunks: 3, size: 800_000 });
    expect(t.world.uploads.size).toBe(0);
    const read = await t.read(author, id);
    expect(Buffer.from(read.body.content, 'base64').equals(content)).toBe(true);
  });
});

describe('list', () => {
  it('pages newest first; a cursor only when more follows', async () => {
    const t = await setup();
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) ids.push(await t.depositOk(author));
    const newest = [...ids].reverse();
    const first = await t.list(author, { limit: '2' });
    expect(first.body.items.map((d: { documentId: string }) => d.documentId)).toEqual(newest.slice(0, 2));
    const second = await t.list(author, { limit: '2', cursor: first.body.nextCursor });
    expect(second.body.items.map((d: { documentId: string }) => d.documentId)).toEqual(newest.slice(2, 4));
    const last = await t.list(author, { limit: '2', cursor: second.body.nextCursor });
    expect(last.body).toMatchObject({ items: [{ documentId: newest[4] }], nextCursor: null });
    expect((await t.list(author, { limit: '5' })).body.nextCursor).toBeNull();
    // Another list's cursor is refused (the pipeline answers 400), never read as a key.
    await expect(t.list(author, { cursor: Buffer.from('TRACE#2026-11-24T10:00:00.000Z#aaaaaaaaaaaa').toString('base64url') })).rejects.toThrow(InvalidCursor);
  });

  it('reads on past the documents the caller does not see, page after page', async () => {
    const t = await setup({ evaluate: 2 });
    t.relate(colleague, 'authorized');
    const shown = await t.depositOk(author);
    for (let i = 0; i < 5; i++) await t.depositOk(author, { visibility: { invisibleToPatient: true } });
    const newer = await t.depositOk(author);
    expect(await t.listIds(t.patient, { limit: '1' })).toEqual([newer]);
    const page = await t.list(t.patient, { limit: '1' });
    // One more the patient sees follows, five hidden documents and two more Query pages later.
    const next = await t.list(t.patient, { limit: '1', cursor: page.body.nextCursor });
    expect(next.body).toEqual({ items: [expect.objectContaining({ documentId: shown })], nextCursor: null });
    expect(await t.listIds(colleague)).toHaveLength(7);
  });

  it('stops after eight Query pages: a page may hold nothing, its cursor goes on', async () => {
    const t = await setup({ evaluate: 1 });
    const shown = await t.depositOk(author);
    for (let i = 0; i < 9; i++) await t.depositOk(author, { visibility: { invisibleToPatient: true } });
    const first = await t.list(t.patient);
    expect(first.body.items).toEqual([]);
    expect(first.body.nextCursor).not.toBeNull();
    const next = await t.list(t.patient, { cursor: first.body.nextCursor });
    expect(next.body).toEqual({ items: [expect.objectContaining({ documentId: shown })], nextCursor: null });
  });

  it('filters by type, status, date and title words', async () => {
    const t = await setup();
    const lab = await t.depositOk(author);
    const report = await t.depositOk(author, { typeCode: '11488-4', title: 'Compte rendu de consultation', serviceDate: '2026-11-22' });
    expect(await t.listIds(author, { typeCode: '11488-4' })).toEqual([report]);
    expect(await t.listIds(author, { typeCode: '11502-2' })).toEqual([lab]);
    expect(await t.listIds(author, { q: 'BILAN controle' })).toEqual([lab]);
    expect(await t.listIds(author, { q: 'consultation' })).toEqual([report]);
    expect(await t.update(author, lab, { archived: true })).toMatchObject({ status: 200, body: { status: 'archived' } });
    expect(await t.listIds(author)).toEqual([report]);
    expect(await t.listIds(author, { status: 'archived' })).toEqual([lab]);
    expect(await t.listIds(author, { status: 'all' })).toEqual([report, lab]);
  });

  it('a masked document is hidden from professionals but the attending physician and its author; the matrix applies', async () => {
    const t = await setup();
    t.relate(colleague, 'authorized');
    t.relate(attending, 'authorized', true);
    t.relate(physio, 'authorized');
    const open = await t.depositOk(author);
    const masked = await t.depositOk(author);
    const vaccination = await t.depositOk(author, { typeCode: '11369-6', title: 'Vaccination' });
    expect(await t.update(t.patient, masked, { maskedToProfessionals: true })).toMatchObject({ status: 200 });
    expect(await t.listIds(colleague)).toEqual([vaccination, open]);
    expect(await t.listIds(attending)).toEqual([vaccination, masked, open]);
    expect(await t.listIds(author)).toEqual([vaccination, masked, open]);
    expect(await t.listIds(t.patient)).toEqual([vaccination, masked, open]);
    expect(await t.listIds(physio)).toEqual([open]);
    // Without authorization, a professional lists what it deposited only.
    const stranger: Professional = { kind: 'professional', id: '810000000029', profession: '10' };
    const own = await t.depositOk(stranger);
    expect(await t.listIds(stranger)).toEqual([own]);
    expect(await t.read(colleague, masked)).toMatchObject({ status: 404 });
  });

  it('invisible to the patient, or to representatives of a minor', async () => {
    const t = await setup({
      identity: { ...adultIdentity(), birthDate: minorBirthDate(new Date('2026-11-24')) },
      representatives: [{ familyName: 'Martin', givenNames: 'Anne', relationship: 'MTH' }],
    });
    const representative: Actor = { kind: 'representative', dmpId: t.dmpId, loginId: t.representatives[0]!.loginId, authenticatedAt: t.clock.now().getTime() };
    const shown = await t.depositOk(author);
    const fromPatient = await t.depositOk(author, { visibility: { invisibleToPatient: true } });
    const fromRepresentatives = await t.depositOk(author, { visibility: { invisibleToRepresentatives: true } });
    expect(await t.listIds(t.patient)).toEqual([fromRepresentatives, shown]);
    expect(await t.listIds(representative)).toEqual([shown]);
    expect(await t.listIds(author)).toEqual([fromRepresentatives, fromPatient, shown]);
    expect(await t.read(representative, fromRepresentatives)).toMatchObject({ status: 404 });
    expect(t.traces('document.deposit').map((x) => x.hiddenFrom)).toEqual([undefined, 'patient', 'representatives']);
    // Revealed to representatives by its author, for good.
    expect(await t.update(author, fromRepresentatives, { visibleToRepresentatives: true })).toMatchObject({ status: 200 });
    expect(await t.listIds(representative)).toEqual([fromRepresentatives, shown]);
  });

  it('every listing is traced with its mode; a refused one with its code', async () => {
    const t = await setup();
    t.relate(colleague, 'authorized');
    await t.listIds(t.patient);
    await t.listIds(colleague);
    t.relate(colleague, 'blocked');
    expect(await t.list(colleague)).toMatchObject({ status: 403, code: 'blocked' });
    expect(await t.list({ kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' })).toMatchObject({ status: 403 });
    expect(t.traces('document.list')).toMatchObject([
      { actor: { kind: 'patient' }, mode: 'normal', outcome: 'allowed' },
      { actor: { kind: 'professional', id: colleague.id }, mode: 'normal', outcome: 'allowed' },
      { actor: { kind: 'professional', id: colleague.id }, outcome: 'refused', code: 'blocked' },
    ]);
  });
});

describe('read', () => {
  it('returns the content, traced; a professional’s first access is told to the patient once', async () => {
    const t = await setup();
    t.relate(colleague, 'authorized');
    const content = randomBytes(2000);
    const id = (await t.deposit(author, {}, {}, content)).body.documentId as string;
    const res = await t.read(colleague, id);
    expect(res).toMatchObject({ status: 200, body: { documentId: id, title: 'Bilan sanguin de contrôle', size: 2000, contentType: 'application/pdf' } });
    expect(Buffer.from(res.body.content, 'base64').equals(content)).toBe(true);
    expect(t.world.seen.get(`${t.dmpId}|${colleague.id}`)).toBe(t.clock.now().toISOString());
    t.clock.advance(SECOND);
    expect((await t.read(colleague, id)).status).toBe(200);
    expect(t.world.notifications(t.dmpId).filter((n) => n.template === 'first-access')).toMatchObject([{ to: t.contact.mobile, channel: 'sms' }]);
    expect(t.traces('document.read')).toMatchObject([
      { actor: { id: colleague.id }, documentId: id, outcome: 'allowed' },
      { actor: { id: colleague.id }, documentId: id, outcome: 'allowed' },
    ]);
    // The patient reads too, traced, telling no one.
    expect((await t.read(t.patient, id)).status).toBe(200);
    expect(t.traces('document.read')).toHaveLength(3);
    expect(t.world.notifications(t.dmpId)).toHaveLength(1);
  });

  it('a document hidden from the caller or absent answers 404; the refusal of a professional traced with its id', async () => {
    const t = await setup();
    t.relate(colleague, 'authorized');
    const id = await t.depositOk(author, { visibility: { invisibleToPatient: true } });
    expect(await t.read(t.patient, id)).toMatchObject({ status: 404 });
    expect(await t.read(colleague, 'a'.repeat(25))).toMatchObject({ status: 404, code: 'not-found' });
    expect(await t.update(t.patient, id, { maskedToProfessionals: true })).toMatchObject({ status: 404 });
    const unauthorized: Professional = { kind: 'professional', id: '810000000030', profession: '10' };
    expect(await t.read(unauthorized, id)).toMatchObject({ status: 403 });
    expect(t.traces('document.read')).toMatchObject([{ actor: { id: unauthorized.id }, documentId: id, hiddenFrom: 'patient', outcome: 'refused' }]);
    expect(t.world.seen.size).toBe(0);
  });
});

describe('update labels', () => {
  it('the patient masks and unmasks, the author reveals and archives; each change traced', async () => {
    const t = await setup();
    const id = await t.depositOk(author, { visibility: { invisibleToPatient: true } });
    expect(await t.update(author, id, { maskedToProfessionals: true })).toMatchObject({ status: 403, code: 'label-not-yours' });
    expect(await t.update(author, id, { invisibleToPatient: false })).toMatchObject({ status: 200, body: { visibility: { invisibleToPatient: false } } });
    // Revealed: it leaves the visibility queue.
    expect(t.stored(id)).toMatchObject({ labels: { invisibleToPatient: false }, revision: 2, visibilityStep: undefined });
    expect(await t.update(t.patient, id, { maskedToProfessionals: true })).toMatchObject({ status: 200, body: { visibility: { maskedToProfessionals: true } } });
    expect(await t.update(author, id, { archived: true })).toMatchObject({ status: 200, body: { status: 'archived' } });
    expect(t.stored(id)).toMatchObject({ status: 'archived', revision: 4 });
    // Each hides the id from whom the document was hidden before it; the refusal too.
    expect(t.traces('document.update').map((x) => `${x.outcome} ${x.hiddenFrom}`)).toEqual(['refused patient', 'allowed patient', 'allowed undefined', 'allowed undefined']);
  });

  it('a change that lands first: 409, the labels as the other change left them', async () => {
    const t = await setup();
    const id = await t.depositOk(author);
    t.world.beforeNextCommit(() => {
      const doc = t.stored(id)!;
      doc.status = 'archived';
      doc.revision += 1;
    });
    expect(await t.update(t.patient, id, { maskedToProfessionals: true })).toMatchObject({ status: 409, code: 'state-changed' });
    expect(t.stored(id)).toMatchObject({ status: 'archived', labels: { maskedToProfessionals: false }, revision: 2 });
    expect(t.traces('document.update')).toEqual([]);
  });

  it('a superseded version’s labels change through the current one', async () => {
    const t = await setup();
    const v1 = await t.depositOk(author);
    await t.depositOk(author, { replaces: v1 });
    expect(await t.update(t.patient, v1, { maskedToProfessionals: true })).toMatchObject({ status: 409, code: 'superseded' });
    expect(t.stored(v1)?.labels.maskedToProfessionals).toBe(false);
  });
});

describe('delete', () => {
  it('by its author only: 204, every version leaves every list, the traces stay', async () => {
    const t = await setup();
    t.relate(colleague, 'authorized');
    const v1 = await t.depositOk(author);
    const v2 = await t.depositOk(author, { replaces: v1 });
    const other = await t.depositOk(author);
    expect(await t.remove(colleague, v2)).toMatchObject({ status: 403, code: 'not-author' });
    expect(await t.remove(t.patient, v2)).toMatchObject({ status: 403, code: 'not-author' });
    expect(await t.remove(author, v1)).toMatchObject({ status: 409, code: 'superseded' });
    expect(await t.remove(author, v2)).toEqual({ status: 204, headers: {} });
    expect(t.stored(v2)).toMatchObject({ status: 'deleted', deletedAt: t.clock.now().toISOString() });
    expect(t.stored(v1)).toMatchObject({ status: 'deleted', deletedAt: t.clock.now().toISOString() });
    for (const actor of [author, colleague, t.patient]) expect(await t.listIds(actor, { status: 'all' })).toEqual([other]);
    expect(await t.read(author, v2)).toMatchObject({ status: 404 });
    expect(await t.remove(author, v2)).toMatchObject({ status: 404 });
    expect(t.traces('document.delete')).toMatchObject([
      { actor: { id: colleague.id }, outcome: 'refused', code: 'not-author' },
      { actor: { id: author.id }, documentId: v2, outcome: 'allowed' },
      // Deleted, it is refused like any document the caller does not see.
      { actor: { id: author.id }, documentId: v2, outcome: 'refused', code: 'not-found' },
    ]);
    expect(t.traces('document.deposit').map((x) => x.documentId)).toEqual([v1, v2, other]);
    // The content stays with the record (the retention job purges it with the record).
    expect(t.world.chunks.size).toBe(3);
  });

  it('the patient deletes what the patient deposited', async () => {
    const t = await setup();
    const id = await t.depositOk(t.patient, { typeCode: 'DOCPAT01' });
    expect(await t.remove(t.patient, id)).toMatchObject({ status: 204 });
    expect(await t.listIds(t.patient)).toEqual([]);
    expect(t.traces('document.delete')).toMatchObject([{ actor: { kind: 'patient' }, documentId: id }]);
  });
});

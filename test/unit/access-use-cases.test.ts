/**
 * The access use cases (functions/capabilities/access/use-cases.ts) with in-memory fakes of their
 * ports (test/support/fakes.ts): the patient's list of professionals, accesses professionals
 * declare (consent, break-glass, regulation) with their traces, notifications and SMS caps, and
 * the access log with its paging and the documents hidden from its reader. The same routes over
 * HTTP, on the emulator: test/e2e/policy-model.test.ts, emergency-fan-out.test.ts,
 * hidden-documents.test.ts, blocked-access-log.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { capability } from '../../functions/capabilities/access/use-cases.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import type { DocumentLabels } from '../../functions/domain/access-policy.ts';
import { fakeDeps, type FakeDocument } from '../support/fakes.ts';
import { caller } from '../support/use-case-calls.ts';

const doctor: Extract<Actor, { kind: 'professional' }> = { kind: 'professional', id: '810000000010', profession: '10' };
const attending: Extract<Actor, { kind: 'professional' }> = { kind: 'professional', id: '810000000012', profession: '10' };
const regulator: Actor = { kind: 'professional', id: '810000000013', profession: '10', role: 'regulator' };
const agent: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };
const HOUR = 3_600_000;

/** A document's item as the access log reads it: only its labels matter here (the documents use cases are tested in documents-use-cases.test.ts). */
const documentItem = (documentId: string, labels: DocumentLabels): FakeDocument => ({
  documentId,
  version: 1,
  setId: documentId,
  earlier: [],
  status: 'current',
  labels,
  depositedAt: '2026-11-24T10:00:00.000Z',
  size: 0,
  chunks: 1,
  sealedFacts: new Uint8Array(),
  sealedTitle: new Uint8Array(),
  titleTokens: new Set(),
  revision: 1,
});

const setup = async () => {
  const f = fakeDeps();
  const call = caller(capability, f.deps);
  const seeded = await f.seed();
  const { dmpId, patient } = seeded;
  const decide = (professionalId: string, body: { status: 'authorized' | 'blocked'; attendingPhysician?: boolean }) =>
    call('decideProfessional', patient, { params: { dmpId, professionalId }, body });
  const declare = (actor: Actor, body: Record<string, unknown>) => call('declareAccess', actor, { params: { dmpId }, body });
  const log = (actor: Actor, query: Record<string, string> = {}) => call('accessLog', actor, { params: { dmpId }, query });
  const sms = () => f.world.notifications(dmpId).filter((n) => n.channel === 'sms');
  return { ...f, ...seeded, call, decide, declare, log, sms };
};

describe('the patient’s list of professionals', () => {
  it('authorises, names the attending physician, blocks and removes, each traced with the professional concerned', async () => {
    const t = await setup();
    const granted = await t.decide(doctor.id, { status: 'authorized', attendingPhysician: true });
    expect(granted).toMatchObject({ status: 200, body: { professionalId: doctor.id, status: 'authorized', attendingPhysician: true, since: t.clock.now().toISOString() } });
    const since = granted.body.since;
    t.clock.advance(HOUR);
    // The same status keeps its date.
    expect((await t.decide(doctor.id, { status: 'authorized', attendingPhysician: false })).body).toMatchObject({ attendingPhysician: false, since });
    expect(await t.call('listProfessionals', t.patient, { params: { dmpId: t.dmpId } })).toMatchObject({
      status: 200,
      body: { items: [{ professionalId: doctor.id, status: 'authorized', attendingPhysician: false, since }] },
    });
    expect(await t.decide(doctor.id, { status: 'blocked', attendingPhysician: true })).toMatchObject({ status: 422, code: 'contradictory' });
    expect((await t.decide(doctor.id, { status: 'blocked' })).body).toMatchObject({ status: 'blocked', since: t.clock.now().toISOString() });
    expect(await t.call('removeProfessional', t.patient, { params: { dmpId: t.dmpId, professionalId: doctor.id } })).toMatchObject({ status: 204 });
    expect(await t.call('removeProfessional', t.patient, { params: { dmpId: t.dmpId, professionalId: doctor.id } })).toMatchObject({ status: 404 });
    expect(t.world.authorizations.size).toBe(0);
    expect(
      t.world
        .traces(t.dmpId)
        .slice(1)
        .map((x) => `${x.action} ${x.subjectId}`),
    ).toEqual([`authorization.grant ${doctor.id}`, `authorization.grant ${doctor.id}`, `authorization.block ${doctor.id}`, `authorization.remove ${doctor.id}`]);
  });

  it('another patient’s record answers 404; a closed record is read-only', async () => {
    const t = await setup();
    const other = await t.seed();
    expect(await t.call('decideProfessional', other.patient, { params: { dmpId: t.dmpId, professionalId: doctor.id }, body: { status: 'authorized' } })).toMatchObject({
      status: 404,
    });
    t.world.record(t.dmpId).status = 'closed';
    expect(await t.decide(doctor.id, { status: 'authorized' })).toMatchObject({ status: 409, code: 'record-closed' });
    expect(t.world.authorizations.size).toBe(0);
  });
});

describe('accesses professionals declare', () => {
  it('the consent given at the consultation authorises the professional, never over a block', async () => {
    const t = await setup();
    expect(await t.declare(doctor, { mode: 'normal' })).toMatchObject({ status: 403, code: 'no-authorization' });
    expect(await t.declare(doctor, { mode: 'normal', patientConsent: true })).toMatchObject({ status: 200, body: { authorization: 'VALIDE', mode: 'normal' } });
    expect(t.world.authorizations.get(`${t.dmpId}|${doctor.id}`)).toMatchObject({ status: 'authorized', attendingPhysician: false, source: 'consultation' });
    // Refusals are traced once per professional, action and minute.
    t.clock.advance(60_000);
    expect(await t.declare(doctor, { mode: 'normal', attendingPhysician: true })).toMatchObject({ status: 403, code: 'attending-physician-is-the-patients-choice' });
    await t.decide(doctor.id, { status: 'blocked' });
    t.clock.advance(60_000);
    expect(await t.declare(doctor, { mode: 'normal', patientConsent: true })).toMatchObject({ status: 403, code: 'blocked' });
    expect(t.world.authorizations.get(`${t.dmpId}|${doctor.id}`)?.status).toBe('blocked');
    expect(
      t.world
        .traces(t.dmpId)
        .filter((x) => x.action === 'access.consent')
        .map((x) => `${x.outcome} ${x.code ?? ''}`),
    ).toEqual(['refused no-authorization', 'allowed ', 'refused attending-physician-is-the-patients-choice', 'refused blocked']);
  });

  it('break-glass: granted for 12 hours, traced, the reason sealed, the patient and attending physicians told, the first access recorded', async () => {
    const t = await setup();
    await t.decide(attending.id, { status: 'authorized', attendingPhysician: true });
    expect(await t.declare(doctor, { mode: 'break-glass' })).toMatchObject({ status: 422, code: 'reason-required' });
    const granted = await t.declare(doctor, { mode: 'break-glass', reason: 'unconscious at the ER' });
    const until = new Date(t.clock.now().getTime() + 12 * HOUR).toISOString();
    expect(granted).toMatchObject({ status: 200, body: { authorization: 'VALIDE', mode: 'break-glass', expiresAt: until } });
    const emergency = t.world.emergencies.get(`${t.dmpId}|${doctor.id}`)!;
    expect(emergency).toMatchObject({ mode: 'break-glass', until });
    expect(Buffer.from(emergency.reason!).toString('latin1')).not.toContain('unconscious');
    expect(t.world.traces(t.dmpId).at(-1)).toMatchObject({ action: 'access.emergency', mode: 'break-glass', actor: { id: doctor.id }, outcome: 'allowed' });
    expect(t.sms()).toMatchObject([{ template: 'emergency-access', to: t.contact.mobile }]);
    expect(t.world.notifications(t.dmpId).filter((n) => n.kind === 'fan-out')).toMatchObject([
      { audience: 'attending-physicians', except: doctor.id, template: 'emergency-access-professional', params: { dmpId: t.dmpId, mode: 'break-glass' } },
    ]);
    expect(t.world.seen.get(`${t.dmpId}|${doctor.id}`)).toBe(t.clock.now().toISOString());
    expect(t.world.emergencyNotices.get(`${t.dmpId}|${doctor.id}`)).toBe(t.clock.now().toISOString());
  });

  it('the patient is told of one professional’s emergency accesses at most once in 12 hours; each is traced', async () => {
    const t = await setup();
    const breakGlass = { mode: 'break-glass', reason: 'emergency' };
    expect((await t.declare(doctor, breakGlass)).status).toBe(200);
    t.clock.advance(HOUR);
    // A renewal while the access runs: traced, not told.
    expect((await t.declare(doctor, breakGlass)).status).toBe(200);
    t.clock.advance(12 * HOUR);
    // The access of 13 hours ago lapsed, and was told more than 12 hours ago: told again.
    expect((await t.declare(doctor, breakGlass)).status).toBe(200);
    expect(t.sms().map((n) => n.at)).toEqual(['2026-11-24T10:00:00.000Z', '2026-11-24T23:00:00.000Z']);
    expect(t.world.traces(t.dmpId).filter((x) => x.action === 'access.emergency')).toHaveLength(3);
  });

  it('another request told the patient meanwhile: the access is granted without telling twice', async () => {
    const t = await setup();
    t.world.beforeNextCommit(() => t.world.emergencyNotices.set(`${t.dmpId}|${doctor.id}`, t.clock.now().toISOString()));
    expect(await t.declare(doctor, { mode: 'break-glass', reason: 'emergency' })).toMatchObject({ status: 200 });
    expect(t.sms()).toEqual([]);
    expect(t.world.emergencies.has(`${t.dmpId}|${doctor.id}`)).toBe(true);
    expect(t.world.traces(t.dmpId).at(-1)).toMatchObject({ action: 'access.emergency' });
  });

  it('at most 5 emergency notices a day per record: the 6th professional is granted access, traced, not told', async () => {
    const t = await setup();
    for (let i = 0; i < 6; i++) {
      const professional: Actor = { kind: 'professional', id: `81000000010${i}`, profession: '10' };
      expect(await t.declare(professional, { mode: 'break-glass', reason: 'emergency' })).toMatchObject({ status: 200 });
    }
    expect(t.sms()).toHaveLength(5);
    expect(t.world.emergencies.size).toBe(6);
    expect(t.world.traces(t.dmpId).filter((x) => x.action === 'access.emergency')).toHaveLength(6);
  });

  it('regulation is for regulators; a mode the patient opposed is refused; both refusals traced', async () => {
    const t = await setup();
    expect(await t.declare(doctor, { mode: 'regulation' })).toMatchObject({ status: 403, code: 'not-a-regulator' });
    expect(await t.declare(regulator, { mode: 'regulation' })).toMatchObject({ status: 200, body: { mode: 'regulation' } });
    const opposed = await setup();
    opposed.world.record(opposed.dmpId).emergencyAccess = { breakGlass: false, regulation: true };
    expect(await opposed.declare(doctor, { mode: 'break-glass', reason: 'emergency' })).toMatchObject({ status: 403, code: 'patient-opposed' });
    expect(opposed.world.emergencies.size).toBe(0);
    expect(opposed.sms()).toEqual([]);
    expect(opposed.world.traces(opposed.dmpId).at(-1)).toMatchObject({ action: 'access.emergency', outcome: 'refused', code: 'patient-opposed' });
  });

  it('a block or a closure that lands while an emergency is declared gets the access policy’s answer: refused, traced, nothing granted nor told', async () => {
    const t = await setup();
    t.world.beforeNextCommit(() =>
      t.world.authorizations.set(`${t.dmpId}|${doctor.id}`, {
        professionalId: doctor.id,
        status: 'blocked',
        attendingPhysician: false,
        since: t.clock.now().toISOString(),
        source: 'patient',
      }),
    );
    expect(await t.declare(doctor, { mode: 'break-glass', reason: 'emergency' })).toMatchObject({ status: 403, code: 'blocked' });
    expect(t.world.emergencies.size).toBe(0);
    expect(t.world.seen.size).toBe(0);
    expect(t.world.notifications(t.dmpId)).toEqual([]);
    expect(t.world.traces(t.dmpId).at(-1)).toMatchObject({ action: 'access.emergency', outcome: 'refused', code: 'blocked' });

    t.world.beforeNextCommit(() => {
      t.world.record(t.dmpId).status = 'closed';
    });
    expect(await t.declare(attending, { mode: 'normal', patientConsent: true })).toMatchObject({ status: 404 });
    expect(t.world.authorizations.has(`${t.dmpId}|${attending.id}`)).toBe(false);
    expect(t.world.traces(t.dmpId).at(-1)).toMatchObject({ action: 'access.consent', outcome: 'refused', code: 'not-found' });
  });
});

describe('the access log', () => {
  it('the patient reads all of it, newest first, page by page', async () => {
    const t = await setup();
    for (let i = 0; i < 4; i++) {
      t.clock.advance(1000);
      await t.declare(doctor, { mode: 'normal', patientConsent: true });
    }
    const first = await t.log(t.patient, { limit: '3' });
    expect(first.body.items.map((x: { at: string }) => x.at)).toEqual(['2026-11-24T10:00:04.000Z', '2026-11-24T10:00:03.000Z', '2026-11-24T10:00:02.000Z']);
    expect(first.body.items[0]).toMatchObject({ actor: { kind: 'professional', id: doctor.id, profession: '10' }, action: 'access.consent', outcome: 'allowed' });
    const next = await t.log(t.patient, { limit: '3', cursor: first.body.nextCursor });
    expect(next.body.items.map((x: { action: string }) => x.action)).toEqual(['access.consent', 'record.create']);
    expect(next.body.nextCursor).toBeNull();
    // A patient's reading of its own log is not an access to trace.
    expect(t.world.traces(t.dmpId)).toHaveLength(5);
  });

  it('a professional reads its own actions, an attending physician all of them (traced), a blocked one nothing', async () => {
    const t = await setup();
    await t.decide(attending.id, { status: 'authorized', attendingPhysician: true });
    t.clock.advance(1000);
    await t.declare(doctor, { mode: 'normal', patientConsent: true });
    t.clock.advance(1000);
    const own = await t.log(doctor);
    expect(own.body.items.map((x: { action: string }) => x.action)).toEqual(['access.consent']);
    expect((await t.log(agent)).body.items).toEqual([]);
    const all = await t.log(attending);
    expect(all.body.items).toHaveLength(3);
    expect(t.world.traces(t.dmpId).at(-1)).toMatchObject({ action: 'access-log.read', actor: { id: attending.id } });
    await t.decide(doctor.id, { status: 'blocked' });
    expect(await t.log(doctor)).toMatchObject({ status: 403, code: 'blocked' });
  });

  it('traces of a document hidden from the patient show once it is revealed; a page short of them reads on', async () => {
    const t = await setup();
    const hidden = { invisibleToPatient: true, maskedToProfessionals: false, invisibleToRepresentatives: false };
    const trace = (documentId: string, hiddenFrom?: 'patient') =>
      t.deps.traces.append(
        t.dmpId,
        { actor: { kind: 'professional', id: doctor.id, profession: '10' }, action: 'document.deposit', mode: 'normal', documentId, ...(hiddenFrom ? { hiddenFrom } : {}) },
        t.clock.now(),
        `${documentId.padEnd(12, 'a')}`,
      );
    t.clock.advance(1000);
    await trace('docshown');
    for (const id of ['dochidea', 'dochideb', 'dochidec']) {
      t.clock.advance(1000);
      t.world.documents.set(`${t.dmpId}|${id}`, documentItem(id, hidden));
      await trace(id, 'patient');
    }
    // The three newest traces are hidden from the patient: the page of 2 reads on past them.
    const page = await t.log(t.patient, { limit: '2' });
    expect(page.body.items.map((x: { documentId?: string; action: string }) => x.documentId ?? x.action)).toEqual(['docshown', 'record.create']);
    // A professional sees them all along.
    expect((await t.log(doctor)).body.items.map((x: { documentId: string }) => x.documentId)).toEqual(['dochidec', 'dochideb', 'dochidea', 'docshown']);
    // Revealed: its history shows, id included; a deleted document's never does.
    t.world.documents.get(`${t.dmpId}|dochideb`)!.labels = { ...hidden, invisibleToPatient: false };
    t.world.documents.delete(`${t.dmpId}|dochidec`);
    expect((await t.log(t.patient)).body.items.map((x: { documentId?: string; action: string }) => x.documentId ?? x.action)).toEqual(['dochideb', 'docshown', 'record.create']);
  });
});

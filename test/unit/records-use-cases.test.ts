/**
 * The records use cases (functions/capabilities/records/use-cases.ts) with in-memory fakes of their
 * ports (test/support/fakes.ts): creation on each channel, idempotency, creation codes, search and
 * reading with their traces, the first access, closure and reactivation, settings and the new
 * mobile's code under its SMS budget. What was written is read from the fakes' state. The same
 * routes over HTTP, on the emulator: test/e2e/creation.test.ts, lifecycle.test.ts, identity.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { openRecord } from '../../functions/adapters/record-sealing.ts';
import { capability } from '../../functions/capabilities/records/use-cases.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { fakeDeps } from '../support/fakes.ts';
import { adultIdentity, minorBirthDate, randomIns, randomMobile } from '../support/fixtures.ts';
import { caller } from '../support/use-case-calls.ts';

const FINESS = '750000001';
const pharmacist: Actor = { kind: 'professional', id: '810000000021', profession: '21', structure: FINESS };
const doctor: Actor = { kind: 'professional', id: '810000000010', profession: '10' };
const otherDoctor: Actor = { kind: 'professional', id: '810000000011', profession: '10' };
const agent: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };
const anonymous: Actor = { kind: 'anonymous' };

const body = (extra: Record<string, unknown> = {}) => ({
  ins: randomIns(),
  identity: adultIdentity(),
  contact: { mobile: randomMobile() },
  consent: { expressConsent: true },
  ...extra,
});

const setup = () => {
  const f = fakeDeps();
  const call = caller(capability, f.deps);
  /** A record created by `by`, and its holder's session (authenticated now). */
  const create = async (by: Actor = agent, extra: Record<string, unknown> = {}) => {
    const input = body(extra);
    const created = await call('createRecord', by, { body: input });
    expect(created.status).toBe(201);
    const dmpId: string = created.body.dmpId;
    const patient: Actor = { kind: 'patient', dmpId, loginId: created.body.credentials?.loginId ?? 'none', authenticatedAt: f.clock.now().getTime() };
    return { dmpId, input, created, patient };
  };
  const opened = async (dmpId: string) => openRecord(await f.deps.keyRing.unwrap(dmpId, f.world.record(dmpId).wrappedKey), f.world.record(dmpId));
  return { ...f, call, create, opened };
};

describe('creation', () => {
  it('by a pharmacist: the pharmacy channel, everything in one transaction, the identity sealed', async () => {
    const t = setup();
    const { dmpId, input, created } = await t.create(pharmacist);
    expect(created.body).toMatchObject({ status: 'active', channel: 'pharmacy', credentials: { loginId: expect.any(String), provisionalPassword: expect.any(String) } });
    const record = t.world.record(dmpId);
    expect(record).toMatchObject({ status: 'active', channel: 'pharmacy', createdBy: `professional:${pharmacist.id}`, minor: false });
    // Sealed with the record's own key: the stored bytes hold no name, and open to the identity.
    expect(Buffer.from(record.sealed.identity).toString('latin1')).not.toContain(input.identity.familyName);
    expect((await t.opened(dmpId)).identity).toEqual(input.identity);
    expect(t.world.ins.size).toBe(1);
    expect(t.world.ledger).toEqual([{ finess: FINESS, month: '2026-11', dmpId, createdAt: created.body.createdAt, amountCents: 100 }]);
    expect(t.world.authorizations.get(`${dmpId}|${pharmacist.id}`)).toMatchObject({ status: 'authorized', attendingPhysician: false, source: 'creation' });
    expect(t.world.logins.get(created.body.credentials.loginId)).toMatchObject({ dmpId, actor: 'patient', mustChangePassword: true });
    expect(t.world.traces(dmpId)).toMatchObject([{ action: 'record.create', actor: { kind: 'professional', id: pharmacist.id }, outcome: 'allowed' }]);
    expect(t.world.notifications(dmpId)).toMatchObject([{ template: 'record-created', to: input.contact.mobile, status: 'pending' }]);
    expect(t.world.commits).toHaveLength(1);
  });

  it('by a doctor or an agent: their own channels, no ledger entry, an authorization for the doctor only', async () => {
    const t = setup();
    const byDoctor = await t.create(doctor);
    const byAgent = await t.create(agent);
    expect(byDoctor.created.body.channel).toBe('professional');
    expect(byAgent.created.body.channel).toBe('agent');
    expect(t.world.ledger).toEqual([]);
    expect(await t.deps.records.authorizations(byDoctor.dmpId)).toMatchObject([{ professionalId: doctor.id }]);
    expect(await t.deps.records.authorizations(byAgent.dmpId)).toEqual([]);
  });

  it("a minor's record: no patient login, one per representative, and the representatives told; none is refused", async () => {
    const t = setup();
    const mobile = randomMobile();
    const representatives = [{ familyName: 'Martin', givenNames: 'Anne', relationship: 'MTH', mobile }];
    const refused = await t.call('createRecord', agent, { body: body({ identity: { ...adultIdentity(), birthDate: minorBirthDate(t.clock.now()) } }) });
    expect(refused).toMatchObject({ status: 422, code: 'minor-without-representative' });
    const { dmpId, created } = await t.create(agent, { identity: { ...adultIdentity(), birthDate: minorBirthDate(t.clock.now()) }, contact: {}, representatives });
    expect(created.body.credentials).toBeUndefined();
    expect(created.body.representatives).toHaveLength(1);
    expect(t.world.record(dmpId).minor).toBe(true);
    expect([...t.world.logins.values()]).toMatchObject([{ dmpId, actor: 'representative', loginId: created.body.representatives[0].loginId }]);
    expect(t.world.notifications(dmpId)).toMatchObject([{ template: 'record-created', to: mobile }]);
  });

  it('an Idempotency-Key replays the first response; the same key with another body is refused, and neither writes', async () => {
    const t = setup();
    const input = body();
    const first = await t.call('createRecord', agent, { body: input, idempotencyKey: 'key-000001' });
    const again = await t.call('createRecord', agent, { body: input, idempotencyKey: 'key-000001' });
    expect(again).toMatchObject({ status: 201, body: first.body, headers: { 'Idempotent-Replayed': 'true' } });
    const other = await t.call('createRecord', agent, { body: { ...input, ins: randomIns() }, idempotencyKey: 'key-000001' });
    expect(other).toMatchObject({ status: 422, code: 'idempotency-key-reused' });
    expect(t.world.records.size).toBe(1);
    expect(t.world.commits).toHaveLength(1);
  });

  it('two identical requests at once with one Idempotency-Key: one creation, and the other answers its response', async () => {
    const t = setup();
    const input = body();
    const [a, b] = await Promise.all([
      t.call('createRecord', agent, { body: input, idempotencyKey: 'key-000002' }),
      t.call('createRecord', agent, { body: input, idempotencyKey: 'key-000002' }),
    ]);
    expect(a.status).toBe(201);
    expect(b).toMatchObject({ status: 201, body: a.body });
    expect([a.headers['Idempotent-Replayed'], b.headers['Idempotent-Replayed']].filter(Boolean)).toEqual(['true']);
    expect(t.world.records.size).toBe(1);
    expect(t.keyRing.forgotten).toHaveLength(1);
  });

  it('an INS that has a DMP already: 409, nothing written, the new data key forgotten', async () => {
    const t = setup();
    const { input } = await t.create(agent);
    const again = await t.call('createRecord', doctor, { body: { ...body(), ins: input.ins } });
    expect(again).toMatchObject({ status: 409, code: 'dmp-exists' });
    expect(t.world.records.size).toBe(1);
    expect(t.keyRing.forgotten).toHaveLength(1);
    expect(t.world.authorizations.size).toBe(0);
  });

  it('online, with a creation code: single use, bound to its INS; a code used meanwhile answers as an invalid one', async () => {
    const t = setup();
    const ins = randomIns();
    const issued = await t.call('createCreationCode', agent, { body: { ins } });
    expect(issued.status).toBe(201);
    const code: string = issued.body.creationCode;
    const online = (extra: Record<string, unknown> = {}) => body({ ins, creationCode: code, password: 'un cheval bleu mange des pommes', ...extra });

    expect(await t.call('createRecord', anonymous, { body: online({ ins: randomIns() }) })).toMatchObject({ status: 422, code: 'creation-code-invalid' });
    expect(await t.call('createRecord', anonymous, { body: online({ password: 'azerty123456' }) })).toMatchObject({ status: 422, code: 'weak-password' });
    // Another request used the code between its check and the creation's transaction.
    t.world.beforeNextCommit(() => {
      for (const c of t.world.creationCodes.values()) c.usedAt = t.clock.now().toISOString();
    });
    expect(await t.call('createRecord', anonymous, { body: online() })).toMatchObject({ status: 422, code: 'creation-code-invalid' });
    expect(t.world.records.size).toBe(0);

    for (const c of t.world.creationCodes.values()) c.usedAt = undefined;
    const created = await t.call('createRecord', anonymous, { body: online() });
    expect(created).toMatchObject({ status: 201, body: { channel: 'online', credentials: { loginId: expect.any(String) } } });
    expect(created.body.credentials.provisionalPassword).toBeUndefined();
    expect(t.world.logins.get(created.body.credentials.loginId)?.mustChangePassword).toBe(false);
    expect([...t.world.creationCodes.values()][0]?.usedAt).toBe(t.clock.now().toISOString());
    expect(await t.call('createRecord', anonymous, { body: online() })).toMatchObject({ status: 422, code: 'creation-code-invalid' });
    expect(await t.call('createCreationCode', agent, { body: { ins } })).toMatchObject({ status: 409, code: 'dmp-exists' });
  });
});

describe('search and reading', () => {
  it('a search reports the caller’s authorization and is traced', async () => {
    const t = setup();
    const { dmpId, ins } = await t.seed({ authorizedProfessional: pharmacist.id });
    expect(await t.call('searchRecord', pharmacist, { body: { ins } })).toMatchObject({ status: 200, body: { dmpId, authorization: 'VALIDE', attendingPhysician: false } });
    expect(await t.call('searchRecord', doctor, { body: { ins } })).toMatchObject({ status: 200, body: { authorization: 'NON_EXISTE' } });
    expect(await t.call('searchRecord', agent, { body: { ins } })).toMatchObject({ status: 200, body: { authorization: 'NON_EXISTE' } });
    expect(await t.call('searchRecord', doctor, { body: { ins: randomIns() } })).toMatchObject({ status: 404 });
    expect(t.world.traces(dmpId).map((x) => `${x.action} ${x.actor.id}`)).toEqual([
      'record.create seed',
      `record.search ${pharmacist.id}`,
      `record.search ${doctor.id}`,
      `record.search ${agent.id}`,
    ]);
  });

  it('a professional’s first read is recorded and told to the patient once; every read is traced', async () => {
    const t = setup();
    const { dmpId, identity, contact } = await t.seed({ authorizedProfessional: pharmacist.id });
    const first = await t.call('getRecord', pharmacist, { params: { dmpId } });
    expect(first).toMatchObject({ status: 200, body: { identity, contact, attendingPhysicians: [] } });
    expect(t.world.seen.get(`${dmpId}|${pharmacist.id}`)).toBe(t.clock.now().toISOString());
    t.clock.advance(60_000);
    expect((await t.call('getRecord', pharmacist, { params: { dmpId } })).status).toBe(200);
    expect(t.world.traces(dmpId).filter((x) => x.action === 'record.read')).toHaveLength(2);
    expect(t.world.notifications(dmpId)).toMatchObject([{ template: 'first-access', to: contact.mobile }]);
  });

  it('another request recorded the first access meanwhile: the read is traced on its own, nobody told twice', async () => {
    const t = setup();
    const { dmpId } = await t.seed({ authorizedProfessional: pharmacist.id });
    t.world.beforeNextCommit(() => t.world.seen.set(`${dmpId}|${pharmacist.id}`, t.clock.now().toISOString()));
    expect((await t.call('getRecord', pharmacist, { params: { dmpId } })).status).toBe(200);
    expect(t.world.traces(dmpId).filter((x) => x.action === 'record.read')).toHaveLength(1);
    expect(t.world.notifications(dmpId)).toEqual([]);
  });

  it('a professional without authorization is refused, and the refusal traced once a minute', async () => {
    const t = setup();
    const { dmpId } = await t.seed();
    expect(await t.call('getRecord', doctor, { params: { dmpId } })).toMatchObject({ status: 403, code: 'no-authorization' });
    expect(await t.call('getRecord', doctor, { params: { dmpId } })).toMatchObject({ status: 403, code: 'no-authorization' });
    expect(t.world.traces(dmpId).filter((x) => x.outcome === 'refused')).toMatchObject([{ action: 'record.read', actor: { id: doctor.id }, code: 'no-authorization' }]);
    t.clock.advance(60_000);
    await t.call('getRecord', doctor, { params: { dmpId } });
    expect(t.world.traces(dmpId).filter((x) => x.outcome === 'refused')).toHaveLength(2);
    expect(t.world.seen.size).toBe(0);
  });

  it('a patient reads its own record, not another one', async () => {
    const t = setup();
    const mine = await t.seed();
    const theirs = await t.seed();
    expect((await t.call('getRecord', mine.patient, { params: { dmpId: mine.dmpId } })).status).toBe(200);
    expect(await t.call('getRecord', mine.patient, { params: { dmpId: theirs.dmpId } })).toMatchObject({ status: 404 });
    // Refusals of patients are not traced in another patient's log.
    expect(t.world.traces(theirs.dmpId).map((x) => x.action)).toEqual(['record.create']);
  });
});

describe('closure and reactivation', () => {
  it('closing: read-only, hidden from professionals, sessions ended but for undoing it', async () => {
    const t = setup();
    const { dmpId, ins, contact, patient } = await t.seed({ authorizedProfessional: pharmacist.id });
    t.clock.advance(1000);
    const closed = await t.call('closeRecord', patient, { params: { dmpId } });
    expect(closed).toMatchObject({ status: 200, body: { status: 'closed', closedAt: t.clock.now().toISOString() } });
    expect(t.world.record(dmpId)).toMatchObject({ status: 'closed', retainUntil: closed.body.retainUntil, sessionEnds: { closedAt: t.clock.now().getTime() } });
    expect(t.world.retention.get(dmpId)).toBe(closed.body.retainUntil);
    expect(t.world.notifications(dmpId).at(-1)).toMatchObject({ template: 'record-closed', to: contact.mobile });
    expect(t.world.traces(dmpId).at(-1)).toMatchObject({ action: 'record.close', actor: { kind: 'patient' } });

    expect(await t.call('searchRecord', pharmacist, { body: { ins } })).toMatchObject({ status: 200, body: { status: 'closed', authorization: 'INTERDIT' } });
    expect(await t.call('getRecord', pharmacist, { params: { dmpId } })).toMatchObject({ status: 404 });
    expect(await t.call('getRecord', patient, { params: { dmpId } })).toMatchObject({ status: 401, code: 'session-ended' });
    const later: Actor = { ...patient, authenticatedAt: t.clock.now().getTime() + 1 };
    expect(await t.call('closeRecord', later, { params: { dmpId } })).toMatchObject({ status: 409, code: 'already-closed' });

    t.clock.advance(1000);
    expect(await t.call('reactivateRecord', patient, { params: { dmpId }, body: {} })).toMatchObject({ status: 200, body: { status: 'active' } });
    expect(t.world.record(dmpId)).toMatchObject({ status: 'active', closedAt: undefined, retainUntil: undefined });
    expect(t.world.retention.has(dmpId)).toBe(false);
    expect(t.world.notifications(dmpId).at(-1)).toMatchObject({ template: 'record-reactivated' });
    expect(t.world.traces(dmpId).at(-1)).toMatchObject({ action: 'record.reactivate', actor: { kind: 'patient' } });
    expect(await t.call('reactivateRecord', later, { params: { dmpId }, body: {} })).toMatchObject({ status: 409, code: 'already-active' });
  });

  it('a professional reactivates with the person’s express consent, and is authorised by it', async () => {
    const t = setup();
    const { dmpId, patient } = await t.seed();
    await t.call('closeRecord', patient, { params: { dmpId } });
    expect(await t.call('reactivateRecord', doctor, { params: { dmpId }, body: {} })).toMatchObject({ status: 422, code: 'express-consent-required' });
    expect(await t.call('reactivateRecord', doctor, { params: { dmpId }, body: { consent: { expressConsent: true } } })).toMatchObject({ status: 200 });
    expect(t.world.authorizations.get(`${dmpId}|${doctor.id}`)).toMatchObject({ status: 'authorized', source: 'reactivation' });
    expect(t.world.traces(dmpId).at(-1)).toMatchObject({ action: 'record.reactivate', actor: { id: doctor.id } });
  });

  it('a block that lands while a professional reactivates: the access policy’s answer, nothing written', async () => {
    const t = setup();
    const { dmpId, patient } = await t.seed();
    await t.call('closeRecord', patient, { params: { dmpId } });
    const before = t.world.commits.length;
    t.world.beforeNextCommit(() =>
      t.world.authorizations.set(`${dmpId}|${otherDoctor.id}`, {
        professionalId: otherDoctor.id,
        status: 'blocked',
        attendingPhysician: false,
        since: '2026-11-24T10:00:00.000Z',
        source: 'patient',
      }),
    );
    expect(await t.call('reactivateRecord', otherDoctor, { params: { dmpId }, body: { consent: { expressConsent: true } } })).toMatchObject({ status: 403, code: 'blocked' });
    expect(t.world.record(dmpId).status).toBe('closed');
    expect(t.world.commits).toHaveLength(before);
  });
});

describe('settings', () => {
  it('emergency oppositions and e-mail change at once, traced; a stale revision is a conflict', async () => {
    const t = setup();
    const { dmpId, patient, contact } = await t.seed();
    const changed = await t.call('updateSettings', patient, { params: { dmpId }, body: { emergencyAccess: { breakGlass: false }, contact: { email: 'a@example.org' } } });
    expect(changed).toMatchObject({ status: 200, body: { emergencyAccess: { breakGlass: false, regulation: true }, contact: { mobile: contact.mobile, email: 'a@example.org' } } });
    expect(t.world.record(dmpId)).toMatchObject({ revision: 2, emergencyAccess: { breakGlass: false, regulation: true } });
    expect((await t.opened(dmpId)).contact).toEqual({ mobile: contact.mobile, email: 'a@example.org' });
    expect(t.world.traces(dmpId).at(-1)).toMatchObject({ action: 'settings.update' });

    t.world.beforeNextCommit(() => {
      t.world.record(dmpId).revision += 1;
    });
    expect(await t.call('updateSettings', patient, { params: { dmpId }, body: { emergencyAccess: { regulation: false } } })).toMatchObject({ status: 409, code: 'state-changed' });
    expect(t.world.record(dmpId).emergencyAccess.regulation).toBe(true);
  });

  it('a new mobile waits for the code sent to it; the former number is told once it is confirmed', async () => {
    const t = setup();
    const { dmpId, patient, contact } = await t.seed();
    const mobile = randomMobile();
    const pending = await t.call('updateSettings', patient, { params: { dmpId }, body: { contact: { mobile } } });
    expect(pending).toMatchObject({ status: 200, body: { contact: { mobile: contact.mobile }, pendingMobile: { expiresAt: expect.any(String) } } });
    const sent = t.world.notifications(dmpId).at(-1)!;
    expect(sent).toMatchObject({ template: 'mobile-code', to: mobile });
    const code = sent.params!.code!;

    const wrong = code === '000000' ? '111111' : '000000';
    expect(await t.call('confirmMobile', patient, { params: { dmpId }, body: { code: wrong } })).toMatchObject({ status: 422, code: 'wrong-code' });
    expect(t.world.record(dmpId).pendingMobile?.attempts).toBe(1);
    const confirmed = await t.call('confirmMobile', patient, { params: { dmpId }, body: { code } });
    expect(confirmed).toMatchObject({ status: 200, body: { contact: { mobile } } });
    expect((await t.opened(dmpId)).contact.mobile).toBe(mobile);
    expect(t.world.record(dmpId).pendingMobile).toBeUndefined();
    expect(t.world.notifications(dmpId).at(-1)).toMatchObject({ template: 'mobile-changed', to: contact.mobile });
    expect(await t.call('confirmMobile', patient, { params: { dmpId }, body: { code } })).toMatchObject({ status: 422, code: 'wrong-code' });
  });

  it('at most 3 mobile codes an hour per record: the 4th changes nothing and sends nothing (429, Retry-After)', async () => {
    const t = setup();
    const { dmpId, patient } = await t.seed();
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      expect((await t.call('updateSettings', patient, { params: { dmpId }, body: { contact: { mobile: randomMobile() } } })).status).toBe(200);
    }
    const pendingBefore = t.world.record(dmpId).pendingMobile;
    const sentBefore = t.world.notifications(dmpId).length;
    const refused = await t.call('updateSettings', patient, { params: { dmpId }, body: { contact: { mobile: randomMobile() } } });
    expect(refused).toMatchObject({ status: 429, code: 'sms-limit' });
    expect(Number(refused.headers['Retry-After'])).toBe(Math.ceil((Date.parse('2026-11-24T11:00:00.000Z') - t.clock.now().getTime()) / 1000));
    expect(t.world.record(dmpId).pendingMobile).toEqual(pendingBefore);
    expect(t.world.notifications(dmpId)).toHaveLength(sentBefore);
    // The next hour has room again.
    t.clock.advance(3_600_000);
    expect((await t.call('updateSettings', patient, { params: { dmpId }, body: { contact: { mobile: randomMobile() } } })).status).toBe(200);
  });

  it('the notifications list pages newest first', async () => {
    const t = setup();
    const { dmpId, patient } = await t.seed();
    for (let i = 0; i < 3; i++) {
      t.clock.advance(1000);
      await t.call('updateSettings', patient, { params: { dmpId }, body: { contact: { mobile: randomMobile() } } });
    }
    const first = await t.call('listNotifications', patient, { params: { dmpId }, query: { limit: '2' } });
    expect(first.body.items.map((n: { at: string }) => n.at)).toEqual(['2026-11-24T10:00:03.000Z', '2026-11-24T10:00:02.000Z']);
    expect(first.body.nextCursor).toEqual(expect.any(String));
    const next = await t.call('listNotifications', patient, { params: { dmpId }, query: { limit: '2', cursor: first.body.nextCursor } });
    expect(next.body).toMatchObject({ items: [{ at: '2026-11-24T10:00:01.000Z', reason: 'mobile-code', status: 'pending', channel: 'sms' }], nextCursor: null });
  });
});

/**
 * The health profile over HTTP: an empty profile at version 0 until it is written; every write on
 * the version read (If-Match, 428 without it, 412 on a stale one), two writers never overwriting
 * each other; the patient and representatives write it all, professionals who may read it add
 * entries marked as theirs; every element shows its provenance; bad input is a 4xx naming the
 * field, and nothing is stored; reads and writes are traced; nothing of it is in clear at rest
 * or in the logs.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { accessLog } from '../support/documents.ts';
import { randomFiness, randomRpps } from '../support/fixtures.ts';
import { asBody, healthItems, minorWithRepresentative, profileBody, readProfile, untraced, writeOnCurrent, writeProfile } from '../support/health.ts';
import { captureOutput } from '../support/output.ts';
import { activeSession, newPatient, openSession } from '../support/patients.ts';
import { startTestApi, type Answer, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctorId: string;
let doctor: string;
const logged: string[] = [];
let restoreOutput: () => void;
beforeAll(async () => {
  // Logging at DEBUG, so that every line is there to search for what must not be in it.
  api = await startTestApi({ logLevel: 'DEBUG' });
  restoreOutput = captureOutput(logged);
  doctorId = randomRpps();
  doctor = await api.professional({ professionalId: doctorId });
});
afterAll(async () => {
  restoreOutput?.();
  await api?.stop();
});

/** A new adult patient (created, and so authorised, by the doctor) with a session. */
const patient = async () => {
  const p = await newPatient(api, doctor);
  const { token, holder } = await activeSession(api, p);
  return { dmpId: p.dmpId, token, holder };
};

const authorize = async (dmpId: string, token: string, professionalId: string, decision: Record<string, unknown>) => {
  const res = await api.call('PUT', `/v1/records/${dmpId}/professionals/${professionalId}`, { token, body: decision });
  expect(res.status, JSON.stringify(res.body)).toBe(200);
};

const expectProblem = (res: Answer, status: number, type: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(status);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body.type).toBe(`urn:dmp:problem:${type}`);
};

const paths = (res: Answer): string[] => (res.body.errors ?? []).map((e: { path: string }) => e.path);

describe('GET and PUT /v1/records/{dmpId}/profile: versions', () => {
  it('answers an empty profile at version 0 until the first PUT, which needs If-Match "v0" and answers "v1"', async () => {
    const { dmpId, token } = await patient();
    const empty = await readProfile(api, dmpId, token);
    expect(empty.status).toBe(200);
    expect(empty.headers.get('etag')).toBe('"v0"');
    expect(empty.body).toEqual({ version: 0, allergies: [], conditions: [], treatments: [] });

    const body = profileBody();
    const withoutIfMatch = await writeProfile(api, dmpId, token, body);
    expectProblem(withoutIfMatch, 428, 'if-match-required');
    expect(await healthItems(api, dmpId)).toEqual([]);

    const written = await writeProfile(api, dmpId, token, body, '"v0"');
    expect(written.status, JSON.stringify(written.body)).toBe(200);
    expect(written.headers.get('etag')).toBe('"v1"');
    const provenance = { source: 'patient', author: { id: dmpId }, recordedAt: expect.any(String) };
    expect(written.body).toEqual({
      version: 1,
      updatedAt: expect.any(String),
      bloodGroup: { abo: 'AB', rh: '-', ...provenance },
      height: { cm: 172, ...provenance },
      weight: { kg: 68.5, ...provenance },
      allergies: [{ id: expect.stringMatching(/^[a-z2-7]{16}$/), ...body.allergies[0], ...provenance }],
      conditions: [{ id: expect.stringMatching(/^[a-z2-7]{16}$/), ...body.conditions[0], ...provenance }],
      treatments: [{ id: expect.stringMatching(/^[a-z2-7]{16}$/), ...body.treatments[0], ...provenance }],
    });
    const read = await readProfile(api, dmpId, token);
    expect(read.headers.get('etag')).toBe('"v1"');
    expect(read.body).toEqual(written.body);
  });

  it('refuses a stale version (412) and never lets one writer overwrite another, even at the same instant', async () => {
    const { dmpId, token } = await patient();
    await writeProfile(api, dmpId, token, profileBody(), '"v0"');
    const seenByDoctor = await readProfile(api, dmpId, doctor);
    expect(seenByDoctor.headers.get('etag')).toBe('"v1"');
    // The patient changes the weight meanwhile.
    const patientWrite = await writeOnCurrent(api, dmpId, token, (p) => ({ ...asBody(p), weight: { kg: 70 } }));
    expect(patientWrite.headers.get('etag')).toBe('"v2"');
    // The doctor's change, made on what it read, is refused and changes nothing.
    const before = await untraced(api, dmpId);
    const added = { substance: 'pénicilline', category: 'medication', criticality: 'high' };
    const stale = await writeProfile(api, dmpId, doctor, { ...asBody(seenByDoctor.body), allergies: [...asBody(seenByDoctor.body).allergies, added] }, '"v1"');
    expectProblem(stale, 412, 'stale-version');
    expect(await untraced(api, dmpId)).toEqual(before);
    for (const odd of ['v2', 'W/"v2"', '*', '"v2", "v3"', '"v3"']) expectProblem(await writeProfile(api, dmpId, token, asBody(patientWrite.body), odd), 412, 'stale-version');
    expect(await untraced(api, dmpId)).toEqual(before);

    // Two writers on the same version at once: one is written, the other is told.
    const current = await readProfile(api, dmpId, token);
    const etag = current.headers.get('etag') ?? '';
    const [a, b] = await Promise.all([
      writeProfile(api, dmpId, token, { ...asBody(current.body), height: { cm: 180 } }, etag),
      writeProfile(api, dmpId, doctor, { ...asBody(current.body), allergies: [...asBody(current.body).allergies, added] }, etag),
    ]);
    expect([a.status, b.status].sort()).toEqual([200, 412]);
    const after = await readProfile(api, dmpId, token);
    expect(after.headers.get('etag')).toBe('"v3"');
    expect(after.body).toEqual((a.status === 200 ? a : b).body);
  });
});

describe('who writes what', () => {
  it('lets a professional add entries marked as its own, and change or remove only those', async () => {
    const { dmpId, token } = await patient();
    await writeProfile(api, dmpId, token, profileBody(), '"v0"');
    const added = { substance: 'pénicilline', category: 'medication', reaction: 'urticaire', criticality: 'high' };
    const res = await writeOnCurrent(api, dmpId, doctor, (p) => ({ ...asBody(p), allergies: [...asBody(p).allergies, added] }));
    const mine = res.body.allergies[1];
    expect(mine).toEqual({ id: expect.any(String), ...added, source: 'professional', author: { id: doctorId, profession: '10' }, recordedAt: expect.any(String) });
    // The patient's elements kept who recorded them.
    expect(res.body.allergies[0].source).toBe('patient');
    expect(res.body.bloodGroup.source).toBe('patient');

    const current = await readProfile(api, dmpId, doctor);
    const etag = current.headers.get('etag') ?? '';
    const body = asBody(current.body);
    const before = await untraced(api, dmpId);
    const refused = [
      [{ ...body, bloodGroup: { abo: 'O', rh: '+' } }, ['body.bloodGroup']],
      [{ ...body, weight: undefined }, ['body.weight']],
      [{ ...body, allergies: [{ ...body.allergies[0], criticality: 'low' }, body.allergies[1]] }, ['body.allergies.0']],
      [{ ...body, conditions: [] }, ['body.conditions']],
      [{ ...body, treatments: [{ ...body.treatments[0], dosage: 'une' }], conditions: [] }, ['body.conditions', 'body.treatments.0']],
    ] as const;
    for (const [change, at] of refused) {
      const answer = await writeProfile(api, dmpId, doctor, change, etag);
      expectProblem(answer, 403, 'not-your-entry');
      expect(paths(answer).sort()).toEqual([...at].sort());
    }
    expect(await untraced(api, dmpId)).toEqual(before);

    // Its own entry: changed, then removed.
    const changed = await writeOnCurrent(api, dmpId, doctor, (p) => ({ ...asBody(p), allergies: [asBody(p).allergies[0], { ...asBody(p).allergies[1], criticality: 'low' }] }));
    expect(changed.body.allergies[1]).toMatchObject({ id: mine.id, criticality: 'low', source: 'professional' });
    const removed = await writeOnCurrent(api, dmpId, doctor, (p) => ({ ...asBody(p), allergies: [asBody(p).allergies[0]] }));
    expect(removed.body.allergies.map((a: { id: string }) => a.id)).not.toContain(mine.id);

    // Another professional's entry is not the doctor's to change.
    const nurseId = randomRpps();
    const nurse = await api.professional({ professionalId: nurseId, profession: '60' });
    await authorize(dmpId, token, nurseId, { status: 'authorized' });
    const byNurse = await writeOnCurrent(api, dmpId, nurse, (p) => ({ ...asBody(p), conditions: [...asBody(p).conditions, { text: 'escarre talon' }] }));
    const nurseEntry = byNurse.body.conditions[1];
    expect(nurseEntry).toMatchObject({ source: 'professional', author: { id: nurseId, profession: '60' } });
    const fresh = await readProfile(api, dmpId, doctor);
    const doctorRemoves = await writeProfile(api, dmpId, doctor, { ...asBody(fresh.body), conditions: [asBody(fresh.body).conditions[0]] }, fresh.headers.get('etag') ?? '');
    expectProblem(doctorRemoves, 403, 'not-your-entry');

    // The patient writes everything: changes the nurse's entry (it becomes the patient's) and removes the rest.
    const byPatient = await writeOnCurrent(api, dmpId, token, (p) => ({ ...asBody(p), conditions: [{ ...asBody(p).conditions[1], text: 'escarre guérie' }], allergies: [] }));
    expect(byPatient.body.conditions).toEqual([{ id: nurseEntry.id, text: 'escarre guérie', source: 'patient', author: { id: dmpId }, recordedAt: expect.any(String) }]);
    expect(byPatient.body.allergies).toEqual([]);
  });

  it('lets a minor’s representative write it, and shows professionals that a representative did, not which one', async () => {
    const { dmpId, representativeToken, representativeLoginId } = await minorWithRepresentative(api, doctor);
    const written = await writeProfile(api, dmpId, representativeToken, profileBody({ conditions: [], treatments: [] }), '"v0"');
    expect(written.status, JSON.stringify(written.body)).toBe(200);
    expect(written.body.allergies[0]).toMatchObject({ source: 'representative', author: { id: representativeLoginId } });
    const seen = await readProfile(api, dmpId, doctor);
    expect(seen.status).toBe(200);
    expect(seen.body.allergies[0].source).toBe('representative');
    expect(seen.body.allergies[0]).not.toHaveProperty('author');
    expect(seen.body.bloodGroup).not.toHaveProperty('author');
    expect(JSON.stringify(seen.body)).not.toContain(representativeLoginId);
  });

  it('follows the policy: the matrix, authorizations, blocks, emergency access, closure', async () => {
    const { dmpId, token, holder } = await patient();
    await writeProfile(api, dmpId, token, profileBody(), '"v0"');
    const pharmacistId = randomRpps();
    const physioId = randomRpps();
    const pharmacist = await api.professional({ professionalId: pharmacistId, profession: '21', structure: randomFiness() });
    const physio = await api.professional({ professionalId: physioId, profession: '70' });
    // Without authorization: refused.
    expectProblem(await readProfile(api, dmpId, pharmacist), 403, 'no-authorization');
    expectProblem(await writeProfile(api, dmpId, physio, profileBody(), '"v1"'), 403, 'no-authorization');
    await authorize(dmpId, token, pharmacistId, { status: 'authorized' });
    await authorize(dmpId, token, physioId, { status: 'authorized' });
    // Every profession reads summaries (class 11): the pharmacist and the physiotherapist read the profile and add to it.
    expect((await readProfile(api, dmpId, pharmacist)).status).toBe(200);
    const byPhysio = await writeOnCurrent(api, dmpId, physio, (p) => ({ ...asBody(p), conditions: [...asBody(p).conditions, { text: 'lombalgie' }] }));
    expect(byPhysio.body.conditions[1].author).toEqual({ id: physioId, profession: '70' });

    // An emergency access the patient did not oppose opens it, and the read is traced in that mode.
    const urgentistId = randomRpps();
    const urgentist = await api.professional({ professionalId: urgentistId });
    expect((await api.call('POST', `/v1/records/${dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'patient inconscient' } })).status).toBe(200);
    expect((await readProfile(api, dmpId, urgentist)).status).toBe(200);

    // Blocked is blocked.
    await authorize(dmpId, token, pharmacistId, { status: 'blocked' });
    expectProblem(await readProfile(api, dmpId, pharmacist), 403, 'blocked');

    // Agents and the insurer read nothing of it.
    expect((await readProfile(api, dmpId, await api.agent())).status).toBe(403);
    expect((await readProfile(api, dmpId, await api.insurer())).status).toBe(403);

    // A closed record: read-only to its holders (in a session opened since), unknown to professionals.
    expect((await api.call('POST', `/v1/records/${dmpId}/closure`, { token, body: {} })).status).toBe(200);
    const session = await openSession(api, holder);
    expect(session.status, JSON.stringify(session.body)).toBe(200);
    const since = session.body.accessToken as string;
    const closed = await readProfile(api, dmpId, since);
    expect(closed.status).toBe(200);
    expectProblem(await writeProfile(api, dmpId, since, asBody(closed.body), closed.headers.get('etag') ?? ''), 409, 'record-closed');
    expectProblem(await readProfile(api, dmpId, doctor), 404, 'not-found');
  });

  it('traces every read and write, with the caller, the mode and the refusals', async () => {
    const { dmpId, token } = await patient();
    await writeProfile(api, dmpId, token, profileBody(), '"v0"');
    await readProfile(api, dmpId, token);
    await writeOnCurrent(api, dmpId, doctor, (p) => ({ ...asBody(p), treatments: [...asBody(p).treatments, { medication: 'amoxicilline' }] }));
    const strangerId = randomRpps();
    const stranger = await api.professional({ professionalId: strangerId });
    expect((await readProfile(api, dmpId, stranger)).status).toBe(403);
    const urgentistId = randomRpps();
    const urgentist = await api.professional({ professionalId: urgentistId });
    expect((await api.call('POST', `/v1/records/${dmpId}/access`, { token: urgentist, body: { mode: 'break-glass', reason: 'détresse respiratoire' } })).status).toBe(200);
    expect((await readProfile(api, dmpId, urgentist)).status).toBe(200);

    const log = (await accessLog(api, token, dmpId)).filter((t) => t.action.startsWith('profile.'));
    const seen = log.map((t) => [t.action, t.actor.kind, t.actor.id, t.mode, (t as { outcome?: string }).outcome]);
    expect(seen).toEqual(
      expect.arrayContaining([
        ['profile.update', 'patient', dmpId, 'normal', 'allowed'],
        ['profile.read', 'patient', dmpId, 'normal', 'allowed'],
        ['profile.read', 'professional', doctorId, 'normal', 'allowed'],
        ['profile.update', 'professional', doctorId, 'normal', 'allowed'],
        ['profile.read', 'professional', strangerId, 'normal', 'refused'],
        ['profile.read', 'professional', urgentistId, 'break-glass', 'allowed'],
      ]),
    );
    expect(log.filter((t) => t.action === 'profile.update')).toHaveLength(2);
  });
});

describe('bad input: a 4xx naming the field, and nothing stored', () => {
  const cases: [string, (body: ReturnType<typeof profileBody>) => unknown, number, string[]][] = [
    ['a blood group outside the eight (abo)', (b) => ({ ...b, bloodGroup: { abo: 'C', rh: '+' } }), 400, ['body.bloodGroup.abo']],
    ['a blood group outside the eight (rh)', (b) => ({ ...b, bloodGroup: { abo: 'A', rh: 'positive' } }), 400, ['body.bloodGroup.rh']],
    ['a blood group as one string', (b) => ({ ...b, bloodGroup: 'A+' }), 400, ['body.bloodGroup']],
    ['an unknown field', (b) => ({ ...b, notes: 'x' }), 400, ['body']],
    ['an unknown field in an entry', (b) => ({ ...b, allergies: [{ ...b.allergies[0], severity: 'x' }] }), 400, ['body.allergies.0']],
    ['provenance sent back', (b) => ({ ...b, conditions: [{ ...b.conditions[0], source: 'professional' }] }), 400, ['body.conditions.0']],
    ['an allergy category outside the list', (b) => ({ ...b, allergies: [{ ...b.allergies[0], category: 'drug' }] }), 400, ['body.allergies.0.category']],
    ['a criticality outside the list', (b) => ({ ...b, allergies: [{ ...b.allergies[0], criticality: 'medium' }] }), 400, ['body.allergies.0.criticality']],
    ['a height out of range', (b) => ({ ...b, height: { cm: 400 } }), 400, ['body.height.cm']],
    ['a weight out of range', (b) => ({ ...b, weight: { kg: 0 } }), 400, ['body.weight.kg']],
    ['a list left out', ({ treatments: _t, ...b }) => b, 400, ['body.treatments']],
    ['a date that is not a day', (b) => ({ ...b, conditions: [{ text: 'x', since: '2020-13-01' }] }), 400, ['body.conditions.0.since']],
    ['a date in the future', (b) => ({ ...b, conditions: [{ text: 'x', since: '2999-01-01' }] }), 422, ['body.conditions.0.since']],
    ['a date before the birth date (1975-03-14)', (b) => ({ ...b, treatments: [{ medication: 'x', since: '1975-03-13' }] }), 422, ['body.treatments.0.since']],
    ['an entry id the list does not hold', (b) => ({ ...b, allergies: [{ ...b.allergies[0], id: 'aaaaaaaaaaaaaaaa' }] }), 422, ['body.allergies.0.id']],
  ];

  // One patient for every case: each is refused on the profile written at version 1.
  let dmpId: string;
  let token: string;
  beforeAll(async () => {
    ({ dmpId, token } = await patient());
    expect((await writeProfile(api, dmpId, token, profileBody(), '"v0"')).status).toBe(200);
  });

  it.each(cases)('%s', async (_name, change, status, at) => {
    const before = await untraced(api, dmpId);
    const res = await writeProfile(api, dmpId, token, change(profileBody()), '"v1"');
    expect(res.status, JSON.stringify(res.body)).toBe(status);
    expect(res.headers.get('content-type')).toBe('application/problem+json');
    expect(paths(res)).toEqual(at);
    expect(await untraced(api, dmpId)).toEqual(before);
    expect((await readProfile(api, dmpId, token)).headers.get('etag')).toBe('"v1"');
  });

  it('admits the birth date and today as days', async () => {
    const today = new Date().toISOString().slice(0, 10);
    const res = await writeProfile(
      api,
      dmpId,
      token,
      profileBody({ conditions: [{ text: 'naissance', since: '1975-03-14' }], treatments: [{ medication: 'x', since: today }] }),
      '"v1"',
    );
    expect(res.status, JSON.stringify(res.body)).toBe(200);
  });
});

describe('at rest and in the logs', () => {
  it('keeps nothing of the profile in clear: the items hold their keys, a version and one sealed attribute', async () => {
    const { dmpId, token } = await patient();
    const body = profileBody();
    await writeProfile(api, dmpId, token, body, '"v0"');
    await writeOnCurrent(api, dmpId, doctor, (p) => ({ ...asBody(p), conditions: [...asBody(p).conditions, { text: 'CanaryDiabeteSecret', since: '2001-02-03' }] }));
    await readProfile(api, dmpId, doctor);
    const items = await healthItems(api, dmpId);
    expect(items).toHaveLength(1);
    expect(Object.keys(items[0] ?? {}).sort()).toEqual(['pk', 'profile', 'sk', 'version']);
    expect(items[0]?.profile?.B).toBeInstanceOf(Uint8Array);
    const secrets = [
      body.allergies[0]?.substance,
      body.allergies[0]?.reaction,
      body.conditions[0]?.text,
      body.treatments[0]?.medication,
      body.treatments[0]?.dosage,
      'CanaryDiabeteSecret',
      '1990-05-01',
      '2001-02-03',
      doctorId,
    ] as string[];
    const table = JSON.stringify(items);
    const logs = logged.join('');
    expect(logs).toContain('"route":"writeHealthProfile"');
    for (const secret of secrets) {
      expect(table, secret).not.toContain(secret);
      expect(logs, secret).not.toContain(secret);
    }
  });
});

/**
 * Online self-service creation (no token) cannot be used to learn whether an INS has a DMP: the
 * creation code is checked first, with one keyed hash and one read, and a code that does not open
 * a creation for this INS gets one answer whatever the INS — before any password hash or KMS call.
 * Calls are counted on the runtime's own clients, over real HTTP: no timing involved.
 */
import { createRequire, syncBuiltinESMExports } from 'node:module';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CallCounter, countOf } from '../bench/counting.ts';
import { randomIns, randomMobile, recordBody } from '../support/fixtures.ts';
import { MovableClock, patientWithSession } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

const crypto = createRequire(import.meta.url)('node:crypto') as typeof import('node:crypto');

let api: TestApi;
let doctor: string;
let agent: string;
const clock = new MovableClock();
const kms = new CallCounter();
const db = new CallCounter();
let scrypts = 0;
const realScrypt = crypto.scrypt;

beforeAll(async () => {
  api = await startTestApi({ clock });
  doctor = await api.professional();
  agent = await api.agent();
  kms.attach('kms', api.runtime.deps.kms);
  db.attach('dynamodb', api.runtime.deps.db);
  // Every password hash goes through node:crypto's scrypt: count the calls (the runtime is in-process).
  crypto.scrypt = ((...args: Parameters<typeof realScrypt>) => {
    scrypts += 1;
    return realScrypt(...args);
  }) as typeof realScrypt;
  syncBuiltinESMExports();
});

afterAll(async () => {
  clock.reset();
  crypto.scrypt = realScrypt;
  syncBuiltinESMExports();
  await api.stop();
});

const PASSWORD = 'une phrase de passe longue';
/** A code nobody issued: 16 characters of the code alphabet. */
const inventedCode = () => Array.from({ length: 16 }, () => '0123456789ABCDEFGHJKMNPQRSTVWXYZ'[Math.floor(Math.random() * 32)]).join('');
const anonymous = (ins: string, creationCode: string) =>
  api.call('POST', '/v1/records', { body: { ...recordBody({ ins }), contact: { mobile: randomMobile() }, creationCode, password: PASSWORD } });

/** The answer without its request id (instance): what a prober compares. */
const shape = (body: Record<string, unknown>) => {
  const { instance: _requestId, ...rest } = body;
  return rest;
};

/** An INS whose DMP was created by a doctor and then closed by its patient. */
const closedIns = async (): Promise<string> => {
  const { p, token } = await patientWithSession(api, doctor);
  const closed = await api.call('POST', `/v1/records/${p.dmpId}/closure`, { token, body: {} });
  expect(closed.status).toBe(200);
  return p.ins;
};

const activeIns = async (): Promise<string> => {
  const input = recordBody();
  expect((await api.call('POST', '/v1/records', { token: doctor, body: input })).status).toBe(201);
  return input.ins;
};

describe('anonymous creation with a code that does not open a creation for this INS', () => {
  it('answers the same 422 for an INS with an active DMP, a closed one and none, without hashing a password or calling KMS', async () => {
    const withActive = await activeIns();
    const withClosed = await closedIns();
    const withNone = randomIns();
    // Another person's valid code, and a used one.
    const othersCode = (await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: randomIns() } })).body.creationCode as string;
    const usedFor = randomIns();
    const usedCode = (await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: usedFor } })).body.creationCode as string;
    expect((await anonymous(usedFor, usedCode)).status).toBe(201);

    const before = await api.recordCount();
    const answers = [];
    for (const code of [inventedCode(), othersCode, usedCode]) {
      for (const ins of [withActive, withClosed, withNone]) {
        kms.reset();
        db.reset();
        scrypts = 0;
        const res = await anonymous(ins, code);
        answers.push({ status: res.status, body: shape(res.body), kms: kms.take().calls, scrypts, db: db.take().calls });
      }
    }
    const expected = {
      status: 422,
      body: {
        type: 'urn:dmp:problem:creation-code-invalid',
        title: 'The request was understood but refused',
        status: 422,
        detail: 'The creation code is unknown, expired, already used or issued for another person.',
      },
      kms: {},
      scrypts: 0,
      // The code's item, read once: nothing about the INS is looked up.
      db: { 'dynamodb.GetItem': 1 },
    };
    expect(answers).toEqual(answers.map(() => expected));
    expect(await api.recordCount()).toBe(before);
  });

  it('still creates with a valid code, and tells its holder when a DMP appeared for this INS after the code was issued (409)', async () => {
    const input = recordBody();
    const code = (await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: input.ins } })).body.creationCode as string;
    expect((await api.call('POST', '/v1/records', { token: doctor, body: input })).status).toBe(201);
    const exists = await anonymous(input.ins, code);
    expect(exists.status).toBe(409);
    expect(exists.body.type).toBe('urn:dmp:problem:dmp-exists');

    const fresh = randomIns();
    const freshCode = (await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: fresh } })).body.creationCode as string;
    kms.reset();
    const created = await anonymous(fresh, freshCode);
    expect(created.status).toBe(201);
    expect(countOf(kms.take().calls, 'kms', 'GenerateDataKey')).toBe(1);
  });

  it('refuses an expired code like an unknown one, even for the INS it was issued for and that has a DMP since', async () => {
    const input = recordBody();
    const code = (await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: input.ins } })).body.creationCode as string;
    expect((await api.call('POST', '/v1/records', { token: doctor, body: input })).status).toBe(201);
    clock.advance(91 * 86_400_000);
    kms.reset();
    const res = await anonymous(input.ins, code);
    expect({ status: res.status, type: res.body.type, kms: kms.take().calls }).toEqual({ status: 422, type: 'urn:dmp:problem:creation-code-invalid', kms: {} });
  });
});

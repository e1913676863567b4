/**
 * No identity or health data in clear at rest, in logs, or in KMS encryption contexts: plant unique
 * canary values, then search the raw table, everything the service logged, and every KMS call.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { canary, minorBirthDate, randomIns, randomMobile } from '../support/fixtures.ts';
import { recordCalls } from '../support/faults.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';
import { lastCode, openSession } from '../support/patients.ts';
import { captureOutput } from '../support/output.ts';

let api: TestApi;
const logged: string[] = [];
const kmsCalls: ReturnType<typeof recordCalls>[] = [];
const planted = {
  ins: randomIns(),
  repIns: randomIns(),
  familyName: canary('Family'),
  givenNames: canary('Given'),
  repName: canary('Rep'),
  email: `${canary('mail').toLowerCase()}@example.org`,
  mobile: randomMobile(),
  repMobile: randomMobile(),
  newMobile: randomMobile(),
  password: `${canary('Pass').toLowerCase()} phrase`,
};

beforeAll(async () => {
  api = await startTestApi({ logLevel: 'DEBUG' });
  kmsCalls.push(recordCalls(api.runtime.deps.kms));
  const restoreOutput = captureOutput(logged);

  const doctor = await api.professional();
  const agent = await api.agent();
  const created = await api.call('POST', '/v1/records', {
    token: doctor,
    body: {
      ins: planted.ins,
      identity: { familyName: planted.familyName, givenNames: planted.givenNames, birthDate: minorBirthDate(), sex: 'M' },
      contact: { mobile: planted.mobile, email: planted.email },
      consent: { expressConsent: true },
      representatives: [{ familyName: planted.repName, givenNames: planted.givenNames, relationship: 'MTH', mobile: planted.repMobile }],
    },
    headers: { 'Idempotency-Key': 'at-rest-key-1' },
  });
  expect(created.status).toBe(201);
  const code = await api.call('POST', '/v1/creation-codes', { token: agent, body: { ins: planted.repIns } });
  expect(code.status).toBe(201);
  await api.call('POST', '/v1/records/search', { token: doctor, body: { ins: planted.ins } });
  await api.call('GET', `/v1/records/${created.body.dmpId}`, { token: doctor });
  // Failing requests log too: make some.
  await api.call('POST', '/v1/records', { token: doctor, body: { ins: planted.ins, identity: { familyName: planted.familyName } } });
  await api.call('POST', '/v1/records', {
    token: doctor,
    body: { ins: planted.ins, identity: { familyName: planted.familyName, givenNames: 'x', birthDate: '1970-01-01', sex: 'F' }, consent: { expressConsent: true } },
  });
  // The representative's login, password change and a new mobile confirmed by code.
  const rep = created.body.representatives[0];
  const first = await openSession(api, { loginId: rep.loginId, password: rep.provisionalPassword, mobile: planted.repMobile });
  await api.call('POST', '/v1/auth/patient/password', { token: first.body.accessToken, body: { currentPassword: rep.provisionalPassword, newPassword: planted.password } });
  const session = (await openSession(api, { loginId: rep.loginId, password: planted.password, mobile: planted.repMobile })).body.accessToken;
  const changed = await api.call('PATCH', `/v1/records/${created.body.dmpId}/settings`, { token: session, body: { contact: { mobile: planted.newMobile } } });
  expect(changed.status).toBe(200);
  await api.runJob('outbox');
  const confirmed = await api.call('POST', `/v1/records/${created.body.dmpId}/settings/mobile-confirmation`, {
    token: session,
    body: { code: await lastCode(api, planted.newMobile) },
  });
  expect(confirmed.status).toBe(200);
  await api.runJob('outbox');
  restoreOutput();
});
afterAll(() => api.stop());

/** Every way a value could show: text, numbers, bytes read as UTF-8 and Latin-1. */
const renderings = (value: any): string[] => {
  if (value === null || typeof value !== 'object') return [String(value)];
  if (value instanceof Uint8Array) return [Buffer.from(value).toString('utf8'), Buffer.from(value).toString('latin1')];
  return Object.values(value).flatMap(renderings);
};

const needles = () => [
  planted.ins,
  planted.ins.slice(0, 13),
  planted.repIns,
  planted.familyName,
  planted.givenNames,
  planted.repName,
  planted.email,
  planted.mobile,
  planted.mobile.slice(3),
  planted.repMobile.slice(3),
  planted.newMobile.slice(3),
  planted.password,
];

describe('nothing personal in clear', () => {
  it('the raw table holds no INS, name, e-mail or phone number, in any attribute or key', async () => {
    const items = await api.scanAll();
    expect(items.length).toBeGreaterThan(5);
    const haystack = items.flatMap(renderings).join('\n');
    // The scan did see the items of this record: its sealed attributes are there.
    expect(items.some((i) => i.identity?.B instanceof Uint8Array)).toBe(true);
    for (const needle of needles()) expect(haystack).not.toContain(needle);
  });

  it('the logs hold no INS, name, e-mail or phone number, yet the service did log its requests', () => {
    const text = logged.join('');
    expect(text).toContain('"route":"createRecord"');
    for (const needle of needles()) expect(text).not.toContain(needle);
  });

  it('KMS calls carry an encryption context naming the opaque record id or the index purpose only', () => {
    const calls = kmsCalls[0]!.calls;
    expect(calls.length).toBeGreaterThan(0);
    expect(calls.some((c) => c.command === 'SignCommand')).toBe(true);
    for (const call of calls) {
      if (call.command === 'SignCommand' || call.command === 'GetPublicKeyCommand') {
        // Session signing takes no context; what is signed holds ids only.
        const signed = Buffer.from(call.input.Message ?? [])
          .toString()
          .split('.')
          .map((part) => Buffer.from(part, 'base64url').toString())
          .join('.');
        for (const needle of needles()) expect(signed).not.toContain(needle);
        continue;
      }
      const context = call.input.EncryptionContext ?? call.input.SourceEncryptionContext;
      expect(context).toBeDefined();
      expect(Object.keys(context).length).toBe(1);
      if ('dmpId' in context) expect(context.dmpId).toMatch(/^[A-Za-z0-9_-]{22}$/);
      else expect(context).toEqual({ purpose: 'keyed-index' });
      expect(JSON.stringify(call.input.EncryptionContext ?? {})).not.toContain(planted.ins);
    }
  });
});

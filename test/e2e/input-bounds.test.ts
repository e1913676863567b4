/**
 * Values a person's record cannot hold: a birth date before 1900 or in the future, and text that
 * is not well-formed Unicode (a lone surrogate, which no character encodes). Each is a 400 naming
 * the field, and nothing is stored.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { documentBody } from '../support/documents.ts';
import { recordBody } from '../support/fixtures.ts';
import { startWarmTestApi, type Answer, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let doctor: string;

beforeAll(async () => void ({ api, doctor } = await startWarmTestApi()));
afterAll(() => api.stop());

const tomorrow = () => new Date(Date.now() + 86_400_000).toISOString().slice(0, 10);

/** The raw JSON of `body` with `"LONE"` replaced by a lone high surrogate, escaped as JSON allows. */
const withLoneSurrogate = (body: unknown): string => JSON.stringify(body).replace('"LONE"', '"A\\ud800B"');

const expectFieldRefused = (res: Answer, path: string) => {
  expect(res.status, JSON.stringify(res.body)).toBe(400);
  expect(res.headers.get('content-type')).toBe('application/problem+json');
  expect(res.body.errors.map((e: { path: string }) => e.path)).toEqual([path]);
};

describe('birth date', () => {
  it.each([['0000-01-01'], ['1899-12-31'], ['tomorrow']])('%s → 400 naming body.identity.birthDate, nothing stored', async (day) => {
    const before = (await api.scanAll()).length;
    const input = recordBody();
    const res = await api.call('POST', '/v1/records', { token: doctor, body: { ...input, identity: { ...input.identity, birthDate: day === 'tomorrow' ? tomorrow() : day } } });
    expectFieldRefused(res, 'body.identity.birthDate');
    expect((await api.scanAll()).length).toBe(before);
  });

  it('admits 1900-01-01 and today', async () => {
    for (const birthDate of ['1900-01-01', new Date().toISOString().slice(0, 10)]) {
      const input = recordBody();
      const res = await api.call('POST', '/v1/records', {
        token: doctor,
        body: { ...input, identity: { ...input.identity, birthDate }, representatives: [{ familyName: 'Rep', givenNames: 'Anne', relationship: 'MTH' }] },
      });
      expect(res.status, JSON.stringify(res.body)).toBe(201);
    }
  });
});

describe('text that is not well-formed Unicode', () => {
  it('a lone surrogate in a document title → 400 naming body.title, nothing stored', async () => {
    const dmpId = (await api.call('POST', '/v1/records', { token: doctor, body: recordBody() })).body.dmpId as string;
    const before = (await api.scanAll()).length;
    const res = await api.call('POST', `/v1/records/${dmpId}/documents`, {
      token: doctor,
      raw: withLoneSurrogate(documentBody({ title: 'LONE' })),
      headers: { 'content-type': 'application/json' },
    });
    expectFieldRefused(res, 'body.title');
    expect((await api.scanAll()).length).toBe(before);
  });

  it('a lone surrogate in a name → 400 naming body.identity.familyName, nothing stored', async () => {
    const before = (await api.scanAll()).length;
    const input = recordBody();
    const res = await api.call('POST', '/v1/records', {
      token: doctor,
      raw: withLoneSurrogate({ ...input, identity: { ...input.identity, familyName: 'LONE' } }),
      headers: { 'content-type': 'application/json' },
    });
    expectFieldRefused(res, 'body.identity.familyName');
    expect((await api.scanAll()).length).toBe(before);
  });
});

/** The health profile and the advance directives over HTTP: bodies with canary values, reads and writes, and the raw items of a record. */
import { expect } from 'vitest';
import { partitionItems } from './aws.ts';
import { adultIdentity, canary, minorBirthDate, randomMobile, recordBody } from './fixtures.ts';
import { activeSession } from './patients.ts';
import type { Answer, TestApi } from './runtime.ts';

/** A full profile as a PUT sends it (content only), with canary texts to look for in the raw table. */
export const profileBody = (extra: Record<string, unknown> = {}) => ({
  bloodGroup: { abo: 'AB', rh: '-' },
  height: { cm: 172 },
  weight: { kg: 68.5 },
  allergies: [{ substance: canary('Arachide'), category: 'food', reaction: canary('Oedeme'), criticality: 'high' }],
  conditions: [{ text: canary('Asthme'), since: '1990-05-01' }],
  treatments: [{ medication: canary('Ventoline'), dosage: canary('Deux bouffees'), since: '2020-01-15' }],
  ...extra,
});

export const readProfile = (api: TestApi, dmpId: string, token: string) => api.call('GET', `/v1/records/${dmpId}/profile`, { token });

export const writeProfile = (api: TestApi, dmpId: string, token: string, body: unknown, ifMatch?: string) =>
  api.call('PUT', `/v1/records/${dmpId}/profile`, { token, body, ...(ifMatch !== undefined ? { headers: { 'If-Match': ifMatch } } : {}) });

/** A profile as read back, turned into what a PUT sends: content only, the ids kept. */
export const asBody = (profile: Record<string, any>) => {
  const strip = ({ source: _s, author: _a, recordedAt: _r, ...content }: Record<string, unknown>) => content;
  return {
    ...(profile.bloodGroup ? { bloodGroup: strip(profile.bloodGroup) } : {}),
    ...(profile.height ? { height: strip(profile.height) } : {}),
    ...(profile.weight ? { weight: strip(profile.weight) } : {}),
    allergies: profile.allergies.map(strip),
    conditions: profile.conditions.map(strip),
    treatments: profile.treatments.map(strip),
  };
};

/** Writes the profile on the version read just before, and expects it to be written: the answer. */
export const writeOnCurrent = async (api: TestApi, dmpId: string, token: string, change: (current: Record<string, any>) => unknown): Promise<Answer> => {
  const current = await readProfile(api, dmpId, token);
  expect(current.status, JSON.stringify(current.body)).toBe(200);
  const res = await writeProfile(api, dmpId, token, change(current.body), current.headers.get('etag') ?? '');
  expect(res.status, JSON.stringify(res.body)).toBe(200);
  return res;
};

export const readWishes = (api: TestApi, dmpId: string, token: string) => api.call('GET', `/v1/records/${dmpId}/wishes`, { token });
export const writeWishes = (api: TestApi, dmpId: string, token: string, body: unknown) => api.call('PUT', `/v1/records/${dmpId}/wishes`, { token, body });

/** Advance directives and a trusted person with canary values. */
export const wishesBody = (extra: Record<string, unknown> = {}) => ({
  advanceDirectives: { exist: true, writtenOn: '2024-02-10', originalKeptAt: canary('ArmoireDuSalon') },
  trustedPerson: { familyName: canary('Confiance'), givenNames: canary('Marie'), relationship: 'fille', mobile: randomMobile() },
  ...extra,
});

/** The record's HEALTH# items, raw. */
export const healthItems = (api: TestApi, dmpId: string) => partitionItems(api.runtime.deps.db, api.runtime.config.tableName, dmpId, 'HEALTH#');

/** Every item of the record's partition but its traces, raw, as JSON: what a refused request must leave as it is. */
export const untraced = async (api: TestApi, dmpId: string): Promise<string[]> =>
  (await partitionItems(api.runtime.deps.db, api.runtime.config.tableName, dmpId)).filter((i) => !String(i.sk?.S).startsWith('TRACE#')).map((i) => JSON.stringify(i));

/** A minor's record created by `creator`, with one representative in session. */
export const minorWithRepresentative = async (api: TestApi, creator: string) => {
  const mobile = randomMobile();
  const res = await api.call('POST', '/v1/records', {
    token: creator,
    body: recordBody({
      identity: { ...adultIdentity(), birthDate: minorBirthDate() },
      representatives: [{ familyName: canary('Rep'), givenNames: 'Anne', relationship: 'MTH', mobile }],
    }),
  });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  const dmpId = res.body.dmpId as string;
  const rep = res.body.representatives[0];
  const { token } = await activeSession(api, { dmpId, loginId: rep.loginId, password: rep.provisionalPassword, mobile });
  return { dmpId, representativeToken: token, representativeLoginId: rep.loginId as string };
};

/**
 * No input a client can send produces a 5xx, on the patient side: login, verify, password change,
 * settings, mobile confirmation, closure, reactivation, notifications — random and mutated
 * requests (fast-check), with a real patient session.
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { activeSession, newPatient, type Holder } from '../support/patients.ts';
import { startTestApi, type TestApi } from '../support/runtime.ts';

let api: TestApi;
let patient: Holder;
let token: string;
beforeAll(async () => {
  api = await startTestApi();
  const doctor = await api.professional();
  ({ token, holder: patient } = await activeSession(api, await newPatient(api, doctor)));
});
afterAll(() => api?.stop());

const expectProblemOrSuccess = (res: { status: number; headers: Headers; body: unknown }) => {
  expect(res.status, JSON.stringify(res.body)).toBeLessThan(500);
  if (res.status >= 400) expect(res.headers.get('content-type')).toBe('application/problem+json');
};

/** A JSON object whose known fields get arbitrary values, plus unknown ones now and then. */
const objectOf = (fields: string[]) => fc.dictionary(fc.constantFrom(...fields, 'extra', '__proto__', 'constructor'), fc.jsonValue(), { maxKeys: 4 });

describe('never a 5xx on patient operations', () => {
  it('for arbitrary login and verify bodies, without a token', async () => {
    await fc.assert(
      fc.asyncProperty(objectOf(['loginId', 'password']), objectOf(['challengeId', 'code']), fc.jsonValue(), async (login, verify, anything) => {
        for (const [path, body] of [
          ['/v1/auth/patient/login', login],
          ['/v1/auth/patient/verify', verify],
          ['/v1/auth/patient/login', anything],
        ] as const) {
          expectProblemOrSuccess(await api.call('POST', path, { body }));
        }
      }),
      { numRuns: 80 },
    );
  });

  it('for arbitrary settings, confirmation, closure, reactivation and password bodies, with a session', async () => {
    const base = `/v1/records/${patient.dmpId}`;
    await fc.assert(
      fc.asyncProperty(
        fc.record(
          {
            emergencyAccess: fc.oneof(fc.jsonValue(), objectOf(['breakGlass', 'regulation'])),
            contact: fc.oneof(fc.jsonValue(), objectOf(['mobile', 'email'])),
          },
          { requiredKeys: [] },
        ),
        objectOf(['code']),
        objectOf(['reason']),
        objectOf(['consent']),
        objectOf(['currentPassword', 'newPassword']),
        async (settings, confirmation, closure, reactivation, password) => {
          expectProblemOrSuccess(await api.call('PATCH', `${base}/settings`, { token, body: settings }));
          expectProblemOrSuccess(await api.call('POST', `${base}/settings/mobile-confirmation`, { token, body: confirmation }));
          expectProblemOrSuccess(await api.call('POST', `${base}/closure`, { token, body: closure }));
          expectProblemOrSuccess(await api.call('POST', `${base}/reactivation`, { token, body: reactivation }));
          expectProblemOrSuccess(await api.call('POST', '/v1/auth/patient/password', { token, body: password }));
        },
      ),
      { numRuns: 60 },
    );
  });

  it('for arbitrary notification queries and record ids', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string({ maxLength: 80 }), fc.string({ maxLength: 80 }), fc.string({ minLength: 1, maxLength: 40 }), async (limit, cursor, segment) => {
        const q = `limit=${encodeURIComponent(limit)}&cursor=${encodeURIComponent(cursor)}`;
        expectProblemOrSuccess(await api.call('GET', `/v1/records/${patient.dmpId}/notifications?${q}`, { token }));
        expectProblemOrSuccess(await api.call('GET', `/v1/records/${encodeURIComponent(segment)}/notifications`, { token }));
        const cursorOnly = Buffer.from(cursor).toString('base64url').slice(0, 500);
        if (cursorOnly) expectProblemOrSuccess(await api.call('GET', `/v1/records/${patient.dmpId}/notifications?cursor=${cursorOnly}`, { token }));
      }),
      { numRuns: 80 },
    );
  });
});

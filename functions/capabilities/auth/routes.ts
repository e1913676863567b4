/** The auth capability's part of the route manifest, and what its function needs (functions/capabilities/index.ts lists every capability). */
import type { CapabilityManifest } from '#http/capability';
import { KIB, type Route } from '#http/route';
import * as c from '#http/schemas';
import * as s from './schemas.ts';

export const AUTH_ROUTES = [
  {
    id: 'patientLogin',
    method: 'POST',
    path: '/v1/auth/patient/login',
    capability: 'auth',
    callers: ['anonymous'],
    summary: 'First factor: login id and password; sends a one-time code by SMS',
    body: s.LoginBody,
    maxBodyBytes: 1 * KIB,
    responses: { 202: { description: 'Code sent', schema: s.LoginChallenge } },
    errors: [401, 403, 422, 429],
  },
  {
    id: 'patientVerify',
    method: 'POST',
    path: '/v1/auth/patient/verify',
    capability: 'auth',
    callers: ['anonymous'],
    summary: 'Second factor: the SMS code; returns a session token (15 minutes)',
    body: s.VerifyBody,
    maxBodyBytes: 1 * KIB,
    responses: { 200: { description: 'Session', schema: s.Session } },
    errors: [401, 429],
  },
  {
    id: 'patientPassword',
    method: 'POST',
    path: '/v1/auth/patient/password',
    capability: 'auth',
    callers: ['patient', 'representative'],
    summary: 'Change the password (required after a provisional one)',
    body: s.PasswordBody,
    beforePasswordChange: true,
    maxBodyBytes: 1 * KIB,
    responses: { 204: { description: 'Changed' } },
    errors: [422, 429],
  },
  {
    id: 'reissueCredentials',
    method: 'POST',
    path: '/v1/records/{dmpId}/credentials',
    capability: 'auth',
    callers: ['agent'],
    summary: 'Issue new patient credentials at a CPAM desk (lost password, or a minor who turned 18)',
    description: 'The previous patient login stops working. When the person is of age, the representatives’ logins are removed.',
    params: c.RecordParams,
    body: s.ReissueBody,
    maxBodyBytes: 1 * KIB,
    responses: { 201: { description: 'New provisional credentials, to hand over on paper', schema: s.ReissuedCredentials } },
    errors: [404, 409],
  },
] as const satisfies readonly Route[];

/** The auth capability: its routes and what its function needs. */
export const AUTH = {
  name: 'auth',
  routes: AUTH_ROUTES,
  function: {
    description: 'DMP patient authentication: login, SMS code, sessions, passwords, credentials reissue',
    // scrypt password hashes (32 MiB, CPU-bound).
    memorySize: 1024,
    // UpdateItem: attempts are counted (login id, source, challenge) by conditional writes before any check.
    items: ['GetItem', 'BatchGetItem', 'PutItem', 'UpdateItem', 'DeleteItem', 'ConditionCheckItem', 'Query'],
    dataKey: [
      { operations: ['Decrypt'], contexts: ['record', 'keyedIndex'] },
      // Only the keyed-hash secret, created on first start if absent: never a record's data key.
      { operations: ['GenerateDataKey'], contexts: ['keyedIndex'] },
    ],
    // The login code goes out at once, not through the outbox.
    sms: true,
    sessions: 'sign',
  },
} as const satisfies CapabilityManifest;

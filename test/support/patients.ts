/**
 * Patients and representatives over HTTP: create a record, log in with password + the SMS code
 * read from the emulator's recorded messages, change the provisional password.
 */
import { expect } from 'vitest';
import type { Clock } from '../../functions/domain/ports.ts';
import { recordBody } from './fixtures.ts';
import { startTestApi, type TestApi } from './runtime.ts';

/** A clock the tests move (two weeks, ten years...). */
export class MovableClock implements Clock {
  private offsetMs = 0;
  now(): Date {
    return new Date(Date.now() + this.offsetMs);
  }
  advance(ms: number): void {
    this.offsetMs += ms;
  }
  reset(): void {
    this.offsetMs = 0;
  }
}

export const YEAR_MS = 365.25 * 86_400_000;

/** The most recent 6-digit code sent to a number. */
export const lastCode = async (api: TestApi, mobile: string): Promise<string> => {
  const items = await api.sms(mobile);
  const codes = items.map((m) => /\b([0-9]{6})\b/.exec(m.message)?.[1]).filter((c): c is string => !!c);
  const code = codes.at(-1);
  if (!code) throw new Error('no code was sent to this number');
  return code;
};

export interface Holder {
  dmpId: string;
  loginId: string;
  password: string;
  mobile: string;
}

/** A new adult's record, created by a professional: the patient's login and provisional password. */
export const newPatient = async (api: TestApi, creatorToken: string, extra: Record<string, unknown> = {}): Promise<Holder & { ins: string }> => {
  const body = recordBody(extra);
  const res = await api.call('POST', '/v1/records', { token: creatorToken, body });
  expect(res.status).toBe(201);
  return { dmpId: res.body.dmpId, loginId: res.body.credentials.loginId, password: res.body.credentials.provisionalPassword, mobile: body.contact.mobile, ins: body.ins };
};

export const login = (api: TestApi, loginId: string, password: string) => api.call('POST', '/v1/auth/patient/login', { body: { loginId, password } });
export const verify = (api: TestApi, challengeId: string, code: string) => api.call('POST', '/v1/auth/patient/verify', { body: { challengeId, code } });

/** Password, then the code sent by SMS: the session's answer. */
export const openSession = async (api: TestApi, h: Pick<Holder, 'loginId' | 'password' | 'mobile'>) => {
  const first = await login(api, h.loginId, h.password);
  expect(first.status).toBe(202);
  return verify(api, first.body.challengeId, await lastCode(api, h.mobile));
};

export const NEW_PASSWORD = 'une longue phrase de passe 2026';

/** A session with the provisional password already changed: what the patient uses day to day. */
export const activeSession = async (api: TestApi, h: Holder): Promise<{ token: string; holder: Holder }> => {
  const first = await openSession(api, h);
  expect(first.status).toBe(200);
  if (first.body.mustChangePassword) {
    const changed = await api.call('POST', '/v1/auth/patient/password', { token: first.body.accessToken, body: { currentPassword: h.password, newPassword: NEW_PASSWORD } });
    expect(changed.status).toBe(204);
    h = { ...h, password: NEW_PASSWORD };
    const second = await openSession(api, h);
    expect(second.status).toBe(200);
    return { token: second.body.accessToken, holder: h };
  }
  return { token: first.body.accessToken, holder: h };
};

/** A test API on the given clock, with a doctor's token (who creates the patients). */
export const startClockedApi = async (clock: MovableClock): Promise<{ api: TestApi; doctor: string }> => {
  const api = await startTestApi({ clock });
  return { api, doctor: await api.professional() };
};

/** A new patient with a day-to-day session. */
export const patientWithSession = async (api: TestApi, doctor: string): Promise<{ p: Holder & { ins: string }; token: string }> => {
  const p = await newPatient(api, doctor);
  const { token } = await activeSession(api, p);
  return { p, token };
};

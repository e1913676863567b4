/**
 * The in-process local runtime on a moto_server started here (outside vitest, so no `inject`), and
 * a small HTTP client over real HTTP (fetch to runtime.url).
 */
import { randomUUID } from 'node:crypto';
import { startLocal, type LocalRuntime } from '../../bin/local-runtime.ts';
import { startMoto, type Emulator } from '../../bin/moto.ts';
import { adultIdentity, randomIns, randomMobile, randomRpps } from '../support/fixtures.ts';

export interface Answer {
  status: number;
  body: any;
}

export interface Bench {
  runtime: LocalRuntime;
  emulator: Emulator;
  call(method: string, path: string, opts?: { body?: unknown; token?: string; headers?: Record<string, string> }): Promise<Answer>;
  professionalToken(professionalId?: string): Promise<string>;
  stop(): Promise<void>;
}

export const startBench = async (): Promise<Bench> => {
  const emulator = await startMoto();
  let runtime: LocalRuntime;
  try {
    runtime = await startLocal({
      endpoint: emulator.endpoint,
      port: 0,
      tableName: `bench-${randomUUID().slice(0, 8)}`,
      logLevel: 'SILENT',
      dispatchIntervalMs: 0,
    });
  } catch (error) {
    await emulator.stop();
    throw error;
  }
  const call: Bench['call'] = async (method, path, opts = {}) => {
    const headers: Record<string, string> = { ...(opts.headers ?? {}) };
    if (opts.token) headers.authorization = `Bearer ${opts.token}`;
    let body: string | undefined;
    if (opts.body !== undefined) {
      body = JSON.stringify(opts.body);
      headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${runtime.url}${path}`, { method, headers, ...(body !== undefined ? { body } : {}) });
    const text = await res.text();
    return { status: res.status, body: text && (res.headers.get('content-type') ?? '').includes('json') ? JSON.parse(text) : text };
  };
  return {
    runtime,
    emulator,
    call,
    professionalToken: async (professionalId = randomRpps()) => {
      const res = await call('POST', '/_local/tokens', { body: { kind: 'professional', professionalId, profession: '10' } });
      if (res.status !== 200) throw new Error(`token request refused (${res.status}): ${JSON.stringify(res.body)}`);
      return res.body.accessToken as string;
    },
    stop: async () => {
      try {
        await runtime.stop();
      } finally {
        await emulator.stop();
      }
    },
  };
};

/** A creation by a professional (not a pharmacist): an adult, with a mobile (one SMS in the outbox). */
export const creationBody = () => ({
  ins: randomIns(),
  identity: adultIdentity(),
  contact: { mobile: randomMobile() },
  consent: { expressConsent: true },
});

export const expectStatus = (what: string, res: Answer, status: number): Answer => {
  if (res.status !== status) throw new Error(`${what}: expected HTTP ${status}, got ${res.status}: ${JSON.stringify(res.body).slice(0, 500)}`);
  return res;
};

// ── Patients: a record created by a professional, its login, the SMS code, the session ─────────

/** A patient's login as the creation answered it (provisional password) or after it was changed. */
export interface Holder {
  dmpId: string;
  loginId: string;
  password: string;
  mobile: string;
}

/** The patient's password after the first session changed the provisional one. */
export const BENCH_PASSWORD = 'une longue phrase de passe pour le banc 2026';

/** A new adult's record, created by a professional: the patient's login and provisional password. */
export const createPatient = async (bench: Bench, token: string): Promise<Holder> => {
  const body = creationBody();
  const res = expectStatus('POST /v1/records', await bench.call('POST', '/v1/records', { token, body }), 201);
  const credentials = res.body.credentials as { loginId?: string; provisionalPassword?: string } | undefined;
  if (!credentials?.loginId || !credentials.provisionalPassword) throw new Error(`POST /v1/records answered no patient credentials: ${JSON.stringify(res.body).slice(0, 300)}`);
  return { dmpId: res.body.dmpId as string, loginId: credentials.loginId, password: credentials.provisionalPassword, mobile: body.contact.mobile };
};

/** The 6-digit code of the most recent SMS to a number, from the emulator's record (GET /_local/sms). */
export const lastSmsCode = async (bench: Bench, mobile: string): Promise<string> => {
  const res = expectStatus('GET /_local/sms', await bench.call('GET', `/_local/sms?to=${encodeURIComponent(mobile)}`), 200);
  const last = (res.body.items as { message: string }[]).at(-1);
  const code = last && /\b([0-9]{6})\b/.exec(last.message)?.[1];
  if (!code) throw new Error('no login code was sent to this number');
  return code;
};

/** POST /v1/auth/patient/login with the right password: the challenge id (202). */
export const patientLogin = async (bench: Bench, h: Pick<Holder, 'loginId' | 'password'>): Promise<string> =>
  expectStatus('POST /v1/auth/patient/login', await bench.call('POST', '/v1/auth/patient/login', { body: { loginId: h.loginId, password: h.password } }), 202).body
    .challengeId as string;

/** POST /v1/auth/patient/verify with the right code: the session (200). */
export const patientVerify = async (bench: Bench, challengeId: string, code: string): Promise<{ accessToken: string; mustChangePassword: boolean }> => {
  const res = expectStatus('POST /v1/auth/patient/verify', await bench.call('POST', '/v1/auth/patient/verify', { body: { challengeId, code } }), 200);
  return { accessToken: res.body.accessToken as string, mustChangePassword: res.body.mustChangePassword as boolean };
};

/**
 * The provisional password's first session, then the change it is limited to (204): the holder
 * that logs in day to day. Every password and code given is the right one (accounts lock after 5
 * failures, a source after 30 per 15 minutes).
 */
export const activatePatient = async (bench: Bench, h: Holder): Promise<Holder> => {
  const challengeId = await patientLogin(bench, h);
  const first = await patientVerify(bench, challengeId, await lastSmsCode(bench, h.mobile));
  if (!first.mustChangePassword) throw new Error('a provisional password’s session did not ask for a password change');
  expectStatus(
    'POST /v1/auth/patient/password',
    await bench.call('POST', '/v1/auth/patient/password', { token: first.accessToken, body: { currentPassword: h.password, newPassword: BENCH_PASSWORD } }),
    204,
  );
  return { ...h, password: BENCH_PASSWORD };
};

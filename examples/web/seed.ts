/**
 * Seeds the local runtime (`npm start`) with a patient to walk through the example page: a record
 * created by a doctor, three documents the doctor deposits, one of them read by the doctor (so that
 * the access log shows a read), and the provisional password already changed. Everything goes
 * through the typed client but two local stand-ins: the doctor's token (POST /_local/tokens, what
 * Pro Santé Connect issues when deployed) and the SMS code (GET /_local/sms, what the patient's
 * phone receives).
 *
 *   npx tsx examples/web/seed.ts [http://localhost:3000]
 */
import { randomInt } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { bearer, createDmpClient } from '../../clients/typescript/index.ts';
import { insKey } from '../../functions/domain/ins.ts';

export interface SeededPatient {
  dmpId: string;
  loginId: string;
  password: string;
  mobile: string;
  /** The doctor who created the record and deposited the documents. */
  professionalId: string;
  documents: { documentId: string; title: string }[];
}

const DOCUMENTS = [
  { typeCode: '11488-4', title: 'Compte rendu de consultation du Dr Martin', serviceDate: '2026-10-02', text: 'Consultation de suivi.' },
  { typeCode: '11502-2', title: 'Bilan sanguin de contrôle', serviceDate: '2026-10-20', text: 'Numération formule sanguine.' },
  { typeCode: '18748-4', title: 'Radiographie du genou droit', serviceDate: '2026-11-05', text: 'Pas de lésion osseuse.' },
] as const;

const digits = (n: number, width: number): string => String(n).padStart(width, '0');

/** A random, valid INS (the order number is random: no real person's). */
const randomIns = (): string => {
  const nir = `2${digits(randomInt(50, 99), 2)}${digits(randomInt(1, 13), 2)}75${digits(randomInt(1, 1000), 3)}${digits(randomInt(1, 1000), 3)}`;
  return nir + digits(insKey(nir), 2);
};

/** The most recent 6-digit code the emulator's SMS log holds for a number. */
export const lastSmsCode = async (apiUrl: string, mobile: string): Promise<string> => {
  const res = await fetch(`${apiUrl}/_local/sms?to=${encodeURIComponent(mobile)}`);
  const { items } = (await res.json()) as { items: { message: string }[] };
  const code = items.map((m) => /\b(\d{6})\b/.exec(m.message)?.[1]).findLast((c) => c !== undefined);
  if (!code) throw new Error('no code was sent to this number');
  return code;
};

/** A local doctor's token (the stand-in for Pro Santé Connect). */
const doctorToken = async (apiUrl: string, professionalId: string): Promise<string> => {
  const res = await fetch(`${apiUrl}/_local/tokens`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ kind: 'professional', professionalId, profession: '10' }),
  });
  if (!res.ok) throw new Error(`token refused: ${res.status}`);
  return ((await res.json()) as { accessToken: string }).accessToken;
};

const ok = <T>(what: string, answer: { data?: T; error?: unknown; response: Response }): T => {
  if (answer.data === undefined && answer.response.status !== 204) throw new Error(`${what}: ${answer.response.status} ${JSON.stringify(answer.error)}`);
  return answer.data as T;
};

export const seedPatient = async (apiUrl: string, password = 'une longue phrase de passe 2026'): Promise<SeededPatient> => {
  const dmp = createDmpClient({ baseUrl: apiUrl });
  const professionalId = `8${digits(randomInt(0, 1e11), 11)}`;
  const doctor = bearer(await doctorToken(apiUrl, professionalId));
  const mobile = `+336${digits(randomInt(0, 1e8), 8)}`;
  const created = ok(
    'record creation',
    await dmp.POST('/v1/records', {
      headers: doctor,
      body: {
        ins: randomIns(),
        identity: { familyName: 'Exemple', givenNames: 'Camille', birthDate: '1980-05-17', sex: 'F' },
        contact: { mobile },
        consent: { expressConsent: true, informedAt: new Date().toISOString().replace(/\.\d+Z$/, 'Z') },
      },
    }),
  );
  const { dmpId } = created;
  const credentials = created.credentials;
  if (!credentials || !('provisionalPassword' in credentials)) throw new Error('the record came without a provisional password');

  const documents: SeededPatient['documents'] = [];
  for (const d of DOCUMENTS) {
    const deposited = ok(
      'deposit',
      await dmp.POST('/v1/records/{dmpId}/documents', {
        params: { path: { dmpId } },
        headers: doctor,
        body: { typeCode: d.typeCode, title: d.title, serviceDate: d.serviceDate, contentType: 'text/plain', content: Buffer.from(d.text).toString('base64') },
      }),
    );
    documents.push({ documentId: deposited.documentId, title: d.title });
  }
  ok('read', await dmp.GET('/v1/records/{dmpId}/documents/{documentId}', { params: { path: { dmpId, documentId: documents[0]!.documentId } }, headers: doctor }));

  // The provisional password is changed once, as the patient's first login asks.
  const login = ok('login', await dmp.POST('/v1/auth/patient/login', { body: { loginId: credentials.loginId, password: credentials.provisionalPassword } }));
  const session = ok('verify', await dmp.POST('/v1/auth/patient/verify', { body: { challengeId: login.challengeId, code: await lastSmsCode(apiUrl, mobile) } }));
  ok(
    'password change',
    await dmp.POST('/v1/auth/patient/password', { headers: bearer(session.accessToken), body: { currentPassword: credentials.provisionalPassword, newPassword: password } }),
  );
  return { dmpId, loginId: credentials.loginId, password, mobile, professionalId, documents };
};

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const apiUrl = process.argv[2] ?? 'http://localhost:3000';
  const p = await seedPatient(apiUrl);
  console.log(`Seeded a patient on ${apiUrl} with ${p.documents.length} documents.`);
  console.log(`  login id: ${p.loginId}`);
  console.log(`  password: ${p.password}`);
  console.log(`  SMS code, after the password: curl -s '${apiUrl}/_local/sms?to=${encodeURIComponent(p.mobile)}'`);
}

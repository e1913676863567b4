/**
 * A model-based test of who reads what, over HTTP through the local runtime. Random sequences of
 * what the patient and a few professionals do (authorize, block, remove, name the attending
 * physician, record consent, deposit, mask, reveal, declare break-glass or regulation, oppose or
 * allow emergency access) are played against one record; every read (one document, or the list)
 * is compared with a small reference model written here from the rules, not from the policy
 * module: a read the model forbids is refused, a read the model allows succeeds.
 *
 * The rules, as the model has them:
 *   - a blocked professional gets nothing;
 *   - the author of a document always reads it (unless blocked);
 *   - otherwise a professional reads with a valid authorization (normal), or with an emergency
 *     access still running whose mode the patient does not oppose now (regulation: regulators only);
 *   - then the profession matrix must allow the document's class (or its type's exception);
 *   - a masked document is seen only by attending physicians (and its author);
 *   - the patient sees every document not invisible to the patient.
 */
import { randomInt } from 'node:crypto';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import accessMatrix from '../../data/access-matrix.json' with { type: 'json' };
import documentTypes from '../../data/document-types.json' with { type: 'json' };
import { documentBody } from '../support/documents.ts';
import { randomRpps } from '../support/fixtures.ts';
import { MovableClock, patientWithSession, startClockedApi } from '../support/patients.ts';
import type { Answer, TestApi } from '../support/runtime.ts';

// ── The actors ────────────────────────────────────────────────────────────────────────────────
type Pro = 'doctor' | 'pharmacist' | 'nurse' | 'regulator';
type Reader = Pro | 'patient';
const PROS: readonly Pro[] = ['doctor', 'pharmacist', 'nurse', 'regulator'];
const DOCTORS: readonly Pro[] = ['doctor', 'regulator'];

/** Who each professional is; the ids are drawn afresh for every run (see `professionals`). */
const PROFILE: Record<Pro, { profession: string; role?: string }> = {
  doctor: { profession: '10' },
  pharmacist: { profession: '21' },
  nurse: { profession: '60' },
  regulator: { profession: '10', role: 'regulator' },
};

// ── The rules ─────────────────────────────────────────────────────────────────────────────────
/** What each profession of the test reads, by class; and the one type whose readers are listed. */
const READS: Record<string, '*' | readonly string[]> = {
  '10': '*',
  '21': ['11', '42', '45', '60', '90'],
  '60': ['10', '11', '42', '45', '90'],
};
const TYPE_EXCEPTIONS: Record<string, readonly string[]> = { EXPPAT_3: ['10', '50', '60'] };

const professionReads = (profession: string, classCode: string, typeCode: string): boolean => {
  const exception = TYPE_EXCEPTIONS[typeCode];
  if (exception) return exception.includes(profession);
  const classes = READS[profession];
  return classes === '*' || (classes ?? []).includes(classCode);
};

/** What professionals deposit (class in brackets), and what the patient deposits (class 90). */
const PRO_TYPES = ['11502-2' /* 10 */, '60591-5' /* 11 */, '18748-4' /* 31 */, '57833-6' /* 42 */, '11369-6' /* 45 */, '89601-9' /* 52 */] as const;
const PATIENT_TYPES = ['DOCPAT01', 'EXPPAT_3'] as const;
const classOf = (typeCode: string): string => {
  const type = documentTypes.types.find((t) => t.typeCode === typeCode);
  if (!type) throw new Error(`unknown type ${typeCode}`);
  return type.classCode;
};

type EmergencyMode = 'break-glass' | 'regulation';

interface ModelDoc {
  typeCode: string;
  classCode: string;
  author: Reader;
  masked: boolean;
  hiddenFromPatient: boolean;
}

interface Model {
  relation: Partial<Record<Pro, { status: 'authorized' | 'blocked'; attending: boolean }>>;
  emergency: Partial<Record<Pro, EmergencyMode>>;
  allowed: { 'break-glass': boolean; regulation: boolean };
  docs: ModelDoc[];
}

const blocked = (m: Model, p: Pro) => m.relation[p]?.status === 'blocked';

/** The reference model's answer: may this reader read this document? */
const mayRead = (m: Model, reader: Reader, doc: ModelDoc): boolean => {
  if (reader === 'patient') return !doc.hiddenFromPatient;
  if (blocked(m, reader)) return false;
  if (doc.author === reader) return true;
  const relation = m.relation[reader];
  const normal = relation?.status === 'authorized';
  const mode = m.emergency[reader];
  const emergency = mode !== undefined && m.allowed[mode] && (mode === 'break-glass' || PROFILE[reader].role === 'regulator');
  if (!normal && !emergency) return false;
  if (!professionReads(PROFILE[reader].profession, doc.classCode, doc.typeCode)) return false;
  if (doc.masked && !(normal && relation.attending)) return false;
  return true;
};

// ── The system under test ─────────────────────────────────────────────────────────────────────
/**
 * One patient record for the whole file, and for each run four professionals the record has never
 * met and the documents they deposit: a run starts from a blank standing and sees only its own
 * documents, so runs stay independent (and shrink) without a new record each time — a patient's
 * session costs two SMS codes read through the emulator's whole state, slower with every record.
 */
interface Real {
  dmpId: string;
  patient: string;
  pros: Record<Pro, { id: string; token: string }>;
  docIds: string[];
}

let api: TestApi;
let patient: { dmpId: string; token: string };
const clock = new MovableClock();

beforeAll(async () => {
  const { api: started, doctor } = await startClockedApi(clock);
  api = started;
  const { p, token } = await patientWithSession(api, doctor);
  patient = { dmpId: p.dmpId, token };
});
afterAll(() => api?.stop());

/** Four professionals never seen by the record: an RPPS doctor, an RPPS pharmacist, an ADELI nurse, an RPPS regulator. */
const professionals = async (): Promise<Real['pros']> => {
  const pros = {} as Real['pros'];
  for (const who of PROS) {
    const id = who === 'nurse' ? `0${String(randomInt(0, 1e9)).padStart(9, '0')}` : randomRpps();
    const { profession, role } = PROFILE[who];
    pros[who] = { id, token: await api.professional({ professionalId: id, profession, ...(role ? { role } : {}) }) };
  }
  return pros;
};

const tokenOf = (r: Real, who: Reader) => (who === 'patient' ? r.patient : r.pros[who].token);
const docPath = (r: Real, i: number) => `/v1/records/${r.dmpId}/documents/${r.docIds[i]}`;

const DENIED = [403, 404];
/** How many reads the model allowed and forbade: a property checked on no read would prove nothing. */
const reads = { allowed: 0, denied: 0 };
const expectStatus = (what: string, res: Answer, expected: number | number[]) => {
  const wanted = Array.isArray(expected) ? expected : [expected];
  expect(wanted, `${what}: got ${res.status} ${JSON.stringify(res.body)}`).toContain(res.status);
};

// ── Commands ──────────────────────────────────────────────────────────────────────────────────
type Cmd = fc.AsyncCommand<Model, Real>;

/** The patient authorizes or blocks a professional (PUT), perhaps naming a doctor attending physician. */
class Decide implements Cmd {
  readonly who: Pro;
  readonly status: 'authorized' | 'blocked';
  readonly attending: boolean | undefined;
  constructor(who: Pro, status: 'authorized' | 'blocked', attending: boolean | undefined) {
    this.who = who;
    this.status = status;
    this.attending = attending;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { status: this.status, ...(this.status === 'authorized' && this.attending !== undefined ? { attendingPhysician: this.attending } : {}) };
    const res = await api.call('PUT', `/v1/records/${r.dmpId}/professionals/${r.pros[this.who].id}`, { token: r.patient, body });
    expectStatus(this.toString(), res, 200);
    const previous = m.relation[this.who];
    const attending = this.status === 'authorized' && (this.attending ?? (previous?.status === 'authorized' ? previous.attending : false));
    expect(res.body.attendingPhysician, this.toString()).toBe(attending);
    m.relation[this.who] = { status: this.status, attending };
  }
  toString = () =>
    `patient ${this.status === 'blocked' ? 'blocks' : 'authorizes'} ${this.who}${this.attending === undefined || this.status === 'blocked' ? '' : ` (attending: ${this.attending})`}`;
}

/** The patient removes a professional from the list (DELETE): 404 when there is nothing to remove. */
class Remove implements Cmd {
  readonly who: Pro;
  constructor(who: Pro) {
    this.who = who;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await api.call('DELETE', `/v1/records/${r.dmpId}/professionals/${r.pros[this.who].id}`, { token: r.patient });
    expectStatus(this.toString(), res, m.relation[this.who] ? 204 : 404);
    delete m.relation[this.who];
  }
  toString = () => `patient removes ${this.who}`;
}

/**
 * A professional records the patient's consent given at the consultation: never over a block,
 * and never naming himself attending physician (asking is refused; the patient's choice stays).
 */
class Consent implements Cmd {
  readonly who: Pro;
  readonly attending: boolean | undefined;
  constructor(who: Pro, attending: boolean | undefined) {
    this.who = who;
    this.attending = attending;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { mode: 'normal', patientConsent: true, ...(this.attending !== undefined ? { attendingPhysician: this.attending } : {}) };
    const res = await api.call('POST', `/v1/records/${r.dmpId}/access`, { token: r.pros[this.who].token, body });
    if (blocked(m, this.who) || this.attending === true) return expectStatus(this.toString(), res, 403);
    expectStatus(this.toString(), res, 200);
    m.relation[this.who] = { status: 'authorized', attending: m.relation[this.who]?.attending ?? false };
  }
  toString = () => `${this.who} records consent${this.attending === undefined ? '' : ` (asks attending: ${this.attending})`}`;
}

/** A professional declares an emergency access. */
class Emergency implements Cmd {
  readonly who: Pro;
  readonly mode: EmergencyMode;
  constructor(who: Pro, mode: EmergencyMode) {
    this.who = who;
    this.mode = mode;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const body = { mode: this.mode, ...(this.mode === 'break-glass' ? { reason: 'Patient inconscient aux urgences' } : {}) };
    const res = await api.call('POST', `/v1/records/${r.dmpId}/access`, { token: r.pros[this.who].token, body });
    const refused = blocked(m, this.who) || !m.allowed[this.mode] || (this.mode === 'regulation' && PROFILE[this.who].role !== 'regulator');
    if (refused) return expectStatus(this.toString(), res, 403);
    expectStatus(this.toString(), res, 200);
    m.emergency[this.who] = this.mode;
  }
  toString = () => `${this.who} declares ${this.mode}`;
}

/** The patient opposes or allows an emergency mode (PATCH settings). */
class Settings implements Cmd {
  readonly mode: EmergencyMode;
  readonly allowed: boolean;
  constructor(mode: EmergencyMode, allowed: boolean) {
    this.mode = mode;
    this.allowed = allowed;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const key = this.mode === 'break-glass' ? 'breakGlass' : 'regulation';
    const res = await api.call('PATCH', `/v1/records/${r.dmpId}/settings`, { token: r.patient, body: { emergencyAccess: { [key]: this.allowed } } });
    expectStatus(this.toString(), res, 200);
    m.allowed[this.mode] = this.allowed;
    expect(res.body.emergencyAccess).toEqual({ breakGlass: m.allowed['break-glass'], regulation: m.allowed.regulation });
  }
  toString = () => `patient ${this.allowed ? 'allows' : 'opposes'} ${this.mode}`;
}

/** A deposit: by a professional (any class but 90, perhaps hidden from the patient), or by the patient (class 90). */
class Deposit implements Cmd {
  readonly typeCode: string;
  readonly author: Reader;
  readonly hidden: boolean;
  constructor(author: Reader, typeIndex: number, hidden: boolean) {
    this.author = author;
    this.hidden = hidden;
    this.typeCode = author === 'patient' ? PATIENT_TYPES[typeIndex % PATIENT_TYPES.length]! : PRO_TYPES[typeIndex % PRO_TYPES.length]!;
  }
  check = (m: Readonly<Model>) => m.docs.length < 8;
  async run(m: Model, r: Real) {
    const hidden = this.hidden && this.author !== 'patient';
    const body = documentBody(
      { typeCode: this.typeCode, title: `Document ${m.docs.length}`, ...(hidden ? { visibility: { invisibleToPatient: true } } : {}) },
      Buffer.from(`document ${m.docs.length}`),
    );
    const res = await api.call('POST', `/v1/records/${r.dmpId}/documents`, { token: tokenOf(r, this.author), body });
    if (this.author !== 'patient' && blocked(m, this.author)) return expectStatus(this.toString(), res, 403);
    expectStatus(this.toString(), res, 201);
    r.docIds.push(res.body.documentId);
    m.docs.push({ typeCode: this.typeCode, classCode: classOf(this.typeCode), author: this.author, masked: false, hiddenFromPatient: hidden });
  }
  toString = () => `${this.author} deposits ${this.typeCode}${this.hidden && this.author !== 'patient' ? ' hidden from the patient' : ''}`;
}

/** The patient masks or unmasks a document (only one the patient can see). */
class Mask implements Cmd {
  readonly pick: number;
  readonly masked: boolean;
  constructor(pick: number, masked: boolean) {
    this.pick = pick;
    this.masked = masked;
  }
  check = (m: Readonly<Model>) => m.docs.length > 0;
  async run(m: Model, r: Real) {
    const i = this.pick % m.docs.length;
    const doc = m.docs[i]!;
    const res = await api.call('PATCH', docPath(r, i), { token: r.patient, body: { maskedToProfessionals: this.masked } });
    if (doc.hiddenFromPatient) return expectStatus(`${this.toString()} (#${i}, hidden from the patient)`, res, 404);
    expectStatus(`${this.toString()} (#${i})`, res, 200);
    doc.masked = this.masked;
  }
  toString = () => `patient ${this.masked ? 'masks' : 'unmasks'} document ${this.pick}`;
}

/** The author of a document hidden from the patient reveals it. */
class Reveal implements Cmd {
  readonly pick: number;
  constructor(pick: number) {
    this.pick = pick;
  }
  check = (m: Readonly<Model>) => m.docs.length > 0;
  async run(m: Model, r: Real) {
    const i = this.pick % m.docs.length;
    const doc = m.docs[i]!;
    if (doc.author === 'patient') return;
    const res = await api.call('PATCH', docPath(r, i), { token: r.pros[doc.author].token, body: { invisibleToPatient: false } });
    if (blocked(m, doc.author)) return expectStatus(`${this.toString()} (#${i}, author blocked)`, res, 403);
    expectStatus(`${this.toString()} (#${i})`, res, 200);
    doc.hiddenFromPatient = false;
  }
  toString = () => `author reveals document ${this.pick} to the patient`;
}

/** READ: one document, by a professional or the patient. */
class Read implements Cmd {
  readonly reader: Reader;
  readonly pick: number;
  constructor(reader: Reader, pick: number) {
    this.reader = reader;
    this.pick = pick;
  }
  check = (m: Readonly<Model>) => m.docs.length > 0;
  async run(m: Model, r: Real) {
    const i = this.pick % m.docs.length;
    const doc = m.docs[i]!;
    const res = await api.call('GET', docPath(r, i), { token: tokenOf(r, this.reader) });
    const what = `${this.reader} reads #${i} (${doc.typeCode}, class ${doc.classCode}, by ${doc.author}${doc.masked ? ', masked' : ''}${doc.hiddenFromPatient ? ', hidden from the patient' : ''}) in ${describe_(m)}`;
    if (mayRead(m, this.reader, doc)) {
      reads.allowed += 1;
      expectStatus(what, res, 200);
      expect(res.body.documentId).toBe(r.docIds[i]);
      expect(Buffer.from(res.body.content, 'base64').toString()).toBe(`document ${i}`);
    } else {
      reads.denied += 1;
      expectStatus(what, res, DENIED);
    }
  }
  toString = () => `${this.reader} reads document ${this.pick}`;
}

/** READ: the list, by a professional or the patient — exactly the documents the model allows. */
class List implements Cmd {
  readonly reader: Reader;
  constructor(reader: Reader) {
    this.reader = reader;
  }
  check = () => true;
  async run(m: Model, r: Real) {
    const res = await api.call('GET', `/v1/records/${r.dmpId}/documents?limit=100`, { token: tokenOf(r, this.reader) });
    const what = `${this.reader} lists in ${describe_(m)}`;
    if (this.reader !== 'patient' && blocked(m, this.reader)) return expectStatus(what, res, 403);
    expectStatus(what, res, 200);
    // The record holds the documents of earlier runs too: this run's are the newest, and the only ones the model knows.
    const expected = r.docIds.filter((_, i) => mayRead(m, this.reader, m.docs[i]!));
    const listed = (res.body.items as { documentId: string }[]).map((d) => d.documentId).filter((id) => r.docIds.includes(id));
    expect(listed.sort(), what).toEqual(expected.sort());
  }
  toString = () => `${this.reader} lists the documents`;
}

const describe_ = (m: Model): string => JSON.stringify({ relation: m.relation, emergency: m.emergency, allowed: m.allowed });

// ── The property ──────────────────────────────────────────────────────────────────────────────
const pro = fc.constantFrom(...PROS);
const reader = fc.constantFrom<Reader>(...PROS, 'patient');
const pick = fc.nat(20);
/** Each kind of command, with its weight in a sequence. */
const weighted = <T>(weight: number, arb: fc.Arbitrary<T>): fc.Arbitrary<T>[] => Array.from({ length: weight }, () => arb);

const commands = fc.commands(
  [
    ...weighted(
      3,
      fc
        .tuple(pro, fc.constantFrom<'authorized' | 'blocked'>('authorized', 'blocked'), fc.constantFrom(undefined, true, false))
        // Only a doctor is named attending physician.
        .map(([who, status, attending]) => new Decide(who, status, DOCTORS.includes(who) ? attending : attending === true ? undefined : attending)),
    ),
    ...weighted(
      1,
      pro.map((who) => new Remove(who)),
    ),
    ...weighted(
      1,
      fc.tuple(pro, fc.constantFrom(undefined, undefined, true, false)).map(([who, attending]) => new Consent(who, attending)),
    ),
    ...weighted(
      3,
      fc.tuple(pro, fc.constantFrom<EmergencyMode>('break-glass', 'break-glass', 'regulation')).map(([who, m]) => new Emergency(who, m)),
    ),
    ...weighted(
      2,
      fc.tuple(fc.constantFrom<EmergencyMode>('break-glass', 'regulation'), fc.boolean()).map(([m, allowed]) => new Settings(m, allowed)),
    ),
    ...weighted(
      3,
      fc.tuple(reader, fc.nat(11), fc.boolean()).map(([author, type, hidden]) => new Deposit(author, type, hidden)),
    ),
    ...weighted(
      2,
      fc.tuple(pick, fc.boolean()).map(([p, masked]) => new Mask(p, masked)),
    ),
    ...weighted(
      1,
      pick.map((p) => new Reveal(p)),
    ),
    ...weighted(
      3,
      fc.tuple(reader, pick).map(([who, p]) => new Read(who, p)),
    ),
    ...weighted(
      1,
      reader.map((who) => new List(who)),
    ),
  ],
  { maxCommands: 12 },
);

/** Sequences the rules single out, played before the random ones (PRO_TYPES: 0 = class 10, 1 = 11, 3 = 42; patient: 1 = EXPPAT_3). */
const scenarios: Cmd[][] = [
  // A masked document: not for an authorised nurse nor doctor, for the attending physician and the author; unmasked, for all.
  [
    new Deposit('doctor', 1, false),
    new Decide('nurse', 'authorized', undefined),
    new Decide('regulator', 'authorized', true),
    new Decide('pharmacist', 'authorized', undefined),
    new Mask(0, true),
    new Read('nurse', 0),
    new Read('regulator', 0),
    new Read('doctor', 0),
    new Read('pharmacist', 0),
    new Mask(0, false),
    new Read('nurse', 0),
    new List('pharmacist'),
  ],
  // Advance directives (class 90, type EXPPAT_3): nurses and doctors, not pharmacists, who read other class 90 documents.
  [
    new Deposit('patient', 1, false),
    new Deposit('patient', 0, false),
    new Decide('pharmacist', 'authorized', undefined),
    new Decide('nurse', 'authorized', undefined),
    new Read('pharmacist', 0),
    new Read('pharmacist', 1),
    new Read('nurse', 0),
    new Emergency('doctor', 'break-glass'),
    new Read('doctor', 0),
    new List('pharmacist'),
  ],
  // An opposition ends the emergency accesses already declared, and lifting it restores them.
  [
    new Deposit('patient', 0, false),
    new Emergency('doctor', 'break-glass'),
    new Read('doctor', 0),
    new Settings('break-glass', false),
    new Read('doctor', 0),
    new Emergency('nurse', 'break-glass'),
    new Settings('break-glass', true),
    new Read('doctor', 0),
    new Emergency('regulator', 'regulation'),
    new Settings('regulation', false),
    new Read('regulator', 0),
    new Emergency('pharmacist', 'regulation'),
  ],
  // A blocked author: nothing, not even its own document; unblocked (removed), its own again.
  [
    new Deposit('pharmacist', 3, true),
    new Read('pharmacist', 0),
    new Read('patient', 0),
    new Decide('pharmacist', 'blocked', undefined),
    new Read('pharmacist', 0),
    new Reveal(0),
    new List('pharmacist'),
    new Consent('pharmacist', undefined),
    new Remove('pharmacist'),
    new Reveal(0),
    new Read('patient', 0),
    new Read('pharmacist', 0),
  ],
  // A block stops a running break-glass access; removing the block lets it run again.
  [
    new Emergency('nurse', 'break-glass'),
    new Deposit('doctor', 0, false),
    new Read('nurse', 0),
    new Decide('nurse', 'blocked', undefined),
    new Read('nurse', 0),
    new Emergency('nurse', 'break-glass'),
    new Remove('nurse'),
    new Read('nurse', 0),
    new Deposit('nurse', 4, false),
    new Decide('doctor', 'blocked', undefined),
    new Read('doctor', 0),
    new Deposit('doctor', 0, false),
  ],
];

describe('who reads what, against a reference model', () => {
  it('the model’s matrix agrees with the shared access matrix for the professions of the test', () => {
    for (const profession of Object.keys(READS)) {
      const data = accessMatrix.read[profession as keyof typeof accessMatrix.read];
      const model = READS[profession];
      expect(model === '*' ? ['*'] : [...model!].sort(), profession).toEqual([...data].sort());
    }
    for (const e of accessMatrix.exceptions) expect(TYPE_EXCEPTIONS[e.typeCode], e.typeCode).toEqual(e.readableBy);
  });

  it('every read the model forbids is refused, every read it allows succeeds (random sequences, over HTTP)', async () => {
    await fc.assert(
      fc.asyncProperty(commands, async (cmds) => {
        // Emergency access allowed in both modes, as the record was created.
        const reset = await api.call('PATCH', `/v1/records/${patient.dmpId}/settings`, { token: patient.token, body: { emergencyAccess: { breakGlass: true, regulation: true } } });
        expect(reset.status).toBe(200);
        const model: Model = { relation: {}, emergency: {}, allowed: { 'break-glass': true, regulation: true }, docs: [] };
        const real: Real = { dmpId: patient.dmpId, patient: patient.token, pros: await professionals(), docIds: [] };
        await fc.asyncModelRun(() => ({ model, real }), cmds);
        // Finally, every reader reads every document of the run, in the state the run left.
        for (const who of [...PROS, 'patient'] as const) {
          for (let i = 0; i < model.docs.length; i++) await new Read(who, i).run(model, real);
        }
      }),
      { numRuns: 40, interruptAfterTimeLimit: 150_000, examples: scenarios.map((cmds): [Iterable<Cmd>] => [cmds]) },
    );
    expect(reads.allowed).toBeGreaterThan(10);
    expect(reads.denied).toBeGreaterThan(10);
  }, 300_000);
});

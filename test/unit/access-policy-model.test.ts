/**
 * A model-based property test of the access policy. Random sequences of commands (grants, blocks,
 * emergency declarations, oppositions, deposits, label changes, archiving, deletion, replacement,
 * closure, the passing of time) are played against a tiny in-memory record; each command is applied
 * only when the real policy allows it. Every READ is then checked against a small reference model
 * written from the rules, not from the module. As the store does, the versions of a document share
 * its labels (a new version's become every version's) and its deletion (through the current one):
 * the model weighs every version on its document's labels and deletion.
 *   1. the policy never allows a read the model forbids (and allows it in the model's mode);
 *   2. the policy never forbids a read the model allows.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decideAccessRequest,
  decideDeposit,
  decideDocumentChange,
  decideDocumentDelete,
  decideDocumentRead,
  decideHolderAction,
  decideRecordRead,
  decideReplace,
  documentReader,
  type Decision,
  type DocumentFacts,
  type DocumentLabels,
  type EmergencyGrant,
  type LabelChange,
  type RecordFacts,
  type Relation,
  type Standing,
} from '../../functions/domain/access-policy.ts';
import type { Actor } from '../../functions/domain/actor.ts';
import { defaultAccessMatrix } from '../../functions/domain/reference-data.ts';
import documentTypesData from '../../data/document-types.json' with { type: 'json' };

// ---------------------------------------------------------------------------------------------
// The cast
// ---------------------------------------------------------------------------------------------

type Professional = Extract<Actor, { kind: 'professional' }>;
const DMP = 'rec-00001';
const PROS: Professional[] = [
  { kind: 'professional', id: 'doctor', profession: '10' },
  { kind: 'professional', id: 'regulator', profession: '10', role: 'regulator' },
  { kind: 'professional', id: 'nurse', profession: '60' },
  { kind: 'professional', id: 'pharmacist', profession: '21' },
  { kind: 'professional', id: 'podiatrist', profession: '80' },
  { kind: 'professional', id: 'midwife', profession: '50' },
];
const PATIENT: Actor = { kind: 'patient', dmpId: DMP, loginId: '11111111111' };
const REPRESENTATIVE: Actor = { kind: 'representative', dmpId: DMP, loginId: '22222222222' };
const STRANGER: Actor = { kind: 'patient', dmpId: 'rec-00002', loginId: '33333333333' };
const AGENT: Actor = { kind: 'agent', id: 'agent-1', organisation: 'CPAM 75' };
/** The Assurance Maladie's claim-history sync: writes claims, reads nothing. */
const INSURER: Actor = { kind: 'insurer', id: 'cnam-claims-sync' };
const ANONYMOUS: Actor = { kind: 'anonymous' };
/** The regulator signed in without the regulator role (off shift): same id, same grants. */
const REGULATOR_OFF_SHIFT: Professional = { kind: 'professional', id: 'regulator', profession: '10' };
const HOLDERS: Actor[] = [PATIENT, REPRESENTATIVE];
/** Who acts on documents (deposit, archive, delete, replace). */
const WRITERS: Actor[] = [...PROS, PATIENT, REPRESENTATIVE];
/** Who reads. */
const READERS: Actor[] = [...PROS, REGULATOR_OFF_SHIFT, PATIENT, REPRESENTATIVE, STRANGER, AGENT, INSURER, ANONYMOUS];
const TYPES = documentTypesData.types;

const START = Date.parse('2026-11-23T10:00:00Z');
const HOUR = 3600_000;
const MINUTE = 60_000;
/** How long a declared emergency access runs in this simulation. */
const EMERGENCY_HOURS = 12;

// ---------------------------------------------------------------------------------------------
// The simulated record
// ---------------------------------------------------------------------------------------------

interface World {
  now: number;
  record: RecordFacts;
  relations: Map<string, Relation>;
  grants: Map<string, EmergencyGrant>;
  docs: DocumentFacts[];
  /** Each document's versions (one array per document, shared by its versions). */
  versions: Map<DocumentFacts, DocumentFacts[]>;
}

const newWorld = (minor: boolean): World => ({
  now: START,
  record: { dmpId: DMP, status: 'active', minor },
  relations: new Map(),
  grants: new Map(),
  docs: [],
  versions: new Map(),
});

const standingOf = (world: World, actor: Actor): Standing =>
  actor.kind === 'professional' ? { relation: world.relations.get(actor.id), emergency: world.grants.get(actor.id) } : {};

const authorOf = (actor: Actor): DocumentFacts['author'] => {
  switch (actor.kind) {
    case 'professional':
      return { kind: 'professional', id: actor.id };
    case 'patient':
    case 'representative':
      return { kind: actor.kind, id: actor.loginId };
    default:
      throw new Error('no author');
  }
};

// ---------------------------------------------------------------------------------------------
// The reference model: the rules, written again, a few lines each
// ---------------------------------------------------------------------------------------------

type Verdict = 'denied' | 'allow:normal' | 'allow:break-glass' | 'allow:regulation';

const model = {
  /** Valid: authorized, and no expiry or an expiry still ahead. */
  validAuthorization(world: World, pro: Professional): boolean {
    const rel = world.relations.get(pro.id);
    return rel?.status === 'authorized' && (rel.expiresAt === undefined || Date.parse(rel.expiresAt) > world.now);
  },
  blocked(world: World, pro: Professional): boolean {
    return world.relations.get(pro.id)?.status === 'blocked';
  },
  /** Attending physician: a valid authorization that says so. */
  attending(world: World, pro: Professional): boolean {
    return model.validAuthorization(world, pro) && world.relations.get(pro.id)?.attendingPhysician === true;
  },
  /** The patient opposes an emergency mode now when its flag is false. */
  opposes(world: World, mode: EmergencyGrant['mode']): boolean {
    return mode === 'break-glass' ? world.record.emergencyAccess?.breakGlass === false : world.record.emergencyAccess?.regulation === false;
  },
  /** A declared emergency still running, not opposed now, and regulation only for regulators. */
  emergencyMode(world: World, pro: Professional): EmergencyGrant['mode'] | undefined {
    const grant = world.grants.get(pro.id);
    if (!grant || Date.parse(grant.until) <= world.now) return undefined;
    if (model.opposes(world, grant.mode)) return undefined;
    if (grant.mode === 'regulation' && pro.role !== 'regulator') return undefined;
    return grant.mode;
  },
  /** Record-level access of a professional: closed or blocked → none; normal beats emergency. */
  professionalMode(world: World, pro: Professional): Verdict {
    if (world.record.status === 'closed' || model.blocked(world, pro)) return 'denied';
    if (model.validAuthorization(world, pro)) return 'allow:normal';
    const emergency = model.emergencyMode(world, pro);
    return emergency ? `allow:${emergency}` : 'denied';
  },
  isHolder(actor: Actor): boolean {
    return (actor.kind === 'patient' || actor.kind === 'representative') && actor.dmpId === DMP;
  },
  /** The profession matrix: a type exception overrides the class rule; unknown profession → nothing. */
  matrix(profession: string, doc: DocumentFacts): boolean {
    const exception = defaultAccessMatrix.exceptions.find((e) => e.typeCode === doc.typeCode);
    if (exception) return exception.readableBy.includes(profession);
    const classes = defaultAccessMatrix.read[profession] ?? [];
    return classes.includes('*') || classes.includes(doc.classCode);
  },
  readRecord(world: World, actor: Actor): Verdict {
    if (actor.kind === 'professional') return model.professionalMode(world, actor);
    return model.isHolder(actor) ? 'allow:normal' : 'denied';
  },
  readDocument(world: World, actor: Actor, doc: DocumentFacts): Verdict {
    if (doc.status === 'deleted') return 'denied';
    if (actor.kind === 'patient' || actor.kind === 'representative') {
      if (!model.isHolder(actor) || doc.labels.invisibleToPatient) return 'denied';
      if (actor.kind === 'representative' && doc.labels.invisibleToRepresentatives) return 'denied';
      return 'allow:normal';
    }
    if (actor.kind !== 'professional') return 'denied';
    if (world.record.status === 'closed' || model.blocked(world, actor)) return 'denied';
    const mode = model.professionalMode(world, actor);
    const isAuthor = doc.author.kind === 'professional' && doc.author.id === actor.id;
    if (isAuthor) return mode === 'denied' ? 'allow:normal' : mode;
    if (mode === 'denied') return 'denied';
    if (!model.matrix(actor.profession, doc)) return 'denied';
    if (doc.labels.maskedToProfessionals && !model.attending(world, actor)) return 'denied';
    return mode;
  },
};

// ---------------------------------------------------------------------------------------------
// Commands
// ---------------------------------------------------------------------------------------------

type Command =
  | { kind: 'grant'; pro: number; attending: boolean; expiresInHours: number | null }
  | { kind: 'consent'; pro: number; attending: boolean | null }
  | { kind: 'block'; pro: number }
  | { kind: 'remove'; pro: number }
  | { kind: 'oppose'; breakGlass: boolean; regulation: boolean }
  | { kind: 'declare'; pro: number; mode: 'break-glass' | 'regulation'; reason: string | null }
  | { kind: 'advance'; minutes: number }
  | { kind: 'deposit'; by: number; type: number; labels: DocumentLabels }
  | { kind: 'mask'; by: number; doc: number; masked: boolean }
  | { kind: 'reveal'; pro: number; doc: number; to: 'patient' | 'representatives' }
  | { kind: 'archive'; by: number; doc: number; archived: boolean }
  | { kind: 'delete'; by: number; doc: number }
  | { kind: 'replace'; by: number; doc: number }
  | { kind: 'close' }
  | { kind: 'reactivate' }
  | { kind: 'read'; reader: number; doc: number }
  | { kind: 'list' };

/** Any professional, the doctor (index 0) half the time: long stories need a recurring character. */
const proIndex = fc.oneof(fc.constant(0), fc.nat({ max: PROS.length - 1 }));
/** Labels are the exception, not the rule: each is set one time in four. */
const rarely = fc.constantFrom(false, false, false, true);
const labelsArb = fc.record({ maskedToProfessionals: rarely, invisibleToPatient: rarely, invisibleToRepresentatives: rarely });
const anyType = fc.nat({ max: TYPES.length - 1 });
const patientType = fc.constantFrom(...TYPES.flatMap((t, i) => (t.classCode === '90' ? [i] : [])));
const docIndex = fc.nat({ max: 1000 });
const commandArb: fc.Arbitrary<Command> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('grant' as const), pro: proIndex, attending: fc.boolean(), expiresInHours: fc.option(fc.integer({ min: 1, max: 12 })) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('consent' as const), pro: proIndex, attending: fc.option(fc.boolean()) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('block' as const), pro: proIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('remove' as const), pro: proIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('oppose' as const), breakGlass: fc.boolean(), regulation: fc.boolean() }) },
  {
    weight: 5,
    arbitrary: fc.record({
      kind: fc.constant('declare' as const),
      pro: proIndex,
      mode: fc.constantFrom('break-glass' as const, 'break-glass' as const, 'regulation' as const),
      reason: fc.option(fc.constantFrom('unconscious patient', 'unconscious patient', 'unconscious patient', '  ', '')),
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('advance' as const), minutes: fc.integer({ min: 1, max: 16 * 60 }) }) },
  // A professional deposits a document of any type.
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('deposit' as const), by: fc.nat({ max: PROS.length - 1 }), type: anyType, labels: labelsArb }) },
  // A holder deposits: half the time a patient's type (class 90), otherwise any type.
  {
    weight: 4,
    arbitrary: fc.record({
      kind: fc.constant('deposit' as const),
      by: fc.integer({ min: PROS.length, max: WRITERS.length - 1 }),
      type: fc.oneof(anyType, patientType),
      labels: labelsArb,
    }),
  },
  { weight: 3, arbitrary: fc.record({ kind: fc.constant('mask' as const), by: fc.nat({ max: HOLDERS.length - 1 }), doc: docIndex, masked: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('reveal' as const), pro: proIndex, doc: docIndex, to: fc.constantFrom('patient' as const, 'representatives' as const) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('archive' as const), by: fc.nat({ max: WRITERS.length - 1 }), doc: docIndex, archived: fc.boolean() }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('delete' as const), by: fc.nat({ max: WRITERS.length - 1 }), doc: docIndex }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('replace' as const), by: fc.nat({ max: WRITERS.length - 1 }), doc: docIndex }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'close' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'reactivate' as const }) },
  { weight: 8, arbitrary: fc.record({ kind: fc.constant('read' as const), reader: fc.nat({ max: READERS.length - 1 }), doc: docIndex }) },
  { weight: 4, arbitrary: fc.constant({ kind: 'list' as const }) },
);
const scenarioArb = fc.record({ minor: fc.boolean(), commands: fc.array(commandArb, { minLength: 10, maxLength: 40, size: 'max' }) });

const at = (ms: number): string => new Date(ms).toISOString();
const pick = <T>(items: T[], i: number): T => items[i % items.length] as T;

interface Read {
  reader: Actor;
  doc: DocumentFacts | undefined;
  policy: { record: Decision; document: Decision | undefined; listed: Decision | undefined };
  model: { record: Verdict; document: Verdict | undefined };
}

/** Plays the commands, applying each one the policy allows; reports every READ. */
const play = (minor: boolean, commands: Command[], onRead: (read: Read, world: World) => void): void => {
  const world = newWorld(minor);
  const now = (): Date => new Date(world.now);
  const change = (actor: Actor, doc: DocumentFacts, c: LabelChange): boolean =>
    decideDocumentChange(actor, world.record, standingOf(world, actor), doc, c, now(), defaultAccessMatrix).allow;

  const observe = (reader: Actor, doc: DocumentFacts | undefined): void => {
    const standing = standingOf(world, reader);
    onRead(
      {
        reader,
        doc,
        policy: {
          record: decideRecordRead(reader, world.record, standing, now()),
          document: doc && decideDocumentRead(reader, world.record, standing, doc, now(), defaultAccessMatrix),
          listed: doc && documentReader(reader, world.record, standing, now(), defaultAccessMatrix)(doc),
        },
        model: { record: model.readRecord(world, reader), document: doc && model.readDocument(world, reader, doc) },
      },
      world,
    );
  };

  for (const command of commands) {
    const doc = world.docs.length > 0 && 'doc' in command ? pick(world.docs, command.doc) : undefined;
    switch (command.kind) {
      case 'grant':
        if (decideHolderAction(PATIENT, world.record).allow) {
          world.relations.set(pick(PROS, command.pro).id, {
            status: 'authorized',
            attendingPhysician: command.attending,
            ...(command.expiresInHours !== null ? { expiresAt: at(world.now + command.expiresInHours * HOUR) } : {}),
          });
        }
        break;
      case 'consent': {
        const pro = pick(PROS, command.pro);
        const request = { mode: 'normal' as const, patientConsent: true as const, ...(command.attending !== null ? { attendingPhysician: command.attending } : {}) };
        // Consent authorises; the attending physician stays the patient's choice (none: not attending).
        if (decideAccessRequest(pro, world.record, standingOf(world, pro), request, now()).allow) {
          world.relations.set(pro.id, { status: 'authorized', attendingPhysician: world.relations.get(pro.id)?.attendingPhysician ?? false });
        }
        break;
      }
      case 'block':
        if (decideHolderAction(PATIENT, world.record).allow) world.relations.set(pick(PROS, command.pro).id, { status: 'blocked', attendingPhysician: false });
        break;
      case 'remove':
        if (decideHolderAction(PATIENT, world.record).allow) world.relations.delete(pick(PROS, command.pro).id);
        break;
      case 'oppose':
        world.record = { ...world.record, emergencyAccess: { breakGlass: command.breakGlass, regulation: command.regulation } };
        break;
      case 'declare': {
        const pro = pick(PROS, command.pro);
        const request = { mode: command.mode, ...(command.reason !== null ? { reason: command.reason } : {}) };
        if (decideAccessRequest(pro, world.record, standingOf(world, pro), request, now()).allow) {
          world.grants.set(pro.id, { mode: command.mode, until: at(world.now + EMERGENCY_HOURS * HOUR) });
        }
        break;
      }
      case 'advance':
        world.now += command.minutes * MINUTE;
        break;
      case 'deposit': {
        const actor = pick(WRITERS, command.by);
        const type = pick(TYPES, command.type);
        if (decideDeposit(actor, world.record, standingOf(world, actor), type.classCode, command.labels, now()).allow) {
          const deposited: DocumentFacts = { typeCode: type.typeCode, classCode: type.classCode, status: 'current', author: authorOf(actor), labels: { ...command.labels } };
          world.docs.push(deposited);
          world.versions.set(deposited, [deposited]);
        }
        break;
      }
      case 'mask': {
        const holder = pick(HOLDERS, command.by);
        if (doc && change(holder, doc, { maskedToProfessionals: command.masked })) doc.labels.maskedToProfessionals = command.masked;
        break;
      }
      case 'reveal': {
        const pro = pick(PROS, command.pro);
        if (!doc) break;
        if (command.to === 'patient' && change(pro, doc, { invisibleToPatient: false })) doc.labels.invisibleToPatient = false;
        if (command.to === 'representatives' && change(pro, doc, { visibleToRepresentatives: true })) doc.labels.invisibleToRepresentatives = false;
        break;
      }
      case 'archive': {
        const actor = pick(WRITERS, command.by);
        if (doc && change(actor, doc, { archived: command.archived })) doc.status = command.archived ? 'archived' : 'current';
        break;
      }
      case 'delete': {
        const actor = pick(WRITERS, command.by);
        if (doc && decideDocumentDelete(actor, world.record, standingOf(world, actor), doc, now(), defaultAccessMatrix).allow) {
          for (const version of world.versions.get(doc) ?? []) version.status = 'deleted';
        }
        break;
      }
      case 'replace': {
        const actor = pick(WRITERS, command.by);
        if (!doc) break;
        // The new version takes the labels it inherits, and they stay every version's: one labels object.
        const next: DocumentFacts = { ...doc, status: 'current' };
        const replaceable = decideReplace(actor, world.record, standingOf(world, actor), doc, now(), defaultAccessMatrix).allow;
        // The new version is a deposit too (the patient's mask carried over is not the author's label).
        const depositable = decideDeposit(actor, world.record, standingOf(world, actor), next.classCode, { ...next.labels, maskedToProfessionals: false }, now()).allow;
        if (replaceable && depositable) {
          doc.status = 'superseded';
          world.docs.push(next);
          const versions = world.versions.get(doc) ?? [doc];
          versions.push(next);
          world.versions.set(next, versions);
        }
        break;
      }
      case 'close':
        world.record = { ...world.record, status: 'closed' };
        break;
      case 'reactivate':
        world.record = { ...world.record, status: 'active' };
        break;
      case 'read':
        observe(pick(READERS, command.reader), doc);
        break;
      case 'list':
        // Everyone lists the record: each reader weighs every document.
        for (const reader of READERS) {
          if (world.docs.length === 0) observe(reader, undefined);
          for (const each of world.docs) observe(reader, each);
        }
        break;
    }
  }
};

const verdict = (d: Decision): Verdict => (d.allow ? `allow:${d.mode}` : 'denied');
const describeRead = (read: Read, world: World): string =>
  JSON.stringify({
    reader: read.reader,
    doc: read.doc,
    now: at(world.now),
    record: world.record,
    relations: Object.fromEntries(world.relations),
    grants: Object.fromEntries(world.grants),
    policy: { record: verdict(read.policy.record), document: read.policy.document && verdict(read.policy.document) },
    model: read.model,
  });

const RUNS = 500;

// ---------------------------------------------------------------------------------------------
// The properties
// ---------------------------------------------------------------------------------------------

describe('access policy against a reference model', () => {
  it('never allows a read the model forbids, and allows it in the model’s mode', () => {
    fc.assert(
      fc.property(scenarioArb, ({ minor, commands }) => {
        play(minor, commands, (read, world) => {
          const { policy, model: expected } = read;
          if (policy.record.allow) expect(verdict(policy.record), describeRead(read, world)).toBe(expected.record);
          for (const decision of [policy.document, policy.listed]) {
            if (decision?.allow) expect(verdict(decision), describeRead(read, world)).toBe(expected.document);
          }
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('never forbids a read the model allows', () => {
    fc.assert(
      fc.property(scenarioArb, ({ minor, commands }) => {
        play(minor, commands, (read, world) => {
          const { policy, model: expected } = read;
          if (expected.record !== 'denied') expect(verdict(policy.record), describeRead(read, world)).toBe(expected.record);
          if (expected.document !== undefined && expected.document !== 'denied') {
            expect(policy.document && verdict(policy.document), describeRead(read, world)).toBe(expected.document);
            expect(policy.listed && verdict(policy.listed), describeRead(read, world)).toBe(expected.document);
          }
        });
      }),
      { numRuns: RUNS },
    );
  });

  it('the scenarios reach the interesting cases (a check of the generator, not of the policy)', () => {
    const seen = new Map<string, number>();
    const note = (key: string): void => void seen.set(key, (seen.get(key) ?? 0) + 1);
    fc.assert(
      fc.property(scenarioArb, ({ minor, commands }) => {
        play(minor, commands, (read, world) => {
          const { reader, doc, model: expected } = read;
          if (!doc || expected.document === undefined) return;
          note(`${reader.kind}:${expected.document}`);
          if (expected.document !== 'denied' && doc.labels.maskedToProfessionals && reader.kind === 'professional') note('masked read by a professional');
          if (expected.document !== 'denied' && doc.status !== 'current') note(`read ${doc.status}`);
          if (doc.status === 'deleted') note('deleted');
          if (doc.status === 'superseded' && doc.labels.maskedToProfessionals && reader.kind === 'professional') note(`superseded and masked, professional:${expected.document}`);
          if (world.record.status === 'closed' && reader.kind === 'patient' && expected.document !== 'denied') note('patient reads a closed record');
        });
      }),
      { numRuns: RUNS, seed: 42 },
    );
    for (const key of [
      'professional:allow:normal',
      'professional:allow:break-glass',
      'professional:allow:regulation',
      'professional:denied',
      'patient:allow:normal',
      'representative:allow:normal',
      'masked read by a professional',
      'read archived',
      'read superseded',
      'superseded and masked, professional:denied',
      'deleted',
      'patient reads a closed record',
    ]) {
      expect(seen.get(key) ?? 0, key).toBeGreaterThan(0);
    }
  });
});

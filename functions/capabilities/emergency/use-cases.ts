/**
 * The emergency summary (GET …/emergency-summary): in one answer, what a SAMU regulator or an
 * emergency doctor reads in thirty seconds. The record is opened by the policy's decision on the
 * record as a whole (decideRecordRead: the holders, a professional with an authorization or an
 * emergency access not opposed); then each part is decided by its own rule, as its own read would
 * be, and a part refused is named in `withheld`:
 *   - the health profile (decideHealthRead 'profile': every profession with access) and the
 *     advance directives with the trusted person (decideHealthRead 'wishes': the professions of the
 *     EXPPAT_3 exception), read together in one Query;
 *   - the vaccinations (decideHealthRead 'vaccinations'), recorded and from the history, the
 *     history's part under the claims policy as GET …/vaccinations shows it (claimsPart);
 *   - treatments: the medicines dispensed in the last 90 days, by substance (decideClaimsRead: the
 *     matrix for class 60, the patient's mask of the history; a representative not the lines a
 *     minor keeps confidential);
 *   - the latest medical summary and hospital letter: documentReader, document by document (the
 *     matrix, the masks, the labels), current versions only.
 * Every part is read once, side by side with the others (no read per entry), opened with the
 * record's key: with the key cached, no KMS call. The read is traced with its mode before anything
 * is returned; an emergency access was told to the patient when it was declared.
 */
import { claimLineVisible, decideClaimsRead, decideHealthRead, decideRecordRead, documentReader } from '#domain/access-policy';
import { medicationReview } from '#domain/claims/medication-review';
import { historyStart } from '#domain/claims/lines';
import { isoDate } from '#domain/dates';
import type { OpenedDocument, StoredDocument } from '#domain/documents';
import type { DataKey } from '#domain/ports';
import { medicationAlertRules } from '#domain/reference-data';
import { defineCapability, type HandlerOf } from '#http/define-capability';
import { accessRecord, traceRead, type RecordAccess } from '../common.ts';
import { linesBetween } from '../claims/history.ts';
import { readHealthData } from '../health/summary.ts';
import { profileView, wishesView } from '../health/views.ts';
import { claimsPart, deliveriesOf, mergeShown } from '../vaccinations/reader.ts';
import { vaccinationView } from '../vaccinations/views.ts';
import { type EmergencyDeps, withEmergency } from './deps.ts';
import { EMERGENCY, type EMERGENCY_ROUTES } from './routes.ts';
import type { SUMMARY_PARTS } from './schemas.ts';

type Handler<Id extends (typeof EMERGENCY_ROUTES)[number]['id']> = HandlerOf<typeof EMERGENCY_ROUTES, Id, EmergencyDeps>;
type Part = (typeof SUMMARY_PARTS)[number];

const DAY_MS = 86_400_000;
/** The latest medical summary (volet de synthèse médicale). */
const SUMMARY_TYPES = new Set(['60591-5']);
/** The latest hospital discharge letter or emergency liaison document. */
const LETTER_TYPES = new Set(['11490-0', '74207-2']);
/**
 * Document pages read at most to find the latest of each: one page (up to 250 versions, newest
 * first) in the common case; a record with more documents since its latest summary gets a few
 * more, never an unbounded walk.
 */
const MAX_DOCUMENT_PAGES = 4;

/** The latest current document of each wanted kind that the caller may read, newest first. */
const latestDocuments = async (
  deps: EmergencyDeps,
  opened: RecordAccess,
  key: DataKey,
  call: Parameters<Handler<'readEmergencySummary'>>[0],
  first: Promise<{ items: StoredDocument[]; more: boolean }>,
  now: Date,
) => {
  const readable = documentReader(call.actor, opened.record, opened.standing, now, deps.matrix);
  let summary: OpenedDocument | undefined;
  let letter: OpenedDocument | undefined;
  let page = await first;
  for (let pages = 1; ; pages++) {
    for (const stored of page.items) {
      if (stored.status !== 'current') continue;
      const doc = deps.documents.openDocument(key, stored);
      const wanted = (!summary && SUMMARY_TYPES.has(doc.typeCode)) || (!letter && LETTER_TYPES.has(doc.typeCode));
      if (!wanted || !readable(doc).allow) continue;
      if (SUMMARY_TYPES.has(doc.typeCode)) summary = doc;
      else letter = doc;
    }
    const last = page.items.at(-1);
    if ((summary && letter) || !page.more || !last || pages === MAX_DOCUMENT_PAGES) break;
    page = await deps.documents.page(key.dmpId, deps.documents.cursorAt(last.documentId));
  }
  const view = (doc: OpenedDocument | undefined) =>
    doc
      ? {
          documentId: doc.documentId,
          typeCode: doc.typeCode,
          title: deps.documents.openTitle(key, doc),
          serviceDate: doc.serviceDate,
          depositedAt: doc.depositedAt,
          author: { kind: doc.author.kind, id: doc.author.id },
        }
      : null;
  return { latestSummary: view(summary), latestHospitalLetter: view(letter) };
};

const readEmergencySummary: Handler<'readEmergencySummary'> = async (call, deps) => {
  const { dmpId } = call.params;
  // Read beside the record: the history's mask and the first page of documents. Nothing of them is
  // used unless the policy opens the record.
  const masked = deps.claims.masked(dmpId);
  const firstDocuments = deps.documents.page(dmpId, undefined);
  masked.catch(() => undefined);
  firstDocuments.catch(() => undefined);
  const opened = await accessRecord(deps, call, dmpId, ({ record, standing }, at) => decideRecordRead(call.actor, record, standing, at), {
    action: 'emergency-summary.read',
  });
  const now = deps.clock.now();
  const key = await opened.key();
  const withheld: Part[] = [];
  const maskedHistory = await masked;

  const claimsDecision = decideClaimsRead(call.actor, opened.record, opened.standing, { maskedToProfessionals: maskedHistory }, now, deps.matrix);
  const window = { from: isoDate(new Date(now.getTime() - medicationAlertRules.windowDays * DAY_MS)), to: isoDate(now) };
  const decideKind = (kind: 'profile' | 'wishes' | 'vaccinations') => decideHealthRead(call.actor, opened.record, opened.standing, kind, now, deps.matrix).allow;
  const showProfile = decideKind('profile');
  const showWishes = decideKind('wishes');
  const showVaccinations = decideKind('vaccinations');
  // The history is read once, whole (24 months), for the medicines of its last 90 days and the
  // vaccinations it delivered: one Query chain, not one per part.
  const [history, documents, health, recorded] = await Promise.all([
    claimsDecision.allow ? linesBetween(deps, key, historyStart(window.to), window.to, now) : Promise.resolve(undefined),
    latestDocuments(deps, opened, key, call, firstDocuments, now),
    showProfile || showWishes ? readHealthData(deps, dmpId, key) : Promise.resolve(undefined),
    showVaccinations ? deps.vaccinations.entries(key) : Promise.resolve(undefined),
  ]);
  const lines = history?.filter((line) => line.date >= window.from);
  const vaccinations = recorded && mergeShown(recorded, deliveriesOf(history ?? []), claimsPart(call.actor, opened, maskedHistory, now, deps.matrix));
  if (!showProfile) withheld.push('profile');
  if (!showWishes) withheld.push('wishes');
  if (!showVaccinations) withheld.push('vaccinations');
  let treatments: { window: typeof window; dispensed: ReturnType<typeof dispensedView>[] } | undefined;
  if (lines) {
    const review = medicationReview(
      lines.filter((line) => claimLineVisible(call.actor, line)),
      { birthDate: undefined, now, rules: medicationAlertRules },
    );
    treatments = { window, dispensed: review.medicines.map(dispensedView) };
  } else {
    withheld.push('treatments');
  }

  // No access without its trace, in its mode: written before anything is returned.
  await traceRead(deps, call, dmpId, 'emergency-summary.read', { mode: opened.decision.mode }, opened);
  return {
    status: 200,
    body: {
      generatedAt: now.toISOString(),
      mode: opened.decision.mode,
      withheld,
      ...(health && showProfile ? { profile: profileView(call.actor, health.profile, health.version) } : {}),
      ...(health && showWishes ? { wishes: wishesView(health.wishes) } : {}),
      ...(vaccinations ? { vaccinations: vaccinations.map(vaccinationView(call.actor)) } : {}),
      ...(treatments ? { treatments } : {}),
      documents,
    },
  };
};

const dispensedView = (m: ReturnType<typeof medicationReview>['medicines'][number]) => ({
  substance: m.substance,
  display: m.display,
  firstDispensed: m.firstDispensed,
  lastDispensed: m.lastDispensed,
  quantity: m.quantity,
  prescriberIds: m.prescriberIds,
});

export const capability = defineCapability<EmergencyDeps>()(EMERGENCY, { readEmergencySummary }, withEmergency);

/**
 * The medication review (GET …/medication-review): the medicines dispensed over the rules' window
 * (90 days) grouped by substance, and the alerts that the rules of data/medication-alerts.json raise
 * on them, computed by the domain (claims/medication-review.ts). Who may read: the policy of the
 * history's own reading (decideClaimsRead, as listClaims). Professionals get the alerts, with the
 * patient's age (from the record's sealed identity) for the age rules; the record's holders get the
 * medicines only, never the alerts, and a representative not the lines a minor keeps confidential.
 * Every read is traced before it answers.
 */
import { openRecord } from '#adapters/record-sealing';
import { claimLineVisible } from '#domain/access-policy';
import { isRecordHolder } from '#domain/actor';
import { medicationReview } from '#domain/claims/medication-review';
import { isoDate } from '#domain/dates';
import { medicationAlertRules } from '#domain/reference-data';
import type { HandlerOf } from '#http/define-capability';
import { traceRead } from '../common.ts';
import type { ClaimsDeps } from './deps.ts';
import { linesBetween, openHistory } from './history.ts';
import type { CLAIMS_ROUTES } from './routes.ts';

const DAY_MS = 86_400_000;

export const readMedicationReview: HandlerOf<typeof CLAIMS_ROUTES, 'readMedicationReview', ClaimsDeps> = async (call, deps) => {
  const { dmpId } = call.params;
  const opened = await openHistory(deps, call, dmpId, 'claims.medication-review');
  const now = deps.clock.now();
  const rules = medicationAlertRules;
  const key = await opened.key();
  // The rules' window ends today and counts `windowDays` days; a day more is read, the review keeps its own window.
  const from = isoDate(new Date(now.getTime() - rules.windowDays * DAY_MS));
  const lines = (await linesBetween(deps, key, from, isoDate(now), now)).filter((line) => claimLineVisible(call.actor, line));
  const holder = isRecordHolder(call.actor);
  // The birth date serves the age rules only: the holders get no alerts, their identity stays sealed.
  const birthDate = holder ? undefined : openRecord(key, opened.record).identity.birthDate;
  const review = medicationReview(lines, { birthDate, now, rules });
  // No access without its trace: written before anything is returned.
  await traceRead(deps, call, dmpId, 'claims.medication-review', { mode: opened.decision.mode }, opened);
  const { window, medicines, alerts, skippedRules, rulesVersion } = review;
  return { status: 200, body: holder ? { window, medicines, rulesVersion } : { window, medicines, alerts, skippedRules, rulesVersion } };
};

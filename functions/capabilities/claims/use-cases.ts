/**
 * The reimbursed-care history's use cases: the insurer's batches (through the ingestion core,
 * ingest.ts, which the bulk import shares), reading the history under the access policy (every
 * read traced), and the patient's mask of the whole history.
 */
import { claimLineVisible, decideClaimsMask } from '#domain/access-policy';
import { isRecordHolder } from '#domain/actor';
import type { ClaimLine } from '#domain/claims/lines';
import { defineCapability, type HandlerOf } from '#http/define-capability';
import { accessRecord, commitGuarded, traceRead, traceWrite, type Subject } from '../common.ts';
import type { ClaimsDeps } from './deps.ts';
import { openHistory, visibleLines } from './history.ts';
import { withClaims } from './deps.ts';
import { readCareTeam } from './care-team.ts';
import { assertClaimsWriter, ingestBatch } from './ingest.ts';
import { readMedicationReview } from './medication-review.ts';
import { CLAIMS, type CLAIMS_ROUTES } from './routes.ts';
import type { StoredClaim } from './store.ts';

type Handler<Id extends (typeof CLAIMS_ROUTES)[number]['id']> = HandlerOf<typeof CLAIMS_ROUTES, Id, ClaimsDeps>;

const submitClaimBatch: Handler<'submitClaimBatch'> = async (call, deps) => {
  assertClaimsWriter(call.actor);
  const clientId = call.actor.kind === 'insurer' ? call.actor.id : undefined;
  const outcome = await ingestBatch(deps, call.body, { clientId, requestId: call.requestId });
  return { status: 200, body: outcome };
};

const view = ({ lineId, line }: StoredClaim, holder: boolean) => ({
  lineId,
  category: line.category,
  date: line.date,
  codeSystem: line.codeSystem,
  code: line.code,
  display: line.display,
  ...(line.atcGroup !== undefined ? { atcGroup: line.atcGroup } : {}),
  ...(line.atcValence !== undefined ? { atcValence: line.atcValence } : {}),
  ...(line.activeComponents !== undefined ? { activeComponents: line.activeComponents } : {}),
  ...(line.quantity !== undefined ? { quantity: line.quantity } : {}),
  ...(line.prescriber !== undefined ? { prescriber: line.prescriber } : {}),
  ...(line.performer !== undefined ? { performer: line.performer } : {}),
  // Whether a line is kept from the representatives is the holders' concern only.
  ...(holder && line.confidential !== undefined ? { confidential: line.confidential } : {}),
});

/** Query pages one listing reads at most: one in the common case, more only past lines the caller does not see. */
const MAX_LISTING_QUERIES = 8;

const listClaims: Handler<'listClaims'> = async (call, deps) => {
  const { dmpId } = call.params;
  const query = call.query;
  const limit = query.limit ? Number(query.limit) : 50;
  const now = deps.clock.now();
  // The mask and the first page are read beside the record; nothing of the page is used unless the read is allowed.
  const masked = deps.claims.masked(dmpId);
  const firstPage = deps.claims.page(dmpId, { from: query.from, to: query.to, cursor: query.cursor, now });
  firstPage.catch(() => undefined);
  const opened = await openHistory(deps, call, dmpId, 'claims.read', masked);
  const key = await opened.key();
  const shown = (line: ClaimLine) => (!query.category || line.category === query.category) && claimLineVisible(call.actor, line);

  const { lines: visible, nextCursor } = await visibleLines(deps.claims, key, {
    first: firstPage,
    next: (cursor) => deps.claims.page(dmpId, { from: query.from, to: query.to, cursor, now }),
    shown,
    limit,
    maxQueries: MAX_LISTING_QUERIES,
  });
  // No access without its trace: written before anything is returned.
  await traceRead(deps, call, dmpId, 'claims.read', { mode: opened.decision.mode }, opened);
  const holder = isRecordHolder(call.actor);
  return {
    status: 200,
    body: { items: visible.map((v) => view(v, holder)), nextCursor, ...(holder ? { maskedToProfessionals: await masked } : {}) },
  };
};

const setClaimsVisibility: Handler<'setClaimsVisibility'> = async (call, deps) => {
  const { dmpId } = call.params;
  const masked = call.body.maskedToProfessionals;
  const decide = ({ record }: Subject) => decideClaimsMask(call.actor, record);
  const opened = await accessRecord(deps, call, dmpId, decide, { action: 'claims.visibility' });
  const now = deps.clock.now();
  await commitGuarded(
    deps,
    opened,
    [deps.claims.maskWrite(dmpId, masked, now), traceWrite(deps, call, dmpId, 'claims.visibility', now)],
    decide,
    'The record changed meanwhile: retry.',
  );
  return { status: 200, body: { maskedToProfessionals: masked } };
};

export const capability = defineCapability<ClaimsDeps>()(CLAIMS, { submitClaimBatch, listClaims, setClaimsVisibility, readCareTeam, readMedicationReview }, withClaims);

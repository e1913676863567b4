/**
 * The care team (GET …/care-team): who prescribed or performed the care of the history's last 12
 * months, and who deposited documents in them, computed by the domain (claims/care-team.ts) from
 * what this caller may read:
 * - who may read at all: the policy of the history's own reading (decideClaimsRead, as listClaims):
 *   the record's holders; professionals whose profession may read class 60, in a mode, not
 *   blocked, and only the attending physician when the patient masked the history;
 * - the lines: without those a minor keeps from the representatives (claimLineVisible);
 * - the deposits: only those of documents the caller may read (documentReader: not deleted, not
 *   hidden from the patient or the representatives, the matrix and the masks for professionals),
 *   by professionals; their profession is not in clear on a document's item, so a deposit adds
 *   none (the lines give it);
 * - the patient's decisions on the professionals (authorized, blocked...): the holders' own
 *   business, shown to them only, so that they can authorise or block from the list.
 * Every read is traced before it answers.
 */
import { claimLineVisible, documentReader } from '#domain/access-policy';
import { isRecordHolder } from '#domain/actor';
import { careTeam, careTeamWindow, type CareTeamMember } from '#domain/claims/care-team';
import type { HandlerOf } from '#http/define-capability';
import { traceRead } from '../common.ts';
import type { ClaimsDeps } from './deps.ts';
import { linesBetween, openHistory } from './history.ts';
import type { CLAIMS_ROUTES } from './routes.ts';

/** A member as the caller sees it: the patient's decision only for the record's holders. */
const view = (member: CareTeamMember, holder: boolean) => {
  if (member.kind === 'structure' || holder) return member;
  const { authorization: _authorization, attendingPhysician: _attending, ...shown } = member;
  return shown;
};

export const readCareTeam: HandlerOf<typeof CLAIMS_ROUTES, 'readCareTeam', ClaimsDeps> = async (call, deps) => {
  const { dmpId } = call.params;
  const opened = await openHistory(deps, call, dmpId, 'claims.care-team');
  const now = deps.clock.now();
  const window = careTeamWindow(now);
  const holder = isRecordHolder(call.actor);
  const [key, decisions] = await Promise.all([opened.key(), holder ? deps.records.authorizations(dmpId) : Promise.resolve([])]);
  const deposits = await deps.deposits.since(key, window.from);
  const lines = (await linesBetween(deps, key, window.from, window.to, now)).filter((line) => claimLineVisible(call.actor, line));
  const readable = documentReader(call.actor, opened.record, opened.standing, now, deps.matrix);
  const deposited = deposits.filter((d) => d.author.kind === 'professional' && readable(d).allow).map((d) => ({ authorId: d.author.id, depositedAt: d.depositedAt }));
  const members = careTeam({ lines, deposits: deposited, decisions }, now);
  // No access without its trace: written before anything is returned.
  await traceRead(deps, call, dmpId, 'claims.care-team', { mode: opened.decision.mode }, opened);
  return { status: 200, body: { window, items: members.map((m) => view(m, holder)) } };
};

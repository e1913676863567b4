/**
 * One page of a record's access log as its reader may see it, for GET …/access-log and for the
 * FHIR AuditEvent search over the same traces: all of it or the caller's own actions (the
 * decision's scope). Traces of documents hidden from the reader when they were written are
 * weighed on the documents' current labels (one BatchGetItem, only when the page holds such
 * traces) and left out while hidden; a page short of them reads on from where its Query stopped,
 * so that the page is the one a record without those documents would give.
 */
import { showsTrace, showsTracedDocument } from '#domain/access-policy';
import type { Actor } from '#domain/actor';
import type { Traces } from '#domain/stores';
import { traceActor, type TraceView } from '#domain/trace';

/** The page, each trace as GET …/access-log answers it, and the cursor of the next one. */
export const accessLogPage = async (
  traces: Traces,
  actor: Actor,
  dmpId: string,
  scope: 'all' | 'own',
  opts: { limit: number; cursor?: string | undefined; maxQueries: number },
) => {
  const me = traceActor(actor);
  const only = scope === 'own' ? { kind: me.kind, id: me.id ?? '' } : undefined;
  const items: TraceView[] = [];
  let page = await traces.page(dmpId, opts.limit, opts.cursor, only);
  for (let queries = 1; ; queries++) {
    const hidden = page.items.flatMap((t) => (t.documentId && !showsTracedDocument(actor, t.hiddenFrom) ? [t.documentId] : []));
    const labels = hidden.length > 0 ? await traces.documentLabels(dmpId, hidden) : undefined;
    const shown = page.items.filter((t) => !t.documentId || showsTrace(actor, t.hiddenFrom, labels?.get(t.documentId)));
    items.push(...shown);
    const leftOut = shown.length < page.items.length;
    if (!leftOut || items.length >= opts.limit || !page.nextCursor || queries === opts.maxQueries) break;
    page = await traces.page(dmpId, opts.limit - items.length, page.nextCursor, only);
  }
  const entries = items.map((t) => ({
    at: t.at,
    actor: t.actor,
    action: t.action,
    mode: t.mode,
    ...(t.documentId ? { documentId: t.documentId } : {}),
    ...(t.subjectId ? { professionalId: t.subjectId } : {}),
    outcome: t.outcome,
    ...(t.requestId ? { requestId: t.requestId } : {}),
    ...(t.code ? { reason: t.code } : {}),
  }));
  return { entries, nextCursor: page.nextCursor };
};

/**
 * The ClaimsBatches port of the claims import (functions/domain/jobs/claims-import.ts), bound to
 * the claims ingestion core (functions/capabilities/claims/ingest.ts): the same core as
 * POST /v1/claims/batches, so a line is checked, sealed and stored the same way on both paths.
 */
import { ingestBatch, type ClaimsDeps } from '#capabilities/claims/ingest';
import type { ClaimsBatches } from '#domain/jobs/claims-import';

export const claimsBatches = (deps: ClaimsDeps): ClaimsBatches => ({
  ingest: (batchId, patients) => ingestBatch(deps, { batchId, patients }),
});

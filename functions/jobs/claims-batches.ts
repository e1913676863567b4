/**
 * The ClaimsBatches port of the claims import (functions/domain/jobs/claims-import.ts), bound to
 * the claims ingestion core (functions/capabilities/claims/ingest.ts, `ingestBatch`).
 *
 * PLACEHOLDER until the claims capability is merged: that core is built separately, and this file
 * is the one place that binds the import to it. Until then an import fails on its first batch
 * (nothing is stored, the object stays in the inbox, its message is retried); the import's own
 * tests use an in-memory stand-in of the core.
 */
import type { ClaimsBatches } from '#domain/jobs/claims-import';
import type { CryptoDeps } from '#platform/deps-data';

export class ClaimsCoreNotMerged extends Error {
  override readonly name = 'ClaimsCoreNotMerged';
  constructor() {
    super('claims capability not merged yet');
  }
}

/** The claims core for the import, over the same dependencies as the claims function's. */
export const claimsBatches = (_deps: CryptoDeps): ClaimsBatches => ({
  ingest: async () => {
    throw new ClaimsCoreNotMerged();
  },
});

/**
 * The storage contract: the constants that both the infrastructure (lib/, at synthesis) and the
 * adapters (at run time) rely on, in a module that imports nothing, so that the CDK code reads
 * them without loading any runtime code: the table's keys and index, and the KMS encryption
 * contexts the data key may be used with.
 */

export const TABLE_DEFINITION = {
  partitionKey: 'pk',
  sortKey: 'sk',
  timeToLiveAttribute: 'ttl',
  globalSecondaryIndexes: [{ indexName: 'gsi1', partitionKey: 'gsi1pk', sortKey: 'gsi1sk', nonKeyAttributes: ['channel'] }],
} as const;

export const GSI1 = 'gsi1';

export const encryptionContext = (dmpId: string): Record<string, string> => ({ dmpId });

export const KEYED_INDEX_CONTEXT = { purpose: 'keyed-index' } as const;

/** Every item of a record lives under a partition key with this prefix (REC#<dmpId>). */
export const RECORD_PARTITION_PREFIX = 'REC#';

/**
 * The one attribute of a paired device's item (REC#<dmpId> / DEVICE#<deviceId>) that a device
 * credential is checked against: the SHA-256 of the credential, removed at revocation. The API's
 * authorizer may read these attributes of the table and nothing else (lib/data.ts).
 */
export const DEVICE_CREDENTIAL_HASH = 'credentialHash';
export const DEVICE_LOOKUP_ATTRIBUTES = ['pk', 'sk', DEVICE_CREDENTIAL_HASH] as const;

/**
 * The items the keyword index follows (functions/jobs/search-index.ts), by sort key prefix: a
 * document's metadata, a claims line, the health profile, a vaccination, a measurement. The stream
 * filter of the index job (lib/jobs.ts) and the local runtime's change feed both use this list.
 */
export const SEARCH_INDEXED_PREFIXES = ['DOC#', 'CLAIM#', 'HEALTH#PROFILE', 'VACC#E#', 'OBS#'] as const;

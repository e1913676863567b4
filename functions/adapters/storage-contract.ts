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

/** Real AWS SDK clients on the shared emulator, and a fresh table for one test file. */
import { randomUUID } from 'node:crypto';
import { inject } from 'vitest';
import { dynamoClient, kmsClient } from '../../functions/adapters/aws.ts';
import { ensureDataKey, ensureTable } from '../../bin/local-aws.ts';

export const emulator = async () => {
  const endpoint = inject('awsEndpoint');
  const settings = { region: 'eu-west-3', endpoint };
  const db = dynamoClient(settings);
  const kms = kmsClient(settings);
  const tableName = `it-${randomUUID().slice(0, 12)}`;
  await ensureTable(db, tableName);
  const dataKeyId = await ensureDataKey(kms, `alias/${tableName}`);
  return { endpoint, db, kms, tableName, dataKeyId };
};

/**
 * Creates, on the AWS emulator (or any endpoint named by AWS_ENDPOINT_URL), what the stack creates
 * in AWS: the table (from the same TABLE_DEFINITION the CDK stack uses), the patient data KMS key,
 * the session signing key, and the claims inbox bucket. Idempotent: an existing table, key alias
 * or bucket is reused.
 */
import { TABLE_DEFINITION } from '#adapters/storage-contract';
import { CreateTableCommand, DescribeTableCommand, ResourceInUseException, UpdateTimeToLiveCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateAliasCommand, CreateKeyCommand, DescribeKeyCommand, NotFoundException, type KMSClient } from '@aws-sdk/client-kms';
import { BucketAlreadyOwnedByYou, CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { CreateTopicCommand, type SNSClient } from '@aws-sdk/client-sns';

export const ensureTable = async (db: DynamoDBClient, tableName: string): Promise<void> => {
  const d = TABLE_DEFINITION;
  const gsiAttributes = d.globalSecondaryIndexes.flatMap((g) => [g.partitionKey, g.sortKey]);
  try {
    await db.send(
      new CreateTableCommand({
        TableName: tableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [d.partitionKey, d.sortKey, ...gsiAttributes].map((name) => ({ AttributeName: name, AttributeType: 'S' })),
        KeySchema: [
          { AttributeName: d.partitionKey, KeyType: 'HASH' },
          { AttributeName: d.sortKey, KeyType: 'RANGE' },
        ],
        GlobalSecondaryIndexes: d.globalSecondaryIndexes.map((g) => ({
          IndexName: g.indexName,
          KeySchema: [
            { AttributeName: g.partitionKey, KeyType: 'HASH' },
            { AttributeName: g.sortKey, KeyType: 'RANGE' },
          ],
          Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: [...g.nonKeyAttributes] },
        })),
        // No stream locally, unlike in AWS: nothing reads it here (the runtime sweeps the outbox
        // itself), and moto keeps every stream record forever and deep-copies them all on each
        // transaction, which made transactions slower with every write.
      }),
    );
    await db.send(new UpdateTimeToLiveCommand({ TableName: tableName, TimeToLiveSpecification: { Enabled: true, AttributeName: d.timeToLiveAttribute } }));
  } catch (error) {
    if (!(error instanceof ResourceInUseException)) throw error;
  }
  await db.send(new DescribeTableCommand({ TableName: tableName }));
};

/** The data key's id: the aliased key if it exists, else a new symmetric key under that alias. */
export const ensureDataKey = (kms: KMSClient, alias: string): Promise<string> =>
  ensureKey(kms, alias, { KeySpec: 'SYMMETRIC_DEFAULT', KeyUsage: 'ENCRYPT_DECRYPT', Description: 'DMP patient data keys (local)' });

/** The session signing key (ES256): an asymmetric P-256 key whose private half stays in KMS. */
export const ensureSigningKey = (kms: KMSClient, alias: string): Promise<string> =>
  ensureKey(kms, alias, { KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', Description: 'DMP patient sessions (local)' });

const ensureKey = async (
  kms: KMSClient,
  alias: string,
  spec: { KeySpec: 'SYMMETRIC_DEFAULT' | 'ECC_NIST_P256'; KeyUsage: 'ENCRYPT_DECRYPT' | 'SIGN_VERIFY'; Description: string },
): Promise<string> => {
  try {
    const existing = await kms.send(new DescribeKeyCommand({ KeyId: alias }));
    if (existing.KeyMetadata?.KeyId) return existing.KeyMetadata.KeyId;
  } catch (error) {
    if (!(error instanceof NotFoundException)) throw error;
  }
  const created = await kms.send(new CreateKeyCommand(spec));
  const keyId = created.KeyMetadata?.KeyId;
  if (!keyId) throw new Error('KMS created no key');
  await kms.send(new CreateAliasCommand({ AliasName: alias, TargetKeyId: keyId }));
  return keyId;
};

/** The professional messaging topic (attending physicians' notifications): the named topic, created if absent. */
export const ensureTopic = async (sns: SNSClient, name: string): Promise<string> => {
  const out = await sns.send(new CreateTopicCommand({ Name: name }));
  if (!out.TopicArn) throw new Error('SNS created no topic');
  return out.TopicArn;
};

/** The claims inbox bucket (where the insurer's NDJSON objects are dropped): the named bucket, created if absent. */
export const ensureBucket = async (s3: S3Client, name: string, region: string): Promise<string> => {
  try {
    await s3.send(new CreateBucketCommand({ Bucket: name, ...(region === 'us-east-1' ? {} : { CreateBucketConfiguration: { LocationConstraint: region as 'eu-west-3' } }) }));
  } catch (error) {
    if (!(error instanceof BucketAlreadyOwnedByYou)) throw error;
  }
  return name;
};

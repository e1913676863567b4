/**
 * AWS SDK clients, created once per process (module scope in Lambda). Locally only the endpoint
 * differs: the AWS emulator stands in for DynamoDB, KMS, SNS, S3 and SQS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { S3Client } from '@aws-sdk/client-s3';
import { SNSClient } from '@aws-sdk/client-sns';
import { SQSClient } from '@aws-sdk/client-sqs';
import { emfMetrics } from './metrics.ts';

export interface AwsSettings {
  region: string;
  /** The AWS emulator's URL, locally; undefined in AWS. */
  endpoint?: string | undefined;
}

const common = (s: AwsSettings) => ({
  region: s.region,
  maxAttempts: 3,
  ...(s.endpoint ? { endpoint: s.endpoint, credentials: { accessKeyId: 'local', secretAccessKey: 'local' } } : {}),
});

export const dynamoClient = (s: AwsSettings) => new DynamoDBClient(common(s));
/**
 * KMS answers ThrottlingException when a key's request quota is spent. The client counts each
 * call that still fails so once its retries are spent (KmsThrottled, alarmed on by
 * lib/operations.ts): the functions answer 503 then, and nothing else would tell operators why.
 */
export const kmsClient = (s: AwsSettings) => {
  const client = new KMSClient(common(s));
  const metrics = emfMetrics();
  client.middlewareStack.add(
    (next) => async (args) => {
      try {
        return await next(args);
      } catch (error) {
        if ((error as Error)?.name === 'ThrottlingException') metrics.count('KmsThrottled', {});
        throw error;
      }
    },
    { step: 'initialize', name: 'countKmsThrottling' },
  );
  return client;
};
export const snsClient = (s: AwsSettings) => new SNSClient(common(s));
/** Path-style addressing on the emulator: its buckets are not DNS names under its endpoint. */
export const s3Client = (s: AwsSettings) => new S3Client({ ...common(s), ...(s.endpoint ? { forcePathStyle: true } : {}) });
export const sqsClient = (s: AwsSettings) => new SQSClient(common(s));

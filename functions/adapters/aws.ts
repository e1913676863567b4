/**
 * AWS SDK clients, created once per process (module scope in Lambda). Locally only the endpoint
 * differs: the AWS emulator stands in for DynamoDB, KMS and SNS.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { KMSClient } from '@aws-sdk/client-kms';
import { SNSClient } from '@aws-sdk/client-sns';

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
export const kmsClient = (s: AwsSettings) => new KMSClient(common(s));
export const snsClient = (s: AwsSettings) => new SNSClient(common(s));

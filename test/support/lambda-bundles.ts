/**
 * The Lambda entries and how they are bundled, for the bundle test and the cold-start benchmark:
 * the esbuild options come from lib/dmp-function.ts (LAMBDA_BUNDLE), the one place they live.
 */
import type { BuildOptions } from 'esbuild';
import { LAMBDA_BUNDLE } from '../../lib/dmp-function.ts';

/** The esbuild options of the Lambda bundles: lib/dmp-function.ts's LAMBDA_BUNDLE, in esbuild's words. */
export const LAMBDA_BUNDLING = {
  bundle: true,
  platform: 'node',
  format: LAMBDA_BUNDLE.format,
  target: LAMBDA_BUNDLE.target,
  minify: LAMBDA_BUNDLE.minify,
  sourcemap: LAMBDA_BUNDLE.sourceMap,
  sourcesContent: LAMBDA_BUNDLE.sourcesContent,
  mainFields: [...LAMBDA_BUNDLE.mainFields],
  banner: { js: LAMBDA_BUNDLE.banner },
} as const satisfies BuildOptions;

/**
 * What a function reads from its environment at module scope (dummies: nothing is fetched at
 * import), plus what Lambda sets for it: the JSON log format and level of its logging config.
 * No NODE_OPTIONS: lib/dmp-function.ts does not parse source maps at runtime.
 */
export const LAMBDA_ENV: Record<string, string> = {
  AWS_LAMBDA_LOG_FORMAT: 'JSON',
  AWS_LAMBDA_LOG_LEVEL: 'INFO',
  AWS_LAMBDA_FUNCTION_NAME: 'dmp-bench',
  TABLE_NAME: 'bench-table',
  DATA_KEY_ID: 'arn:aws:kms:eu-west-3:111122223333:key/00000000-0000-4000-8000-000000000000',
  AWS_REGION: 'eu-west-3',
  PSC_ISSUER: 'https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet',
  PSC_JWKS_URL: 'https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet/protocol/openid-connect/certs',
  PSC_AUDIENCE: 'dmp-api',
  AGENT_ISSUER: 'https://idp.agents.example.fr',
  AGENT_JWKS_URL: 'https://idp.agents.example.fr/jwks.json',
  AGENT_AUDIENCE: 'dmp-api',
  SESSION_KEY_ID: 'arn:aws:kms:eu-west-3:111122223333:key/00000000-0000-4000-8000-000000000001',
  PATIENT_ISSUER: 'https://api.dmp.fr/patient',
  PATIENT_AUDIENCE: 'dmp-api',
  SMS_SENDER_ID: 'DMP',
  PRO_TOPIC_ARN: 'arn:aws:sns:eu-west-3:111122223333:dmp-pro',
  INBOX_BUCKET: 'dmp-claims-inbox-bench',
  IMPORT_QUEUE_URL: 'https://sqs.eu-west-3.amazonaws.com/111122223333/dmp-claims-import',
  AWS_ACCESS_KEY_ID: 'AKIABENCHDUMMY000000',
  AWS_SECRET_ACCESS_KEY: 'bench-dummy-secret',
};

export type SdkClient = 'DynamoDBClient' | 'KMSClient' | 'SNSClient' | 'S3Client' | 'SQSClient';
export const SDK_PACKAGE: Record<SdkClient, string> = {
  DynamoDBClient: '@aws-sdk/client-dynamodb',
  KMSClient: '@aws-sdk/client-kms',
  SNSClient: '@aws-sdk/client-sns',
  S3Client: '@aws-sdk/client-s3',
  SQSClient: '@aws-sdk/client-sqs',
};

interface LambdaEntry {
  name: string;
  entry: string;
  clients: SdkClient[];
}

export const FUNCTIONS: LambdaEntry[] = [
  { name: 'records', entry: 'functions/capabilities/records/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'auth', entry: 'functions/capabilities/auth/handler.ts', clients: ['DynamoDBClient', 'KMSClient', 'SNSClient'] },
  { name: 'reporting', entry: 'functions/capabilities/reporting/handler.ts', clients: ['DynamoDBClient'] },
  { name: 'docs', entry: 'functions/capabilities/docs/handler.ts', clients: [] },
  { name: 'documents', entry: 'functions/capabilities/documents/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'access', entry: 'functions/capabilities/access/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'claims', entry: 'functions/capabilities/claims/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'emergency', entry: 'functions/capabilities/emergency/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'fhir-health', entry: 'functions/capabilities/fhir-health/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'health', entry: 'functions/capabilities/health/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'vaccinations', entry: 'functions/capabilities/vaccinations/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'measurements', entry: 'functions/capabilities/measurements/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'search', entry: 'functions/capabilities/search/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'fhir', entry: 'functions/capabilities/fhir/handler.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'authorizer', entry: 'functions/http/authorizer.ts', clients: ['KMSClient'] },
  { name: 'outbox', entry: 'functions/jobs/outbox.ts', clients: ['DynamoDBClient', 'KMSClient', 'SNSClient'] },
  { name: 'retention', entry: 'functions/jobs/retention.ts', clients: ['DynamoDBClient'] },
  { name: 'visibility', entry: 'functions/jobs/visibility.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'uploads', entry: 'functions/jobs/uploads.ts', clients: ['DynamoDBClient'] },
  { name: 'claims-import', entry: 'functions/jobs/claims-import.ts', clients: ['DynamoDBClient', 'KMSClient', 'S3Client', 'SQSClient'] },
  { name: 'vaccination-reminders', entry: 'functions/jobs/vaccination-reminders.ts', clients: ['DynamoDBClient', 'KMSClient'] },
  { name: 'search-index', entry: 'functions/jobs/search-index.ts', clients: ['DynamoDBClient', 'KMSClient'] },
];

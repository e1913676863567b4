/**
 * The synthesized template, asserted property by property (no snapshot): what the manifest asks
 * of API Gateway, what each function may do, how data and logs are protected, and cdk-nag's AWS
 * Solutions and HIPAA Security packs with nothing left unacknowledged. The app is synthesized once,
 * without bundling the functions (`npx cdk synth` does that).
 */
import { readFileSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { z } from 'zod/mini';
import { CAPABILITIES, type Capability, ROUTES } from '../../functions/capabilities/index.ts';
import { fieldsOf } from '../../functions/http/route.ts';
import { isAnonymous, MAX_GATEWAY_PATTERN_LENGTH, requestModelSchema, routeThrottle, STAGE_THROTTLE } from '../../lib/api-manifest.ts';
import { DmpStack } from '../../lib/dmp-stack.ts';
import { GATEWAY_PROBLEMS } from '../../lib/gateway-responses.ts';
import { Messaging } from '../../lib/messaging.ts';
import { CLIENT_CATEGORIES, readSettings } from '../../lib/settings.ts';
import { FUNCTIONS } from '../support/lambda-bundles.ts';

type Json = Record<string, any>; // CloudFormation documents, as Template.toJSON() returns them

// The project's own context (cdk.json), in production (lib/environments.ts), functions not bundled.
const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
/** The insurer's role that drops the claims objects (lib/environments.ts claimsInboxWriter). */
const INBOX_WRITER = 'arn:aws:iam::210987654321:role/claims-drop';
const app = new App({ context: { ...cdkJson.context, env: 'prod', 'dmp:account': '123456789012', 'dmp:claimsInboxWriter': INBOX_WRITER, 'aws:cdk:bundling-stacks': [] } });
const settings = readSettings(app.node);
const stack = new DmpStack(app, 'Dmp', { env: { region: settings.region }, settings });
const template = Template.fromStack(stack);
const resources = template.toJSON().Resources as Record<string, Json>;

const logicalId = (construct: IConstruct): string => stack.getLogicalId(construct.node.defaultChild as CfnElement);
const ofType = (type: string): [string, Json][] => Object.entries(resources).filter(([, r]) => r.Type === type);
const asArray = <T>(value: T | T[]): T[] => (Array.isArray(value) ? value : [value]);
const ref = (id: string) => ({ Ref: id });
const arnOf = (id: string) => ({ 'Fn::GetAtt': [id, 'Arn'] });

/** All statements of one function's execution role. */
const statementsOf = (fnConstruct: { executionRole: IConstruct }): Json[] =>
  ofType('AWS::IAM::Policy')
    .filter(([, p]) => (p.Properties.Roles as Json[]).some((r) => r.Ref === logicalId(fnConstruct.executionRole)))
    .flatMap(([, p]) => p.Properties.PolicyDocument.Statement as Json[]);
const actionsOf = (statements: Json[]): string[] => statements.flatMap((s) => asArray(s.Action as string | string[])).sort();
/** JSON with object keys sorted: compares policy fragments whatever order CDK wrote their keys in. */
const canonical = (value: unknown): string =>
  JSON.stringify(value, (_, v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? Object.fromEntries(Object.entries(v).sort()) : v));
/** The roles (logical ids) whose policies mention a value, such as a resource's ARN. */
const rolesNaming = (value: unknown): string[] =>
  ofType('AWS::IAM::Policy')
    .filter(([, p]) => JSON.stringify(p.Properties.PolicyDocument).includes(JSON.stringify(value)))
    .flatMap(([, p]) => (p.Properties.Roles as Json[]).map((r) => r.Ref as string))
    .sort();
const roleOf = (fn: { executionRole: IConstruct }): string => logicalId(fn.executionRole);

const tableArn = arnOf(logicalId(stack.data.table));
const gsi1Arn = { 'Fn::Join': ['', [tableArn, '/index/gsi1']] };
/** The reimbursed-care history's index: what reads the history queries, and nothing else. */
const gsi2Arn = { 'Fn::Join': ['', [tableArn, '/index/gsi2']] };
const dataKeyArn = arnOf(logicalId(stack.data.dataKey));
const viaDynamoDb = { StringEquals: { 'kms:ViaService': `dynamodb.${settings.region}.amazonaws.com` } };
/** Every SNS ARN (topics, platform endpoints) in any region and account. */
const everyTopic = { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':sns:*:*:*']] };
const inThisRegion = { StringEquals: { 'aws:RequestedRegion': settings.region } };
/** The data key's conditions: a record's key (dmpId), the keyed-hash secret (purpose), or either. */
const RECORD = { 'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['dmpId'] }, Null: { 'kms:EncryptionContextKeys': 'false' } };
const KEYED_INDEX = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['purpose'] },
  Null: { 'kms:EncryptionContextKeys': 'false' },
  StringEqualsIfExists: { 'kms:EncryptionContext:purpose': 'keyed-index' },
};
const RECORD_OR_KEYED_INDEX = {
  'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': ['dmpId', 'purpose'] },
  Null: { 'kms:EncryptionContextKeys': 'false' },
  StringEqualsIfExists: { 'kms:EncryptionContext:purpose': 'keyed-index' },
};
const onDataKey = (fn: { executionRole: IConstruct }): Json[] => statementsOf(fn).filter((st) => canonical(st.Resource) === canonical(dataKeyArn));
const snsPublishOf = (fn: { executionRole: IConstruct }): Json[] => statementsOf(fn).filter((st) => asArray(st.Action).includes('sns:Publish'));

/** "/v1/records/{dmpId}" of an AWS::ApiGateway::Resource, from its PathPart and ParentId chain. */
const pathOf = (resourceId: Json): string => {
  if (resourceId['Fn::GetAtt']?.[1] === 'RootResourceId') return '';
  const resource = resources[resourceId.Ref as string];
  if (!resource) throw new Error(`unknown resource ${JSON.stringify(resourceId)}`);
  return `${pathOf(resource.Properties.ParentId)}/${resource.Properties.PathPart}`;
};
const methodsByRoute = new Map(
  ofType('AWS::ApiGateway::Method').map(([id, m]) => [`${m.Properties.HttpMethod} ${pathOf(m.Properties.ResourceId) || '/'}`, { id, ...m.Properties }]),
);

const jobFunctions = [
  stack.jobs.outbox,
  stack.jobs.retention,
  stack.jobs.visibility,
  stack.jobs.uploads,
  stack.jobs.claimsImport.function,
  stack.jobs.vaccinationReminders,
  stack.jobs.searchIndex,
];
const ourFunctions = [...CAPABILITIES.map((c) => stack.api.functions[c.name]), stack.api.authorizerFunction, ...jobFunctions];

describe('functions', () => {
  it('are one per capability, plus the authorizer and the jobs (outbox, retention, visibility, uploads, claims import, vaccination reminders, search index), all Node 24 on arm64', () => {
    const arm64 = template.findResources('AWS::Lambda::Function', { Properties: { Architectures: ['arm64'] } });
    expect(Object.keys(arm64).sort()).toEqual(ourFunctions.map(logicalId).sort());
    expect(Object.keys(arm64)).toHaveLength(CAPABILITIES.length + 8);
    for (const fn of ourFunctions) {
      expect(resources[logicalId(fn)]?.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Handler: 'index.handler',
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogFormat: 'JSON', LogGroup: { Ref: expect.any(String) } },
        Role: arnOf(logicalId(fn.executionRole)),
      });
      // Source maps ship beside the bundle but are not parsed at cold start; the claims import
      // alone caps V8's young generation (its memory over a whole file, docs/claims-capacity.md).
      if (fn === stack.jobs.claimsImport.function) expect(resources[logicalId(fn)]?.Properties.Environment.Variables.NODE_OPTIONS).toBe('--max-semi-space-size=8');
      else expect(resources[logicalId(fn)]?.Properties.Environment.Variables).not.toHaveProperty('NODE_OPTIONS');
      expect([512, 1024]).toContain(resources[logicalId(fn)]?.Properties.MemorySize);
      const logGroup = resources[logicalId(fn)]?.Properties.LoggingConfig.LogGroup.Ref as string;
      expect(resources[logGroup]?.Type).toBe('AWS::Logs::LogGroup');
    }
  });

  it('are each bundled and loaded by test/infra/bundles.test.ts (listed in test/support/lambda-bundles.ts)', () => {
    const bundled = new Set(FUNCTIONS.map((f) => f.entry));
    expect(ourFunctions.map((fn) => fn.entry).filter((entry) => !bundled.has(entry))).toEqual([]);
  });

  it('have execution roles with no AWS managed policy', () => {
    for (const fn of ourFunctions) expect(resources[logicalId(fn.executionRole)]?.Properties.ManagedPolicyArns).toBeUndefined();
  });

  it('get the configuration functions/platform/config.ts reads, and no more than they need', () => {
    const env = (fn: IConstruct): Record<string, unknown> => resources[logicalId(fn)]?.Properties.Environment.Variables;
    const issuers = {
      PSC_ISSUER: settings.professionalIssuer?.issuer,
      PSC_JWKS_URL: settings.professionalIssuer?.jwksUrl,
      AGENT_ISSUER: settings.agentIssuer?.issuer,
      INSURER_ISSUER: settings.insurerIssuer?.issuer,
      INSURER_AUDIENCE: settings.insurerIssuer?.audience,
    };
    const table = ref(logicalId(stack.data.table));
    const dataKey = arnOf(logicalId(stack.data.dataKey));
    const sessions = {
      SESSION_KEY_ID: arnOf(logicalId(stack.data.sessionKey)),
      PATIENT_ISSUER: 'https://api.dmp.fr/patient',
      PATIENT_AUDIENCE: 'dmp-api',
    };
    expect(env(stack.api.functions.records)).toMatchObject({ ...issuers, ...sessions, ALLOWED_ORIGIN: settings.allowedOrigin, TABLE_NAME: table, DATA_KEY_ID: dataKey });
    expect(env(stack.api.functions.records)).not.toHaveProperty('SMS_SENDER_ID');
    expect(env(stack.api.functions.auth)).toMatchObject({ ...issuers, ...sessions, TABLE_NAME: table, DATA_KEY_ID: dataKey, SMS_SENDER_ID: settings.smsSenderId });
    expect(env(stack.api.functions.reporting)).toMatchObject({ ...issuers, TABLE_NAME: table });
    for (const name of ['DATA_KEY_ID', 'SESSION_KEY_ID', 'PATIENT_ISSUER']) expect(env(stack.api.functions.reporting)).not.toHaveProperty(name);
    for (const name of ['TABLE_NAME', 'SESSION_KEY_ID', 'PATIENT_ISSUER']) expect(env(stack.api.functions.docs)).not.toHaveProperty(name);
    // The table for devices' credentials (one GetItem of their hash): never a data key.
    expect(env(stack.api.authorizerFunction)).toMatchObject({ ...issuers, ...sessions, TABLE_NAME: table });
    expect(env(stack.api.authorizerFunction)).not.toHaveProperty('DATA_KEY_ID');
    expect(settings.insurerIssuer?.audience).not.toBe(settings.agentIssuer?.audience);
    for (const fn of [
      stack.api.functions.documents,
      stack.api.functions.fhir,
      stack.api.functions.access,
      stack.api.functions.claims,
      stack.api.functions.health,
      stack.api.functions.vaccinations,
      stack.api.functions.measurements,
      stack.api.functions.search,
    ]) {
      expect(env(fn)).toMatchObject({ ...issuers, ...sessions, ALLOWED_ORIGIN: settings.allowedOrigin, TABLE_NAME: table, DATA_KEY_ID: dataKey });
      expect(env(fn)).not.toHaveProperty('SMS_SENDER_ID');
    }
    expect(env(stack.jobs.outbox)).toEqual({
      TABLE_NAME: table,
      DATA_KEY_ID: dataKey,
      SMS_SENDER_ID: settings.smsSenderId,
      PRO_TOPIC_ARN: ref(logicalId(stack.messaging.professionalMessaging)),
    });
    expect(env(stack.jobs.retention)).toEqual({ TABLE_NAME: table });
    expect(env(stack.jobs.visibility)).toEqual({ TABLE_NAME: table, DATA_KEY_ID: dataKey });
    expect(env(stack.jobs.uploads)).toEqual({ TABLE_NAME: table });
    expect(env(stack.jobs.vaccinationReminders)).toEqual({ TABLE_NAME: table, DATA_KEY_ID: dataKey });
    // Only the outbox dispatcher is told of the professional topic.
    for (const fn of ourFunctions.filter((f) => f !== stack.jobs.outbox)) expect(env(fn)).not.toHaveProperty('PRO_TOPIC_ARN');
  });
});

describe('least privilege', () => {
  const beyondLogsAndTracing = (fn: { executionRole: IConstruct }) => actionsOf(statementsOf(fn)).filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:'));

  it('no Allow statement anywhere grants every action or every action of a service', () => {
    const documents = [
      ...ofType('AWS::IAM::Policy').map(([, r]) => r.Properties.PolicyDocument),
      ...ofType('AWS::IAM::ManagedPolicy').map(([, r]) => r.Properties.PolicyDocument),
      ...ofType('AWS::IAM::Role').flatMap(([, r]) => [r.Properties.AssumeRolePolicyDocument, ...(r.Properties.Policies ?? []).map((p: Json) => p.PolicyDocument)]),
      ...ofType('AWS::KMS::Key').map(([, r]) => r.Properties.KeyPolicy),
      ...ofType('AWS::SNS::TopicPolicy').map(([, r]) => r.Properties.PolicyDocument),
      ...ofType('AWS::SQS::QueuePolicy').map(([, r]) => r.Properties.PolicyDocument),
    ] as Json[];
    const wildcards = documents
      .flatMap((d) => d.Statement as Json[])
      .filter((s) => s.Effect === 'Allow')
      .flatMap((s) => asArray((s.Action ?? []) as string | string[]))
      .filter((a) => a === '*' || /^[a-z0-9-]+:\*$/i.test(a));
    expect(wildcards).toEqual([]);
  });

  it('records: item calls on the table, data key GenerateDataKey/Decrypt, the session public key', () => {
    expect(beyondLogsAndTracing(stack.api.functions.records)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
    ]);
    const tableStatement = statementsOf(stack.api.functions.records).find((s) => asArray(s.Action).includes('dynamodb:GetItem'));
    expect(tableStatement?.Resource).toEqual(arnOf(logicalId(stack.data.table)));
  });

  it('reporting: Query on the table and on GSI1 by its exact ARN, nothing else', () => {
    const statements = statementsOf(stack.api.functions.reporting);
    expect(beyondLogsAndTracing(stack.api.functions.reporting)).toEqual(['dynamodb:Query', 'kms:Decrypt', 'kms:DescribeKey']);
    const query = statements.find((s) => asArray(s.Action).includes('dynamodb:Query'));
    expect(asArray(query?.Resource)).toEqual([arnOf(logicalId(stack.data.table)), { 'Fn::Join': ['', [arnOf(logicalId(stack.data.table)), '/index/gsi1']] }]);
    // The table key only through DynamoDB.
    const kms = statements.find((s) => asArray(s.Action).includes('kms:Decrypt'));
    expect(kms?.Condition).toEqual({ StringEquals: { 'kms:ViaService': `dynamodb.${settings.region}.amazonaws.com` } });
  });

  it('auth: item calls on the table, data key per context, SMS but never to a topic, signs sessions', () => {
    const statements = statementsOf(stack.api.functions.auth);
    const tableStatement = statements.find((s) => asArray(s.Action).includes('dynamodb:UpdateItem'));
    expect(tableStatement?.Resource).toEqual(arnOf(logicalId(stack.data.table)));
    expect(beyondLogsAndTracing(stack.api.functions.auth)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
      'kms:Sign',
      'sns:Publish',
      'sns:Publish',
    ]);
    // SMS to phone numbers in this region, and an explicit deny of every topic, the professional
    // messaging topic included.
    expect(snsPublishOf(stack.api.functions.auth)).toEqual([
      { Sid: 'SendSmsToPhoneNumbers', Effect: 'Allow', Action: 'sns:Publish', Resource: '*', Condition: inThisRegion },
      { Sid: 'NeverPublishToTopics', Effect: 'Deny', Action: 'sns:Publish', Resource: everyTopic },
    ]);
  });

  it('docs: logs and tracing only; authorizer: the session public key, and devices’ credential hashes besides', () => {
    expect(beyondLogsAndTracing(stack.api.functions.docs)).toEqual([]);
    expect(beyondLogsAndTracing(stack.api.authorizerFunction)).toEqual(['dynamodb:GetItem', 'kms:Decrypt', 'kms:DescribeKey', 'kms:GetPublicKey']);
    const statements = statementsOf(stack.api.authorizerFunction);
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'kms:GetPublicKey', Resource: arnOf(logicalId(stack.data.sessionKey)) });
    // A GetItem in records' partitions of a device's keys and credential hash only: no other
    // attribute (a record's META, a sealed attribute), no whole item, no write, no index.
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'dynamodb:GetItem',
      Resource: arnOf(logicalId(stack.data.table)),
      Condition: {
        'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': ['REC#*'] },
        'ForAllValues:StringEquals': { 'dynamodb:Attributes': ['pk', 'sk', 'credentialHash'] },
        StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
      },
    });
    // The table key through DynamoDB only, to read; the patient data key never.
    expect(statements.filter((st) => asArray(st.Action).some((a: string) => a.startsWith('kms:') && a !== 'kms:GetPublicKey'))).toEqual([
      {
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:DescribeKey'],
        Resource: arnOf(logicalId(stack.data.tableKey)),
        Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${settings.region}.amazonaws.com` } },
      },
    ]);
  });

  it('measurements: item and batch calls on the table, no delete and no index; opens records’ data keys only', () => {
    const fn = stack.api.functions.measurements;
    const statements = statementsOf(fn);
    // A batch reads its keys (BatchGetItem) and puts the new ones (BatchWriteItem); a device's
    // credential is a GetItem; pairing and revoking are a Put and an Update in transactions.
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    });
    expect(actionsOf(statements)).not.toContain('dynamodb:DeleteItem');
    expect(JSON.stringify(statements)).not.toContain('/index/');
    expect(onDataKey(fn)).toEqual([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD }]);
  });

  it('search: reads items, postings and a page of candidates (BatchGetItem), writes only its trace; no delete, no batch write, no index; opens records’ data keys only', () => {
    const fn = stack.api.functions.search;
    const statements = statementsOf(fn);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    });
    for (const action of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) expect(actionsOf(statements)).not.toContain(action);
    expect(JSON.stringify(statements)).not.toContain('/index/');
    expect(onDataKey(fn)).toEqual([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD }]);
  });

  it('retention: table calls to find and destroy records, GSI1, no data key (it never decrypts)', () => {
    const statements = statementsOf(stack.jobs.retention);
    const table = statements.find((s) => asArray(s.Action).includes('dynamodb:DeleteItem'));
    expect(table).toEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchWriteItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: arnOf(logicalId(stack.data.table)),
    });
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: 'dynamodb:Query',
      Resource: { 'Fn::Join': ['', [arnOf(logicalId(stack.data.table)), '/index/gsi1']] },
    });
    // KMS only as DynamoDB's table encryption, never the patient data key or the session key.
    const kms = statements.filter((s) => asArray(s.Action).some((a: string) => a.startsWith('kms:')));
    expect(kms).toEqual([
      expect.objectContaining({ Resource: arnOf(logicalId(stack.data.tableKey)), Condition: { StringEquals: { 'kms:ViaService': `dynamodb.${settings.region}.amazonaws.com` } } }),
    ]);
    expect(actionsOf(statements).filter((a) => !a.startsWith('xray:') && !a.startsWith('logs:') && !a.startsWith('dynamodb:') && !a.startsWith('kms:'))).toEqual([]);
  });

  it('outbox: claims and reads items, queries GSI1, expands fan-outs (queries a record, puts messages), decrypts data keys, sends SMS and publishes to the professional topic only, reads the stream', () => {
    const statements = statementsOf(stack.jobs.outbox);
    expect(actionsOf(statements)).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:GetRecords',
        'kms:Decrypt',
        'sns:Publish',
        'sqs:SendMessage',
      ]),
    );
    // It deletes nothing.
    for (const action of ['dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) expect(actionsOf(statements)).not.toContain(action);
    expect(actionsOf(onDataKey(stack.jobs.outbox))).toEqual(['kms:Decrypt']);
    // Publish is allowed on phone numbers (whatever is not an SNS ARN) and on the professional
    // topic by its ARN: no allow reaches any other topic. No deny: an explicit deny of the other
    // topics cannot be written without also denying the SMS (see lib/messaging.ts).
    expect(snsPublishOf(stack.jobs.outbox)).toEqual([
      { Sid: 'SendSmsToPhoneNumbers', Effect: 'Allow', Action: 'sns:Publish', NotResource: everyTopic, Condition: inThisRegion },
      { Sid: 'PublishToProfessionalMessaging', Effect: 'Allow', Action: 'sns:Publish', Resource: ref(logicalId(stack.messaging.professionalMessaging)) },
    ]);
    // The topic's key, for SNS to encrypt what the dispatcher publishes: through SNS only.
    expect(statements.filter((st) => canonical(st.Resource) === canonical(arnOf(logicalId(stack.messaging.topicKey))))).toEqual([
      {
        Sid: 'EncryptForProfessionalMessaging',
        Effect: 'Allow',
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: arnOf(logicalId(stack.messaging.topicKey)),
        Condition: { StringEquals: { 'kms:ViaService': `sns.${settings.region}.amazonaws.com` } },
      },
    ]);
  });

  it('the professional topic and its key: the outbox alone; every other role that publishes (auth) is denied every topic', () => {
    const outboxRole = roleOf(stack.jobs.outbox);
    expect(rolesNaming(ref(logicalId(stack.messaging.professionalMessaging)))).toEqual([outboxRole]);
    expect(rolesNaming(arnOf(logicalId(stack.messaging.topicKey)))).toEqual([outboxRole]);
    // The roles allowed sns:Publish at all: auth (SMS) and the outbox.
    const publishers = ofType('AWS::IAM::Policy')
      .filter(([, p]) => (p.Properties.PolicyDocument.Statement as Json[]).some((st) => st.Effect === 'Allow' && asArray(st.Action).includes('sns:Publish')))
      .flatMap(([, p]) => (p.Properties.Roles as Json[]).map((r) => r.Ref as string))
      .sort();
    expect(publishers).toEqual([roleOf(stack.api.functions.auth), outboxRole].sort());
    for (const fn of ourFunctions.filter((f) => f !== stack.jobs.outbox && f !== stack.api.functions.auth)) expect(snsPublishOf(fn)).toEqual([]);
    // The topic key's policy names no role and no service: the account administers it, and IAM
    // policies (the outbox's, above) grant its use.
    const keyPolicy = resources[logicalId(stack.messaging.topicKey)]?.Properties.KeyPolicy.Statement as Json[];
    expect(keyPolicy.map((st) => st.Sid)).toEqual(['AccountAdministersTheKey', 'IamPoliciesOfTheAccountGrantUse']);
    const account = { AWS: { 'Fn::Join': ['', ['arn:', { Ref: 'AWS::Partition' }, ':iam::', { Ref: 'AWS::AccountId' }, ':root']] } };
    for (const st of keyPolicy) expect(st.Principal).toEqual(account);
  });

  it('claims: batch reads and writes of lines on the table, Query of the history’s index only; opens data keys, generates only the keyed-hash secret', () => {
    const fn = stack.api.functions.claims;
    const statements = statementsOf(fn);
    // Lines are put with BatchWriteItem and found with BatchGetItem; a batch's record is put then
    // updated; lines of a record closed meanwhile are deleted. DynamoDB's TTL removes expired lines.
    // A read of the history queries GSI2 (and no other index), then gets its lines.
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
      Resource: tableArn,
    });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: gsi2Arn });
    expect(JSON.stringify(statements)).not.toContain('/index/gsi1');
    expect(onDataKey(fn)).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD_OR_KEYED_INDEX },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: dataKeyArn, Condition: KEYED_INDEX },
    ]);
  });

  it('health: reads and conditional puts of its items on the table, no update, delete, batch write or index; opens records’ data keys only', () => {
    const fn = stack.api.functions.health;
    const statements = statementsOf(fn);
    // The profile is put on condition of its version, the wishes put whole, in transactions with
    // their trace under the record's guards (ConditionCheck); reads are GetItem, BatchGetItem (the
    // record, the standing) and Query.
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      Resource: tableArn,
    });
    for (const action of ['dynamodb:UpdateItem', 'dynamodb:DeleteItem', 'dynamodb:BatchWriteItem']) expect(actionsOf(statements)).not.toContain(action);
    expect(JSON.stringify(statements)).not.toContain('/index/');
    expect(onDataKey(fn)).toEqual([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD }]);
  });

  it('documents: deposits in chunks and reads in batches on the table only; opens data keys, generates only the keyed-hash secret', () => {
    const fn = stack.api.functions.documents;
    const statements = statementsOf(fn);
    // DeleteItem: the commit transaction deletes the deposit's intent (functions/capabilities/documents/store.ts).
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
      Resource: tableArn,
    });
    expect(beyondLogsAndTracing(fn)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:BatchWriteItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
    ]);
    // No index: a record's documents are found by their sort keys.
    expect(JSON.stringify(statements)).not.toContain('/index/');
    // A record's data key is opened, never created (only records creates one): GenerateDataKey
    // carries the keyed-index purpose and no dmpId.
    expect(onDataKey(fn)).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD_OR_KEYED_INDEX },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: dataKeyArn, Condition: KEYED_INDEX },
    ]);
  });

  it("access: item calls with deletes but no batch writes, opens records' data keys only (no keyed hash, no generation)", () => {
    const fn = stack.api.functions.access;
    expect(statementsOf(fn)).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:DeleteItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    });
    expect(beyondLogsAndTracing(fn)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:DeleteItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
    ]);
    expect(onDataKey(fn)).toEqual([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD }]);
    // The one GenerateDataKey is the table key's, through DynamoDB.
    const generate = statementsOf(fn).filter((st) => asArray(st.Action).includes('kms:GenerateDataKey'));
    expect(generate).toEqual([expect.objectContaining({ Resource: arnOf(logicalId(stack.data.tableKey)), Condition: viaDynamoDb })]);
  });

  it('vaccinations: puts vaccinations in transactions and reads by Query (the history through its index and BatchGetItem), no update, delete or batch write; opens data keys, generates only the keyed-hash secret', () => {
    const fn = stack.api.functions.vaccinations;
    const statements = statementsOf(fn);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query'],
      Resource: tableArn,
    });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: gsi2Arn });
    expect(beyondLogsAndTracing(fn)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
      'kms:GenerateDataKey',
      'kms:GetPublicKey',
    ]);
    // The reminders' queue is the job's: the function writes its entry, never reads GSI1.
    expect(JSON.stringify(statements)).not.toContain('/index/gsi1');
    expect(onDataKey(fn)).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD_OR_KEYED_INDEX },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: dataKeyArn, Condition: KEYED_INDEX },
    ]);
  });

  it("vaccination reminders: finds due records on GSI1, reads them (the history through GSI2), writes reminders and moves the queue on, opens records' data keys only, sends no SMS itself", () => {
    const fn = stack.jobs.vaccinationReminders;
    const statements = statementsOf(fn);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    });
    // The queue's index and the history's, each by its exact ARN (one statement).
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: [gsi1Arn, gsi2Arn] });
    expect(beyondLogsAndTracing(fn)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
    // Decrypt with a record's context only: no keyed-hash secret, no new data key; the SMS go through the outbox.
    expect(onDataKey(fn)).toEqual([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD }]);
    expect(snsPublishOf(fn)).toEqual([]);
  });

  it('fhir and fhir-health: what the keyword search does is among their grants (_content, _text run it)', () => {
    const { fhir, 'fhir-health': fhirHealth, search } = stack.api.functions;
    for (const fn of [fhir, fhirHealth]) expect(beyondLogsAndTracing(search).filter((action) => !beyondLogsAndTracing(fn).includes(action))).toEqual([]);
  });

  it('fhir: the documents function’s grants (it runs their use cases), and the history index’s Query for Patient/$everything, nothing more', () => {
    const fn = stack.api.functions.fhir;
    expect(new Set(beyondLogsAndTracing(fn))).toEqual(new Set(beyondLogsAndTracing(stack.api.functions.documents)));
    expect(statementsOf(fn)).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: gsi2Arn });
    expect(JSON.stringify(statementsOf(fn))).not.toContain('/index/gsi1');
    expect(onDataKey(fn)).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD_OR_KEYED_INDEX },
      { Effect: 'Allow', Action: 'kms:GenerateDataKey', Resource: dataKeyArn, Condition: KEYED_INDEX },
    ]);
  });

  it("visibility: finds due documents on GSI1, moves them on and writes the notice, opens records' data keys only", () => {
    const fn = stack.jobs.visibility;
    const statements = statementsOf(fn);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchGetItem', 'dynamodb:ConditionCheckItem', 'dynamodb:GetItem', 'dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: gsi1Arn });
    expect(beyondLogsAndTracing(fn)).toEqual([
      'dynamodb:BatchGetItem',
      'dynamodb:ConditionCheckItem',
      'dynamodb:GetItem',
      'dynamodb:PutItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
    // Decrypt with a record's context only: no keyed-hash secret, no new data key.
    expect(onDataKey(fn)).toEqual([{ Effect: 'Allow', Action: 'kms:Decrypt', Resource: dataKeyArn, Condition: RECORD }]);
  });

  it('uploads: finds abandoned deposits on GSI1 and deletes their chunks, no GetItem, no data key (it never decrypts)', () => {
    const fn = stack.jobs.uploads;
    const statements = statementsOf(fn);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: ['dynamodb:BatchWriteItem', 'dynamodb:DeleteItem', 'dynamodb:Query', 'dynamodb:UpdateItem'],
      Resource: tableArn,
    });
    expect(statements).toContainEqual({ Effect: 'Allow', Action: 'dynamodb:Query', Resource: gsi1Arn });
    expect(beyondLogsAndTracing(fn)).toEqual([
      'dynamodb:BatchWriteItem',
      'dynamodb:DeleteItem',
      'dynamodb:Query',
      'dynamodb:Query',
      'dynamodb:UpdateItem',
      'kms:Decrypt',
      'kms:DescribeKey',
      'kms:Encrypt',
      'kms:GenerateDataKey',
    ]);
    // KMS only as DynamoDB's table encryption.
    const kms = statements.filter((st) => asArray(st.Action).some((a: string) => a.startsWith('kms:')));
    expect(kms).toEqual([expect.objectContaining({ Resource: arnOf(logicalId(stack.data.tableKey)), Condition: viaDynamoDb })]);
  });
});

describe('data', () => {
  it('one table: keys and GSI1 from TABLE_DEFINITION, on demand, PITR, stream, TTL, KMS, protected and retained', () => {
    template.resourceCountIs('AWS::DynamoDB::Table', 1);
    template.hasResource('AWS::DynamoDB::Table', {
      DeletionPolicy: 'Retain',
      UpdateReplacePolicy: 'Retain',
      Properties: {
        KeySchema: [
          { AttributeName: 'pk', KeyType: 'HASH' },
          { AttributeName: 'sk', KeyType: 'RANGE' },
        ],
        BillingMode: 'PAY_PER_REQUEST',
        PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
        StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
        TimeToLiveSpecification: { AttributeName: 'ttl', Enabled: true },
        SSESpecification: { SSEEnabled: true, SSEType: 'KMS', KMSMasterKeyId: arnOf(logicalId(stack.data.tableKey)) },
        DeletionProtectionEnabled: true,
        GlobalSecondaryIndexes: [
          {
            IndexName: 'gsi1',
            KeySchema: [
              { AttributeName: 'gsi1pk', KeyType: 'HASH' },
              { AttributeName: 'gsi1sk', KeyType: 'RANGE' },
            ],
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['channel'] },
          },
          {
            IndexName: 'gsi2',
            KeySchema: [
              { AttributeName: 'gsi2pk', KeyType: 'HASH' },
              { AttributeName: 'gsi2sk', KeyType: 'RANGE' },
            ],
            // Keys and ttl only: nothing sealed is copied into the index.
            Projection: { ProjectionType: 'INCLUDE', NonKeyAttributes: ['ttl'] },
          },
        ],
      },
    });
  });

  it('is backed up daily by AWS Backup', () => {
    template.hasResourceProperties('AWS::Backup::BackupSelection', {
      BackupSelection: { Resources: [arnOf(logicalId(stack.data.table))] },
    });
  });

  it('every symmetric KMS key rotates; every key is retained', () => {
    for (const [id, key] of ofType('AWS::KMS::Key')) {
      // KMS cannot rotate an asymmetric key automatically.
      expect(key.Properties.EnableKeyRotation).toBe(id !== logicalId(stack.data.sessionKey));
      expect(key.DeletionPolicy).toBe('Retain');
    }
  });

  it('the session key: ECC P-256 for signing; only auth may sign, only the functions that verify sessions may read the public key', () => {
    const sessionKey = logicalId(stack.data.sessionKey);
    expect(resources[sessionKey]?.Properties).toMatchObject({ KeySpec: 'ECC_NIST_P256', KeyUsage: 'SIGN_VERIFY', EnableKeyRotation: false });
    const roleArn = (fn: { executionRole: IConstruct }) => arnOf(logicalId(fn.executionRole));
    const policy = resources[sessionKey]?.Properties.KeyPolicy.Statement as Json[];
    const principalsWith = (action: string) =>
      policy
        .filter((s) => s.Effect === 'Allow' && asArray(s.Action).includes(action))
        .flatMap((s) => asArray(s.Principal.AWS))
        .map((p) => JSON.stringify(p))
        .sort();
    const json = (fns: { executionRole: IConstruct }[]) => fns.map((fn) => JSON.stringify(roleArn(fn))).sort();
    const {
      auth,
      records,
      reporting,
      docs,
      documents,
      fhir,
      access,
      claims,
      health,
      emergency,
      vaccinations,
      measurements,
      'fhir-health': fhirHealth,
      search,
    } = stack.api.functions;
    expect(principalsWith('kms:Sign')).toEqual(json([auth]));
    expect(policy).toContainEqual(expect.objectContaining({ Action: 'kms:Sign', Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } } }));
    expect(principalsWith('kms:GetPublicKey')).toEqual(
      json([auth, records, documents, fhir, access, claims, health, emergency, vaccinations, measurements, fhirHealth, search, stack.api.authorizerFunction]),
    );
    // Nothing else in the key policy uses the key: the account only administers it.
    const used = policy.flatMap((s) => asArray(s.Action as string | string[])).filter((a) => ['kms:Sign', 'kms:Verify', 'kms:GetPublicKey', 'kms:CreateGrant'].includes(a));
    expect(used.sort()).toEqual(['kms:GetPublicKey', 'kms:Sign']);

    // Role policies: kms:Sign appears in the auth role's policy only, on the session key.
    const signers = ofType('AWS::IAM::Policy').filter(([, p]) =>
      (p.Properties.PolicyDocument.Statement as Json[]).some((s) => asArray(s.Action as string | string[]).some((a) => a === 'kms:Sign' || a === 'kms:*')),
    );
    expect(signers.flatMap(([, p]) => (p.Properties.Roles as Json[]).map((r) => r.Ref))).toEqual([logicalId(auth.executionRole)]);
    expect(statementsOf(auth)).toContainEqual({
      Effect: 'Allow',
      Action: 'kms:Sign',
      Resource: arnOf(sessionKey),
      Condition: { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } },
    });
    for (const fn of [auth, records, documents, fhir, access, claims, health, emergency, vaccinations, measurements, fhirHealth, search, stack.api.authorizerFunction])
      expect(actionsOf(statementsOf(fn))).toContain('kms:GetPublicKey');
    for (const fn of [reporting, docs, ...jobFunctions]) {
      expect(actionsOf(statementsOf(fn))).not.toContain('kms:GetPublicKey');
      expect(JSON.stringify(statementsOf(fn))).not.toContain(sessionKey);
    }
  });

  it('the patient data key: records, auth, documents, access, claims, health, the emergency summary, vaccinations, measurements, the FHIR interface and views, the keyword search, the outbox, visibility, the claims import, the vaccination reminders and the search index may use it, each with the encryption contexts its code passes', () => {
    const { records, auth, documents, fhir, access, claims, health, emergency, vaccinations, measurements, 'fhir-health': fhirHealth, search } = stack.api.functions;
    // [function, action, condition]: a record's key is created by records alone; auth and
    // documents may create only the keyed-hash secret; access, the outbox and visibility open
    // records' keys and nothing else.
    const grants = [
      [records, ['kms:Decrypt', 'kms:GenerateDataKey'], RECORD_OR_KEYED_INDEX],
      [auth, 'kms:Decrypt', RECORD_OR_KEYED_INDEX],
      [auth, 'kms:GenerateDataKey', KEYED_INDEX],
      [documents, 'kms:Decrypt', RECORD_OR_KEYED_INDEX],
      [documents, 'kms:GenerateDataKey', KEYED_INDEX],
      // The FHIR interface runs the documents' use cases: the same grants, no more.
      [fhir, 'kms:Decrypt', RECORD_OR_KEYED_INDEX],
      [fhir, 'kms:GenerateDataKey', KEYED_INDEX],
      [claims, 'kms:Decrypt', RECORD_OR_KEYED_INDEX],
      [claims, 'kms:GenerateDataKey', KEYED_INDEX],
      [vaccinations, 'kms:Decrypt', RECORD_OR_KEYED_INDEX],
      [vaccinations, 'kms:GenerateDataKey', KEYED_INDEX],
      [access, 'kms:Decrypt', RECORD],
      [health, 'kms:Decrypt', RECORD],
      // The emergency summary opens records' keys to read them, and nothing else.
      [emergency, 'kms:Decrypt', RECORD],
      [measurements, 'kms:Decrypt', RECORD],
      // The FHIR views of the health data open records' keys to read them, and nothing else.
      [fhirHealth, 'kms:Decrypt', RECORD],
      // The keyword search opens records' keys (its index key is derived from the record's), and nothing else.
      [search, 'kms:Decrypt', RECORD],
      [stack.jobs.outbox, 'kms:Decrypt', RECORD],
      [stack.jobs.visibility, 'kms:Decrypt', RECORD],
      [stack.jobs.vaccinationReminders, 'kms:Decrypt', RECORD],
      // The search index job opens records' keys to read the changed items and derive the index key.
      [stack.jobs.searchIndex, 'kms:Decrypt', RECORD],
      // The claims core opens records' keys to seal lines, and the keyed-index secret to find a record by INS
      // (and creates that secret if absent, as the claims function may): the claims function's grants.
      [stack.jobs.claimsImport.function, 'kms:Decrypt', RECORD_OR_KEYED_INDEX],
      [stack.jobs.claimsImport.function, 'kms:GenerateDataKey', KEYED_INDEX],
    ] as const;
    const policy = resources[logicalId(stack.data.dataKey)]?.Properties.KeyPolicy.Statement as Json[];
    const crypto = policy.filter((st) => asArray(st.Action).some((a: string) => ['kms:Decrypt', 'kms:GenerateDataKey', 'kms:Encrypt'].includes(a)));
    // CDK merges statements that differ only by principal: compare principal by principal.
    const inKeyPolicy = crypto.flatMap((st) =>
      asArray(st.Principal.AWS as Json).map((principal) =>
        canonical({ Effect: st.Effect, Principal: principal, Action: st.Action, Resource: st.Resource, Condition: st.Condition }),
      ),
    );
    expect(inKeyPolicy.sort()).toEqual(
      grants.map(([fn, Action, Condition]) => canonical({ Effect: 'Allow', Principal: arnOf(roleOf(fn)), Action, Resource: '*', Condition })).sort(),
    );
    // The roles' own grants carry the same conditions, and no other role names the key.
    for (const [fn, Action, Condition] of grants) expect(statementsOf(fn)).toContainEqual({ Effect: 'Allow', Action, Resource: dataKeyArn, Condition });
    expect(rolesNaming(dataKeyArn)).toEqual([...new Set(grants.map(([fn]) => roleOf(fn)))].sort());
  });
});

describe('logs', () => {
  it('every log group is encrypted with the logs key and expires', () => {
    const groups = ofType('AWS::Logs::LogGroup');
    expect(groups.length).toBeGreaterThanOrEqual(ourFunctions.length + 3); // + access, execution, WAF
    for (const [, group] of groups) {
      expect(group.Properties).toMatchObject({ KmsKeyId: arnOf(logicalId(stack.data.logsKey)), RetentionInDays: settings.logRetention });
    }
  });
});

describe('API', () => {
  it('has a method for every route of the manifest, token-protected unless the route admits anonymous callers', () => {
    const authorizer = ofType('AWS::ApiGateway::Authorizer');
    expect(authorizer).toHaveLength(1);
    for (const route of ROUTES) {
      const method = methodsByRoute.get(`${route.method} ${route.path}`);
      expect(method, `${route.method} ${route.path}`).toBeDefined();
      expect(method).toMatchObject(
        isAnonymous(route)
          ? { AuthorizationType: 'NONE', OperationName: route.id }
          : { AuthorizationType: 'CUSTOM', AuthorizerId: ref(authorizer[0]![0]), OperationName: route.id },
      );
      // Served by its capability's function, through its live alias (lib/deployments.ts).
      expect(JSON.stringify(method?.Integration.Uri)).toContain(logicalId(stack.api.aliases[route.capability as Capability]));
    }
    // Nothing but the manifest's routes and their CORS preflights.
    expect([...methodsByRoute.keys()].filter((k) => !k.startsWith('OPTIONS ')).sort()).toEqual(ROUTES.map((r) => `${r.method} ${r.path}`).sort());
  });

  it('verifies bearer tokens with a cached REQUEST authorizer', () => {
    template.hasResourceProperties('AWS::ApiGateway::Authorizer', {
      Type: 'REQUEST',
      IdentitySource: 'method.request.header.Authorization',
      AuthorizerResultTtlInSeconds: 300,
    });
    const [, authorizer] = ofType('AWS::ApiGateway::Authorizer')[0]!;
    expect(JSON.stringify(authorizer.Properties.AuthorizerUri)).toContain(logicalId(stack.api.authorizerAlias));
  });

  it('validates bodies against models generated from the zod schemas, and required parameters', () => {
    for (const route of ROUTES) {
      const method = methodsByRoute.get(`${route.method} ${route.path}`)!;
      for (const name of Object.keys(fieldsOf(route.params))) expect(method.RequestParameters).toMatchObject({ [`method.request.path.${name}`]: true });
      for (const name of Object.keys(fieldsOf(route.query))) expect(method.RequestParameters).toHaveProperty(`method.request.querystring.${name}`);
      if (!route.body) continue;
      if (route.bodyOptional) {
        // Validated by the function alone: a gateway model would refuse the absent body.
        expect(method.RequestModels).toBeUndefined();
        continue;
      }
      const validator = resources[method.RequestValidatorId.Ref]?.Properties;
      expect(validator).toMatchObject({ ValidateRequestBody: true, ValidateRequestParameters: true });
      const model = resources[method.RequestModels['application/json'].Ref]?.Properties;
      expect(model).toMatchObject({ ContentType: 'application/json', Schema: { $schema: 'http://json-schema.org/draft-04/schema#', type: 'object', additionalProperties: false } });
      // No regular expression API Gateway's ECMAScript 5 engine would misread.
      expect(JSON.stringify(model?.Schema)).not.toMatch(/\\\\p\{/);
    }
    template.hasResourceProperties('AWS::ApiGateway::Model', { Schema: Match.objectLike({ required: ['ins', 'identity', 'consent'] }) });
    // Names refuse control characters at the gateway too (a pattern its engine reads).
    template.hasResourceProperties('AWS::ApiGateway::Model', {
      Schema: Match.objectLike({
        properties: Match.objectLike({
          identity: Match.objectLike({ properties: Match.objectLike({ familyName: Match.objectLike({ pattern: '^[^\\u0000-\\u001F\\u007F-\\u009F]*$' }) }) }),
        }),
      }),
    });
  });

  it("puts no regular expression on a long string (a document's base64 content): the function checks it", () => {
    // What the generator does with such strings, whatever the manifest holds today.
    const schema = requestModelSchema(
      z.object({
        content: z.base64(),
        large: z.string().check(z.maxLength(MAX_GATEWAY_PATTERN_LENGTH + 1), z.regex(/^[A-Za-z0-9+/]*={0,2}$/)),
        title: z.string().check(z.maxLength(200), z.regex(/^[^\u0000-\u001F]*$/)),
      }),
    ) as Json;
    expect(schema.properties.content).not.toHaveProperty('pattern');
    expect(schema.properties.large).toEqual({ type: 'string', maxLength: MAX_GATEWAY_PATTERN_LENGTH + 1 });
    expect(schema.properties.title).toHaveProperty('pattern');
    // And in every model of the API (the document deposit's among them).
    const longStringsWithPattern = (node: unknown, path: string): string[] => {
      if (node === null || typeof node !== 'object') return [];
      const here = node as Json;
      const long = 'contentEncoding' in here || (typeof here.maxLength === 'number' && here.maxLength > MAX_GATEWAY_PATTERN_LENGTH);
      return [...(long && typeof here.pattern === 'string' ? [path] : []), ...Object.entries(here).flatMap(([key, value]) => longStringsWithPattern(value, `${path}.${key}`))];
    };
    const models = ofType('AWS::ApiGateway::Model');
    expect(models.length).toBeGreaterThan(0);
    expect(models.flatMap(([id, m]) => longStringsWithPattern(m.Properties.Schema, id))).toEqual([]);
  });

  it('answers problem documents from the gateway too', () => {
    for (const problem of GATEWAY_PROBLEMS) {
      const [, response] = ofType('AWS::ApiGateway::GatewayResponse').find(([, r]) => r.Properties.ResponseType === problem.type.responseType) ?? [];
      expect(response, problem.type.responseType).toBeDefined();
      const body = JSON.parse(response?.Properties.ResponseTemplates['application/json']);
      expect(body).toMatchObject({ type: expect.stringMatching(/^urn:dmp:problem:/), title: expect.any(String), detail: expect.any(String) });
      if (problem.status !== undefined) {
        expect(response?.Properties.StatusCode).toBe(String(problem.status));
        expect(body.status).toBe(problem.status);
      }
      expect(response?.Properties.ResponseParameters).toMatchObject({
        'gatewayresponse.header.Content-Type': "'application/problem+json'",
        'gatewayresponse.header.X-Content-Type-Options': "'nosniff'",
        'gatewayresponse.header.Access-Control-Allow-Origin': `'${settings.allowedOrigin}'`,
      });
    }
    template.hasResourceProperties('AWS::ApiGateway::GatewayResponse', {
      ResponseType: 'THROTTLED',
      StatusCode: '429',
      ResponseParameters: Match.objectLike({ 'gatewayresponse.header.Retry-After': "'1'" }),
    });
  });

  it('stage: access logs in JSON without bodies, tracing, no data trace, throttling, no cache', () => {
    template.resourceCountIs('AWS::ApiGateway::Stage', 1);
    const [, stage] = ofType('AWS::ApiGateway::Stage')[0]!;
    expect(stage.Properties).toMatchObject({ StageName: 'api', TracingEnabled: true, AccessLogSetting: { DestinationArn: expect.anything() } });
    const format = JSON.parse(stage.Properties.AccessLogSetting.Format);
    expect(format).toMatchObject({
      requestId: '$context.requestId',
      ip: '$context.identity.sourceIp',
      httpMethod: '$context.httpMethod',
      resourcePath: '$context.resourcePath',
      status: '$context.status',
      responseLatency: '$context.responseLatency',
    });
    expect(stage.Properties.AccessLogSetting.Format).not.toMatch(/body|header/i);
    const settingsFor = (path: string, method: string) => (stage.Properties.MethodSettings as Json[]).find((s) => s.ResourcePath === path && s.HttpMethod === method);
    expect(settingsFor('/*', '*')).toMatchObject({
      LoggingLevel: 'ERROR',
      DataTraceEnabled: false,
      MetricsEnabled: true,
      CachingEnabled: false,
      ThrottlingRateLimit: expect.any(Number),
    });
    expect(settingsFor('/~1v1~1records', 'POST')).toMatchObject({ DataTraceEnabled: false, ThrottlingRateLimit: expect.any(Number) });
    expect(settingsFor('/~1v1~1creation-codes', 'POST')).toMatchObject({ DataTraceEnabled: false, ThrottlingRateLimit: expect.any(Number) });
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { EndpointConfiguration: { Types: ['REGIONAL'] } });
  });

  it('sits behind a WAF web ACL with AWS managed rules and a rate limit', () => {
    const [[aclId, acl]] = ofType('AWS::WAFv2::WebACL') as [[string, Json]];
    const rules = acl.Properties.Rules as Json[];
    const managed = rules.map((r) => r.Statement.ManagedRuleGroupStatement?.Name).filter(Boolean);
    expect(managed.sort()).toEqual(['AWSManagedRulesAmazonIpReputationList', 'AWSManagedRulesCommonRuleSet', 'AWSManagedRulesKnownBadInputsRuleSet']);
    expect(rules.some((r) => r.Statement.RateBasedStatement?.AggregateKeyType === 'IP')).toBe(true);
    // Patient login has a tighter per-address limit of its own, scoped to its paths.
    const login = rules.find((r) => r.Name === 'LoginRateLimitPerAddress');
    expect(login?.Statement.RateBasedStatement.Limit).toBeLessThanOrEqual(100);
    expect(login?.Statement.RateBasedStatement.ScopeDownStatement.ByteMatchStatement.SearchString).toBe('/v1/auth/patient/');
    expect(new Set(rules.map((r) => r.Priority)).size).toBe(rules.length);
    template.hasResourceProperties('AWS::WAFv2::WebACLAssociation', { WebACLArn: arnOf(aclId) });
    template.hasResourceProperties('AWS::WAFv2::LoggingConfiguration', { ResourceArn: arnOf(aclId), RedactedFields: [{ SingleHeader: { Name: 'authorization' } }] });
  });
});

describe('usage plans and API keys', () => {
  /** The stage's usage plans by name suffix (the client category). */
  const plansOf = (t: Template): Map<string, Json> =>
    new Map(Object.values(t.findResources('AWS::ApiGateway::UsagePlan')).map((p) => [String(p.Properties.UsagePlanName).replace(/^Dmp-/, ''), p.Properties as Json]));
  const stageThrottleOf = (t: Template, path: string, method: string): Json => {
    const [stage] = Object.values(t.findResources('AWS::ApiGateway::Stage')) as Json[];
    return (stage!.Properties.MethodSettings as Json[]).find((s) => s.ResourcePath === path && s.HttpMethod === method)!;
  };
  /** The stack synthesized with more context than cdk.json's. */
  const synthesize = (context: Record<string, unknown>): Template => {
    const other = new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });
    const otherSettings = readSettings(other.node);
    return Template.fromStack(new DmpStack(other, 'Dmp', { env: { region: otherSettings.region }, settings: otherSettings }));
  };

  it('one plan per client category on the stage, each with the throttle and daily quota of the settings', () => {
    const plans = plansOf(template);
    expect([...plans.keys()].sort()).toEqual([...CLIENT_CATEGORIES].sort());
    for (const category of CLIENT_CATEGORIES) {
      const expected = settings.apiKeys.plans[category];
      expect(plans.get(category), category).toMatchObject({
        Throttle: { RateLimit: expected.rateLimit, BurstLimit: expected.burstLimit },
        Quota: { Limit: expected.dailyQuota, Period: 'DAY' },
        ApiStages: [{ ApiId: ref(logicalId(stack.api.restApi)), Stage: ref(logicalId(stack.api.restApi.deploymentStage)) }],
      });
      // A professional installation's plan stays under the stage's own limit.
      if (category !== 'public-online') expect(expected.rateLimit).toBeLessThan(STAGE_THROTTLE.rateLimit);
    }
    // The front end's key carries every patient's logins: its plan must not cap them below their methods.
    expect(settings.apiKeys.plans['public-online'].rateLimit).toBeGreaterThanOrEqual(routeThrottle('patientLogin').rateLimit + routeThrottle('patientVerify').rateLimit);
    // Keys are read from x-api-key; the Authorization header stays the caller's token.
    template.hasResourceProperties('AWS::ApiGateway::RestApi', { ApiKeySourceType: 'HEADER' });
    // The browser front end may send its key cross-origin: the preflight admits the header.
    const preflight = Object.values(template.findResources('AWS::ApiGateway::Method')).find((m) => m.Properties.HttpMethod === 'OPTIONS')!;
    expect(JSON.stringify(preflight.Properties.Integration.IntegrationResponses)).toContain('X-Api-Key');
    // Vendors' keys are created by operators, never in the template (their values would be in it).
    template.resourceCountIs('AWS::ApiGateway::ApiKey', 0);
  });

  it('anonymous online creation has its own limit, below the creation method, itself below the stage', () => {
    const online = plansOf(template).get('public-online')!;
    const perMethod = online.ApiStages[0].Throttle['/v1/records/POST'];
    expect(perMethod).toEqual({ RateLimit: settings.apiKeys.onlineCreationThrottle.rateLimit, BurstLimit: settings.apiKeys.onlineCreationThrottle.burstLimit });
    const method = stageThrottleOf(template, '/~1v1~1records', 'POST');
    const stageWide = stageThrottleOf(template, '/*', '*');
    expect(method).toMatchObject({ ThrottlingRateLimit: routeThrottle('createRecord').rateLimit, ThrottlingBurstLimit: routeThrottle('createRecord').burstLimit });
    expect(perMethod.RateLimit).toBeLessThan(method.ThrottlingRateLimit);
    expect(perMethod.BurstLimit).toBeLessThan(method.ThrottlingBurstLimit);
    expect(method.ThrottlingRateLimit).toBeLessThan(stageWide.ThrottlingRateLimit);
    expect(method.ThrottlingBurstLimit).toBeLessThan(stageWide.ThrottlingBurstLimit);
    // The professional plans have no such per-method limit: creation by software spends their own plan.
    for (const category of CLIENT_CATEGORIES.filter((c) => c !== 'public-online')) expect(plansOf(template).get(category)?.ApiStages[0].Throttle ?? {}).toEqual({});
  });

  it('by default no method requires a key: clients that send none keep working', () => {
    expect(settings.apiKeys.enforcement).toBe('optional');
    for (const method of Object.values(template.findResources('AWS::ApiGateway::Method'))) expect(method.Properties.ApiKeyRequired ?? false).toBe(false);
  });

  it('the plans follow the configuration; once keys are required, every method but the public description requires one', () => {
    const configured = synthesize({
      'dmp:apiKeyEnforcement': 'required',
      'dmp:usagePlans': { pharmacy: { rateLimit: 7, burstLimit: 9, dailyQuota: 1234 }, practice: { rateLimit: 11 } },
      'dmp:onlineCreationThrottle': JSON.stringify({ rateLimit: 2, burstLimit: 4 }),
    });
    const plans = plansOf(configured);
    expect(plans.get('pharmacy')).toMatchObject({ Throttle: { RateLimit: 7, BurstLimit: 9 }, Quota: { Limit: 1234, Period: 'DAY' } });
    expect(plans.get('practice')).toMatchObject({ Throttle: { RateLimit: 11, BurstLimit: settings.apiKeys.plans.practice.burstLimit } });
    expect(plans.get('public-online')?.ApiStages[0].Throttle['/v1/records/POST']).toEqual({ RateLimit: 2, BurstLimit: 4 });
    const methods = Object.values(configured.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod !== 'OPTIONS');
    const keyless = methods.filter((m) => !m.Properties.ApiKeyRequired).map((m) => m.Properties.OperationName as string);
    expect(keyless.sort()).toEqual(['docs', 'docsScript', 'openapi']);
    // CORS preflights carry no key (browsers send no custom header on them).
    for (const m of Object.values(configured.findResources('AWS::ApiGateway::Method')).filter((m) => m.Properties.HttpMethod === 'OPTIONS')) {
      expect(m.Properties.ApiKeyRequired ?? false).toBe(false);
    }
  });

  it.each([
    [{ 'dmp:apiKeyEnforcement': 'always' }, 'dmp:apiKeyEnforcement must be optional or required'],
    [{ 'dmp:usagePlans': { chemist: { rateLimit: 1 } } }, 'dmp:usagePlans.chemist is not a client category'],
    [{ 'dmp:usagePlans': { pharmacy: { rate: 1 } } }, 'dmp:usagePlans.pharmacy.rate is not a setting'],
    [{ 'dmp:usagePlans': { pharmacy: { rateLimit: 0 } } }, 'dmp:usagePlans.pharmacy.rateLimit must be a whole number from 1 to 10000'],
    [{ 'dmp:usagePlans': { hospital: { rateLimit: 20_000 } } }, 'dmp:usagePlans.hospital.rateLimit must be a whole number from 1 to 10000'],
    [{ 'dmp:usagePlans': { insurer: { dailyQuota: 'lots' } } }, 'dmp:usagePlans.insurer.dailyQuota must be a whole number'],
    [{ 'dmp:usagePlans': { practice: { rateLimit: 30, burstLimit: 20 } } }, 'dmp:usagePlans.practice.burstLimit must be at least its rateLimit'],
    [{ 'dmp:usagePlans': '[1]' }, 'dmp:usagePlans must be an object'],
    [{ 'dmp:onlineCreationThrottle': { rateLimit: 10, burstLimit: 20 } }, 'dmp:onlineCreationThrottle.rateLimit must be a whole number from 1 to 9'],
  ])('refuses malformed settings and names them: %j', (context, message) => {
    expect(() => readSettings(new App({ context: { ...cdkJson.context, ...context } }).node)).toThrow(message);
  });
});

describe('jobs and messaging', () => {
  it('the outbox dispatcher reads new pending OUTBOX# items from the stream, with retries and a failure queue', () => {
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: ref(logicalId(stack.jobs.outbox)),
      EventSourceArn: { 'Fn::GetAtt': [logicalId(stack.data.table), 'StreamArn'] },
      StartingPosition: 'LATEST',
      BatchSize: 25,
      BisectBatchOnFunctionError: true,
      MaximumRetryAttempts: 5,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: { OnFailure: { Destination: arnOf(logicalId(stack.jobs.outboxFailures)) } },
      // OUTBOX# items written already sent (SMS sent directly, logged) do not wake it.
      FilterCriteria: {
        Filters: [
          {
            Pattern: JSON.stringify({
              eventName: ['INSERT'],
              dynamodb: { Keys: { sk: { S: [{ prefix: 'OUTBOX#' }] } }, NewImage: { status: { S: ['pending'] } } },
            }),
          },
        ],
      },
    });
    template.hasResourceProperties('AWS::SQS::Queue', { SqsManagedSseEnabled: true });
  });

  it('and sweeps every minute', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'rate(1 minute)',
      Targets: [Match.objectLike({ Arn: arnOf(logicalId(stack.jobs.outbox)) })],
    });
  });

  it('the retention job runs daily at 02:30 UTC, one run at a time, within 14 minutes', () => {
    template.hasResourceProperties('AWS::Events::Rule', {
      ScheduleExpression: 'cron(30 2 * * ? *)',
      Targets: [Match.objectLike({ Arn: arnOf(logicalId(stack.jobs.retention)) })],
    });
    expect(resources[logicalId(stack.jobs.retention)]?.Properties).toMatchObject({
      Description: 'DMP retention: destroys records ten years after closure (wrapped data key first)',
      MemorySize: 512,
      Timeout: 14 * 60,
    });
    // Nothing but its schedule invokes it.
    const sources = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName.Ref === logicalId(stack.jobs.retention));
    expect(sources).toEqual([]);
  });

  it('the vaccination reminders run daily at 08:00 UTC (10:00 in Paris in summer), on their schedule only, within 14 minutes', () => {
    const job = stack.jobs.vaccinationReminders;
    const rules = ofType('AWS::Events::Rule').filter(([, r]) => (r.Properties.Targets as Json[]).some((t) => canonical(t.Arn) === canonical(arnOf(logicalId(job)))));
    expect(rules).toHaveLength(1);
    // A failed run is tried again (each reminder is sent once whatever the runs); a missed day, caught up the next.
    expect(rules[0]?.[1].Properties).toMatchObject({
      ScheduleExpression: 'cron(0 8 * * ? *)',
      State: 'ENABLED',
      Targets: [{ Arn: arnOf(logicalId(job)), RetryPolicy: { MaximumRetryAttempts: 2 } }],
    });
    expect(resources[logicalId(job)]?.Properties).toMatchObject({
      Description: 'DMP vaccination reminders: an SMS for each vaccination due soon, once, unless the patient turned them off',
      MemorySize: 512,
      Timeout: 14 * 60,
    });
    expect(ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName.Ref === logicalId(job))).toEqual([]);
    const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => canonical(p.Properties.FunctionName) === canonical(arnOf(logicalId(job))));
    expect(permissions.map(([, p]) => p.Properties)).toEqual([
      { Action: 'lambda:InvokeFunction', FunctionName: arnOf(logicalId(job)), Principal: 'events.amazonaws.com', SourceArn: arnOf(rules[0]![0]) },
    ]);
  });

  for (const [name, job, description] of [
    ['visibility', stack.jobs.visibility, 'DMP visibility: tells the patient of a pending document after two weeks, reveals it after one month'],
    ['uploads', stack.jobs.uploads, 'DMP uploads: removes the chunks of document deposits that never committed'],
  ] as const) {
    it(`the ${name} job runs every hour, within 5 minutes, on its schedule only`, () => {
      const rules = ofType('AWS::Events::Rule').filter(([, r]) => (r.Properties.Targets as Json[]).some((t) => canonical(t.Arn) === canonical(arnOf(logicalId(job)))));
      expect(rules).toHaveLength(1);
      // A failed hour is caught up by the next one: no retry of the event.
      expect(rules[0]?.[1].Properties).toMatchObject({
        ScheduleExpression: 'rate(1 hour)',
        State: 'ENABLED',
        Targets: [{ Arn: arnOf(logicalId(job)), RetryPolicy: { MaximumRetryAttempts: 0 } }],
      });
      expect(resources[logicalId(job)]?.Properties).toMatchObject({ Description: description, MemorySize: 512, Timeout: 5 * 60 });
      const sources = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName.Ref === logicalId(job));
      expect(sources).toEqual([]);
      // Only EventBridge may invoke it, and only this rule.
      const permissions = ofType('AWS::Lambda::Permission').filter(([, p]) => canonical(p.Properties.FunctionName) === canonical(arnOf(logicalId(job))));
      expect(permissions.map(([, p]) => p.Properties)).toEqual([
        { Action: 'lambda:InvokeFunction', FunctionName: arnOf(logicalId(job)), Principal: 'events.amazonaws.com', SourceArn: arnOf(rules[0]![0]) },
      ]);
    });
  }

  it("gives a principal one SNS grant only: grantSmsSend's deny of every topic would cancel the professional topic", () => {
    const scratch = new Stack(new App(), 'Scratch', { env: { region: settings.region } });
    const messaging = new Messaging(scratch, 'Messaging', { settings, logs: { encryptionKey: new kms.Key(scratch, 'Logs'), retention: settings.logRetention } });
    const role = new iam.Role(scratch, 'Role', { assumedBy: new iam.ServicePrincipal('lambda.amazonaws.com') });
    messaging.grantSmsAndProfessionalMessaging(role);
    expect(() => messaging.grantSmsSend(role)).toThrow(/one SNS grant only/);
  });

  it('SMS are transactional, capped and signed with the sender id; the professional topic is encrypted', () => {
    template.hasResourceProperties('Custom::SnsSmsSettings', {
      Create: Match.serializedJson(
        Match.objectLike({
          service: 'SNS',
          action: 'SetSMSAttributes',
          parameters: { attributes: { DefaultSMSType: 'Transactional', MonthlySpendLimit: settings.smsMonthlySpendLimitUsd, DefaultSenderID: settings.smsSenderId } },
        }),
      ),
    });
    template.hasResourceProperties('AWS::SNS::Topic', { KmsMasterKeyId: arnOf(logicalId(stack.messaging.topicKey)) });
  });

  it('exports the API URL and the table name', () => {
    template.hasOutput('ApiUrl', {});
    template.hasOutput('TableName', { Value: ref(logicalId(stack.data.table)) });
  });
});

describe('the claims import', () => {
  const claims = stack.jobs.claimsImport;
  const inbox = logicalId(claims.inbox);
  const queue = logicalId(claims.queue);
  const deadLetters = logicalId(claims.deadLetters);
  const inboxKey = arnOf(logicalId(claims.key));
  const queueKey = arnOf(logicalId(claims.queueKey));

  it('the inbox bucket: encrypted with its own customer managed key, no public access, TLS only, objects expiring as a safety net, no versions kept', () => {
    expect(resources[inbox]?.Properties).toMatchObject({
      BucketEncryption: { ServerSideEncryptionConfiguration: [{ BucketKeyEnabled: true, ServerSideEncryptionByDefault: { SSEAlgorithm: 'aws:kms', KMSMasterKeyID: inboxKey } }] },
      PublicAccessBlockConfiguration: { BlockPublicAcls: true, BlockPublicPolicy: true, IgnorePublicAcls: true, RestrictPublicBuckets: true },
      OwnershipControls: { Rules: [{ ObjectOwnership: 'BucketOwnerEnforced' }] },
      LifecycleConfiguration: { Rules: [expect.objectContaining({ Status: 'Enabled', ExpirationInDays: 7, AbortIncompleteMultipartUpload: { DaysAfterInitiation: 1 } })] },
    });
    expect(resources[inbox]?.Properties.VersioningConfiguration).toBeUndefined();
    expect(resources[logicalId(claims.key)]?.Properties.EnableKeyRotation).toBe(true);
    const policy = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === inbox)?.[1];
    expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({ Effect: 'Deny', Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
    );
  });

  it('notifies each .ndjson object created to the import queue, which S3 may write to for this bucket only', () => {
    template.hasResourceProperties('Custom::S3BucketNotifications', {
      BucketName: ref(inbox),
      NotificationConfiguration: {
        QueueConfigurations: [{ Events: ['s3:ObjectCreated:*'], Filter: { Key: { FilterRules: [{ Name: 'suffix', Value: '.ndjson' }] } }, QueueArn: arnOf(queue) }],
      },
    });
    const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => (p.Properties.Queues as Json[]).some((q) => q.Ref === queue))?.[1];
    expect(policy?.Properties.PolicyDocument.Statement).toContainEqual(
      expect.objectContaining({
        Effect: 'Allow',
        Principal: { Service: 's3.amazonaws.com' },
        Action: expect.arrayContaining(['sqs:SendMessage']),
        Condition: { ArnLike: { 'aws:SourceArn': arnOf(inbox) } },
      }),
    );
  });

  it('the queue and its dead letters: encrypted with their own key, TLS only, redriven after 5 deliveries, a visibility timeout longer than the import may run', () => {
    expect(resources[queue]?.Properties).toMatchObject({
      KmsMasterKeyId: queueKey,
      RedrivePolicy: { deadLetterTargetArn: arnOf(deadLetters), maxReceiveCount: 5 },
    });
    expect(resources[deadLetters]?.Properties).toMatchObject({ KmsMasterKeyId: queueKey, MessageRetentionPeriod: 14 * 86_400 });
    for (const q of [queue, deadLetters]) {
      const policy = ofType('AWS::SQS::QueuePolicy').find(([, p]) => (p.Properties.Queues as Json[]).some((r) => r.Ref === q))?.[1];
      expect(policy?.Properties.PolicyDocument.Statement, q).toContainEqual(
        expect.objectContaining({ Effect: 'Deny', Action: 'sqs:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
      );
    }
    const timeout = resources[logicalId(claims.function)]?.Properties.Timeout as number;
    expect(timeout).toBe(15 * 60);
    expect(resources[queue]?.Properties.VisibilityTimeout).toBeGreaterThan(timeout);
  });

  it('the import function consumes the queue one object per message, reporting each failed message', () => {
    const mappings = ofType('AWS::Lambda::EventSourceMapping').filter(([, m]) => m.Properties.FunctionName.Ref === logicalId(claims.function));
    expect(mappings.map(([, m]) => m.Properties)).toEqual([
      {
        FunctionName: ref(logicalId(claims.function)),
        EventSourceArn: arnOf(queue),
        BatchSize: 1,
        FunctionResponseTypes: ['ReportBatchItemFailures'],
        ScalingConfig: { MaximumConcurrency: 10 },
      },
    ]);
    expect(resources[logicalId(claims.function)]?.Properties.Environment.Variables).toMatchObject({
      TABLE_NAME: ref(logicalId(stack.data.table)),
      DATA_KEY_ID: dataKeyArn,
      INBOX_BUCKET: ref(inbox),
      IMPORT_QUEUE_URL: ref(queue),
    });
  });

  it("the insurer's principal (the environment's claimsInboxWriter) may put objects in the inbox and encrypt them with its key through S3, and nothing else", () => {
    const [policyId, bucketPolicy] = ofType('AWS::S3::BucketPolicy').find(([, p]) => p.Properties.Bucket.Ref === inbox) ?? [];
    const toWriter = (statements: Json[]) => statements.filter((st) => JSON.stringify(st.Principal ?? {}).includes(INBOX_WRITER));
    expect(toWriter(bucketPolicy?.Properties.PolicyDocument.Statement as Json[])).toEqual([
      { Sid: 'InsurerDrop', Effect: 'Allow', Principal: { AWS: INBOX_WRITER }, Action: 's3:PutObject', Resource: { 'Fn::Join': ['', [arnOf(inbox), '/*']] } },
    ]);
    expect(toWriter(resources[logicalId(claims.key)]?.Properties.KeyPolicy.Statement as Json[])).toEqual([
      {
        Sid: 'InsurerDropEncryption',
        Effect: 'Allow',
        Principal: { AWS: INBOX_WRITER },
        Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
        Resource: '*',
        Condition: { StringEquals: { 'kms:ViaService': `s3.${settings.region}.amazonaws.com` } },
      },
    ]);
    // Named nowhere else: no other key, bucket, queue or role of the stack lets it in.
    const elsewhere = Object.entries(resources).filter(([id]) => id !== logicalId(claims.key) && id !== policyId);
    expect(elsewhere.filter(([, r]) => JSON.stringify(r).includes(INBOX_WRITER)).map(([id]) => id)).toEqual([]);
  });

  it('may read and delete the inbox objects and nothing else of S3, use the inbox key through S3 and the queue key through SQS, and the table as the claims core does', () => {
    const statements = statementsOf(claims.function);
    const s3 = statements.filter((s) => asArray(s.Action).some((a: string) => a.startsWith('s3:')));
    expect(s3).toEqual([{ Effect: 'Allow', Action: ['s3:DeleteObject', 's3:GetObject'], Resource: { 'Fn::Join': ['', [arnOf(inbox), '/*']] } }]);
    expect(statements.filter((s) => canonical(s.Resource) === canonical(inboxKey))).toEqual([
      { Effect: 'Allow', Action: 'kms:Decrypt', Resource: inboxKey, Condition: { StringEquals: { 'kms:ViaService': `s3.${settings.region}.amazonaws.com` } } },
    ]);
    const onQueueKey = statements.filter((s) => canonical(s.Resource) === canonical(queueKey));
    expect(actionsOf(onQueueKey)).toEqual(['kms:Decrypt', 'kms:Decrypt', 'kms:GenerateDataKey']);
    const sqsActions = actionsOf(statements).filter((a) => a.startsWith('sqs:'));
    expect(sqsActions).toEqual(['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage']);
    expect(statements.filter((s) => asArray(s.Action).some((a: string) => a.startsWith('sqs:'))).map((s) => s.Resource)).toEqual([arnOf(queue)]);
    expect(statements).toContainEqual({
      Effect: 'Allow',
      Action: [
        'dynamodb:BatchGetItem',
        'dynamodb:BatchWriteItem',
        'dynamodb:ConditionCheckItem',
        'dynamodb:DeleteItem',
        'dynamodb:GetItem',
        'dynamodb:PutItem',
        'dynamodb:Query',
        'dynamodb:UpdateItem',
      ],
      Resource: tableArn,
    });
    // No index, no SNS, no other bucket or queue.
    expect(actionsOf(statements).filter((a) => !/^(xray|logs|dynamodb|kms|s3|sqs):/.test(a))).toEqual([]);
    expect(rolesNaming(arnOf(inbox))).toEqual([roleOf(claims.function), 'BucketNotificationsHandler050a0587b7544547bf325f094a3db834RoleB6FB88EC'].sort());
  });
});

describe('cdk-nag', () => {
  for (const pack of [new AwsSolutionsChecks(), new HIPAASecurityChecks()]) {
    it(`${pack.readPackName}: no finding left unacknowledged`, () => {
      const report = pack.validateScope(app);
      const findings = report.violations.map((v) => `${v.severity} ${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`);
      expect(findings).toEqual([]);
    });
  }
});

/**
 * Every cdk-nag finding (AWS Solutions, HIPAA Security) that this stack accepts, with the reason,
 * in one list that release notes can quote. Each is acknowledged on the narrowest construct that
 * raises it, and for the rules that report several findings per resource (IAM4, IAM5) on the one
 * finding id (`Rule[Finding]`), so a new finding of the same rule elsewhere still fails the build.
 */
import { Validations } from 'aws-cdk-lib';
import * as cr from 'aws-cdk-lib/custom-resources';
import type { IConstruct } from 'constructs';
import { ROUTES } from '../functions/capabilities/index.ts';
import type { Api } from './api.ts';
import { isAnonymous } from './api-manifest.ts';
import type { Data } from './data.ts';
import type { Deployments } from './deployments.ts';
import type { DmpFunction } from './dmp-function.ts';
import type { Jobs } from './jobs.ts';
import type { Messaging } from './messaging.ts';

/**
 * The parts of the stack (DmpStack, dmp-stack.ts) that findings are acknowledged on. Declared here,
 * not imported from dmp-stack.ts, which calls acknowledgeNagFindings: no import cycle.
 */
export interface AcknowledgedStack extends IConstruct {
  readonly data: Data;
  readonly messaging: Messaging;
  readonly api: Api;
  readonly jobs: Jobs;
  readonly deployments: Deployments;
}

export interface Acknowledgement {
  rule: string;
  reason: string;
  on: (stack: AcknowledgedStack) => IConstruct[];
}

/**
 * Why each anonymous route has no authorizer. A route that the manifest makes anonymous without a
 * reason here stops the synthesis: admitting anonymous callers is a decision to write down.
 */
const ANONYMOUS_ROUTE_REASONS: Record<string, string> = {
  createRecord:
    'POST /v1/records admits the insured person creating a DMP online, who has no token yet: the function requires a single-use creation code issued by the Assurance Maladie, verifies any bearer token that is sent, and the method is throttled (10 req/s) behind the WAF rate limit; once API keys are required, the front end key has a lower limit of its own on it.',
  openapi: 'GET /openapi.json is the public description of the API (the contract clients code against); it holds no data.',
  docs: 'GET /docs is the public reference page of the API; it holds no data.',
  docsScript: 'GET /docs/scalar.js is the script of the public reference page (an open-source renderer of the OpenAPI document); it holds no data.',
  fhirMetadata:
    'GET /fhir/metadata is the FHIR CapabilityStatement, which FHIR clients read before they authenticate (it tells them how to); it is built from the route manifest and holds no data.',
  patientLogin:
    'POST /v1/auth/patient/login is how a patient or representative gets a session, so the caller has no token yet: the function checks the password, counts failures per account (locking for a period that doubles from the 5th, up to 24 h) and per address, and only then sends a one-time code by SMS to the mobile of the record; the WAF limits login calls per address (100 per 5 minutes) and the method is throttled.',
  patientVerify:
    'POST /v1/auth/patient/verify completes a login with the SMS code: the caller holds only the challenge id the first factor returned. The code is single use, expires after five minutes, allows five attempts, and failures count towards the same account and address locks as passwords; the WAF limits these calls per address (100 per 5 minutes) and the method is throttled.',
};

const httpFunctions = (stack: AcknowledgedStack): DmpFunction[] => [...Object.values(stack.api.functions), stack.api.authorizerFunction];
const jobFunctions = (stack: AcknowledgedStack): DmpFunction[] => [
  stack.jobs.outbox,
  stack.jobs.retention,
  stack.jobs.visibility,
  stack.jobs.uploads,
  stack.jobs.claimsImport.function,
  stack.jobs.vaccinationReminders,
  stack.jobs.searchIndex,
];
const allFunctions = (stack: AcknowledgedStack): DmpFunction[] => [...httpFunctions(stack), ...jobFunctions(stack)];
const defaultPolicy = (fn: DmpFunction): IConstruct => fn.executionRole.node.findChild('DefaultPolicy');

/** CDK's shared function that sets S3 bucket notifications at deployment (one per stack). */
const bucketNotificationsHandler = (stack: AcknowledgedStack): IConstruct => stack.node.findChild('BucketNotificationsHandler050a0587b7544547bf325f094a3db834');

/** CDK's shared provider function of AwsCustomResource (one per stack, named after its UUID). */
const customResourceProvider = (stack: AcknowledgedStack): IConstruct => stack.node.findChild(`AWS${cr.AwsCustomResource.PROVIDER_FUNCTION_UUID.replace(/-/g, '')}`);

const anonymousRouteIds = (): string[] => ROUTES.filter(isAnonymous).map((r) => r.id);

const routeMethod = (stack: AcknowledgedStack, routeId: string): IConstruct => {
  const method = stack.api.methods.get(routeId);
  if (!method) throw new Error(`no API method for route ${routeId}`);
  return method;
};

export const ACKNOWLEDGEMENTS: readonly Acknowledgement[] = [
  // --- IAM ---------------------------------------------------------------------------------------
  {
    rule: 'AwsSolutions-IAM5[Resource::*]',
    reason:
      'X-Ray active tracing (xray:PutTraceSegments, xray:PutTelemetryRecords) supports no resource-level permission. For the outbox dispatcher and the search index job also: dynamodb:ListStreams (the stream event source) has none either. For the auth function (login codes): sns:Publish of an SMS to a phone number has no resource to name; that grant is bound to this region (aws:RequestedRegion) and an explicit deny keeps it from publishing to any topic.',
    on: (stack) => allFunctions(stack).map(defaultPolicy),
  },
  {
    rule: 'AwsSolutions-IAM5[Resource::*]',
    reason: 'sns:SetSMSAttributes changes the account-level SMS settings and supports no resource-level permission; the policy grants that one action only, at deployment.',
    on: (stack) => [stack.messaging.smsSettings.node.findChild('CustomResourcePolicy')],
  },
  {
    // The finding names the bucket by its logical id (CDK derives it from the construct path).
    rule: 'AwsSolutions-IAM5[Resource::<JobsClaimsImportInbox26D152B5.Arn>/*]',
    reason:
      'The claims import reads and deletes whichever object the insurer dropped in the inbox bucket, named only by the S3 notification at run time: its grant is s3:GetObject and s3:DeleteObject on the objects of that one bucket, nothing else of S3 (no listing, no writing, no other bucket).',
    on: (stack) => [defaultPolicy(stack.jobs.claimsImport.function)],
  },
  {
    rule: 'HIPAA.Security-IAMNoInlinePolicy',
    reason:
      'Each of these policies belongs to exactly one role of this stack and lives and dies with it: a customer managed policy would add a shareable object and no control. Their statements are written action by action and checked by test/infra.',
    on: (stack) => [
      ...allFunctions(stack).map(defaultPolicy),
      stack.messaging.smsSettings.node.findChild('CustomResourcePolicy'),
      stack.jobs.claimsImport.inbox.node.findChild('Notifications').node.findChild('HandlerPolicy'),
    ],
  },
  {
    rule: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSBackupServiceRolePolicyForBackup]',
    reason:
      'The role AWS Backup assumes to back up the table uses AWSBackupServiceRolePolicyForBackup, the policy AWS documents and maintains for that service; only backup.amazonaws.com can assume the role.',
    on: (stack) => [stack.data.backupSelection],
  },
  {
    rule: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AmazonAPIGatewayPushToCloudWatchLogs]',
    reason:
      'API Gateway writes access and execution logs with one account-level role (AWS::ApiGateway::Account) that serves every API of the account and region, so it cannot be scoped to this API; it uses the AWS maintained policy documented for it and only apigateway.amazonaws.com can assume it.',
    on: (stack) => [stack.api.restApi.node.findChild('CloudWatchRole')],
  },

  {
    rule: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSCodeDeployRoleForLambdaLimited]',
    reason:
      "The role CodeDeploy assumes to shift an HTTP function's live alias uses AWSCodeDeployRoleForLambdaLimited, the policy AWS documents and maintains for Lambda deployments (read the function and alias, update the alias, read the rollback alarms); only codedeploy.amazonaws.com can assume it.",
    on: (stack) => [...stack.deployments.groups.values()].map((group) => group.role),
  },

  // --- CDK's deployment-time functions -----------------------------------------------------------
  {
    rule: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      "The function that sets the inbox bucket's notifications (Custom::S3BucketNotifications) is created by CDK, not by us: its role has AWSLambdaBasicExecutionRole for its logs, and one permission besides, s3:PutBucketNotification on the inbox bucket. It runs only during deployments.",
    on: (stack) => [bucketNotificationsHandler(stack).node.findChild('Role')],
  },
  {
    rule: 'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]',
    reason:
      'The provider function of AwsCustomResource is created by CDK, not by us: its role has AWSLambdaBasicExecutionRole for its logs. It runs only during deployments, with one permission besides: sns:SetSMSAttributes.',
    on: (stack) => [customResourceProvider(stack)],
  },
  ...['HIPAA.Security-LambdaConcurrency', 'HIPAA.Security-LambdaDLQ', 'HIPAA.Security-LambdaInsideVPC'].map(
    (rule): Acknowledgement => ({
      rule,
      reason:
        'The provider function of AwsCustomResource is created and configured by CDK and runs only when CloudFormation deploys the stack, which waits for its answer (a failure fails the deployment); it reaches only the SNS API.',
      on: (stack) => [customResourceProvider(stack)],
    }),
  ),

  // --- Lambda ------------------------------------------------------------------------------------
  {
    rule: 'HIPAA.Security-LambdaConcurrency',
    reason:
      "Load is bounded before the functions: API Gateway stage and method throttling and the WAF rate limit for the API, the stream shards for the outbox dispatcher. Reserved concurrency carves a slice of the account-wide quota and is sized per environment once that quota is known (a new account cannot reserve any): it is configuration, not code. The retention job needs none either: two runs side by side are safe (every destruction step is conditional and idempotent). Nor do the hourly visibility and uploads jobs: a run lasts at most 5 minutes, so two meet only if EventBridge delivers the hour's event twice, and each step is a write conditional on the item's current state, so the second run finds nothing left to do. The claims import's concurrency is bounded by its SQS event source (maximum concurrency), not by a reservation: two deliveries of one object send the same batches under the same ids, which the claims core stores once. The daily vaccination reminders need none: each reminder is written once (its marker's put is conditional, in the SMS's transaction) and the queue moves on only from the place it was read at, so runs side by side send nothing twice.",
    on: allFunctions,
  },
  {
    rule: 'HIPAA.Security-LambdaDLQ',
    reason:
      'API Gateway invokes these functions synchronously: a failure is answered to the client (a problem document), never queued. A dead-letter queue only applies to asynchronous invocations.',
    on: httpFunctions,
  },
  {
    rule: 'HIPAA.Security-LambdaDLQ',
    reason:
      'Stream batches the outbox dispatcher gives up on go to its on-failure destination (the OutboxFailures queue); its asynchronous invocations are the one-minute sweep, which holds no data and is replaced by the next sweep a minute later, so there is nothing to dead-letter.',
    on: (stack) => [stack.jobs.outbox],
  },
  {
    rule: 'HIPAA.Security-LambdaDLQ',
    reason:
      'The search index job is invoked by the table stream only: batches it gives up on go to its on-failure destination (the SearchIndexFailures queue, stream positions only); it has no asynchronous invocation to dead-letter.',
    on: (stack) => [stack.jobs.searchIndex],
  },
  {
    rule: 'HIPAA.Security-LambdaDLQ',
    reason:
      "The retention job's only invocation is its daily schedule, whose event holds no data: a run that fails (after Lambda's own retries) leaves the due records where they are, and the next day's run finds them again by the same query, so a dead-letter queue would hold nothing to replay.",
    on: (stack) => [stack.jobs.retention],
  },
  {
    rule: 'HIPAA.Security-LambdaDLQ',
    reason:
      "The visibility and uploads jobs are invoked only by their hourly schedules, whose events hold no data: a run that fails (after Lambda's own retries) leaves the due documents and abandoned deposits where they are (on their GSI1 queue), and the next hour's run finds them again by the same query, so a dead-letter queue would hold nothing to replay.",
    on: (stack) => [stack.jobs.visibility, stack.jobs.uploads],
  },
  {
    rule: 'HIPAA.Security-LambdaDLQ',
    reason:
      "The vaccination reminders are invoked only by their daily schedule, whose event holds no data: a run that fails (after the rule's retries) leaves the due records on their GSI1 queue, and the next day's run finds them again by the same query, so a dead-letter queue would hold nothing to replay.",
    on: (stack) => [stack.jobs.vaccinationReminders],
  },
  {
    rule: 'HIPAA.Security-LambdaDLQ',
    reason:
      "The claims import is invoked only by its SQS event source mapping, which polls the queue synchronously: a message whose import fails returns to the queue and, after five deliveries, goes to the queue's own dead-letter queue (ImportFailures). A function dead-letter queue applies only to asynchronous invocations, which it never receives.",
    on: (stack) => [stack.jobs.claimsImport.function],
  },
  {
    rule: 'HIPAA.Security-LambdaInsideVPC',
    reason:
      "The functions reach only AWS regional endpoints (DynamoDB, KMS, SNS, S3, SQS) over TLS with SigV4 and the identity providers' JWKS over HTTPS; nothing they use is reachable only inside a network. A VPC would add NAT gateways for those calls and protect no resource.",
    on: allFunctions,
  },

  // --- API Gateway -------------------------------------------------------------------------------
  ...anonymousRouteIds().map((id): Acknowledgement => {
    const reason = ANONYMOUS_ROUTE_REASONS[id];
    if (!reason) throw new Error(`route ${id} admits anonymous callers: give the reason in lib/nag-acknowledgements.ts`);
    return { rule: 'AwsSolutions-APIG4', reason, on: (stack) => [routeMethod(stack, id)] };
  }),
  {
    rule: 'AwsSolutions-COG4',
    reason:
      "Callers hold tokens of the national identity providers (Pro Santé Connect for health professionals, the Assurance Maladie provider for CPAM agents) or of this API (patients after password and SMS code); a Lambda REQUEST authorizer verifies them against their issuers' keys. A Cognito user pool cannot be the authority for those tokens. Anonymous routes are listed under AwsSolutions-APIG4.",
    on: (stack) => ROUTES.map((r) => routeMethod(stack, r.id)),
  },
  {
    rule: 'HIPAA.Security-APIGWCacheEnabledAndEncrypted',
    reason:
      "Response caching is off on purpose: every answer is one caller's view of health data under the access policy, and a cache would keep it outside the table's encryption and could serve it to another caller. Only token verifications are cached (authorizer, 5 minutes).",
    on: (stack) => [stack.api.restApi.deploymentStage],
  },
  {
    rule: 'HIPAA.Security-APIGWSSLEnabled',
    reason:
      'The rule asks for a client certificate that API Gateway would present to an HTTP backend. The only backends are Lambda functions, invoked through the AWS API (TLS, SigV4), where such a certificate does not apply; clients reach the stage over HTTPS only.',
    on: (stack) => [stack.api.restApi.deploymentStage],
  },

  // --- S3 ----------------------------------------------------------------------------------------
  {
    rule: 'HIPAA.Security-S3BucketVersioningEnabled',
    reason:
      'The claims inbox is a drop box: each object is deleted once imported (and expires after 7 days if never imported). Versioning would keep every deleted object, reimbursed care of millions of patients, as a noncurrent version: the opposite of removing it after import. The insurer keeps the source files.',
    on: (stack) => [stack.jobs.claimsImport.inbox],
  },
  {
    rule: 'HIPAA.Security-S3BucketReplicationEnabled',
    reason:
      'The claims inbox holds objects only until their import (at most 7 days): a replica in another region would be a second copy of personal data to protect and delete, and protect nothing the insurer cannot drop again; the imported lines live in the table, which is backed up.',
    on: (stack) => [stack.jobs.claimsImport.inbox],
  },
  ...['AwsSolutions-S1', 'HIPAA.Security-S3BucketLoggingEnabled'].map(
    (rule): Acknowledgement => ({
      rule,
      reason:
        "Server access logs cannot be delivered to a bucket encrypted with a customer managed KMS key, and an SSE-S3 log bucket would sit outside the stack's key policy. Each object's import is logged by the import function (counts and outcome, into an encrypted log group), and the audit of object-level API calls belongs to CloudTrail data events, an account-level trail outside this stack (to be enabled for this bucket where the account's trail does not already cover it).",
      on: (stack) => [stack.jobs.claimsImport.inbox],
    }),
  ),

  // --- SQS ---------------------------------------------------------------------------------------
  {
    rule: 'AwsSolutions-SQS3',
    reason:
      "OutboxFailures is itself a dead-letter destination (the outbox stream consumer's on-failure destination); a queue behind it would only move the same records. Operators read them within its 14-day retention.",
    on: (stack) => [stack.jobs.outboxFailures],
  },
  {
    rule: 'AwsSolutions-SQS3',
    reason:
      "SearchIndexFailures is itself a dead-letter destination (the search index stream consumer's on-failure destination): it holds stream positions, no data. Replaying them re-reads the items' current state, which the job indexes idempotently.",
    on: (stack) => [stack.jobs.searchIndexFailures],
  },
];

export const acknowledgeNagFindings = (stack: AcknowledgedStack): void => {
  for (const a of ACKNOWLEDGEMENTS) {
    for (const construct of a.on(stack)) Validations.of(construct).acknowledge({ id: a.rule, reason: a.reason });
  }
};

/**
 * The nightly bulk import of reimbursed care (functions/jobs/claims-import.ts), on AWS's own
 * machinery for large work: the Assurance Maladie drops NDJSON objects in the inbox bucket; each
 * object created (suffix .ndjson) is notified by S3 to the import queue; the import function
 * consumes that queue one message (one object) at a time, checkpoints its progress in the table
 * and deletes the object once imported.
 *
 * - The inbox bucket: encrypted with a customer managed key of its own (S3 Bucket Keys, so that KMS
 *   is asked once per bucket key period rather than once per object), every public access blocked,
 *   TLS required, objects owned by the bucket owner, and a lifecycle expiry as a safety net for an
 *   object whose import never completes (it is deleted by the import otherwise). No versioning: a
 *   drop box whose objects are deleted once imported must not keep them as old versions.
 * - The import queue and its dead-letter queue: encrypted with a customer managed key of their own
 *   (S3 notifications need a key policy that lets S3, for this bucket only, write to the queue,
 *   which an AWS managed key cannot give; and that statement names the bucket, so it cannot sit in
 *   the bucket's own key policy without a dependency cycle), TLS only.
 *   Its visibility timeout is twice the function's timeout, so a message is never delivered again
 *   while its import still runs; after MAX_RECEIVES failed deliveries it goes to the dead letters.
 */
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import * as s3 from 'aws-cdk-lib/aws-s3';
import * as s3n from 'aws-cdk-lib/aws-s3-notifications';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { CLAIMS } from '../functions/capabilities/claims/routes.ts';
import type { ItemAction } from '../functions/http/capability.ts';
import type { Data } from './data.ts';
import { DmpFunction, type LogSettings } from './dmp-function.ts';
import { createKey } from './kms.ts';

/** Lambda's limit: a longer import stops after a batch and goes on in the next invocation. */
const IMPORT_TIMEOUT = Duration.minutes(15);
/** Deliveries of a message before it goes to the dead letters (each resumes from the checkpoint). */
export const MAX_RECEIVES = 5;
/** Imports running at once: each reads one object; the insurer splits a night's claims into objects. */
export const IMPORT_CONCURRENCY = 10;
/** An object still in the inbox after this was never imported: it expires (and its dead letter says which). */
export const INBOX_EXPIRY = Duration.days(7);
/**
 * The import's Node options: V8's young generation capped at semi-spaces of 8 MB (Node 24's default
 * lets them grow to 32 MB each). The import allocates steadily (lines parsed, checked, sealed, sent)
 * and holds a batch for the time of its DynamoDB calls, so V8 grows the young generation to its
 * largest, and the ArrayBuffers its short-lived objects hold (sealed lines, request and response
 * bodies) wait for the rarer scavenges: measured by `BENCH_SECTIONS=claims npm run bench` (which
 * runs the import in a process with these very options), a 100,000-line file grew the process's
 * RSS by 101 MB without them (and in the bench's own process) and by 59 MB with them, at about
 * the same rate (docs/claims-capacity.md).
 */
export const IMPORT_NODE_OPTIONS = '--max-semi-space-size=8';

export interface ClaimsImportProps {
  data: Data;
  logs: LogSettings;
  /** The insurer's principal that drops the objects (an account id or an IAM role ARN); undefined: none outside the stack. */
  writer?: string | undefined;
}

export class ClaimsImport extends Construct {
  readonly key: kms.Key;
  readonly queueKey: kms.Key;
  readonly inbox: s3.Bucket;
  readonly queue: sqs.Queue;
  readonly deadLetters: sqs.Queue;
  readonly function: DmpFunction;

  constructor(scope: Construct, id: string, props: ClaimsImportProps) {
    super(scope, id);
    const { data } = props;
    const region = Stack.of(this).region;

    this.key = createKey(this, 'InboxKey', {
      alias: 'alias/dmp-claims-inbox',
      description: 'DMP claims inbox: the insurer NDJSON objects',
      // S3 uses it on its callers' behalf: IAM policies grant its use.
      delegateUseToIam: true,
    });
    this.queueKey = createKey(this, 'QueueKey', {
      alias: 'alias/dmp-claims-import-queue',
      description: 'DMP claims import queue: S3 notifications of the inbox objects',
      // SQS uses it on its callers' behalf: IAM policies grant its use.
      delegateUseToIam: true,
    });
    this.inbox = new s3.Bucket(this, 'Inbox', {
      encryption: s3.BucketEncryption.KMS,
      encryptionKey: this.key,
      bucketKeyEnabled: true,
      blockPublicAccess: s3.BlockPublicAccess.BLOCK_ALL,
      enforceSSL: true,
      objectOwnership: s3.ObjectOwnership.BUCKET_OWNER_ENFORCED,
      versioned: false,
      lifecycleRules: [{ id: 'expire-unimported', expiration: INBOX_EXPIRY, abortIncompleteMultipartUploadAfter: Duration.days(1) }],
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.deadLetters = new sqs.Queue(this, 'ImportFailures', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.queueKey,
      enforceSSL: true,
      retentionPeriod: Duration.days(14),
    });
    this.queue = new sqs.Queue(this, 'ImportQueue', {
      encryption: sqs.QueueEncryption.KMS,
      encryptionMasterKey: this.queueKey,
      // One data key reused for 5 minutes: fewer KMS calls for S3 and the consumer.
      dataKeyReuse: Duration.minutes(5),
      enforceSSL: true,
      visibilityTimeout: IMPORT_TIMEOUT.plus(IMPORT_TIMEOUT),
      retentionPeriod: Duration.days(4),
      deadLetterQueue: { queue: this.deadLetters, maxReceiveCount: MAX_RECEIVES },
    });
    if (props.writer !== undefined) this.grantWriter(props.writer, region);
    this.inbox.addEventNotification(s3.EventType.OBJECT_CREATED, new s3n.SqsDestination(this.queue), { suffix: '.ndjson' });

    this.function = new DmpFunction(this, 'Function', {
      entry: 'functions/jobs/claims-import.ts',
      description: 'DMP claims import: imports the insurer NDJSON objects of the inbox through the claims ingestion core',
      memorySize: 1024,
      timeout: IMPORT_TIMEOUT,
      environment: {
        TABLE_NAME: data.table.tableName,
        DATA_KEY_ID: data.dataKey.keyArn,
        INBOX_BUCKET: this.inbox.bucketName,
        IMPORT_QUEUE_URL: this.queue.queueUrl,
        NODE_OPTIONS: IMPORT_NODE_OPTIONS,
      },
      logs: props.logs,
    });
    // One object per invocation; a failed message is retried alone (ReportBatchItemFailures).
    this.function.addEventSource(new SqsEventSource(this.queue, { batchSize: 1, reportBatchItemFailures: true, maxConcurrency: IMPORT_CONCURRENCY }));
    // Reads the objects (GetObject, from an offset) and deletes them once imported: no listing, no
    // writing. The queue: consumed by the event source's own grant; SendMessage for the
    // continuation of an import paused at its time budget.
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['s3:GetObject', 's3:DeleteObject'], resources: [this.inbox.arnForObjects('*')] }));
    this.function.addToRolePolicy(new iam.PolicyStatement({ actions: ['sqs:SendMessage'], resources: [this.queue.queueArn] }));
    // The inbox key through S3 (reading objects); the queue key through SQS (receiving, which the
    // event source grants too, and sending the continuation).
    this.function.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['kms:Decrypt'], resources: [this.key.keyArn], conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } } }),
    );
    this.function.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: [this.queueKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sqs.${region}.amazonaws.com` } },
      }),
    );
    // The claims ingestion core, with exactly the grants of the claims function (its manifest: the
    // same core serves POST /v1/claims/batches), and the import's checkpoint (GetItem, PutItem,
    // UpdateItem), which the core's grants already hold.
    data.grantItems(this.function, [...new Set<ItemAction>([...CLAIMS.function.items, 'GetItem', 'PutItem', 'UpdateItem'])]);
    for (const grant of CLAIMS.function.dataKey) data.grantDataKey(this.function, grant.operations, grant.contexts);
  }

  /**
   * The insurer's drop: s3:PutObject on the inbox's objects (no reading, listing or deleting), and
   * the inbox key only through S3: kms:GenerateDataKey to encrypt what it puts, and kms:Decrypt,
   * which S3 asks of the uploader of a multipart upload (any object above the CLI's 8 MB threshold)
   * to complete it; without s3:GetObject it opens nothing. Both in the resource policies, since the
   * principal is in another account: the bucket's and the key's (whose use is otherwise delegated
   * to this account's IAM); the insurer's own IAM must grant the same on its side. The key's
   * statement cannot name the bucket (its encryption context under S3 Bucket Keys): the bucket
   * names the key, and CloudFormation refuses the cycle; the key serves this bucket alone.
   */
  private grantWriter(writer: string, region: string): void {
    const principal = /^[0-9]{12}$/.test(writer) ? new iam.AccountPrincipal(writer) : new iam.ArnPrincipal(writer);
    this.inbox.addToResourcePolicy(new iam.PolicyStatement({ sid: 'InsurerDrop', principals: [principal], actions: ['s3:PutObject'], resources: [this.inbox.arnForObjects('*')] }));
    this.key.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'InsurerDropEncryption',
        principals: [principal],
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'kms:ViaService': `s3.${region}.amazonaws.com` } },
      }),
    );
  }
}

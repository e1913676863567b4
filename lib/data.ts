/**
 * The data tier: the one DynamoDB table, the KMS keys, and the table's backups.
 *
 * Four keys, four jobs:
 * - `tableKey` encrypts the table at rest (DynamoDB server-side encryption), its stream and backups;
 * - `dataKey` wraps the per-patient data keys (envelope encryption in functions/adapters): only the
 *   functions that seal or open patient data may use it, with an encryption context naming an
 *   opaque record id or the keyed-index secret, nothing else;
 * - `logsKey` encrypts every log group of the stack;
 * - `sessionKey` (asymmetric, ECC P-256) signs the session tokens this API issues to patients: only
 *   the auth function may sign, the functions that verify those tokens may read its public key.
 *
 * Grants are written action by action (never `dynamodb:*` or a table's `grantReadWriteData`) so each
 * function's policy reads as the list of calls its code makes.
 */
import { ArnFormat, Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as backup from 'aws-cdk-lib/aws-backup';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import * as events from 'aws-cdk-lib/aws-events';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as kms from 'aws-cdk-lib/aws-kms';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import { DEVICE_LOOKUP_ATTRIBUTES, encryptionContext, GSI1, GSI2, KEYED_INDEX_CONTEXT, RECORD_PARTITION_PREFIX, TABLE_DEFINITION } from '../functions/adapters/storage-contract.ts';
import type { DataKeyContext, DataKeyOperation, ItemAction } from '../functions/http/capability.ts';
import { createKey, KEY_USE_ACTIONS } from './kms.ts';

const READ_ACTIONS: readonly ItemAction[] = ['GetItem', 'BatchGetItem', 'Query'];

/**
 * The encryption contexts the functions pass to KMS with the data key, taken from the code that
 * builds them: a record's data key names its `dmpId`; the keyed-index secret names its `purpose`.
 */
const CONTEXT_KEYS: Record<DataKeyContext, string[]> = {
  record: Object.keys(encryptionContext('any-record')),
  keyedIndex: Object.keys(KEYED_INDEX_CONTEXT),
};
/** Context values that are constants: a key may be present only with exactly this value. */
const FIXED_CONTEXT_VALUES: Record<DataKeyContext, Record<string, string>> = {
  record: {},
  keyedIndex: { ...KEYED_INDEX_CONTEXT },
};

/** How long backups (and point-in-time recovery) keep a copy of what the table deleted. */
const BACKUP_RETENTION = Duration.days(35);

export interface DataProps {
  /** `retain`: the table keeps its deletion protection (prod, staging); `destroy`: dev's teardown. */
  dataRemoval: 'retain' | 'destroy';
}

export class Data extends Construct {
  readonly table: dynamodb.Table;
  readonly tableKey: kms.Key;
  readonly dataKey: kms.Key;
  readonly logsKey: kms.Key;
  readonly sessionKey: kms.Key;
  readonly backupSelection: backup.BackupSelection;

  constructor(scope: Construct, id: string, props: DataProps) {
    super(scope, id);
    const stack = Stack.of(this);

    this.tableKey = createKey(this, 'TableKey', {
      alias: `alias/${stack.stackName}/table`,
      description: 'DMP: encryption at rest of the DynamoDB table, its stream and its backups',
      delegateUseToIam: true,
    });
    this.dataKey = createKey(this, 'DataKey', {
      alias: `alias/${stack.stackName}/patient-data-keys`,
      description: 'DMP: wraps the per-patient data keys and the keyed-index secret (envelope encryption)',
      // Only the roles named by grantDataKey may use it: no IAM policy alone can grant its use
      // (changing the key policy is an administrative act, recorded by CloudTrail).
      delegateUseToIam: false,
    });
    this.logsKey = createKey(this, 'LogsKey', {
      alias: `alias/${stack.stackName}/logs`,
      description: 'DMP: encryption of the CloudWatch Logs log groups',
      delegateUseToIam: false,
    });
    this.sessionKey = createKey(this, 'SessionKey', {
      alias: `alias/${stack.stackName}/patient-sessions`,
      description: 'DMP: signs the session tokens issued to patients and representatives (ES256)',
      // Only the roles named by grantSessionSigning / grantSessionVerification may use it.
      delegateUseToIam: false,
      asymmetric: { keySpec: kms.KeySpec.ECC_NIST_P256, keyUsage: kms.KeyUsage.SIGN_VERIFY },
    });
    this.logsKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchLogsEncryptsThisAccountsLogGroups',
        principals: [new iam.ServicePrincipal(`logs.${stack.region}.amazonaws.com`)],
        actions: KEY_USE_ACTIONS,
        resources: ['*'],
        conditions: {
          ArnLike: {
            'kms:EncryptionContext:aws:logs:arn': stack.formatArn({
              service: 'logs',
              resource: 'log-group',
              resourceName: '*',
              arnFormat: ArnFormat.COLON_RESOURCE_NAME,
            }),
          },
        },
      }),
    );

    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: TABLE_DEFINITION.partitionKey, type: dynamodb.AttributeType.STRING },
      sortKey: { name: TABLE_DEFINITION.sortKey, type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true, recoveryPeriodInDays: BACKUP_RETENTION.toDays() },
      // The outbox dispatcher reads the stream; later jobs may need the images, which hold only
      // opaque ids, states and sealed attributes (see functions/adapters/envelope.ts).
      stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
      timeToLiveAttribute: TABLE_DEFINITION.timeToLiveAttribute,
      encryption: dynamodb.TableEncryption.CUSTOMER_MANAGED,
      encryptionKey: this.tableKey,
      // Removal policies of every stateful resource are set per environment by DmpStack.
      deletionProtection: props.dataRemoval === 'retain',
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const gsi of TABLE_DEFINITION.globalSecondaryIndexes) {
      this.table.addGlobalSecondaryIndex({
        indexName: gsi.indexName,
        partitionKey: { name: gsi.partitionKey, type: dynamodb.AttributeType.STRING },
        sortKey: { name: gsi.sortKey, type: dynamodb.AttributeType.STRING },
        projectionType: dynamodb.ProjectionType.INCLUDE,
        nonKeyAttributes: [...gsi.nonKeyAttributes],
      });
    }

    // Backups hold only what the table holds: opaque ids, states, and attributes sealed with each
    // patient's data key, itself stored wrapped by `dataKey`. Destroying a record at the end of its
    // retention deletes its wrapped data key (crypto-shredding); the copies of that wrapped key left
    // in backups and in point-in-time recovery expire after BACKUP_RETENTION, after which nothing
    // anywhere can open the record's data. Keep that bound in mind before lengthening retention.
    const vault = new backup.BackupVault(this, 'BackupVault', {
      encryptionKey: this.tableKey,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    const backupPlan = new backup.BackupPlan(this, 'BackupPlan', {
      backupVault: vault,
      backupPlanRules: [
        new backup.BackupPlanRule({
          ruleName: 'Daily',
          scheduleExpression: events.Schedule.cron({ hour: '2', minute: '0' }),
          deleteAfter: BACKUP_RETENTION,
        }),
      ],
    });
    this.backupSelection = backupPlan.addSelection('Table', { resources: [backup.BackupResource.fromDynamoDbTable(this.table)] });
  }

  /** The index's own ARN: a grant on it does not reach any other index added later. */
  private get gsi1Arn(): string {
    return `${this.table.tableArn}/index/${GSI1}`;
  }

  /** Item calls on the table, and the table key's use through DynamoDB that they imply. */
  grantItems(grantee: iam.IGrantable, actions: readonly ItemAction[]): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: actions.map((a) => `dynamodb:${a}`), resources: [this.table.tableArn] }));
    this.grantTableKeyThroughDynamoDb(
      grantee,
      actions.some((a) => !READ_ACTIONS.includes(a)),
    );
  }

  /**
   * The API's authorizer checks paired devices' credentials: GetItem in records' partitions, of a
   * device's credential hash and keys only (dynamodb:Attributes: a GetItem asking for any other
   * attribute, or for the whole item, is refused), through the table key. Nothing else of the
   * table: not a record, not a sealed attribute, no write.
   */
  grantDeviceCredentialLookup(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: ['dynamodb:GetItem'],
        resources: [this.table.tableArn],
        conditions: {
          'ForAllValues:StringLike': { 'dynamodb:LeadingKeys': [`${RECORD_PARTITION_PREFIX}*`] },
          'ForAllValues:StringEquals': { 'dynamodb:Attributes': [...DEVICE_LOOKUP_ATTRIBUTES] },
          StringEqualsIfExists: { 'dynamodb:Select': 'SPECIFIC_ATTRIBUTES' },
        },
      }),
    );
    this.grantTableKeyThroughDynamoDb(grantee, false);
  }

  /** Queries on GSI2 (the reimbursed-care history by date): that index only. */
  grantClaimsIndexQuery(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [`${this.table.tableArn}/index/${GSI2}`] }));
    this.grantTableKeyThroughDynamoDb(grantee, false);
  }

  /** Queries on GSI1 (creations by day, pending notifications). */
  grantIndexQuery(grantee: iam.IGrantable): void {
    grantee.grantPrincipal.addToPrincipalPolicy(new iam.PolicyStatement({ actions: ['dynamodb:Query'], resources: [this.gsi1Arn] }));
    this.grantTableKeyThroughDynamoDb(grantee, false);
  }

  /**
   * Use of the patient data key, in the key policy (which names the role: nothing else may use
   * the key) and in the role's own policy, both bound to the encryption contexts the function's
   * code passes.
   */
  grantDataKey(fn: lambda.IFunction, operations: readonly DataKeyOperation[], contexts: readonly DataKeyContext[]): void {
    const role = fn.role;
    if (!role) throw new Error('grantDataKey needs a function with an execution role');
    const actions = operations.map((o) => `kms:${o}`);
    const conditions = dataKeyConditions(contexts);
    this.dataKey.addToResourcePolicy(new iam.PolicyStatement({ principals: [role], actions, resources: ['*'], conditions }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.dataKey.keyArn], conditions }));
  }

  /** Signing session tokens: the one function that issues them (kms:Sign, ES256 only). */
  grantSessionSigning(fn: lambda.IFunction): void {
    this.grantSessionKey(fn, ['kms:Sign'], { StringEquals: { 'kms:SigningAlgorithm': 'ECDSA_SHA_256' } });
  }

  /** Reading the session key's public half, to verify session tokens locally (no kms:Verify). */
  grantSessionVerification(fn: lambda.IFunction): void {
    this.grantSessionKey(fn, ['kms:GetPublicKey']);
  }

  /** In the key policy (which names the role) and in the role's own policy. */
  private grantSessionKey(fn: lambda.IFunction, actions: string[], conditions?: Record<string, Record<string, unknown>>): void {
    const role = fn.role;
    if (!role) throw new Error('a session key grant needs a function with an execution role');
    this.sessionKey.addToResourcePolicy(new iam.PolicyStatement({ principals: [role], actions, resources: ['*'], ...(conditions ? { conditions } : {}) }));
    role.addToPrincipalPolicy(new iam.PolicyStatement({ actions, resources: [this.sessionKey.keyArn], ...(conditions ? { conditions } : {}) }));
  }

  private grantTableKeyThroughDynamoDb(grantee: iam.IGrantable, writes: boolean): void {
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        actions: writes ? ['kms:Decrypt', 'kms:DescribeKey', 'kms:Encrypt', 'kms:GenerateDataKey'] : ['kms:Decrypt', 'kms:DescribeKey'],
        resources: [this.tableKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `dynamodb.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }
}

/**
 * Every request must carry an encryption context (Null: false), made only of the allowed keys
 * (ForAllValues), and a constant context must carry its constant value.
 */
const dataKeyConditions = (contexts: readonly DataKeyContext[]): Record<string, Record<string, unknown>> => {
  const keys = [...new Set(contexts.flatMap((c) => CONTEXT_KEYS[c]))];
  const fixed = Object.fromEntries(contexts.flatMap((c) => Object.entries(FIXED_CONTEXT_VALUES[c])).map(([k, v]) => [`kms:EncryptionContext:${k}`, v]));
  return {
    'ForAllValues:StringEquals': { 'kms:EncryptionContextKeys': keys },
    Null: { 'kms:EncryptionContextKeys': 'false' },
    ...(Object.keys(fixed).length > 0 ? { StringEqualsIfExists: fixed } : {}),
  };
};

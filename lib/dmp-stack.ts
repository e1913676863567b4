/**
 * The DMP backend in one stack: data (table, keys, backups), messaging (SMS settings, topic), the
 * API (functions behind API Gateway, generated from the route manifest), the background jobs, and
 * their operation (alarms, dashboard, canary deployments). One environment (lib/environments.ts)
 * decides the settings, the thresholds and what happens to data when the stack goes.
 */
import { CfnOutput, RemovalPolicies, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './api.ts';
import { Data } from './data.ts';
import { Deployments } from './deployments.ts';
import { Jobs } from './jobs.ts';
import { Messaging } from './messaging.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';
import { Operations } from './operations.ts';
import type { Settings } from './settings.ts';

export interface DmpStackProps extends StackProps {
  settings: Settings;
}

export class DmpStack extends Stack {
  readonly data: Data;
  readonly messaging: Messaging;
  readonly api: Api;
  readonly jobs: Jobs;
  readonly operations: Operations;
  readonly deployments: Deployments;

  constructor(scope: Construct, id: string, props: DmpStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.data = new Data(this, 'Data', { dataRemoval: settings.dataRemoval });
    this.messaging = new Messaging(this, 'Messaging', {
      settings,
      logs: { encryptionKey: this.data.logsKey, retention: settings.logRetention },
    });
    this.api = new Api(this, 'Api', { settings, data: this.data, messaging: this.messaging });
    this.jobs = new Jobs(this, 'Jobs', { settings, data: this.data, messaging: this.messaging });
    // After every function, queue and job exists: the alarms are generated from what is there.
    this.operations = new Operations(this, 'Operations', { settings, data: this.data, api: this.api, jobs: this.jobs });
    this.deployments = new Deployments(this, 'Deployments', { api: this.api, operations: this.operations, style: settings.deployment });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the DMP API (paths start with /v1)' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'ProfessionalMessagingTopicArn', { value: this.messaging.professionalMessaging.topicArn });
    new CfnOutput(this, 'DashboardName', { value: this.operations.dashboard.dashboardName, description: 'The CloudWatch dashboard of the service' });
    new CfnOutput(this, 'OperationsTopicArn', { value: this.operations.topic.topicArn, description: 'Alarms: subscribe the on-call tool here' });

    applyDataRemoval(this, settings.dataRemoval);
    acknowledgeNagFindings(this);
  }
}

/**
 * What holds data or its keys: the table, the KMS keys, the backup vault, the log groups and the
 * claims inbox. `retain` (prod, staging) keeps them when the stack or the resource goes (the table
 * also keeps its deletion protection); `destroy` (dev) lets the whole stack be torn down. KMS keys
 * are then scheduled for deletion (a 7 to 30 day wait that KMS imposes), and the inbox bucket is
 * removed only when empty (its objects expire within 7 days).
 */
const STATEFUL_TYPES = ['AWS::DynamoDB::Table', 'AWS::KMS::Key', 'AWS::Backup::BackupVault', 'AWS::Logs::LogGroup', 'AWS::S3::Bucket'];

const applyDataRemoval = (stack: Stack, removal: Settings['dataRemoval']): void => {
  RemovalPolicies.of(stack).apply(removal === 'retain' ? RemovalPolicy.RETAIN : RemovalPolicy.DESTROY, { applyToResourceTypes: STATEFUL_TYPES });
};

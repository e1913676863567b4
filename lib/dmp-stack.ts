/**
 * The DMP backend in one stack: data (table, keys, backups), messaging (SMS settings, topic), the
 * API (functions behind API Gateway, generated from the route manifest) and the background jobs.
 */
import { CfnOutput, Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import { Api } from './api.ts';
import { Data } from './data.ts';
import { Jobs } from './jobs.ts';
import { Messaging } from './messaging.ts';
import { acknowledgeNagFindings } from './nag-acknowledgements.ts';
import type { Settings } from './settings.ts';

export interface DmpStackProps extends StackProps {
  settings: Settings;
}

export class DmpStack extends Stack {
  readonly data: Data;
  readonly messaging: Messaging;
  readonly api: Api;
  readonly jobs: Jobs;

  constructor(scope: Construct, id: string, props: DmpStackProps) {
    super(scope, id, props);
    const { settings } = props;

    this.data = new Data(this, 'Data');
    this.messaging = new Messaging(this, 'Messaging', {
      settings,
      logs: { encryptionKey: this.data.logsKey, retention: settings.logRetention },
    });
    this.api = new Api(this, 'Api', { settings, data: this.data, messaging: this.messaging });
    this.jobs = new Jobs(this, 'Jobs', { settings, data: this.data, messaging: this.messaging });

    new CfnOutput(this, 'ApiUrl', { value: this.api.restApi.url, description: 'Base URL of the DMP API (paths start with /v1)' });
    new CfnOutput(this, 'TableName', { value: this.data.table.tableName });
    new CfnOutput(this, 'ProfessionalMessagingTopicArn', { value: this.messaging.professionalMessaging.topicArn });

    acknowledgeNagFindings(this);
  }
}

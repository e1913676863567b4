/**
 * Messaging: the account's SMS settings (transactional messages, spend cap, sender id), the right
 * to send an SMS, and a topic for messages to professionals (attending physicians' notifications).
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as cr from 'aws-cdk-lib/custom-resources';
import { Construct } from 'constructs';
import type { LogSettings } from './dmp-function.ts';
import { createKey } from './kms.ts';
import type { Settings } from './settings.ts';

export interface MessagingProps {
  settings: Settings;
  logs: LogSettings;
}

export class Messaging extends Construct {
  readonly professionalMessaging: sns.Topic;
  readonly smsSettings: cr.AwsCustomResource;

  constructor(scope: Construct, id: string, props: MessagingProps) {
    super(scope, id);
    const stack = Stack.of(this);

    // SMS settings belong to the account and region, not to a resource: CloudFormation has no type
    // for them, so a custom resource calls SNS. Deleting the stack leaves them as they are.
    // A spend limit above the account's SMS quota (1 USD until AWS Support raises it) is refused.
    this.smsSettings = new cr.AwsCustomResource(this, 'SmsSettings', {
      resourceType: 'Custom::SnsSmsSettings',
      onUpdate: {
        service: 'SNS',
        action: 'SetSMSAttributes',
        parameters: {
          attributes: {
            DefaultSMSType: 'Transactional',
            MonthlySpendLimit: props.settings.smsMonthlySpendLimitUsd,
            DefaultSenderID: props.settings.smsSenderId,
          },
        },
        physicalResourceId: cr.PhysicalResourceId.of(`sms-settings-${stack.region}`),
      },
      // SetSMSAttributes acts on the account: it has no resource to name.
      policy: cr.AwsCustomResourcePolicy.fromStatements([new iam.PolicyStatement({ actions: ['sns:SetSMSAttributes'], resources: ['*'] })]),
      // The SDK of the Lambda runtime knows SetSMSAttributes; no download from npm at deploy time.
      installLatestAwsSdk: false,
      logGroup: new logs.LogGroup(this, 'SmsSettingsLogs', { encryptionKey: props.logs.encryptionKey, retention: props.logs.retention }),
    });

    const topicKey = createKey(this, 'TopicKey', {
      alias: `alias/${stack.stackName}/professional-messaging`,
      description: 'DMP: encryption of the professional messaging topic',
      delegateUseToIam: true,
    });
    this.professionalMessaging = new sns.Topic(this, 'ProfessionalMessaging', {
      displayName: 'DMP professional messaging',
      masterKey: topicKey,
      enforceSSL: true,
    });
  }

  /**
   * Sending SMS straight to phone numbers. SNS gives such a Publish no resource to name (its
   * resource is "*"), so the grant is bounded otherwise: in this region only, and never to a
   * topic (the explicit deny), so the grantee cannot publish anywhere else through it.
   */
  grantSmsSend(grantee: iam.IGrantable): void {
    const stack = Stack.of(this);
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SendSmsToPhoneNumbers',
        actions: ['sns:Publish'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:RequestedRegion': stack.region } },
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'NeverPublishToTopics',
        effect: iam.Effect.DENY,
        actions: ['sns:Publish'],
        resources: [stack.formatArn({ service: 'sns', region: '*', account: '*', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME })],
      }),
    );
  }
}

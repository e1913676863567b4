/**
 * Messaging: the account's SMS settings (transactional messages, spend cap, sender id), the right
 * to send an SMS, and a topic for messages to professionals (attending physicians' notifications)
 * with the right to publish to it. A principal gets one of the two grants, never both.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
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
  /** Encrypts the professional messaging topic. */
  readonly topicKey: kms.Key;
  readonly smsSettings: cr.AwsCustomResource;
  private readonly snsPublishers = new Map<iam.IPrincipal, string>();

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

    this.topicKey = createKey(this, 'TopicKey', {
      alias: `alias/${stack.stackName}/professional-messaging`,
      description: 'DMP: encryption of the professional messaging topic',
      delegateUseToIam: true,
    });
    this.professionalMessaging = new sns.Topic(this, 'ProfessionalMessaging', {
      displayName: 'DMP professional messaging',
      masterKey: this.topicKey,
      enforceSSL: true,
    });
  }

  /**
   * Sending SMS straight to phone numbers, and nothing else (the auth function's login codes).
   * SNS gives such a Publish no resource to name (its resource is "*"), so the grant is bounded
   * otherwise: in this region only, and never to a topic (the explicit deny), so the grantee cannot
   * publish anywhere else through it, even to a topic whose own policy would let it.
   */
  grantSmsSend(grantee: iam.IGrantable): void {
    this.claimSnsPublisher(grantee, 'grantSmsSend');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SendSmsToPhoneNumbers',
        actions: ['sns:Publish'],
        resources: ['*'],
        conditions: this.inThisRegion,
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'NeverPublishToTopics',
        effect: iam.Effect.DENY,
        actions: ['sns:Publish'],
        resources: [this.everyTopicArn],
      }),
    );
  }

  /**
   * Sending SMS to phone numbers and publishing to the professional messaging topic, and to no
   * other topic (the outbox dispatcher: patients' SMS, attending physicians' notifications).
   *
   * grantSmsSend's explicit deny cannot be kept here: IAM has no "every topic but this one" that a
   * deny could name, and its NotResource form (deny everything but the topic) would deny the SMS
   * too, whose request names no topic. So the SMS grant is bounded by its own resource instead:
   * it allows Publish on what is not an SNS ARN (a phone number), so it reaches no topic and no
   * platform endpoint, and the topic is allowed by its exact ARN. What this gives up against
   * grantSmsSend: a topic of the account whose own access policy lets every principal of the
   * account publish (SNS's default topic policy does) is refused by no deny here.
   *
   * SNS encrypts a message for a topic with TopicKey on the publisher's behalf, with the
   * publisher's rights: kms:GenerateDataKey and kms:Decrypt, through SNS only.
   */
  grantSmsAndProfessionalMessaging(grantee: iam.IGrantable): void {
    this.claimSnsPublisher(grantee, 'grantSmsAndProfessionalMessaging');
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'SendSmsToPhoneNumbers',
        actions: ['sns:Publish'],
        notResources: [this.everyTopicArn],
        conditions: this.inThisRegion,
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'PublishToProfessionalMessaging',
        actions: ['sns:Publish'],
        resources: [this.professionalMessaging.topicArn],
      }),
    );
    grantee.grantPrincipal.addToPrincipalPolicy(
      new iam.PolicyStatement({
        sid: 'EncryptForProfessionalMessaging',
        actions: ['kms:GenerateDataKey', 'kms:Decrypt'],
        resources: [this.topicKey.keyArn],
        conditions: { StringEquals: { 'kms:ViaService': `sns.${Stack.of(this).region}.amazonaws.com` } },
      }),
    );
  }

  /** Every SNS ARN (topics, platform endpoints) of any region and account, in this stack's partition. */
  private get everyTopicArn(): string {
    return Stack.of(this).formatArn({ service: 'sns', region: '*', account: '*', resource: '*', arnFormat: ArnFormat.NO_RESOURCE_NAME });
  }

  private get inThisRegion(): Record<string, Record<string, string>> {
    return { StringEquals: { 'aws:RequestedRegion': Stack.of(this).region } };
  }

  /**
   * One SNS grant per principal: grantSmsSend's deny of every topic would silently cancel the
   * topic grant of grantSmsAndProfessionalMessaging (an explicit deny beats any allow).
   */
  private claimSnsPublisher(grantee: iam.IGrantable, method: string): void {
    const previous = this.snsPublishers.get(grantee.grantPrincipal);
    if (previous) throw new Error(`${method}: this principal already has ${previous}; give it one SNS grant only`);
    this.snsPublishers.set(grantee.grantPrincipal, method);
  }
}

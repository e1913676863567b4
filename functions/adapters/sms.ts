/** SMS through SNS, as transactional messages with the service's sender id; messages to professionals through a topic. */
import { PublishCommand, type SNSClient } from '@aws-sdk/client-sns';

export class SmsSender {
  private readonly sns: SNSClient;
  private readonly senderId: string;
  constructor(sns: SNSClient, senderId: string) {
    this.sns = sns;
    this.senderId = senderId;
  }

  async send(to: string, message: string): Promise<string | undefined> {
    const out = await this.sns.send(
      new PublishCommand({
        PhoneNumber: to,
        Message: message,
        MessageAttributes: {
          'AWS.SNS.SMS.SMSType': { DataType: 'String', StringValue: 'Transactional' },
          'AWS.SNS.SMS.SenderID': { DataType: 'String', StringValue: this.senderId },
        },
      }),
    );
    return out.MessageId;
  }
}

/**
 * Messages to professionals go to the professional messaging topic, addressed by the recipient's
 * professional id in a message attribute (the messaging service subscribed to the topic routes
 * them, e.g. to MSSanté): no patient name or health content, an opaque record id only.
 */
export class ProfessionalMessenger {
  private readonly sns: SNSClient;
  private readonly topicArn: string;
  constructor(sns: SNSClient, topicArn: string) {
    this.sns = sns;
    this.topicArn = topicArn;
  }

  async send(professionalId: string, message: string): Promise<string | undefined> {
    const out = await this.sns.send(
      new PublishCommand({
        TopicArn: this.topicArn,
        Message: message,
        MessageAttributes: { recipient: { DataType: 'String', StringValue: professionalId } },
      }),
    );
    return out.MessageId;
  }
}

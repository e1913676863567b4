/** SMS through SNS, as transactional messages with the service's sender id. */
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

/** Patient authentication: logins, the session signer and direct SMS (login codes). */
import type { SNSClient } from '@aws-sdk/client-sns';
import { snsClient } from '#adapters/aws';
import { LoginStore } from '#adapters/login-store';
import type { Logins } from '#domain/stores';
import { SessionSigner } from '#adapters/sessions';
import { SmsSender } from '#adapters/sms';
import { newEventId } from '#domain/identifiers';
import type { Config } from '#platform/config';
import { cryptoDeps, type AwsClients, type Clients, type CryptoDeps } from '#platform/deps-data';
import type { Overrides } from '#platform/deps';

export interface AuthDeps extends CryptoDeps {
  logins: Logins;
  sms: SmsSender;
  sessions: SessionSigner;
}

export const authDeps = (config: Config, o: Overrides & Clients & { sns?: SNSClient; sms?: SmsSender } = {}): AuthDeps & AwsClients => {
  const base = cryptoDeps(config, o);
  if (!config.sessions) throw new Error('missing configuration: SESSION_KEY_ID');
  return {
    ...base,
    logins: new LoginStore(base.db, config.tableName),
    sms: o.sms ?? new SmsSender(o.sns ?? snsClient(config), config.smsSenderId),
    sessions: new SessionSigner(base.kms, config.sessions, base.clock, () => newEventId((n) => base.random.bytes(n))),
  };
};

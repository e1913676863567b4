/** Runtime configuration, read once from the environment (Lambda) or given by the local runtime. */
import type { SessionConfig } from '#adapters/sessions';
import type { IssuerConfig } from '#adapters/tokens';

export interface Config {
  region: string;
  endpoint?: string | undefined;
  /** Empty for functions that use no table (docs). */
  tableName: string;
  /** Empty for functions that use no patient data key. */
  dataKeyId: string;
  issuers: IssuerConfig[];
  /**
   * Sessions this API issues to patients and representatives (ES256, signed by a KMS key whose
   * private half never leaves KMS). Absent: patient tokens are not accepted by this function.
   */
  sessions?: SessionConfig | undefined;
  allowedOrigin: string;
  smsSenderId: string;
  /** The professional messaging topic (attending physicians' notifications); the outbox dispatcher only. */
  proTopicArn?: string | undefined;
  /** Validate responses against the contract's schemas (local runtime and tests). */
  checkResponses: boolean;
}

const need = (env: NodeJS.ProcessEnv, name: string): string => {
  const value = env[name];
  if (!value) throw new Error(`missing configuration: ${name}`);
  return value;
};

export const configFromEnv = (env: NodeJS.ProcessEnv = process.env): Config => {
  const issuers: IssuerConfig[] = [];
  if (env.PSC_ISSUER) {
    issuers.push({ kind: 'professional', issuer: env.PSC_ISSUER, jwksUrl: need(env, 'PSC_JWKS_URL'), audience: need(env, 'PSC_AUDIENCE') });
  }
  if (env.AGENT_ISSUER) {
    issuers.push({ kind: 'agent', issuer: env.AGENT_ISSUER, jwksUrl: need(env, 'AGENT_JWKS_URL'), audience: need(env, 'AGENT_AUDIENCE') });
  }
  if (env.INSURER_ISSUER) {
    issuers.push({ kind: 'insurer', issuer: env.INSURER_ISSUER, jwksUrl: need(env, 'INSURER_JWKS_URL'), audience: need(env, 'INSURER_AUDIENCE') });
  }
  const sessions = env.SESSION_KEY_ID ? { keyId: env.SESSION_KEY_ID, issuer: need(env, 'PATIENT_ISSUER'), audience: need(env, 'PATIENT_AUDIENCE') } : undefined;
  return {
    sessions,
    region: env.AWS_REGION ?? 'eu-west-3',
    endpoint: env.DMP_AWS_ENDPOINT || undefined,
    tableName: env.TABLE_NAME ?? '',
    dataKeyId: env.DATA_KEY_ID ?? '',
    issuers,
    allowedOrigin: env.ALLOWED_ORIGIN ?? 'https://www.dmp.fr',
    smsSenderId: env.SMS_SENDER_ID ?? 'DMP',
    proTopicArn: env.PRO_TOPIC_ARN || undefined,
    checkResponses: env.CHECK_RESPONSES === 'true',
  };
};

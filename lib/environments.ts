/**
 * The three environments the stack is deployed to, as configuration: `dev` (a developer's or the
 * CI's account, torn down at will), `staging` (a rehearsal of production, with production's safety)
 * and `prod`. One is chosen with `-c env=<name>` (default `dev`); each gives the deployment's
 * settings (account, region, origin, identity providers, throttles and usage plans, log retention,
 * SMS cap), what happens to data when a resource is removed, the alarm thresholds and how new
 * function versions are shifted in.
 *
 * Any `dmp:*` context key given on the command line (`-c dmp:allowedOrigin=...`) overrides the
 * environment's value for one synthesis; lib/settings.ts checks the result, and refuses a `prod`
 * (or `staging`) configuration that leaves out what a production deployment needs, naming it.
 */
import type { Throttle } from './api-manifest.ts';

export const ENVIRONMENT_NAMES = ['dev', 'staging', 'prod'] as const;
export type EnvironmentName = (typeof ENVIRONMENT_NAMES)[number];

/**
 * What each alarm of lib/operations.ts compares its metric with. Rates are percentages, ages and
 * latencies in their unit, counts per evaluation period (5 minutes unless said otherwise).
 */
export interface AlarmThresholds {
  /** Share of a capability's requests answered 5xx by its function, over 5 minutes. */
  api5xxRatePercent: number;
  /** Share of the whole API's requests answered 5xx by API Gateway (integration failures included). */
  apiGateway5xxRatePercent: number;
  /** p99 of a capability function's duration, over 5 minutes. */
  apiP99LatencyMs: number;
  /** Errors (uncaught, timeouts) of one function over 5 minutes. */
  lambdaErrors: number;
  /** Throttled invocations of one function over 5 minutes. */
  lambdaThrottles: number;
  /** The oldest pending notification the outbox sweep found due, in seconds. */
  outboxOldestAgeSeconds: number;
  /** Throttled reads and writes of the table over 5 minutes. */
  dynamoThrottledRequests: number;
  /** DynamoDB system errors (5xx) over 5 minutes. */
  dynamoSystemErrors: number;
  /** KMS calls refused for throttling (after the SDK's retries) over 5 minutes, all functions. */
  kmsThrottles: number;
  /** SMS SNS failed to deliver over 5 minutes. */
  smsDeliveryFailures: number;
  /** Month-to-date SMS spend, as a percentage of the monthly cap, that raises the alarm. */
  smsSpendPercentOfCap: number;
  /** Requests the WAF blocked over 5 minutes. */
  wafBlockedRequests: number;
  /** Age of the oldest message of the claims import queue, in seconds (a stalled import). */
  claimsImportOldestMessageSeconds: number;
}

/**
 * How CodeDeploy shifts an HTTP function's `live` alias to a new version: all at once, or a
 * canary (10 % first, the rest after 5 or 10 minutes without an alarm).
 */
export type DeploymentStyle = 'ALL_AT_ONCE' | 'CANARY_10PERCENT_5MINUTES' | 'CANARY_10PERCENT_10MINUTES' | 'LINEAR_10PERCENT_EVERY_1MINUTE';

export interface IssuerConfig {
  issuer: string;
  jwksUrl: string;
  audience: string;
}

export interface EnvironmentConfig {
  /** The AWS account: required in prod (the synthesis is bound to it), else the CLI credentials'. */
  account?: string | undefined;
  region: string;
  allowedOrigin: string;
  /** CloudWatch Logs retention of every log group. */
  logRetentionDays: number;
  identityProviders: {
    professional?: IssuerConfig;
    agent?: IssuerConfig;
    insurer?: IssuerConfig;
    /** The sessions this API signs for patients. */
    patientSessions: { issuer: string; audience: string };
  };
  smsMonthlySpendLimitUsd: number;
  smsSenderId: string;
  /** The whole stage's throttle (per-route limits of lib/api-manifest.ts stay as they are). */
  stageThrottle: Throttle;
  apiKeyEnforcement: 'optional' | 'required';
  /** Per client category, fields overriding lib/settings.ts's DEFAULT_API_KEYS plans. */
  usagePlans?: Record<string, Partial<Throttle & { dailyQuota: number }>>;
  /**
   * `retain`: the table (deletion protection on), keys, backups, log groups and the inbox stay
   * when the stack or a resource goes. `destroy`: everything goes with the stack (dev only).
   */
  dataRemoval: 'retain' | 'destroy';
  deployment: DeploymentStyle;
  alarms: AlarmThresholds;
  /** Email addresses subscribed to the operations topic (none: subscribe the on-call tool by hand). */
  operationsEmails?: string[];
  /**
   * The insurer's AWS principal that drops the nightly NDJSON objects in the claims inbox: its
   * 12-digit account id, or the ARN of one of its IAM roles (preferred: only that role, not every
   * principal the account's own IAM lets). Absent: no one outside this stack may write there.
   */
  claimsInboxWriter?: string | undefined;
}

const PRO_SANTE_CONNECT: IssuerConfig = {
  issuer: 'https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet',
  jwksUrl: 'https://auth.esw.esante.gouv.fr/auth/realms/esante-wallet/protocol/openid-connect/certs',
  audience: 'dmp-api',
};
const AGENTS: IssuerConfig = {
  issuer: 'https://idp.assurance-maladie.example/agents',
  jwksUrl: 'https://idp.assurance-maladie.example/agents/jwks.json',
  audience: 'dmp-api',
};
const CLAIMS_SYNC: IssuerConfig = {
  issuer: 'https://idp.assurance-maladie.example/claims-sync',
  jwksUrl: 'https://idp.assurance-maladie.example/claims-sync/jwks.json',
  audience: 'dmp-claims-sync',
};

/** Production's thresholds: what the on-call team is woken for. */
const PROD_ALARMS: AlarmThresholds = {
  api5xxRatePercent: 1,
  apiGateway5xxRatePercent: 1,
  apiP99LatencyMs: 3000,
  lambdaErrors: 5,
  lambdaThrottles: 1,
  outboxOldestAgeSeconds: 600,
  dynamoThrottledRequests: 10,
  dynamoSystemErrors: 1,
  kmsThrottles: 1,
  smsDeliveryFailures: 50,
  smsSpendPercentOfCap: 80,
  wafBlockedRequests: 1000,
  claimsImportOldestMessageSeconds: 6 * 3600,
};

export const ENVIRONMENTS: Record<EnvironmentName, EnvironmentConfig> = {
  dev: {
    region: 'eu-west-3',
    allowedOrigin: 'http://localhost:5173',
    logRetentionDays: 14,
    identityProviders: {
      professional: PRO_SANTE_CONNECT,
      agent: AGENTS,
      insurer: CLAIMS_SYNC,
      patientSessions: { issuer: 'https://api.dev.dmp.example/patient', audience: 'dmp-api' },
    },
    smsMonthlySpendLimitUsd: 10,
    smsSenderId: 'DMPDEV',
    stageThrottle: { rateLimit: 20, burstLimit: 40 },
    apiKeyEnforcement: 'optional',
    dataRemoval: 'destroy',
    deployment: 'ALL_AT_ONCE',
    // Looser: dev's traffic is a few people and tests, whose failures are expected.
    alarms: { ...PROD_ALARMS, api5xxRatePercent: 10, apiGateway5xxRatePercent: 10, apiP99LatencyMs: 6000, lambdaErrors: 20, smsDeliveryFailures: 5, wafBlockedRequests: 200 },
  },
  staging: {
    region: 'eu-west-3',
    allowedOrigin: 'https://staging.dmp.fr',
    logRetentionDays: 90,
    identityProviders: {
      professional: PRO_SANTE_CONNECT,
      agent: AGENTS,
      insurer: CLAIMS_SYNC,
      patientSessions: { issuer: 'https://api.staging.dmp.fr/patient', audience: 'dmp-api' },
    },
    smsMonthlySpendLimitUsd: 100,
    smsSenderId: 'DMP',
    stageThrottle: { rateLimit: 50, burstLimit: 100 },
    apiKeyEnforcement: 'required',
    dataRemoval: 'retain',
    deployment: 'CANARY_10PERCENT_5MINUTES',
    alarms: { ...PROD_ALARMS, api5xxRatePercent: 5, apiGateway5xxRatePercent: 5, smsDeliveryFailures: 10, wafBlockedRequests: 300 },
  },
  prod: {
    // Bound by `-c dmp:account=<12 digits>` (never guessed from the CLI's credentials).
    region: 'eu-west-3',
    allowedOrigin: 'https://www.dmp.fr',
    logRetentionDays: 365,
    identityProviders: {
      professional: PRO_SANTE_CONNECT,
      agent: AGENTS,
      insurer: CLAIMS_SYNC,
      patientSessions: { issuer: 'https://api.dmp.fr/patient', audience: 'dmp-api' },
    },
    smsMonthlySpendLimitUsd: 1000,
    smsSenderId: 'DMP',
    stageThrottle: { rateLimit: 100, burstLimit: 200 },
    apiKeyEnforcement: 'optional',
    dataRemoval: 'retain',
    deployment: 'CANARY_10PERCENT_10MINUTES',
    alarms: PROD_ALARMS,
  },
};

/**
 * The environment's settings in the CDK context keys lib/settings.ts reads: the values a `-c`
 * flag of the same key overrides.
 */
export const environmentContext = (config: EnvironmentConfig): Record<string, unknown> => {
  const issuer = (prefix: string, i: IssuerConfig | undefined): Record<string, string> =>
    i ? { [`${prefix}Issuer`]: i.issuer, [`${prefix}JwksUrl`]: i.jwksUrl, [`${prefix}Audience`]: i.audience } : {};
  const ids = config.identityProviders;
  return {
    ...(config.account === undefined ? {} : { 'dmp:account': config.account }),
    'dmp:region': config.region,
    'dmp:allowedOrigin': config.allowedOrigin,
    'dmp:logRetentionDays': config.logRetentionDays,
    ...issuer('dmp:psc', ids.professional),
    ...issuer('dmp:agent', ids.agent),
    ...issuer('dmp:insurer', ids.insurer),
    'dmp:patientIssuer': ids.patientSessions.issuer,
    'dmp:patientAudience': ids.patientSessions.audience,
    'dmp:smsMonthlySpendLimitUsd': String(config.smsMonthlySpendLimitUsd),
    'dmp:smsSenderId': config.smsSenderId,
    'dmp:stageThrottle': config.stageThrottle,
    'dmp:apiKeyEnforcement': config.apiKeyEnforcement,
    ...(config.usagePlans ? { 'dmp:usagePlans': config.usagePlans } : {}),
    'dmp:dataRemoval': config.dataRemoval,
    'dmp:deployment': config.deployment,
    'dmp:alarms': config.alarms,
    ...(config.operationsEmails ? { 'dmp:operationsEmails': config.operationsEmails } : {}),
    ...(config.claimsInboxWriter === undefined ? {} : { 'dmp:claimsInboxWriter': config.claimsInboxWriter }),
  };
};

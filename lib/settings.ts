/**
 * The deployment's settings, read once from the CDK context (cdk.json, or `-c key=value`). Every
 * construct receives them already checked, so a missing or malformed value stops the synthesis with
 * a message that names the key, instead of surfacing as a broken deployment.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';
import { routeThrottle, STAGE_THROTTLE, type Throttle } from './api-manifest.ts';
import { type AlarmThresholds, type DeploymentStyle, ENVIRONMENT_NAMES, ENVIRONMENTS, type EnvironmentName, environmentContext } from './environments.ts';

export interface IssuerSettings {
  issuer: string;
  jwksUrl: string;
  audience: string;
}

/** Sessions this API issues to patients and representatives (signed by the session key). */
export interface PatientSessionSettings {
  issuer: string;
  audience: string;
}

/**
 * The kinds of client software that get a usage plan (and API keys) of their own, so that one kind's
 * traffic never spends another's allowance: `public-online` is the dmp.fr front end (anonymous
 * online creation, patient logins), whose key is public by nature.
 */
export const CLIENT_CATEGORIES = ['pharmacy', 'practice', 'hospital', 'insurer', 'public-online'] as const;
export type ClientCategory = (typeof CLIENT_CATEGORIES)[number];

/** One usage plan: requests per second (steady, burst) for each key, and requests per key and day. */
export interface UsagePlanSettings extends Throttle {
  dailyQuota: number;
}

export interface ApiKeySettings {
  /**
   * `optional`: no method requires a key (clients that send none keep working) and the usage plans
   * only take effect once keys are required. `required`: every method but the public description
   * (openapi, docs) refuses a request without a valid key (403), and each key spends its plan's limits.
   */
  enforcement: 'optional' | 'required';
  plans: Record<ClientCategory, UsagePlanSettings>;
  /**
   * The `public-online` plan's own limit on POST /v1/records (online self-service creation): below
   * that method's stage throttle, so that a flood of anonymous creations leaves the rest to the
   * professionals' software.
   */
  onlineCreationThrottle: Throttle;
}

/**
 * Defaults, per key: a professional installation well under the stage (100 req/s); the front end's
 * one public key carries every patient's traffic, logins included (up to 300 req/s each for login
 * and its SMS code), so its plan is sized on those methods' throttles, creation kept apart.
 */
export const DEFAULT_API_KEYS: ApiKeySettings = {
  enforcement: 'optional',
  plans: {
    pharmacy: { rateLimit: 20, burstLimit: 40, dailyQuota: 200_000 },
    practice: { rateLimit: 20, burstLimit: 40, dailyQuota: 200_000 },
    hospital: { rateLimit: 50, burstLimit: 100, dailyQuota: 1_000_000 },
    insurer: { rateLimit: 20, burstLimit: 40, dailyQuota: 200_000 },
    'public-online': { rateLimit: 700, burstLimit: 1400, dailyQuota: 50_000_000 },
  },
  onlineCreationThrottle: { rateLimit: 3, burstLimit: 6 },
};

export interface Settings {
  /** The environment chosen with `-c env=` (lib/environments.ts): dev unless told otherwise. */
  environment: EnvironmentName;
  /** The AWS account the stack is bound to; undefined: the CLI credentials' (never in prod). */
  account: string | undefined;
  /** Health data stays in the EEA: Paris unless told otherwise. */
  region: string;
  /** The one browser origin CORS admits (the dmp.fr front end). */
  allowedOrigin: string;
  /** Pro Santé Connect (health professionals); absent: no professional token is accepted. */
  professionalIssuer: IssuerSettings | undefined;
  /** The Assurance Maladie identity provider (CPAM agents); absent: no agent token is accepted. */
  agentIssuer: IssuerSettings | undefined;
  /** The Assurance Maladie's claim-history sync (client credentials, `claims:write`): its own issuer and audience; absent: no claims are written. */
  insurerIssuer: IssuerSettings | undefined;
  /** Always configured: patients have no other way in. */
  patientSessions: PatientSessionSettings;
  smsMonthlySpendLimitUsd: string;
  smsSenderId: string;
  logRetention: RetentionDays;
  /** Usage plans per client category and whether methods require an API key. */
  apiKeys: ApiKeySettings;
  /** The whole stage's throttle. */
  stageThrottle: Throttle;
  /** `retain`: data outlives the stack (deletion protection, RETAIN); `destroy`: dev's teardown. */
  dataRemoval: 'retain' | 'destroy';
  /** How CodeDeploy shifts the HTTP functions' `live` alias to a new version. */
  deployment: DeploymentStyle;
  alarms: AlarmThresholds;
  /** Addresses subscribed to the operations topic. */
  operationsEmails: string[];
  /** The insurer's principal that may drop objects in the claims inbox (an account id or an IAM role ARN); undefined: none. */
  claimsInboxWriter: string | undefined;
}

/** Reads one context key: the command line's (`-c`), else the environment's. */
type Context = (key: string) => unknown;

const DEFAULT_REGION = 'eu-west-3';

const text = (node: Context, key: string): string | undefined => {
  const value: unknown = node(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`context ${key} must be a string`);
  return String(value);
};

const required = (node: Context, key: string): string => {
  const value = text(node, key);
  if (value === undefined) throw new Error(`missing context ${key} (cdk.json or -c ${key}=...)`);
  return value;
};

/** An issuer is configured whole or not at all: a half-configured one would accept nothing. */
const issuer = (node: Context, prefix: string): IssuerSettings | undefined => {
  if (text(node, `${prefix}Issuer`) === undefined) return undefined;
  return {
    issuer: required(node, `${prefix}Issuer`),
    jwksUrl: required(node, `${prefix}JwksUrl`),
    audience: required(node, `${prefix}Audience`),
  };
};

const retention = (node: Context, key: string): RetentionDays => {
  const days = Number(required(node, key));
  const allowed = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  const match = allowed.find((d) => d === days);
  if (match === undefined) throw new Error(`context ${key} must be one of CloudWatch Logs' retention periods: ${allowed.join(', ')}`);
  return match;
};

const isObject = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/** A whole number from 1 to `max`; numbers as strings too (`-c` passes strings). */
const count = (key: string, value: unknown, max: number): number => {
  const n = typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1 || n > max) throw new Error(`context ${key} must be a whole number from 1 to ${max}`);
  return n;
};

/** A context value given as an object, or as JSON text (`-c key='{...}'`). */
const objectContext = (node: Context, key: string): Record<string, unknown> | undefined => {
  let value: unknown = node(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value === 'string') {
    try {
      value = JSON.parse(value);
    } catch {
      throw new Error(`context ${key} must be an object`);
    }
  }
  if (!isObject(value)) throw new Error(`context ${key} must be an object`);
  return value;
};

/** Fields given override the defaults; an unknown field is refused (a misspelt limit would be ignored). */
const throttle = <T extends Throttle>(key: string, value: unknown, defaults: T, ceiling: Throttle): T => {
  if (value === undefined) return defaults;
  if (!isObject(value)) throw new Error(`context ${key} must be an object`);
  const out: Record<string, number> = { ...(defaults as unknown as Record<string, number>) };
  for (const [field, given] of Object.entries(value)) {
    if (!(field in defaults)) throw new Error(`context ${key}.${field} is not a setting (expected ${Object.keys(defaults).join(', ')})`);
    const max = field === 'rateLimit' ? ceiling.rateLimit : field === 'burstLimit' ? ceiling.burstLimit : 1_000_000_000;
    out[field] = count(`${key}.${field}`, given, max);
  }
  const result = out as unknown as T;
  if (result.burstLimit < result.rateLimit) throw new Error(`context ${key}.burstLimit must be at least its rateLimit`);
  return result;
};

/** API Gateway's default limits for an account and region (REST and HTTP APIs together). */
const ACCOUNT_THROTTLE: Throttle = { rateLimit: 10_000, burstLimit: 5_000 };

const apiKeys = (node: Context): ApiKeySettings => {
  const enforcement = text(node, 'dmp:apiKeyEnforcement') ?? DEFAULT_API_KEYS.enforcement;
  if (enforcement !== 'optional' && enforcement !== 'required') throw new Error('context dmp:apiKeyEnforcement must be optional or required');
  const given = objectContext(node, 'dmp:usagePlans') ?? {};
  for (const category of Object.keys(given)) {
    if (!(CLIENT_CATEGORIES as readonly string[]).includes(category)) {
      throw new Error(`context dmp:usagePlans.${category} is not a client category (expected ${CLIENT_CATEGORIES.join(', ')})`);
    }
  }
  // A plan above API Gateway's default account limit would promise what the account never serves.
  const plans = Object.fromEntries(
    CLIENT_CATEGORIES.map((category) => [category, throttle(`dmp:usagePlans.${category}`, given[category], DEFAULT_API_KEYS.plans[category], ACCOUNT_THROTTLE)]),
  ) as Record<ClientCategory, UsagePlanSettings>;
  // Below the creation method's own throttle: online creations can never take all of it.
  const creation = routeThrottle('createRecord');
  const onlineCreationThrottle = throttle('dmp:onlineCreationThrottle', objectContext(node, 'dmp:onlineCreationThrottle'), DEFAULT_API_KEYS.onlineCreationThrottle, {
    rateLimit: creation.rateLimit - 1,
    burstLimit: creation.burstLimit - 1,
  });
  return { enforcement, plans, onlineCreationThrottle };
};

const DEPLOYMENT_STYLES: readonly DeploymentStyle[] = ['ALL_AT_ONCE', 'CANARY_10PERCENT_5MINUTES', 'CANARY_10PERCENT_10MINUTES', 'LINEAR_10PERCENT_EVERY_1MINUTE'];

const environmentName = (node: Node): EnvironmentName => {
  const given: unknown = node.tryGetContext('env') ?? 'dev';
  const match = ENVIRONMENT_NAMES.find((name) => name === given);
  if (match === undefined) throw new Error(`context env must be one of ${ENVIRONMENT_NAMES.join(', ')} (-c env=prod)`);
  return match;
};

/** The environment's thresholds, with the fields a `-c dmp:alarms='{...}'` gives instead; each a positive number. */
const alarms = (node: Context, defaults: AlarmThresholds): AlarmThresholds => {
  const given = objectContext(node, 'dmp:alarms') ?? {};
  const out: Record<string, unknown> = { ...defaults, ...given };
  for (const [field, value] of Object.entries(out)) {
    if (!(field in defaults)) throw new Error(`context dmp:alarms.${field} is not an alarm threshold (expected ${Object.keys(defaults).join(', ')})`);
    if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) throw new Error(`context dmp:alarms.${field} must be a positive number`);
  }
  return out as unknown as AlarmThresholds;
};

const list = (node: Context, key: string): string[] => {
  const value = node(key);
  if (value === undefined || value === null || value === '') return [];
  const items = typeof value === 'string' ? value.split(',').map((v) => v.trim()) : value;
  if (!Array.isArray(items) || !items.every((v): v is string => typeof v === 'string' && /^[^@\s]+@[^@\s]+$/.test(v))) {
    throw new Error(`context ${key} must be a list of email addresses`);
  }
  return items;
};

/**
 * What a production deployment may not leave out: the account it is bound to, every identity
 * provider (an absent one silently refuses its callers), an https origin, data kept when resources
 * go, and a canary. All that is missing is named at once.
 */
const checkProduction = (environment: EnvironmentName, settings: Settings): void => {
  if (environment === 'dev') return;
  const missing: string[] = [];
  if (environment === 'prod' && settings.account === undefined) missing.push('dmp:account (the 12-digit AWS account id: -c dmp:account=...)');
  if (!settings.professionalIssuer) missing.push('dmp:pscIssuer, dmp:pscJwksUrl, dmp:pscAudience (Pro Santé Connect)');
  if (!settings.agentIssuer) missing.push('dmp:agentIssuer, dmp:agentJwksUrl, dmp:agentAudience (CPAM agents)');
  if (!settings.insurerIssuer) missing.push('dmp:insurerIssuer, dmp:insurerJwksUrl, dmp:insurerAudience (claims sync)');
  if (!settings.allowedOrigin.startsWith('https://')) missing.push('dmp:allowedOrigin (an https:// origin)');
  if (settings.dataRemoval !== 'retain') missing.push('dmp:dataRemoval=retain (data must outlive the stack)');
  if (environment === 'prod' && settings.deployment === 'ALL_AT_ONCE') missing.push('dmp:deployment (a canary or linear shift, not ALL_AT_ONCE)');
  if (missing.length > 0) throw new Error(`the ${environment} configuration is incomplete; missing: ${missing.join('; ')}`);
};

/** The claims inbox's writer: an account id, or a role of an account (IAM's characters for role paths and names). */
const INBOX_WRITER = /^(?:[0-9]{12}|arn:aws:iam::[0-9]{12}:role\/[\w+=,.@/-]{1,512})$/;

export const readSettings = (app: Node): Settings => {
  const environment = environmentName(app);
  const defaults = environmentContext(ENVIRONMENTS[environment]);
  const node: Context = (key) => app.tryGetContext(key) ?? defaults[key];
  const senderId = required(node, 'dmp:smsSenderId');
  // SNS sender ids: 1 to 11 letters and digits, at least one letter.
  if (!/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/.test(senderId)) throw new Error('context dmp:smsSenderId must be 1-11 letters or digits');
  const spendLimit = required(node, 'dmp:smsMonthlySpendLimitUsd');
  if (!/^[0-9]+$/.test(spendLimit)) throw new Error('context dmp:smsMonthlySpendLimitUsd must be a whole number of US dollars');
  const account = text(node, 'dmp:account');
  if (account !== undefined && !/^[0-9]{12}$/.test(account)) throw new Error('context dmp:account must be a 12-digit AWS account id');
  const claimsInboxWriter = text(node, 'dmp:claimsInboxWriter');
  if (claimsInboxWriter !== undefined && !INBOX_WRITER.test(claimsInboxWriter))
    throw new Error('context dmp:claimsInboxWriter must be a 12-digit AWS account id or an IAM role ARN (arn:aws:iam::<account>:role/<name>)');
  const dataRemoval = text(node, 'dmp:dataRemoval') ?? 'retain';
  if (dataRemoval !== 'retain' && dataRemoval !== 'destroy') throw new Error('context dmp:dataRemoval must be retain or destroy');
  const deployment = text(node, 'dmp:deployment') ?? 'CANARY_10PERCENT_5MINUTES';
  const style = DEPLOYMENT_STYLES.find((d) => d === deployment);
  if (style === undefined) throw new Error(`context dmp:deployment must be one of ${DEPLOYMENT_STYLES.join(', ')}`);
  const settings: Settings = {
    environment,
    account,
    region: text(node, 'dmp:region') ?? DEFAULT_REGION,
    allowedOrigin: required(node, 'dmp:allowedOrigin'),
    professionalIssuer: issuer(node, 'dmp:psc'),
    agentIssuer: issuer(node, 'dmp:agent'),
    insurerIssuer: issuer(node, 'dmp:insurer'),
    patientSessions: { issuer: required(node, 'dmp:patientIssuer'), audience: required(node, 'dmp:patientAudience') },
    smsMonthlySpendLimitUsd: spendLimit,
    smsSenderId: senderId,
    logRetention: retention(node, 'dmp:logRetentionDays'),
    apiKeys: apiKeys(node),
    stageThrottle: throttle('dmp:stageThrottle', objectContext(node, 'dmp:stageThrottle'), STAGE_THROTTLE, ACCOUNT_THROTTLE),
    dataRemoval,
    deployment: style,
    alarms: alarms(node, ENVIRONMENTS[environment].alarms),
    operationsEmails: list(node, 'dmp:operationsEmails'),
    claimsInboxWriter,
  };
  checkProduction(environment, settings);
  return settings;
};

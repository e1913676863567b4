/**
 * The deployment's settings, read once from the CDK context (cdk.json, or `-c key=value`). Every
 * construct receives them already checked, so a missing or malformed value stops the synthesis with
 * a message that names the key, instead of surfacing as a broken deployment.
 */
import { RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { Node } from 'constructs';

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

export interface Settings {
  /** Health data stays in the EEA: Paris unless told otherwise. */
  region: string;
  /** The one browser origin CORS admits (the dmp.fr front end). */
  allowedOrigin: string;
  /** Pro Santé Connect (health professionals); absent: no professional token is accepted. */
  professionalIssuer: IssuerSettings | undefined;
  /** The Assurance Maladie identity provider (CPAM agents); absent: no agent token is accepted. */
  agentIssuer: IssuerSettings | undefined;
  /** Always configured: patients have no other way in. */
  patientSessions: PatientSessionSettings;
  smsMonthlySpendLimitUsd: string;
  smsSenderId: string;
  logRetention: RetentionDays;
}

const DEFAULT_REGION = 'eu-west-3';

const text = (node: Node, key: string): string | undefined => {
  const value: unknown = node.tryGetContext(key);
  if (value === undefined || value === null || value === '') return undefined;
  if (typeof value !== 'string' && typeof value !== 'number') throw new Error(`context ${key} must be a string`);
  return String(value);
};

const required = (node: Node, key: string): string => {
  const value = text(node, key);
  if (value === undefined) throw new Error(`missing context ${key} (cdk.json or -c ${key}=...)`);
  return value;
};

/** An issuer is configured whole or not at all: a half-configured one would accept nothing. */
const issuer = (node: Node, prefix: string): IssuerSettings | undefined => {
  if (text(node, `${prefix}Issuer`) === undefined) return undefined;
  return {
    issuer: required(node, `${prefix}Issuer`),
    jwksUrl: required(node, `${prefix}JwksUrl`),
    audience: required(node, `${prefix}Audience`),
  };
};

const retention = (node: Node, key: string): RetentionDays => {
  const days = Number(required(node, key));
  const allowed = Object.values(RetentionDays).filter((v): v is RetentionDays => typeof v === 'number');
  const match = allowed.find((d) => d === days);
  if (match === undefined) throw new Error(`context ${key} must be one of CloudWatch Logs' retention periods: ${allowed.join(', ')}`);
  return match;
};

export const readSettings = (node: Node): Settings => {
  const senderId = required(node, 'dmp:smsSenderId');
  // SNS sender ids: 1 to 11 letters and digits, at least one letter.
  if (!/^(?=.*[A-Za-z])[A-Za-z0-9]{1,11}$/.test(senderId)) throw new Error('context dmp:smsSenderId must be 1-11 letters or digits');
  const spendLimit = required(node, 'dmp:smsMonthlySpendLimitUsd');
  if (!/^[0-9]+$/.test(spendLimit)) throw new Error('context dmp:smsMonthlySpendLimitUsd must be a whole number of US dollars');
  return {
    region: text(node, 'dmp:region') ?? DEFAULT_REGION,
    allowedOrigin: required(node, 'dmp:allowedOrigin'),
    professionalIssuer: issuer(node, 'dmp:psc'),
    agentIssuer: issuer(node, 'dmp:agent'),
    patientSessions: { issuer: required(node, 'dmp:patientIssuer'), audience: required(node, 'dmp:patientAudience') },
    smsMonthlySpendLimitUsd: spendLimit,
    smsSenderId: senderId,
    logRetention: retention(node, 'dmp:logRetentionDays'),
  };
};

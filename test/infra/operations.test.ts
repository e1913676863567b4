/**
 * Operations, per environment: the alarms (metric, threshold from the environment's configuration,
 * action on the operations topic), one per capability, function, dead-letter queue and scheduled
 * job whatever their number; the dashboard; the live aliases and their CodeDeploy groups with the
 * function's alarms for rollback; what differs between dev, staging and prod (removal policies,
 * retention, throttles, canary); a prod configuration that leaves something out refused; and a
 * runbook section for every alarm of the template.
 *
 * Each environment is synthesized once (functions not bundled) and shared by every test.
 */
import { readFileSync } from 'node:fs';
import { App, type CfnElement, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import type { IConstruct } from 'constructs';
import { describe, expect, it } from 'vitest';
import { CAPABILITIES, type Capability } from '../../functions/capabilities/index.ts';
import { METRICS_NAMESPACE } from '../../functions/domain/metrics.ts';
import { DmpFunction } from '../../lib/dmp-function.ts';
import { DmpStack } from '../../lib/dmp-stack.ts';
import { ENVIRONMENTS, type EnvironmentName } from '../../lib/environments.ts';
import { ALARM_KINDS } from '../../lib/operations.ts';
import { readSettings, type Settings } from '../../lib/settings.ts';

type Json = Record<string, any>; // CloudFormation documents, as Template.toJSON() returns them

const cdkJson = JSON.parse(readFileSync(new URL('../../cdk.json', import.meta.url), 'utf8')) as { context: Record<string, unknown> };
const ACCOUNT = '123456789012';

const appOf = (context: Record<string, unknown>): App => new App({ context: { ...cdkJson.context, 'aws:cdk:bundling-stacks': [], ...context } });

interface Synthesized {
  app: App;
  settings: Settings;
  stack: DmpStack;
  resources: Record<string, Json>;
  /** The main stack's own resources (the nested stack's not merged). */
  main: Record<string, Json>;
}
const synthesized = new Map<EnvironmentName, Synthesized>();

/** Replaces, through a document, each `{ Ref: name }` or `{ Fn::GetAtt: [...] }` that `lookup` knows. */
const substitute = (value: unknown, lookup: (ref: Json) => unknown): any => {
  if (Array.isArray(value)) return value.map((v) => substitute(v, lookup));
  if (value === null || typeof value !== 'object') return value;
  const found = lookup(value as Json);
  if (found !== undefined) return found;
  return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substitute(v, lookup)]));
};

/**
 * One synthesis per environment, made on first use and shared. The operations nested stack's
 * resources are merged into the main stack's, each reference across the two replaced by what it
 * stands for (a parameter by the main stack's value, a nested output by its value), so that an
 * alarm's dimension reads as the function's own logical id.
 */
const synth = (env: EnvironmentName): Synthesized => {
  const done = synthesized.get(env);
  if (done) return done;
  const app = appOf({ env, 'dmp:account': ACCOUNT });
  const settings = readSettings(app.node);
  const stack = new DmpStack(app, 'Dmp', { env: { account: settings.account, region: settings.region }, settings });
  const main = Template.fromStack(stack).toJSON();
  const nested = Template.fromStack(stack.operations).toJSON();
  const nestedId = stack.getLogicalId(stack.operations.nestedStackResource as CfnElement);
  const parameters = main.Resources[nestedId].Properties.Parameters as Record<string, unknown>;
  const outputs = nested.Outputs as Record<string, Json>;
  const nestedResources = substitute(nested.Resources, (v) => (typeof v.Ref === 'string' ? parameters[v.Ref] : undefined));
  const mainResources = substitute(main.Resources, (v) => {
    const [id, attribute] = (v['Fn::GetAtt'] ?? []) as [string, string];
    return id === nestedId && attribute?.startsWith('Outputs.') ? outputs[attribute.slice('Outputs.'.length)]?.Value : undefined;
  });
  const out = { app, settings, stack, resources: { ...mainResources, ...nestedResources }, main: main.Resources as Record<string, Json> };
  synthesized.set(env, out);
  return out;
};

const ofType = (s: Synthesized, type: string): [string, Json][] => Object.entries(s.resources).filter(([, r]) => r.Type === type);
const logicalId = (_s: Synthesized, construct: IConstruct): string => Stack.of(construct).getLogicalId((construct.node.defaultChild ?? construct) as CfnElement);
const alarms = (s: Synthesized): Json[] => ofType(s, 'AWS::CloudWatch::Alarm').map(([id, r]) => ({ id, ...r.Properties }));
/** `Dmp-LambdaErrors-ApiRecords` → the alarm of that name. */
const alarmNamed = (s: Synthesized, name: string): Json => {
  const found = alarms(s).find((a) => a.AlarmName === `Dmp-${name}`);
  if (!found) throw new Error(`no alarm Dmp-${name}`);
  return found;
};
const kindOf = (alarmName: string): string => alarmName.replace(/^Dmp-/, '').split('-')[0] ?? '';
/** The one metric of a single-metric alarm, or the metrics of a math alarm. */
const metricsOf = (alarm: Json): Json[] =>
  alarm.Metrics ? (alarm.Metrics as Json[]).filter((m) => m.MetricStat).map((m) => ({ ...m.MetricStat.Metric, Stat: m.MetricStat.Stat })) : [alarm];
const dims = (m: Json): Record<string, unknown> => Object.fromEntries(((m.Dimensions ?? []) as Json[]).map((d) => [d.Name, d.Value]));
const subjectOf = (c: IConstruct): string =>
  c.node.path
    .split('/')
    .slice(1)
    .join('')
    .replace(/[^A-Za-z0-9]/g, '');

describe('alarms (prod)', () => {
  const s = synth('prod');
  const t = s.settings.alarms;
  const topic = { Ref: logicalId(s, s.stack.operations.topic) };

  it('all go to the operations topic (and tell it when they are OK again), and each kind has alarms', () => {
    const all = alarms(s);
    expect(all.length).toBeGreaterThan(CAPABILITIES.length * 4);
    for (const a of all) {
      expect(a.AlarmActions, a.AlarmName).toEqual([topic]);
      expect(a.OKActions, a.AlarmName).toEqual([topic]);
      expect(ALARM_KINDS as readonly string[]).toContain(kindOf(a.AlarmName));
    }
    expect(new Set(all.map((a) => kindOf(a.AlarmName)))).toEqual(new Set(ALARM_KINDS));
  });

  it('live in a nested stack of their own: the main stack keeps room under CloudFormation’s 500 resources', () => {
    const main = Object.values(s.main);
    expect(main.filter((r) => r.Type === 'AWS::CloudWatch::Alarm')).toEqual([]);
    expect(main.filter((r) => r.Type === 'AWS::CloudFormation::Stack')).toHaveLength(1);
    // 464 with every capability of today (one API permission per function, not per method): the
    // next capabilities need the API or the functions split into a nested stack of their own.
    expect(main.length).toBeLessThan(480);
  });

  it('say what failed, never about whom: names and descriptions hold no id, number or personal data', () => {
    for (const a of alarms(s)) {
      expect(a.AlarmName).toMatch(/^Dmp-[A-Za-z0-9]+(-[A-Za-z0-9-]+)?$/);
      // No dmpId, INS, phone number or e-mail address: no run of digits longer than a threshold's.
      expect(`${a.AlarmName} ${a.AlarmDescription}`).not.toMatch(/[0-9]{8,}|@|\+33/);
    }
  });

  it('the topic is encrypted with a key of the stack that CloudWatch may use, and TLS only', () => {
    const [, t] = ofType(s, 'AWS::SNS::Topic').find(([id]) => id === logicalId(s, s.stack.operations.topic))!;
    expect(t.Properties.KmsMasterKeyId).toEqual({ 'Fn::GetAtt': [logicalId(s, s.stack.operations.topicKey), 'Arn'] });
    const key = s.resources[logicalId(s, s.stack.operations.topicKey)]!;
    expect(key.Properties.EnableKeyRotation).toBe(true);
    const statement = (key.Properties.KeyPolicy.Statement as Json[]).find((st) => st.Sid === 'CloudWatchPublishesAlarms');
    expect(statement).toMatchObject({ Principal: { Service: 'cloudwatch.amazonaws.com' }, Action: ['kms:Decrypt', 'kms:GenerateDataKey'] });
    const policy = ofType(s, 'AWS::SNS::TopicPolicy').find(([, p]) => JSON.stringify(p.Properties.Topics).includes(logicalId(s, s.stack.operations.topic)));
    expect(JSON.stringify(policy?.[1].Properties.PolicyDocument)).toContain('aws:SecureTransport');
  });

  it('per capability of the manifest: 5xx rate (DMP/ServerErrors average) and p99 duration, thresholds from configuration', () => {
    for (const { name } of CAPABILITIES) {
      const rate = alarmNamed(s, `Api5xxRate-${name}`);
      expect(rate).toMatchObject({ Threshold: t.api5xxRatePercent, ComparisonOperator: 'GreaterThanOrEqualToThreshold', EvaluationPeriods: 5, DatapointsToAlarm: 3 });
      const [errors] = metricsOf(rate);
      expect(errors).toMatchObject({ Namespace: METRICS_NAMESPACE, MetricName: 'ServerErrors', Stat: 'Average' });
      expect(dims(errors!)).toEqual({ Capability: name });
      expect((rate.Metrics as Json[]).find((m) => m.Expression)?.Expression).toMatch(/^100 \* /);

      const latency = alarmNamed(s, `ApiLatencyP99-${name}`);
      expect(latency).toMatchObject({ MetricName: 'Duration', Namespace: 'AWS/Lambda', ExtendedStatistic: 'p99', Threshold: t.apiP99LatencyMs });
      expect(dims(latency)).toEqual({ FunctionName: { Ref: logicalId(s, s.stack.api.functions[name as Capability]) } });
    }
    const gateway = alarmNamed(s, 'ApiGateway5xxRate');
    expect(gateway.Threshold).toBe(t.apiGateway5xxRatePercent);
    expect(metricsOf(gateway)[0]).toMatchObject({ Namespace: 'AWS/ApiGateway', MetricName: '5XXError', Stat: 'Average' });
  });

  it('per Lambda function of the stack (found, not listed): errors and throttles', () => {
    const functions = s.stack.node.findAll().filter((c): c is DmpFunction => c instanceof DmpFunction);
    // The capabilities' functions, the authorizer and the seven jobs (outbox, retention, visibility,
    // uploads, claims import, vaccination reminders, keyword index).
    expect(functions.length).toBe(CAPABILITIES.length + 8);
    expect(ofType(s, 'AWS::Lambda::Function').filter(([, f]) => f.Properties.Architectures?.[0] === 'arm64')).toHaveLength(functions.length);
    for (const fn of functions) {
      const subject = subjectOf(fn);
      expect(alarmNamed(s, `LambdaErrors-${subject}`)).toMatchObject({
        Namespace: 'AWS/Lambda',
        MetricName: 'Errors',
        Statistic: 'Sum',
        Period: 300,
        Threshold: t.lambdaErrors,
        Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(s, fn) } }],
      });
      expect(alarmNamed(s, `LambdaThrottles-${subject}`)).toMatchObject({ MetricName: 'Throttles', Threshold: t.lambdaThrottles });
    }
  });

  it('dead letters not empty: the outbox failures and the claims import failures', () => {
    for (const queue of [s.stack.jobs.outboxFailures, s.stack.jobs.claimsImport.deadLetters]) {
      const a = alarmNamed(s, `DeadLettersNotEmpty-${subjectOf(queue)}`);
      expect(a).toMatchObject({ Namespace: 'AWS/SQS', MetricName: 'ApproximateNumberOfMessagesVisible', Threshold: 0, ComparisonOperator: 'GreaterThanThreshold' });
      expect(dims(a)).toEqual({ QueueName: { 'Fn::GetAtt': [logicalId(s, queue), 'QueueName'] } });
    }
  });

  it('the outbox, the claims import, the table, KMS, SMS and the WAF, thresholds from configuration', () => {
    expect(alarmNamed(s, 'OutboxOldestItemAge')).toMatchObject({
      Namespace: METRICS_NAMESPACE,
      MetricName: 'OutboxOldestDueAgeSeconds',
      Statistic: 'Maximum',
      Threshold: t.outboxOldestAgeSeconds,
    });
    expect(alarmNamed(s, 'ClaimsImportStalled')).toMatchObject({
      MetricName: 'ApproximateAgeOfOldestMessage',
      Threshold: t.claimsImportOldestMessageSeconds,
      Dimensions: [{ Name: 'QueueName', Value: { 'Fn::GetAtt': [logicalId(s, s.stack.jobs.claimsImport.queue), 'QueueName'] } }],
    });
    const throttled = alarmNamed(s, 'DynamoThrottledRequests');
    expect(throttled.Threshold).toBe(t.dynamoThrottledRequests);
    expect(
      metricsOf(throttled)
        .map((m) => m.MetricName)
        .sort(),
    ).toEqual(['ReadThrottleEvents', 'ReadThrottleEvents', 'ReadThrottleEvents', 'WriteThrottleEvents', 'WriteThrottleEvents', 'WriteThrottleEvents']);
    for (const m of metricsOf(throttled)) expect(dims(m).TableName).toEqual({ Ref: logicalId(s, s.stack.data.table) });
    const systemErrors = alarmNamed(s, 'DynamoSystemErrors');
    expect(systemErrors.Threshold).toBe(t.dynamoSystemErrors);
    expect(new Set(metricsOf(systemErrors).map((m) => m.MetricName))).toEqual(new Set(['SystemErrors']));
    expect(alarmNamed(s, 'KmsThrottling')).toMatchObject({ Namespace: METRICS_NAMESPACE, MetricName: 'KmsThrottled', Statistic: 'Sum', Threshold: t.kmsThrottles });
    expect(alarmNamed(s, 'SmsDeliveryFailures')).toMatchObject({ Namespace: 'AWS/SNS', MetricName: 'NumberOfNotificationsFailed', Threshold: t.smsDeliveryFailures });
    expect(alarmNamed(s, 'SmsSpendNearCap')).toMatchObject({
      Namespace: 'AWS/SNS',
      MetricName: 'SMSMonthToDateSpentUSD',
      Threshold: (Number(s.settings.smsMonthlySpendLimitUsd) * t.smsSpendPercentOfCap) / 100,
    });
    const waf = alarmNamed(s, 'WafBlockedSpike');
    expect(waf).toMatchObject({ Namespace: 'AWS/WAFV2', MetricName: 'BlockedRequests', Threshold: t.wafBlockedRequests });
    expect(dims(waf)).toMatchObject({ Rule: 'ALL', Region: s.settings.region });
    expect(JSON.stringify(dims(waf).WebACL)).toContain(logicalId(s, s.stack.api.firewall.webAcl));
  });

  it('per scheduled job: no invocation within twice its interval (a day at most) is an alarm, missing data included', () => {
    expect(s.stack.jobs.schedules.map((j) => j.job).sort()).toEqual(['Outbox', 'Retention', 'Uploads', 'VaccinationReminders', 'Visibility']);
    const periods: Record<string, number> = { Outbox: 300, Visibility: 7200, Uploads: 7200, Retention: 86400, VaccinationReminders: 86400 };
    for (const { job, fn } of s.stack.jobs.schedules) {
      const alarm = alarmNamed(s, `JobNotRun-${job}`);
      expect(alarm, job).toMatchObject({ Period: periods[job], Threshold: 1, ComparisonOperator: 'LessThanThreshold', TreatMissingData: 'breaching' });
      // The outbox is invoked by the stream too: its sweeps count by the figure each one writes.
      expect(alarm, job).toMatchObject(
        job === 'Outbox'
          ? { Namespace: METRICS_NAMESPACE, MetricName: 'OutboxOldestDueAgeSeconds', Statistic: 'SampleCount' }
          : { MetricName: 'Invocations', Statistic: 'Sum', Dimensions: [{ Name: 'FunctionName', Value: { Ref: logicalId(s, fn) } }] },
      );
    }
  });
});

describe('runbook', () => {
  const runbook = readFileSync(new URL('../../docs/RUNBOOK.md', import.meta.url), 'utf8');
  const sections = new Set([...runbook.matchAll(/^### (\S+)\s*$/gm)].map((m) => m[1]));

  it('has a section for every alarm of the template (by its kind), in every environment', () => {
    for (const env of ['dev', 'prod'] as const) {
      const missing = alarms(synth(env))
        .map((a) => kindOf(a.AlarmName))
        .filter((kind) => !sections.has(kind));
      expect(missing, `alarms without a section in docs/RUNBOOK.md (${env})`).toEqual([]);
    }
  });

  it('lists every kind with its thresholds per environment, as lib/environments.ts sets them', () => {
    const rows = [...runbook.matchAll(/^\| \[(\w+)\]\(#\w+\) \| ([^|]+) \| ([^|]+) \| ([^|]+) \| ([^|]+) \|/gm)];
    expect(rows.map((r) => r[1]).sort()).toEqual([...ALARM_KINDS].sort());
    for (const [, kind, field, dev, staging, prod] of rows) {
      const name = field!.trim().replace(/`/g, '');
      if (name === '(fixed)') continue;
      const values = { dev, staging, prod };
      for (const env of ['dev', 'staging', 'prod'] as const) {
        expect(Number(values[env]!.trim()), `${kind} ${env}`).toBe(ENVIRONMENTS[env].alarms[name as keyof (typeof ENVIRONMENTS)['dev']['alarms']]);
      }
    }
  });

  it('each alarm points at its section; each section says what it means, how to confirm it and what to do', () => {
    for (const a of alarms(synth('prod'))) expect(a.AlarmDescription).toContain(`docs/RUNBOOK.md#${kindOf(a.AlarmName).toLowerCase()}`);
    for (const kind of ALARM_KINDS) {
      const body = runbook.split(`### ${kind}\n`)[1]?.split(/\n##/)[0] ?? '';
      expect(body, kind).toMatch(/\*\*Means\*\*/);
      expect(body, kind).toMatch(/\*\*Confirm\*\*/);
      expect(body, kind).toMatch(/\*\*Do\*\*/);
    }
    for (const heading of ['Restoring the table to a point in time', 'Master keys and data keys', 'KMS outage', 'DynamoDB outage', 'SNS outage']) {
      expect(runbook).toMatch(new RegExp(`^#+ ${heading}$`, 'm'));
    }
  });
});

describe('dashboard', () => {
  it('one, with the service health and the business figures', () => {
    const s = synth('prod');
    const dashboards = ofType(s, 'AWS::CloudWatch::Dashboard');
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]![1].Properties.DashboardBody);
    for (const title of ['API 5xx rate by capability', 'API p99 duration by capability', 'Lambda errors by function', 'Lambda throttles by function', 'Dead letters']) {
      expect(body).toContain(title);
    }
    for (const metric of ['ServerErrors', 'OutboxOldestDueAgeSeconds', 'KmsThrottled', 'SMSMonthToDateSpentUSD', 'BlockedRequests', 'ReadThrottleEvents'])
      expect(body).toContain(metric);
    // Business figures, from the EMF metrics the functions write.
    for (const metric of ['RecordsCreated', 'Logins', 'Lockouts', 'DocumentsDeposited', 'EmergencyAccesses', 'SmsSent', 'ClaimLinesImported']) expect(body).toContain(metric);
    for (const { name } of CAPABILITIES) expect(body).toContain(`\\"Capability\\",\\"${name}\\"`);
  });
});

describe('safe deployments', () => {
  const httpFunctions = (s: Synthesized): DmpFunction[] => [...CAPABILITIES.map(({ name }) => s.stack.api.functions[name as Capability]), s.stack.api.authorizerFunction];

  it('every HTTP function has a live alias; API Gateway invokes the alias, which holds the permission', () => {
    const s = synth('prod');
    const aliases = ofType(s, 'AWS::Lambda::Alias');
    expect(aliases).toHaveLength(CAPABILITIES.length + 1);
    for (const fn of httpFunctions(s)) {
      const alias = aliases.find(([, a]) => a.Properties.FunctionName.Ref === logicalId(s, fn));
      expect(alias, fn.node.path).toBeDefined();
      expect(alias![1].Properties).toMatchObject({ Name: 'live', FunctionVersion: { 'Fn::GetAtt': [expect.any(String), 'Version'] } });
      const permissions = ofType(s, 'AWS::Lambda::Permission').filter(([, p]) => p.Properties.Principal === 'apigateway.amazonaws.com');
      const onFunction = permissions.filter(([, p]) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ 'Fn::GetAtt': [logicalId(s, fn), 'Arn'] }));
      const onAlias = permissions.filter(([, p]) => JSON.stringify(p.Properties.FunctionName) === JSON.stringify({ Ref: alias![0] }));
      expect(onFunction, `${fn.node.path}: no permission on $LATEST`).toEqual([]);
      expect(onAlias.length, fn.node.path).toBeGreaterThan(0);
    }
  });

  it('a CodeDeploy group per HTTP function: the environment canary, rolled back on that function alarms', () => {
    const s = synth('prod');
    const groups = ofType(s, 'AWS::CodeDeploy::DeploymentGroup');
    expect(groups).toHaveLength(CAPABILITIES.length + 1);
    for (const fn of httpFunctions(s)) {
      const group = s.resources[logicalId(s, s.stack.deployments.groups.get(fn)!)]!.Properties;
      expect(group.DeploymentConfigName).toBe('CodeDeployDefault.LambdaCanary10Percent10Minutes');
      expect(group.AutoRollbackConfiguration).toEqual({ Enabled: true, Events: ['DEPLOYMENT_FAILURE', 'DEPLOYMENT_STOP_ON_REQUEST', 'DEPLOYMENT_STOP_ON_ALARM'] });
      expect(group.AlarmConfiguration.Enabled).toBe(true);
      const names = (group.AlarmConfiguration.Alarms as Json[]).map((a) => a.Name.Ref as string);
      const expected = s.stack.operations.functionAlarms.get(fn)!.map((a) => logicalId(s, a));
      expect(names.sort()).toEqual(expected.sort());
      const kinds = expected.map((id) => kindOf(s.resources[id]!.Properties.AlarmName)).sort();
      expect(kinds).toEqual(fn === s.stack.api.authorizerFunction ? ['LambdaErrors', 'LambdaThrottles'] : ['Api5xxRate', 'ApiLatencyP99', 'LambdaErrors', 'LambdaThrottles']);
    }
  });
});

describe('environments', () => {
  it('dev can be torn down; prod and staging keep their data', () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const s = synth(env);
      const keep = ENVIRONMENTS[env].dataRemoval === 'retain';
      const expected = keep ? 'Retain' : 'Delete';
      const table = s.resources[logicalId(s, s.stack.data.table)]!;
      expect(table.DeletionPolicy, env).toBe(expected);
      expect(table.Properties.DeletionProtectionEnabled, env).toBe(keep);
      expect(table.Properties.PointInTimeRecoverySpecification.PointInTimeRecoveryEnabled, env).toBe(true);
      for (const type of ['AWS::KMS::Key', 'AWS::Logs::LogGroup', 'AWS::Backup::BackupVault', 'AWS::S3::Bucket']) {
        for (const [id, r] of ofType(s, type)) expect(r.DeletionPolicy, `${env} ${id}`).toBe(expected);
      }
    }
    expect(ENVIRONMENTS.dev.dataRemoval).toBe('destroy');
    expect(ENVIRONMENTS.prod.dataRemoval).toBe('retain');
  });

  it('each has its log retention, stage throttle, origin, SMS cap and thresholds', () => {
    for (const env of ['dev', 'staging', 'prod'] as const) {
      const s = synth(env);
      const config = ENVIRONMENTS[env];
      for (const [id, r] of ofType(s, 'AWS::Logs::LogGroup')) expect(r.Properties.RetentionInDays, `${env} ${id}`).toBe(config.logRetentionDays);
      const [, stage] = ofType(s, 'AWS::ApiGateway::Stage')[0]!;
      const stageWide = (stage.Properties.MethodSettings as Json[]).find((m) => m.ResourcePath === '/*');
      expect(stageWide, env).toMatchObject({ ThrottlingRateLimit: config.stageThrottle.rateLimit, ThrottlingBurstLimit: config.stageThrottle.burstLimit });
      expect(JSON.stringify(s.resources)).toContain(config.allowedOrigin);
      expect(s.settings.smsMonthlySpendLimitUsd).toBe(String(config.smsMonthlySpendLimitUsd));
      expect(alarmNamed(s, 'LambdaErrors-ApiRecords').Threshold).toBe(config.alarms.lambdaErrors);
      expect(alarmNamed(s, 'Api5xxRate-records').Threshold).toBe(config.alarms.api5xxRatePercent);
      const deployment = Object.values(s.resources).find((r) => r.Type === 'AWS::CodeDeploy::DeploymentGroup')!.Properties.DeploymentConfigName;
      expect(deployment, env).toBe(
        {
          ALL_AT_ONCE: 'CodeDeployDefault.LambdaAllAtOnce',
          CANARY_10PERCENT_5MINUTES: 'CodeDeployDefault.LambdaCanary10Percent5Minutes',
          CANARY_10PERCENT_10MINUTES: 'CodeDeployDefault.LambdaCanary10Percent10Minutes',
          LINEAR_10PERCENT_EVERY_1MINUTE: 'CodeDeployDefault.LambdaLinear10PercentEvery1Minute',
        }[config.deployment],
      );
    }
    expect(ENVIRONMENTS.dev.logRetentionDays).toBeLessThan(ENVIRONMENTS.prod.logRetentionDays);
    expect(ENVIRONMENTS.dev.stageThrottle.rateLimit).toBeLessThan(ENVIRONMENTS.prod.stageThrottle.rateLimit);
  });

  it('prod is bound to its account; dev is the default', () => {
    expect(synth('prod').stack.account).toBe(ACCOUNT);
    expect(readSettings(appOf({}).node).environment).toBe('dev');
  });

  it('refuses an incomplete prod configuration and names what is missing', () => {
    const refused = (context: Record<string, unknown>): string => {
      try {
        readSettings(appOf(context).node);
      } catch (error) {
        return (error as Error).message;
      }
      throw new Error(`accepted ${JSON.stringify(context)}`);
    };
    expect(refused({ env: 'prod' })).toMatch(/prod configuration is incomplete; missing: dmp:account/);
    const many = refused({ env: 'prod', 'dmp:pscIssuer': '', 'dmp:allowedOrigin': 'http://www.dmp.fr', 'dmp:deployment': 'ALL_AT_ONCE', 'dmp:dataRemoval': 'destroy' });
    for (const missing of ['dmp:account', 'dmp:pscIssuer', 'dmp:allowedOrigin', 'dmp:dataRemoval=retain', 'dmp:deployment']) expect(many).toContain(missing);
    expect(refused({ env: 'staging', 'dmp:insurerIssuer': '' })).toMatch(/staging configuration is incomplete; missing: dmp:insurerIssuer/);
    expect(refused({ env: 'production' })).toMatch(/context env must be one of dev, staging, prod/);
    expect(refused({ env: 'prod', 'dmp:account': '12345' })).toMatch(/dmp:account must be a 12-digit/);
    // The claims inbox's writer: an account, or a role of one; never a user, a wildcard or another service's ARN.
    for (const writer of ['arn:aws:iam::210987654321:user/drop', '*', 'arn:aws:s3:::bucket', '21098765432'])
      expect(refused({ env: 'dev', 'dmp:claimsInboxWriter': writer })).toMatch(/dmp:claimsInboxWriter must be a 12-digit AWS account id or an IAM role ARN/);
    expect(readSettings(appOf({ env: 'dev', 'dmp:claimsInboxWriter': '210987654321' }).node).claimsInboxWriter).toBe('210987654321');
    expect(readSettings(appOf({ env: 'dev' }).node).claimsInboxWriter).toBeUndefined();
    expect(refused({ env: 'dev', 'dmp:alarms': '{"lambdaErrors":0}' })).toMatch(/dmp:alarms.lambdaErrors must be a positive number/);
    expect(refused({ env: 'dev', 'dmp:alarms': { lambdaError: 3 } })).toMatch(/dmp:alarms.lambdaError is not an alarm threshold/);
    // A threshold given on the command line overrides the environment's, the others stay.
    const given = readSettings(appOf({ env: 'dev', 'dmp:alarms': '{"lambdaErrors":3}' }).node).alarms;
    expect(given).toEqual({ ...ENVIRONMENTS.dev.alarms, lambdaErrors: 3 });
  });

  it('dev synthesizes with no cdk-nag finding left unacknowledged (prod: test/infra/stack.test.ts)', () => {
    const s = synth('dev');
    for (const pack of [new AwsSolutionsChecks(), new HIPAASecurityChecks()]) {
      const report = pack.validateScope(s.app);
      expect(report.violations.map((v) => `${v.ruleName}: ${v.violatingResources.map((r) => r.constructPath).join(', ')}`)).toEqual([]);
    }
    expect(Stack.of(s.stack).region).toBe(ENVIRONMENTS.dev.region);
  });
});

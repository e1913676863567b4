/**
 * Operations: the alarms that tell the on-call team before users do, the one topic they all go to,
 * and the dashboard of the service's health and business figures.
 *
 * Alarms are generated, never listed by hand: per capability from the route manifest (5xx rate and
 * p99 latency), per Lambda function found in the stack (errors, throttles), per dead-letter queue,
 * per scheduled job (a run missed); and once each for the table, KMS, SMS, the WAF, the outbox and
 * the claims import. A capability, function, queue or job added elsewhere gets its alarms without
 * an edit here. Thresholds come from the environment (lib/environments.ts).
 *
 * Every alarm is named `<stack>-<Kind>[-<subject>]`, where the subject is a capability or a
 * construct name, never data: docs/RUNBOOK.md has one section per Kind (a test keeps them in step),
 * and alarm texts say what failed, never about whom. The topic is encrypted with a key of the stack
 * that CloudWatch may use to publish.
 *
 * A nested stack of its own: a CloudFormation stack holds at most 500 resources, and the alarms
 * grow with every capability and function; here they count as one resource of the main stack.
 */
import { Duration, Fn, NestedStack, Stack } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { Operation as Op } from 'aws-cdk-lib/aws-dynamodb';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as kms from 'aws-cdk-lib/aws-kms';
import * as sns from 'aws-cdk-lib/aws-sns';
import * as subscriptions from 'aws-cdk-lib/aws-sns-subscriptions';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import type { Construct, IConstruct } from 'constructs';
import { TABLE_DEFINITION } from '../functions/adapters/storage-contract.ts';
import { CAPABILITIES, type Capability } from '../functions/capabilities/index.ts';
import { type MetricName, METRICS_NAMESPACE } from '../functions/domain/metrics.ts';
import type { Api } from './api.ts';
import type { Data } from './data.ts';
import { DmpFunction } from './dmp-function.ts';
import type { Jobs } from './jobs.ts';
import { createKey } from './kms.ts';
import type { Settings } from './settings.ts';

/** The kinds of alarm, each a section of docs/RUNBOOK.md. */
export const ALARM_KINDS = [
  'Api5xxRate',
  'ApiGateway5xxRate',
  'ApiLatencyP99',
  'LambdaErrors',
  'LambdaThrottles',
  'DeadLettersNotEmpty',
  'OutboxOldestItemAge',
  'DynamoThrottledRequests',
  'DynamoSystemErrors',
  'KmsThrottling',
  'SmsDeliveryFailures',
  'SmsSpendNearCap',
  'WafBlockedSpike',
  'ClaimsImportStalled',
  'JobNotRun',
] as const;
export type AlarmKind = (typeof ALARM_KINDS)[number];

const FIVE_MINUTES = Duration.minutes(5);
const ONE_MINUTE = Duration.minutes(1);
const ONE_DAY = Duration.days(1);

const dmpMetric = (name: MetricName, statistic: string, period: Duration, dimensionsMap?: Record<string, string>): cloudwatch.Metric =>
  new cloudwatch.Metric({ namespace: METRICS_NAMESPACE, metricName: name, statistic, period, ...(dimensionsMap ? { dimensionsMap } : {}) });

/** A construct's path below the stack, letters and digits only: `Api/Records` → `ApiRecords`. */
const subjectOf = (construct: IConstruct): string =>
  construct.node.path
    .split('/')
    .slice(1)
    .join('')
    .replace(/[^A-Za-z0-9]/g, '');

export interface OperationsProps {
  settings: Settings;
  data: Data;
  api: Api;
  jobs: Jobs;
}

interface AlarmSpec {
  kind: AlarmKind;
  /** The capability or construct the alarm is about (a name of the code, never data). */
  subject?: string;
  metric: cloudwatch.IMetric;
  threshold: number;
  comparison: cloudwatch.ComparisonOperator;
  /** What the alarm means, for whoever receives it (no data about anyone). */
  description: string;
  evaluationPeriods?: number;
  datapointsToAlarm?: number;
  treatMissingData?: cloudwatch.TreatMissingData;
}

export class Operations extends NestedStack {
  /** Where every alarm goes (and its return to OK). */
  readonly topic: sns.Topic;
  readonly topicKey: kms.Key;
  readonly dashboard: cloudwatch.Dashboard;
  /** Every alarm, with its kind. */
  readonly alarms: { kind: AlarmKind; subject: string | undefined; alarm: cloudwatch.Alarm }[] = [];
  /** The alarms about one function (its errors, throttles, and for a capability its 5xx rate and latency): CodeDeploy rolls back on them. */
  readonly functionAlarms = new Map<DmpFunction, cloudwatch.Alarm[]>();

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id, { description: 'DMP operations: alarms, the operations topic, the dashboard' });
    const { settings, data, api, jobs } = props;
    // The main stack: its name and region are plain strings (this nested stack's are tokens), and
    // its tree holds the functions and queues the alarms are generated from.
    const stack = Stack.of(scope);
    const t = settings.alarms;

    this.topicKey = createKey(this, 'TopicKey', {
      alias: `alias/${stack.stackName}/operations`,
      description: 'DMP: encryption of the operations (alarms) topic',
      delegateUseToIam: true,
    });
    // CloudWatch publishes alarms to the encrypted topic: it needs the key, for this account's alarms only.
    this.topicKey.addToResourcePolicy(
      new iam.PolicyStatement({
        sid: 'CloudWatchPublishesAlarms',
        principals: [new iam.ServicePrincipal('cloudwatch.amazonaws.com')],
        actions: ['kms:Decrypt', 'kms:GenerateDataKey'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': stack.account } },
      }),
    );
    this.topic = new sns.Topic(this, 'Topic', { displayName: 'DMP operations', masterKey: this.topicKey, enforceSSL: true });
    for (const email of settings.operationsEmails) this.topic.addSubscription(new subscriptions.EmailSubscription(email));
    const action = new SnsAction(this.topic);

    const add = (spec: AlarmSpec): cloudwatch.Alarm => {
      const name = spec.subject ? `${spec.kind}-${spec.subject}` : spec.kind;
      const alarm = new cloudwatch.Alarm(this, name.replace(/-/g, ''), {
        alarmName: `${stack.stackName}-${name}`,
        alarmDescription: `${spec.description} Runbook: docs/RUNBOOK.md#${spec.kind.toLowerCase()}`,
        metric: spec.metric,
        threshold: spec.threshold,
        comparisonOperator: spec.comparison,
        evaluationPeriods: spec.evaluationPeriods ?? 1,
        datapointsToAlarm: spec.datapointsToAlarm ?? spec.evaluationPeriods ?? 1,
        treatMissingData: spec.treatMissingData ?? cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm.addAlarmAction(action);
      alarm.addOkAction(action);
      this.alarms.push({ kind: spec.kind, subject: spec.subject, alarm });
      return alarm;
    };
    const forFunction = (fn: DmpFunction, alarm: cloudwatch.Alarm): void => {
      this.functionAlarms.set(fn, [...(this.functionAlarms.get(fn) ?? []), alarm]);
    };
    const ABOVE = cloudwatch.ComparisonOperator.GREATER_THAN_OR_EQUAL_TO_THRESHOLD;
    const NOT_EMPTY = cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD;

    // --- The API, per capability (from the manifest) ------------------------------------------
    const serverErrorRate = (capability: string): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({
        // Ids are unique per capability: the dashboard draws them all in one graph.
        expression: `100 * errors_${capability.replace(/-/g, '_')}`,
        usingMetrics: { [`errors_${capability.replace(/-/g, '_')}`]: dmpMetric('ServerErrors', 'Average', ONE_MINUTE, { Capability: capability }) },
        label: `${capability} 5xx %`,
        period: ONE_MINUTE,
      });
    for (const { name } of CAPABILITIES) {
      const fn = api.functions[name as Capability];
      forFunction(
        fn,
        add({
          kind: 'Api5xxRate',
          subject: name,
          metric: serverErrorRate(name),
          threshold: t.api5xxRatePercent,
          comparison: ABOVE,
          // Three minutes out of five: one failed request at night is not a rate.
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          description: `The ${name} capability answered 5xx to at least ${t.api5xxRatePercent} % of its requests in 3 of the last 5 minutes.`,
        }),
      );
      forFunction(
        fn,
        add({
          kind: 'ApiLatencyP99',
          subject: name,
          metric: fn.metricDuration({ statistic: 'p99', period: ONE_MINUTE }),
          threshold: t.apiP99LatencyMs,
          comparison: ABOVE,
          evaluationPeriods: 5,
          datapointsToAlarm: 3,
          description: `The ${name} capability's p99 duration reached ${t.apiP99LatencyMs} ms in 3 of the last 5 minutes.`,
        }),
      );
    }
    const stage = api.restApi.deploymentStage;
    add({
      kind: 'ApiGateway5xxRate',
      metric: new cloudwatch.MathExpression({
        expression: '100 * errors',
        usingMetrics: { errors: stage.metricServerError({ statistic: 'Average', period: ONE_MINUTE }) },
        period: ONE_MINUTE,
      }),
      threshold: t.apiGateway5xxRatePercent,
      comparison: ABOVE,
      evaluationPeriods: 5,
      datapointsToAlarm: 3,
      description: `API Gateway answered 5xx (function errors, timeouts, throttled integrations) to at least ${t.apiGateway5xxRatePercent} % of all requests in 3 of the last 5 minutes.`,
    });

    // --- Every Lambda function of the stack (ours: DmpFunction) -------------------------------
    const functions = stack.node.findAll().filter((c): c is DmpFunction => c instanceof DmpFunction);
    for (const fn of functions) {
      const subject = subjectOf(fn);
      forFunction(
        fn,
        add({
          kind: 'LambdaErrors',
          subject,
          metric: fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES }),
          threshold: t.lambdaErrors,
          comparison: ABOVE,
          description: `The function ${subject} failed (uncaught error or timeout) at least ${t.lambdaErrors} times in 5 minutes.`,
        }),
      );
      forFunction(
        fn,
        add({
          kind: 'LambdaThrottles',
          subject,
          metric: fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES }),
          threshold: t.lambdaThrottles,
          comparison: ABOVE,
          description: `Lambda refused at least ${t.lambdaThrottles} invocations of ${subject} in 5 minutes (concurrency exhausted).`,
        }),
      );
    }

    // --- Dead letters: the outbox's on-failure queue, and every queue's dead-letter queue -------
    const queues = stack.node.findAll().filter((c): c is sqs.Queue => c instanceof sqs.Queue);
    const deadLetters = [...new Set([jobs.outboxFailures, ...queues.flatMap((q) => (q.deadLetterQueue ? [q.deadLetterQueue.queue] : []))])];
    for (const queue of deadLetters) {
      const subject = subjectOf(queue);
      add({
        kind: 'DeadLettersNotEmpty',
        subject,
        metric: queue.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES }),
        threshold: 0,
        comparison: NOT_EMPTY,
        description: `The dead-letter queue ${subject} holds messages: work was given up on and waits for an operator.`,
      });
    }

    // --- The outbox and the claims import ------------------------------------------------------
    add({
      kind: 'OutboxOldestItemAge',
      metric: dmpMetric('OutboxOldestDueAgeSeconds', 'Maximum', FIVE_MINUTES),
      threshold: t.outboxOldestAgeSeconds,
      comparison: ABOVE,
      description: `The outbox sweep found a notification due that was written at least ${t.outboxOldestAgeSeconds} s ago: notifications are not going out.`,
    });
    add({
      kind: 'ClaimsImportStalled',
      metric: jobs.claimsImport.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES }),
      threshold: t.claimsImportOldestMessageSeconds,
      comparison: ABOVE,
      description: `An object of the claims inbox has waited at least ${t.claimsImportOldestMessageSeconds} s to be imported.`,
    });

    // --- The table ----------------------------------------------------------------------------
    const tableMetric = (metricName: string, index?: string): cloudwatch.Metric =>
      new cloudwatch.Metric({
        namespace: 'AWS/DynamoDB',
        metricName,
        dimensionsMap: { TableName: data.table.tableName, ...(index ? { GlobalSecondaryIndexName: index } : {}) },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      });
    const throttleMetrics: Record<string, cloudwatch.IMetric> = { tableReads: tableMetric('ReadThrottleEvents'), tableWrites: tableMetric('WriteThrottleEvents') };
    TABLE_DEFINITION.globalSecondaryIndexes.forEach((gsi, i) => {
      throttleMetrics[`index${i}Reads`] = tableMetric('ReadThrottleEvents', gsi.indexName);
      throttleMetrics[`index${i}Writes`] = tableMetric('WriteThrottleEvents', gsi.indexName);
    });
    add({
      kind: 'DynamoThrottledRequests',
      metric: new cloudwatch.MathExpression({ expression: Object.keys(throttleMetrics).join(' + '), usingMetrics: throttleMetrics, period: FIVE_MINUTES }),
      threshold: t.dynamoThrottledRequests,
      comparison: ABOVE,
      description: `The table (or an index) throttled at least ${t.dynamoThrottledRequests} reads or writes in 5 minutes.`,
    });
    add({
      kind: 'DynamoSystemErrors',
      metric: data.table.metricSystemErrorsForOperations({
        operations: [Op.GET_ITEM, Op.PUT_ITEM, Op.UPDATE_ITEM, Op.DELETE_ITEM, Op.QUERY, Op.BATCH_WRITE_ITEM, Op.TRANSACT_WRITE_ITEMS],
        period: FIVE_MINUTES,
      }),
      threshold: t.dynamoSystemErrors,
      comparison: ABOVE,
      description: `DynamoDB answered at least ${t.dynamoSystemErrors} internal errors (HTTP 500) in 5 minutes.`,
    });

    // --- KMS, SMS, WAF --------------------------------------------------------------------------
    add({
      kind: 'KmsThrottling',
      metric: dmpMetric('KmsThrottled', 'Sum', FIVE_MINUTES),
      threshold: t.kmsThrottles,
      comparison: ABOVE,
      description: `KMS refused at least ${t.kmsThrottles} calls of the functions for throttling (after retries) in 5 minutes: requests needing a data key answer 503.`,
    });
    add({
      kind: 'SmsDeliveryFailures',
      // SMS published to phone numbers directly are counted under the PhoneNumber dimension (its value is the word, not a number).
      metric: new cloudwatch.Metric({
        namespace: 'AWS/SNS',
        metricName: 'NumberOfNotificationsFailed',
        dimensionsMap: { PhoneNumber: 'PhoneNumber' },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      threshold: t.smsDeliveryFailures,
      comparison: ABOVE,
      description: `SNS failed to deliver at least ${t.smsDeliveryFailures} SMS in 5 minutes.`,
    });
    const spendThreshold = (Number(settings.smsMonthlySpendLimitUsd) * t.smsSpendPercentOfCap) / 100;
    add({
      kind: 'SmsSpendNearCap',
      metric: new cloudwatch.Metric({ namespace: 'AWS/SNS', metricName: 'SMSMonthToDateSpentUSD', statistic: 'Maximum', period: FIVE_MINUTES }),
      threshold: spendThreshold,
      comparison: ABOVE,
      description: `This month's SMS spend reached ${t.smsSpendPercentOfCap} % of its cap (${settings.smsMonthlySpendLimitUsd} USD): at the cap SNS stops sending, login codes included.`,
    });
    const webAclName = Fn.select(2, Fn.split('/', api.firewall.webAcl.attrArn));
    add({
      kind: 'WafBlockedSpike',
      metric: new cloudwatch.Metric({
        namespace: 'AWS/WAFV2',
        metricName: 'BlockedRequests',
        dimensionsMap: { WebACL: webAclName, Region: stack.region, Rule: 'ALL' },
        statistic: 'Sum',
        period: FIVE_MINUTES,
      }),
      threshold: t.wafBlockedRequests,
      comparison: ABOVE,
      description: `The WAF blocked at least ${t.wafBlockedRequests} requests in 5 minutes (an attack, or a client gone wrong).`,
    });

    // --- Scheduled jobs: a run missed --------------------------------------------------------
    for (const { job, fn, every, heartbeat } of jobs.schedules) {
      // Twice the interval (at least 5 minutes), at most a day (CloudWatch's longest period).
      const window = Duration.seconds(Math.min(Math.max(every.toSeconds() * 2, FIVE_MINUTES.toSeconds()), ONE_DAY.toSeconds()));
      add({
        kind: 'JobNotRun',
        subject: job,
        metric: heartbeat ? dmpMetric(heartbeat, 'SampleCount', window) : fn.metricInvocations({ statistic: 'Sum', period: window }),
        threshold: 1,
        comparison: cloudwatch.ComparisonOperator.LESS_THAN_THRESHOLD,
        // No invocation, no data point: that is the failure this alarm is for.
        treatMissingData: cloudwatch.TreatMissingData.BREACHING,
        description: `The scheduled job ${job} did not run in the last ${window.toHumanString()}.`,
      });
    }

    this.dashboard = this.buildDashboard(props, functions, deadLetters, serverErrorRate, throttleMetrics, spendThreshold, webAclName);
  }

  private buildDashboard(
    { api, jobs, settings }: OperationsProps,
    functions: DmpFunction[],
    deadLetters: sqs.IQueue[],
    serverErrorRate: (capability: string) => cloudwatch.IMetric,
    throttleMetrics: Record<string, cloudwatch.IMetric>,
    spendThreshold: number,
    webAclName: string,
  ): cloudwatch.Dashboard {
    const stack = Stack.of(this.node.scope as Construct);
    const hour = Duration.hours(1);
    const graph = (title: string, left: cloudwatch.IMetric[], width = 8, leftAnnotations?: cloudwatch.HorizontalAnnotation[]): cloudwatch.GraphWidget =>
      new cloudwatch.GraphWidget({ title, left, width, height: 6, ...(leftAnnotations ? { leftAnnotations } : {}) });
    /** Every series of a business metric, by its dimension (whatever values appear). */
    const byDimension = (name: MetricName, dimension: string, label: string): cloudwatch.MathExpression =>
      new cloudwatch.MathExpression({ expression: `SEARCH('{${METRICS_NAMESPACE},${dimension}} MetricName="${name}"', 'Sum', 3600)`, label, period: hour });
    const count = (name: MetricName, label: string): cloudwatch.Metric => dmpMetric(name, 'Sum', hour).with({ label });

    return new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `${stack.stackName}-operations`,
      defaultInterval: Duration.days(1),
      widgets: [
        [
          new cloudwatch.TextWidget({
            markdown: `# DMP (${settings.environment}): service health\nAlarms go to the operations topic; what to do is in docs/RUNBOOK.md.`,
            width: 24,
            height: 2,
          }),
        ],
        [
          graph(
            'API 5xx rate by capability (%)',
            CAPABILITIES.map(({ name }) => serverErrorRate(name)),
            8,
            [{ value: settings.alarms.api5xxRatePercent, label: 'alarm' }],
          ),
          graph(
            'API p99 duration by capability (ms)',
            CAPABILITIES.map(({ name }) => api.functions[name as Capability].metricDuration({ statistic: 'p99', period: FIVE_MINUTES, label: name })),
            8,
            [{ value: settings.alarms.apiP99LatencyMs, label: 'alarm' }],
          ),
          graph('API Gateway: requests, 4xx, 5xx', [
            api.restApi.deploymentStage.metricCount({ period: FIVE_MINUTES }),
            api.restApi.deploymentStage.metricClientError({ statistic: 'Sum', period: FIVE_MINUTES }),
            api.restApi.deploymentStage.metricServerError({ statistic: 'Sum', period: FIVE_MINUTES }),
          ]),
        ],
        [
          graph(
            'Lambda errors by function',
            functions.map((fn) => fn.metricErrors({ statistic: 'Sum', period: FIVE_MINUTES, label: subjectOf(fn) })),
            12,
          ),
          graph(
            'Lambda throttles by function',
            functions.map((fn) => fn.metricThrottles({ statistic: 'Sum', period: FIVE_MINUTES, label: subjectOf(fn) })),
            12,
          ),
        ],
        [
          graph(
            'Dead letters (messages waiting)',
            deadLetters.map((q) => q.metricApproximateNumberOfMessagesVisible({ statistic: 'Maximum', period: FIVE_MINUTES, label: subjectOf(q) })),
            6,
          ),
          graph('Outbox: oldest due notification (s)', [dmpMetric('OutboxOldestDueAgeSeconds', 'Maximum', FIVE_MINUTES)], 6, [
            { value: settings.alarms.outboxOldestAgeSeconds, label: 'alarm' },
          ]),
          graph('Claims import: oldest waiting object (s)', [jobs.claimsImport.queue.metricApproximateAgeOfOldestMessage({ statistic: 'Maximum', period: FIVE_MINUTES })], 6),
          graph(
            'DynamoDB throttles, KMS throttles',
            [
              new cloudwatch.MathExpression({
                expression: Object.keys(throttleMetrics).join(' + '),
                usingMetrics: throttleMetrics,
                label: 'DynamoDB throttled',
                period: FIVE_MINUTES,
              }),
              dmpMetric('KmsThrottled', 'Sum', FIVE_MINUTES).with({ label: 'KMS throttled' }),
            ],
            6,
          ),
        ],
        [
          graph('WAF blocked requests', [
            new cloudwatch.Metric({
              namespace: 'AWS/WAFV2',
              metricName: 'BlockedRequests',
              dimensionsMap: { WebACL: webAclName, Region: stack.region, Rule: 'ALL' },
              statistic: 'Sum',
              period: FIVE_MINUTES,
            }),
          ]),
          graph('SMS: month-to-date spend (USD)', [new cloudwatch.Metric({ namespace: 'AWS/SNS', metricName: 'SMSMonthToDateSpentUSD', statistic: 'Maximum', period: hour })], 8, [
            { value: spendThreshold, label: 'alarm' },
            { value: Number(settings.smsMonthlySpendLimitUsd), label: 'cap' },
          ]),
          graph('SMS sent by kind (per hour)', [byDimension('SmsSent', 'Kind', 'SMS sent')]),
        ],
        [new cloudwatch.TextWidget({ markdown: '# Business figures (per hour)', width: 24, height: 1 })],
        [
          graph('DMPs created by channel', [byDimension('RecordsCreated', 'Channel', 'created')]),
          graph('Patient logins and lockouts', [count('Logins', 'logins'), count('Lockouts', 'attempts refused by a lock')]),
          graph('Deposits, emergency accesses, claim lines imported', [
            count('DocumentsDeposited', 'documents deposited'),
            count('EmergencyAccesses', 'emergency accesses'),
            count('ClaimLinesImported', 'claim lines imported'),
          ]),
        ],
      ],
    });
  }
}

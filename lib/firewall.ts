/**
 * The API's web application firewall (WAFv2, regional): AWS managed rule groups against known
 * bad inputs, common exploits and addresses of bad reputation, and a per-address rate limit that
 * answers like the API does (429, Retry-After, a problem document). Blocked and counted requests
 * are logged, bearer tokens redacted.
 */
import { ArnFormat, Stack } from 'aws-cdk-lib';
import type * as apigw from 'aws-cdk-lib/aws-apigateway';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as wafv2 from 'aws-cdk-lib/aws-wafv2';
import { Construct } from 'constructs';
import type { LogSettings } from './dmp-function.ts';

/**
 * Requests per address per 5 minutes. Pharmacies and hospitals often reach us through one
 * address for a whole site, hence a generous limit; the stage's throttling protects the service.
 */
const RATE_LIMIT_PER_5_MINUTES = 3000;
/**
 * Patient login and code checks per address per 5 minutes, at the edge, before any function runs:
 * bounds password guessing and SMS sending from one address (the functions also lock accounts and
 * sources, in the table).
 */
const LOGIN_LIMIT_PER_5_MINUTES = 100;

// Sampled requests would show operators full requests, bearer tokens included: off.
const visibility = (metricName: string): wafv2.CfnWebACL.VisibilityConfigProperty => ({
  cloudWatchMetricsEnabled: true,
  metricName,
  sampledRequestsEnabled: false,
});

const managedRuleGroup = (name: string, priority: number, ruleActionOverrides?: wafv2.CfnWebACL.RuleActionOverrideProperty[]): wafv2.CfnWebACL.RuleProperty => ({
  name,
  priority,
  overrideAction: { none: {} },
  statement: { managedRuleGroupStatement: { vendorName: 'AWS', name, ...(ruleActionOverrides ? { ruleActionOverrides } : {}) } },
  visibilityConfig: visibility(name),
});

export interface FirewallProps {
  stage: apigw.Stage;
  logs: LogSettings;
}

export class Firewall extends Construct {
  readonly webAcl: wafv2.CfnWebACL;

  constructor(scope: Construct, id: string, props: FirewallProps) {
    super(scope, id);
    const stack = Stack.of(this);

    const webAcl = new wafv2.CfnWebACL(this, 'WebAcl', {
      scope: 'REGIONAL',
      description: 'DMP API: managed rule groups and a per-address rate limit',
      defaultAction: { allow: {} },
      visibilityConfig: visibility('dmp-api'),
      customResponseBodies: {
        'rate-limited': {
          contentType: 'APPLICATION_JSON',
          content: JSON.stringify({
            type: 'urn:dmp:problem:rate-limited',
            title: 'Too many requests',
            status: 429,
            detail: 'Too many requests from this address. Retry after the delay given by Retry-After.',
          }),
        },
      },
      rules: [
        {
          name: 'RateLimitPerAddress',
          priority: 0,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'rate-limited',
                responseHeaders: [{ name: 'Retry-After', value: '60' }],
              },
            },
          },
          statement: { rateBasedStatement: { limit: RATE_LIMIT_PER_5_MINUTES, aggregateKeyType: 'IP', evaluationWindowSec: 300 } },
          visibilityConfig: visibility('RateLimitPerAddress'),
        },
        {
          name: 'LoginRateLimitPerAddress',
          priority: 1,
          action: {
            block: {
              customResponse: {
                responseCode: 429,
                customResponseBodyKey: 'rate-limited',
                responseHeaders: [{ name: 'Retry-After', value: '300' }],
              },
            },
          },
          statement: {
            rateBasedStatement: {
              limit: LOGIN_LIMIT_PER_5_MINUTES,
              aggregateKeyType: 'IP',
              evaluationWindowSec: 300,
              scopeDownStatement: {
                byteMatchStatement: {
                  fieldToMatch: { uriPath: {} },
                  positionalConstraint: 'CONTAINS',
                  searchString: '/v1/auth/patient/',
                  textTransformations: [{ priority: 0, type: 'LOWERCASE' }],
                },
              },
            },
          },
          visibilityConfig: visibility('LoginRateLimitPerAddress'),
        },
        managedRuleGroup('AWSManagedRulesAmazonIpReputationList', 2),
        managedRuleGroup('AWSManagedRulesKnownBadInputsRuleSet', 3),
        // SizeRestrictions_BODY blocks bodies above 8 KB, yet records are created with up to 16 KiB
        // and documents will carry up to 4 MiB: each route's size limit is enforced by its function
        // (413), so that rule only counts.
        managedRuleGroup('AWSManagedRulesCommonRuleSet', 4, [{ name: 'SizeRestrictions_BODY', actionToUse: { count: {} } }]),
      ],
    });

    this.webAcl = webAcl;
    const association = new wafv2.CfnWebACLAssociation(this, 'Association', {
      resourceArn: props.stage.stageArn,
      webAclArn: webAcl.attrArn,
    });
    // The stage ARN is built from names, which gives CloudFormation no ordering: make it explicit.
    association.node.addDependency(props.stage);

    // WAF only logs to log groups whose name starts with aws-waf-logs-.
    const logGroup = new logs.LogGroup(this, 'Logs', {
      logGroupName: `aws-waf-logs-${stack.stackName}`,
      encryptionKey: props.logs.encryptionKey,
      retention: props.logs.retention,
    });
    new wafv2.CfnLoggingConfiguration(this, 'Logging', {
      resourceArn: webAcl.attrArn,
      // The log group's ARN without the ":*" suffix of its Arn attribute, as WAF wants it.
      logDestinationConfigs: [stack.formatArn({ service: 'logs', resource: 'log-group', resourceName: logGroup.logGroupName, arnFormat: ArnFormat.COLON_RESOURCE_NAME })],
      redactedFields: [{ singleHeader: { Name: 'authorization' } }],
      loggingFilter: {
        DefaultBehavior: 'DROP',
        Filters: [
          {
            Behavior: 'KEEP',
            Requirement: 'MEETS_ANY',
            Conditions: [{ ActionCondition: { Action: 'BLOCK' } }, { ActionCondition: { Action: 'COUNT' } }],
          },
        ],
      },
    });
  }
}

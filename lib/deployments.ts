/**
 * Safe deployments: every HTTP function (each capability's, and the authorizer) is invoked through
 * its `live` alias (lib/api.ts), and CodeDeploy moves that alias to a new version as the
 * environment says (a canary in prod: 10 % of requests first, the rest after some minutes without
 * an alarm; all at once in dev). During the shift, any of that function's alarms (errors,
 * throttles, and for a capability its 5xx rate and p99 latency, lib/operations.ts) rolls the alias
 * back to the previous version, without a redeploy. A deployment that fails or is stopped rolls
 * back too.
 *
 * Generated from the API's functions (from the route manifest): a capability added elsewhere gets
 * its deployment group without an edit here.
 */
import * as codedeploy from 'aws-cdk-lib/aws-codedeploy';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { Construct } from 'constructs';
import type { Api } from './api.ts';
import type { DmpFunction } from './dmp-function.ts';
import type { DeploymentStyle } from './environments.ts';
import type { Operations } from './operations.ts';

const CONFIGS: Record<DeploymentStyle, codedeploy.ILambdaDeploymentConfig> = {
  ALL_AT_ONCE: codedeploy.LambdaDeploymentConfig.ALL_AT_ONCE,
  CANARY_10PERCENT_5MINUTES: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_5MINUTES,
  CANARY_10PERCENT_10MINUTES: codedeploy.LambdaDeploymentConfig.CANARY_10PERCENT_10MINUTES,
  LINEAR_10PERCENT_EVERY_1MINUTE: codedeploy.LambdaDeploymentConfig.LINEAR_10PERCENT_EVERY_1MINUTE,
};

export interface DeploymentsProps {
  api: Api;
  operations: Operations;
  style: DeploymentStyle;
}

export class Deployments extends Construct {
  readonly application: codedeploy.LambdaApplication;
  /** One per HTTP function, by the function. */
  readonly groups = new Map<DmpFunction, codedeploy.LambdaDeploymentGroup>();

  constructor(scope: Construct, id: string, props: DeploymentsProps) {
    super(scope, id);
    const { api, operations } = props;
    this.application = new codedeploy.LambdaApplication(this, 'Application');
    const httpFunctions: [DmpFunction, lambda.Alias][] = [
      ...Object.entries(api.functions).map(([name, fn]): [DmpFunction, lambda.Alias] => [fn, api.aliases[name as keyof typeof api.aliases]]),
      [api.authorizerFunction, api.authorizerAlias],
    ];
    for (const [fn, alias] of httpFunctions) {
      const alarms = operations.functionAlarms.get(fn) ?? [];
      if (alarms.length === 0) throw new Error(`no alarm watches ${fn.node.path}: its deployments could not roll back`);
      this.groups.set(
        fn,
        new codedeploy.LambdaDeploymentGroup(this, fn.node.path.split('/').slice(1).join(''), {
          application: this.application,
          alias,
          deploymentConfig: CONFIGS[props.style],
          alarms,
          autoRollback: { failedDeployment: true, stoppedDeployment: true, deploymentInAlarm: true },
        }),
      );
    }
  }
}

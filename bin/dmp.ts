/**
 * The CDK app: the DMP stack of one environment (`-c env=dev|staging|prod`, lib/environments.ts) in
 * its account and region, checked by
 * cdk-nag's AWS Solutions and HIPAA Security rule packs at every synthesis. Findings the design
 * accepts are acknowledged, with their reasons, in lib/nag-acknowledgements.ts.
 */
import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks, HIPAASecurityChecks } from 'cdk-nag';
import { DmpStack } from '../lib/dmp-stack.ts';
import { readSettings } from '../lib/settings.ts';

const app = new App();
const settings = readSettings(app.node);
new DmpStack(app, 'Dmp', {
  description: 'DMP (Dossier Médical Partagé) backend',
  // The environment's account (always given in prod); else the CLI credentials' when there are
  // any (synthesis works without).
  env: { account: settings.account ?? process.env.CDK_DEFAULT_ACCOUNT, region: settings.region },
  settings,
});
Validations.of(app).addPlugins(new AwsSolutionsChecks(app), new HIPAASecurityChecks(app));

import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { HubStack } from './hub-stack.ts';

const app = new App();

const stage = z.enum(['dev', 'prod']).safeParse(app.node.tryGetContext('stage') ?? 'dev');
if (!stage.success)
  throw new Error(`-c stage must be dev or prod, got ${JSON.stringify(app.node.tryGetContext('stage'))}`);

new HubStack(app, `InventoryHub-${stage.data}`, {
  stage: stage.data,
  description: `Inventory webhook hub (${stage.data})`,
  // account and region come from the CLI's profile at deploy time; none are needed to synthesize
  env: { account: process.env.CDK_DEFAULT_ACCOUNT, region: process.env.CDK_DEFAULT_REGION },
});

// cdk-nag 3 is a policy-validation plugin: synth fails on an unacknowledged error and lists
// warnings. Acknowledgements live next to the resources they concern (hub-stack.ts, hub-function.ts).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

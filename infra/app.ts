import { App, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { z } from 'zod';
import { HubStack } from './hub-stack.ts';

// aws-cdk-lib writes "Bundling asset <construct path>..." to stderr for every function it bundles,
// with no option to turn it off (not even `cdk synth -q`): seven lines of progress on each synth.
// Only that exact progress line is dropped; anything else on stderr (esbuild's warnings and errors,
// cdk-nag, exceptions) passes through unchanged.
const stderrWrite = process.stderr.write.bind(process.stderr);
process.stderr.write = ((chunk: string | Uint8Array, ...rest: never[]) =>
  typeof chunk === 'string' && /^Bundling asset [^\n]*\.\.\.\n$/.test(chunk)
    ? true
    : stderrWrite(chunk, ...rest)) as typeof process.stderr.write;

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

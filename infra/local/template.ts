import { App } from 'aws-cdk-lib';
import { HubStack, type HubStage } from '../hub-stack.ts';

export interface SynthHubTemplateOptions {
  stage?: HubStage;
  /** Extra cdk context, as `-c key=value` would give (e.g. `{ spapiQueue: false }`). */
  context?: Record<string, unknown>;
}

// biome-ignore lint/suspicious/noExplicitAny: a CloudFormation template is untyped JSON
type Template = Record<string, any>;

const cache = new Map<string, Template>();

/**
 * The hub's CloudFormation template, synthesized in-process the way `cdk synth` would but without
 * bundling the functions (nothing here needs their code) and without CDK's built-in template
 * validation (it takes seconds and `cdk synth` runs it anyway). Memoized per options: the local
 * runner and tests ask for it repeatedly and the stack does not change within a process.
 */
export function synthHubTemplate(opts: SynthHubTemplateOptions = {}): Template {
  const stage = opts.stage ?? 'dev';
  const key = JSON.stringify([stage, opts.context ?? {}]);
  const hit = cache.get(key);
  // a copy, so a caller that edits its template cannot change what the next caller gets
  if (hit) return structuredClone(hit);
  const app = new App({
    context: { ...opts.context, stage, 'aws:cdk:bundling-stacks': [] },
    builtinCloudFormationValidation: false,
  });
  const stack = new HubStack(app, `InventoryHub-${stage}`, { stage });
  const template = app.synth().getStackByName(stack.stackName).template as Template;
  cache.set(key, template);
  return structuredClone(template);
}

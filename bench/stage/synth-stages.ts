/**
 * The CloudFormation templates of the app's dev and prod stages, synthesized in-process the
 * way the infra tests do (test/infra/support/pipeline-app.ts): the real StaysyncStack with
 * the stage data of infra/config/stages.ts, bundling skipped (the model reads resources,
 * not code).
 */
import { App } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stages } from '../../infra/config/stages.js';
import { StaysyncStack } from '../../infra/stacks/staysync-stack.js';

export type CfnTemplate = {
  readonly Resources: Readonly<
    Record<string, { readonly Type: string; readonly Properties?: Record<string, unknown> }>
  >;
};

export function synthStageTemplates(
  names: readonly string[] = ['dev', 'prod'],
): Record<string, CfnTemplate> {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const stacks = names.map((name) => {
    const stage = stages[name];
    if (stage === undefined) throw new Error(`infra/config/stages.ts has no stage ${name}`);
    return [name, new StaysyncStack(app, `staysync-${name}`, { stage })] as const;
  });
  return Object.fromEntries(
    stacks.map(([name, stack]) => [name, Template.fromStack(stack).toJSON() as CfnTemplate]),
  );
}

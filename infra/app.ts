import { App, Tags, Validations } from 'aws-cdk-lib';
import { AwsSolutionsChecks } from 'cdk-nag';
import { stages } from './config/stages.js';
import { StaysyncStack } from './stacks/staysync-stack.js';

// Thin on purpose: stages are data (config/stages.ts), the pipeline is the SyncPipeline
// construct. `-c stage=<name>` synthesizes one stage; without it, every stage.
const app = new App();
const only = app.node.tryGetContext('stage') as string | undefined;
if (only !== undefined && stages[only] === undefined) {
  throw new Error(
    `staysync: unknown stage ${JSON.stringify(only)}; known: ${Object.keys(stages).join(', ')}`,
  );
}
for (const [name, stage] of Object.entries(stages)) {
  if (only !== undefined && name !== only) continue;
  const stack = new StaysyncStack(app, `staysync-${name}`, { stage });
  Tags.of(stack).add('project', 'staysync');
  Tags.of(stack).add('stage', name);
}
// cdk-nag findings fail the synth (DESIGN §7: the plugin form, not Aspects).
Validations.of(app).addPlugins(new AwsSolutionsChecks(app));

import { App, Stack, Validations } from 'aws-cdk-lib';
import * as sqs from 'aws-cdk-lib/aws-sqs';
import { AwsSolutionsChecks } from 'cdk-nag';
import { describe, expect, it } from 'vitest';
import { stages } from '../../../infra/config/stages.js';
import { StaysyncStack } from '../../../infra/stacks/staysync-stack.js';
import { importedStage } from '../support/pipeline-app.js';

// Bundling is skipped: cdk-nag reads the templates, not the zips.
const newApp = () => new App({ context: { 'aws:cdk:bundling-stacks': [] } });

describe('cdk-nag AwsSolutionsChecks', () => {
  it('reports no unsuppressed finding on any stage, and every suppression carries a reason', () => {
    const app = newApp();
    const all = [...Object.values(stages), importedStage];
    for (const stage of all) new StaysyncStack(app, `staysync-${stage.stageName}`, { stage });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    // A finding without suppression makes synth throw, listing the findings.
    expect(() => app.synth()).not.toThrow();

    const acks = app.node
      .findAll()
      .flatMap((c) =>
        c.node.metadata.filter((m) => m.type === Validations.ACKNOWLEDGED_RULES_METADATA_KEY),
      )
      // Each acknowledgment is recorded as { [ruleId]: reason }.
      .flatMap((m) => Object.entries(m.data as Record<string, string>))
      // aws-cdk-lib records some acknowledgments of its own (CloudFormation-Validate::*).
      .filter(([id]) => id.startsWith('AwsSolutions::'));
    expect(acks.length).toBeGreaterThan(0);
    for (const [, reason] of acks) {
      expect(reason.length).toBeGreaterThan(40);
    }
  });

  it('fails the synth on a finding nobody suppressed (the check is live)', () => {
    const app = newApp();
    const stack = new Stack(app, 'control');
    new sqs.Queue(stack, 'Unencrypted', { encryption: sqs.QueueEncryption.UNENCRYPTED });
    Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
    expect(() => app.synth()).toThrow(/AwsSolutions-SQS2/);
  });
});

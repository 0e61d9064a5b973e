import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { readClaimsConfig } from '../../../functions/claims/config.js';
import { EnvVar } from '../../../functions/contract/index.js';
import { readTransfersConfig } from '../../../functions/transfers/config.js';
import type { StageConfig } from '../../../infra/config/types.js';
import { validatePipelineSettings } from '../../../infra/config/validate.js';
import { StaysyncStack } from '../../../infra/stacks/staysync-stack.js';
import { importedStage, logicalIdOf } from '../support/pipeline-app.js';

// Issue 20 item 4: SyncPipeline `claims` and `transfers` wire each processor's table,
// function, mapping, producer grant and variables; cdk-nag stays clean.
const stage: StageConfig = {
  ...importedStage,
  stageName: 'cons',
  topics: [
    ...importedStage.topics,
    { name: 'claims', partitions: 6, versioning: 'log' },
    { name: 'claim-decisions', partitions: 6, versioning: 'log' },
    { name: 'transfers', partitions: 6, versioning: 'log' },
  ],
  claims: { requestsTopic: 'claims', decisionsTopic: 'claim-decisions', batchSize: 50 },
  transfers: { topic: 'transfers' },
};

let stack: StaysyncStack;
let template: Template;
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  stack = new StaysyncStack(app, 'staysync-cons', { stage });
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // cdk-nag findings without a suppression make synth throw.
  app.synth();
  template = Template.fromStack(stack);
});

const processor = (kind: 'claims' | 'transfers') => {
  const p = stack.pipeline.processors.get(kind);
  if (p === undefined) throw new Error(`no ${kind} processor`);
  return p;
};
const CLUSTER = importedStage.kafka.mode === 'imported' ? importedStage.kafka.clusterArn : '';

describe('the claims processor', () => {
  it('consumes the requests topic with its own consumer group and the stage mapping settings', () => {
    const fn = logicalIdOf(stack, processor('claims').function.functionName);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn },
      Topics: ['claims'],
      BatchSize: 50,
      StartingPosition: 'TRIM_HORIZON',
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'staysync-cons-claims-claims' },
      ProvisionedPollerConfig: Match.objectLike({ PollerGroupName: 'staysync-cons' }),
    });
  });

  it('gets its table, the decisions topic, the ledger and the cluster through its variables', () => {
    const claims = processor('claims');
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [EnvVar.sinkName]: 'claims',
          [EnvVar.claimsTable]: { Ref: logicalIdOf(stack, claims.table.tableName) },
          [EnvVar.claimDecisionsTopic]: 'claim-decisions',
          [EnvVar.ledgerTable]: Match.anyValue(),
          [EnvVar.quarantineBucket]: Match.anyValue(),
          [EnvVar.mskClusterArn]: CLUSTER,
          [EnvVar.pipeline]: JSON.stringify({ topics: { claims: { versioning: 'log' } } }),
        }),
      },
    });
  });

  it('may produce to the decisions topic only', () => {
    const role = logicalIdOf(stack, processor('claims').function.role?.roleArn ?? '');
    const policies = template.findResources('AWS::IAM::Policy', {
      Properties: { Roles: [{ Ref: role }] },
    });
    const statements = Object.values(policies).flatMap(
      (p) =>
        (p as { Properties: { PolicyDocument: { Statement: unknown[] } } }).Properties
          .PolicyDocument.Statement,
    ) as Array<{ Action: string | string[]; Resource: unknown }>;
    const writes = statements.filter((s) => [s.Action].flat().includes('kafka-cluster:WriteData'));
    expect(writes).toHaveLength(1);
    expect(JSON.stringify(writes[0]?.Resource)).toContain('claim-decisions');
  });
});

describe('the transfers processor', () => {
  it('consumes and produces its own topic, with a balances table', () => {
    const transfers = processor('transfers');
    const fn = logicalIdOf(stack, transfers.function.functionName);
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: fn },
      Topics: ['transfers'],
      BatchSize: 100,
      AmazonManagedKafkaEventSourceConfig: {
        ConsumerGroupId: 'staysync-cons-transfers-transfers',
      },
    });
    template.hasResourceProperties('AWS::Lambda::Function', {
      Environment: {
        Variables: Match.objectLike({
          [EnvVar.sinkName]: 'transfers',
          [EnvVar.balancesTable]: { Ref: logicalIdOf(stack, transfers.table.tableName) },
        }),
      },
    });
  });
});

describe('the synthesized environment', () => {
  /** The function's variables, references replaced by what CloudFormation puts there. */
  const envOf = (fn: string): NodeJS.ProcessEnv => {
    const f = template.findResources('AWS::Lambda::Function')[fn] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    return Object.fromEntries(
      Object.entries(f.Properties.Environment.Variables).map(([k, v]) => [
        k,
        typeof v === 'string' ? v : 'resolved-at-deploy',
      ]),
    );
  };

  it('is what each processor reads at its cold start', () => {
    const claims = readClaimsConfig(
      envOf(logicalIdOf(stack, processor('claims').function.functionName)),
    );
    expect(claims).toMatchObject({
      sinkName: 'claims',
      decisionsTopic: 'claim-decisions',
      kafka: { auth: 'msk-iam', clusterArn: CLUSTER, region: 'eu-west-1' },
    });
    const transfers = readTransfersConfig(
      envOf(logicalIdOf(stack, processor('transfers').function.functionName)),
    );
    expect(transfers).toMatchObject({ sinkName: 'transfers', kafka: { auth: 'msk-iam' } });
  });
});

describe('claims and transfers settings', () => {
  it('are refused when they name a topic the stage does not have', () => {
    expect(() =>
      validatePipelineSettings({
        ...stage,
        claims: { requestsTopic: 'claims', decisionsTopic: 'nope' },
        transfers: { topic: 'claims' },
      }),
    ).toThrow(
      /claims.decisionsTopic names "nope"[\s\S]*transfers.topic must be a topic of its own/,
    );
  });
});

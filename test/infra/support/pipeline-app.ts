import { App, Stack } from 'aws-cdk-lib';
import { Template } from 'aws-cdk-lib/assertions';
import { stages } from '../../../infra/config/stages.js';
import type { StageConfig } from '../../../infra/config/types.js';
import { StaysyncStack } from '../../../infra/stacks/staysync-stack.js';

/** An imported-cluster stage: the third way to get MSK, exercised by the tests only. */
export const importedStage: StageConfig = {
  stageName: 'imp',
  kafka: {
    mode: 'imported',
    clusterArn:
      'arn:aws:kafka:eu-west-1:123456789012:cluster/shared-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2',
    vpcId: 'vpc-0123456789abcdef0',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
    privateSubnetIds: ['subnet-0aaaaaaaaaaaaaaa1', 'subnet-0bbbbbbbbbbbbbbb2'],
    privateRouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0bbbbbbbbbbbbbbb2'],
    securityGroupId: 'sg-0123456789abcdef0',
  },
  env: {
    account: '123456789012',
    region: 'eu-west-1',
    availabilityZones: ['eu-west-1a', 'eu-west-1b'],
  },
  topics: [
    { name: 'orders', partitions: 12, versioning: 'source', removalPolicy: 'delete' },
    { name: 'ledger-log', partitions: 4, versioning: 'log', retentionHours: -1, compaction: true },
  ],
  sinks: {
    dynamodb: {
      topics: ['orders', 'ledger-log'],
      batchSize: 250,
      batchingWindowSeconds: 5,
      pollers: { minimum: 2, maximum: 8 },
      retryAttempts: 5,
      maxRecordAgeSeconds: 86_400,
    },
    's3-archive': { topics: ['orders'] },
  },
  alarms: {
    alarmTopicArn: 'arn:aws:sns:eu-west-1:123456789012:ops-alerts',
    offsetLagThreshold: 777,
  },
};

/**
 * The app's stages plus the imported one, synthesized once per test file. Bundling is
 * skipped (`aws:cdk:bundling-stacks: []`): template assertions need the resources, not
 * the zip; the `cdk synth` test bundles for real. Entries must still exist.
 */
export function synthTemplates(): Record<
  'dev' | 'prod' | 'imp',
  { stack: StaysyncStack; template: Template }
> {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const dev = stages.dev;
  const prod = stages.prod;
  if (dev === undefined || prod === undefined)
    throw new Error('infra/config/stages.ts must define dev and prod');
  // Every stack first: the app synthesizes once, at the first Template.fromStack.
  const stacks = [dev, prod, importedStage].map(
    (stage) => new StaysyncStack(app, `staysync-${stage.stageName}`, { stage }),
  );
  const [d, p, i] = stacks.map((stack) => ({ stack, template: Template.fromStack(stack) }));
  if (d === undefined || p === undefined || i === undefined) throw new Error('unreachable');
  return { dev: d, prod: p, imp: i };
}

/** Resolves `{ Ref }`/`{ Fn::GetAtt }` shapes to the logical id they point at. */
export const logicalIdOf = (stack: Stack, token: string): string => {
  const r = Stack.of(stack).resolve(token) as { Ref?: string; 'Fn::GetAtt'?: [string, string] };
  const id = r.Ref ?? r['Fn::GetAtt']?.[0];
  if (id === undefined) throw new Error(`not a resource reference: ${JSON.stringify(r)}`);
  return id;
};

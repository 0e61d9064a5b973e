import { App, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { AwsSolutionsChecks } from 'cdk-nag';
import { beforeAll, describe, expect, it } from 'vitest';
import { EnvVar } from '../../../functions/contract/index.js';
import { parseRelaySource } from '../../../functions/relay-dynamodb-streams/source.js';
import { stages } from '../../../infra/config/stages.js';
import type { StageConfig } from '../../../infra/config/types.js';
import { StaysyncStack } from '../../../infra/stacks/staysync-stack.js';
import { importedStage, logicalIdOf } from '../support/pipeline-app.js';

// Issue 18 item 2: SyncPipeline `sources` wire the relay function, its DynamoDB stream
// mapping, its grants and its IteratorAge alarm.
const CLUSTER =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/shared-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2';
const TABLE = 'arn:aws:dynamodb:eu-west-1:123456789012:table/shop';
const STREAM = `${TABLE}/stream/2026-11-26T10:00:00.000`;

/** The imported-cluster stage relaying an existing table's outbox into `orders`. */
const outboxStage: StageConfig = {
  ...importedStage,
  stageName: 'rel',
  sources: [
    {
      name: 'shop-outbox',
      table: { tableArn: TABLE, tableStreamArn: STREAM },
      mode: 'outbox',
      topic: 'orders',
      batchSize: 50,
      retryAttempts: 3,
      maxRecordAgeSeconds: 3600,
    },
  ],
};

type Synth = { stack: StaysyncStack; template: Template };
let dev: Synth;
let rel: Synth;
beforeAll(() => {
  const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
  const devStage = stages.dev;
  if (devStage === undefined) throw new Error('no dev stage');
  const stacks = [devStage, outboxStage].map(
    (stage) => new StaysyncStack(app, `staysync-${stage.stageName}`, { stage }),
  );
  Validations.of(app).addPlugins(new AwsSolutionsChecks(app));
  // cdk-nag findings without a suppression make synth throw.
  app.synth();
  [dev, rel] = stacks.map((stack) => ({ stack, template: Template.fromStack(stack) })) as [
    Synth,
    Synth,
  ];
});

const relayOf = (s: Synth, name: string) => {
  const relay = s.stack.pipeline.relays.get(name);
  if (relay === undefined) throw new Error(`no relay ${name}`);
  return relay;
};

type Statement = { Action: string | string[]; Resource: unknown };
const statementsOf = (s: Synth, name: string): Statement[] => {
  const roleArn = relayOf(s, name).function.role?.roleArn ?? '';
  const policies = s.template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: logicalIdOf(s.stack, roleArn) }] },
  });
  return Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
        .PolicyDocument.Statement,
  );
};
const actions = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);

describe('a created source table (dev)', () => {
  it('creates the table with a NEW_AND_OLD_IMAGES stream under its fixed name', () => {
    dev.template.hasResourceProperties('AWS::DynamoDB::Table', {
      TableName: 'staysync-dev-customers',
      KeySchema: [{ AttributeName: 'customerId', KeyType: 'HASH' }],
      StreamSpecification: { StreamViewType: 'NEW_AND_OLD_IMAGES' },
      BillingMode: 'PAY_PER_REQUEST',
    });
  });

  it("gives the relay exactly its variables; the source is what the relay's parser reads", () => {
    const relay = relayOf(dev, 'customers');
    const fnId = logicalIdOf(dev.stack, relay.function.functionName);
    const fn = dev.template.toJSON().Resources[fnId] as {
      Properties: { Environment: { Variables: Record<string, unknown> } };
    };
    const vars = fn.Properties.Environment.Variables;
    expect(Object.keys(vars).sort()).toEqual(
      [
        EnvVar.mskClusterArn,
        EnvVar.quarantineBucket,
        EnvVar.relayName,
        EnvVar.relaySource,
        'NODE_OPTIONS',
      ].sort(),
    );
    expect(parseRelaySource(String(vars[EnvVar.relaySource]), EnvVar.relaySource)).toEqual({
      mode: 'cdc',
      table: 'staysync-dev-customers',
      topic: 'customer-changes',
      entity: 'customer',
      keyAttributes: ['customerId'],
      versionAttribute: 'version',
      ttlDeletes: 'delete',
    });
    expect(vars[EnvVar.mskClusterArn]).toEqual(
      dev.stack.resolve(dev.stack.pipeline.cluster.clusterArn),
    );
  });

  it('maps the stream with partial batch responses, bisect, retries and the S3 on-failure destination', () => {
    const { stack, template } = dev;
    const relay = relayOf(dev, 'customers');
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(stack, relay.function.functionName) },
      EventSourceArn: { 'Fn::GetAtt': [logicalIdOf(stack, relay.table.tableArn), 'StreamArn'] },
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 100,
      MaximumRetryAttempts: 10,
      MaximumRecordAgeInSeconds: Match.absent(),
      BisectBatchOnFunctionError: true,
      ParallelizationFactor: 1,
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [logicalIdOf(stack, stack.pipeline.buckets.failures.bucketArn), 'Arn'],
          },
        },
      },
    });
  });

  it('alarms on the documented IteratorAge of the relay function', () => {
    const relay = relayOf(dev, 'customers');
    dev.template.hasResourceProperties('AWS::CloudWatch::Alarm', {
      Namespace: 'AWS/Lambda',
      MetricName: 'IteratorAge',
      Dimensions: [
        {
          Name: 'FunctionName',
          Value: { Ref: logicalIdOf(dev.stack, relay.function.functionName) },
        },
      ],
      Statistic: 'Maximum',
      Threshold: 300_000,
      TreatMissingData: 'notBreaching',
    });
  });

  it('starts the relay after its topic exists', () => {
    const relay = relayOf(dev, 'customers');
    const fnId = logicalIdOf(dev.stack, relay.function.functionName);
    const topicId = logicalIdOf(
      dev.stack,
      dev.stack.pipeline.topicProvisioning.resourceOf('customer-changes').ref,
    );
    const fn = dev.template.toJSON().Resources[fnId] as { DependsOn?: string[] };
    expect(fn.DependsOn).toContain(topicId);
  });
});

describe('an imported source table (imported cluster, outbox)', () => {
  it('produces idempotently to exactly its topic and looks the brokers up on its cluster only', () => {
    const st = statementsOf(rel, 'shop-outbox');
    const kafka = st.filter((s) => actions(s).some((a) => a.startsWith('kafka')));
    expect(kafka.map((s) => ({ actions: actions(s).sort(), resource: s.Resource }))).toEqual([
      {
        actions: [
          'kafka-cluster:Connect',
          'kafka-cluster:WriteDataIdempotently',
          'kafka:GetBootstrapBrokers',
        ],
        resource: CLUSTER,
      },
      {
        actions: ['kafka-cluster:DescribeTopic', 'kafka-cluster:WriteData'],
        resource: `arn:aws:kafka:eu-west-1:123456789012:topic/shared-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2/orders`,
      },
    ]);
  });

  it('reads the imported stream by its ARN and writes failures with PutObject and ListBucket only', () => {
    const st = statementsOf(rel, 'shop-outbox');
    const stream = st.find((s) => actions(s).includes('dynamodb:GetRecords'));
    expect(stream?.Resource).toEqual(STREAM);
    const failures = rel.stack.resolve(rel.stack.pipeline.buckets.failures.bucketArn);
    const onFailure = st.filter((s) =>
      JSON.stringify(s.Resource).includes(JSON.stringify(failures)),
    );
    expect(onFailure.flatMap(actions).sort()).toEqual(['s3:ListBucket', 's3:PutObject']);
    rel.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      EventSourceArn: STREAM,
      BatchSize: 50,
      MaximumRetryAttempts: 3,
      MaximumRecordAgeInSeconds: 3600,
    });
  });
});

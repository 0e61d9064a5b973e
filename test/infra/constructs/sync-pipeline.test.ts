import { App } from 'aws-cdk-lib';
import { Annotations, Match, Template } from 'aws-cdk-lib/assertions';
import { beforeAll, describe, expect, it } from 'vitest';
import { stages } from '../../../infra/config/stages.js';
import type { StageConfig } from '../../../infra/config/types.js';
import { StaysyncStack } from '../../../infra/stacks/staysync-stack.js';
import { logicalIdOf, synthTemplates } from '../support/pipeline-app.js';

type Synth = ReturnType<typeof synthTemplates>;
let s: Synth;
beforeAll(() => {
  s = synthTemplates();
});

const CLUSTER =
  'arn:aws:kafka:eu-west-1:123456789012:cluster/shared-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2';
const dataArn = (kind: 'topic' | 'group', name: string) =>
  `arn:aws:kafka:eu-west-1:123456789012:${kind}/shared-msk/0a1b2c3d-4e5f-6789-abcd-ef0123456789-2/${name}`;

type Statement = {
  Action: string | string[];
  Resource: unknown;
  Effect: string;
  Condition?: unknown;
};
const actionsOf = (st: Statement) => (Array.isArray(st.Action) ? st.Action : [st.Action]);
const resourcesOf = (st: Statement) => (Array.isArray(st.Resource) ? st.Resource : [st.Resource]);

/** The statements of the default policy of a function's role. */
function statementsOf(
  stack: StaysyncStack,
  template: Template,
  fn: { role?: { roleName: string } | undefined },
): Statement[] {
  const roleId = logicalIdOf(stack, (fn.role as unknown as { roleArn: string }).roleArn);
  const policies = template.findResources('AWS::IAM::Policy', {
    Properties: { Roles: [{ Ref: roleId }] },
  });
  return Object.values(policies).flatMap(
    (p) =>
      (p as { Properties: { PolicyDocument: { Statement: Statement[] } } }).Properties
        .PolicyDocument.Statement,
  );
}

const sinkFn = (stack: StaysyncStack, kind: 'dynamodb' | 'opensearch' | 's3-archive') => {
  const sink = stack.pipeline.sinks.get(kind);
  if (sink === undefined) throw new Error(`no ${kind} sink`);
  return sink.function;
};

describe('synthesis', () => {
  it('needs no context lookup (they would need AWS credentials) and reports no error annotation', () => {
    for (const { stack } of Object.values(s)) {
      Annotations.fromStack(stack).hasNoError('*', Match.anyValue());
    }
  });
});

describe('event source mappings', () => {
  it('creates one MSK mapping per topic and sink with the configured stream settings', () => {
    const { stack, template } = s.imp;
    template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      FunctionName: { Ref: logicalIdOf(stack, sinkFn(stack, 'dynamodb').functionName) },
      EventSourceArn: CLUSTER,
      Topics: ['orders'],
      StartingPosition: 'TRIM_HORIZON',
      BatchSize: 250,
      MaximumBatchingWindowInSeconds: 5,
      ProvisionedPollerConfig: { MinimumPollers: 2, MaximumPollers: 8 },
      FunctionResponseTypes: ['ReportBatchItemFailures'],
      MaximumRetryAttempts: 5,
      MaximumRecordAgeInSeconds: 86_400,
      BisectBatchOnFunctionError: true,
      AmazonManagedKafkaEventSourceConfig: { ConsumerGroupId: 'staysync-imp-dynamodb-orders' },
      DestinationConfig: {
        OnFailure: {
          Destination: {
            'Fn::GetAtt': [logicalIdOf(stack, stack.pipeline.buckets.failures.bucketArn), 'Arn'],
          },
        },
      },
    });
    expect(Object.keys(template.findResources('AWS::Lambda::EventSourceMapping'))).toHaveLength(3);
    const devMappings = Object.values(
      s.dev.template.findResources('AWS::Lambda::EventSourceMapping'),
    ) as { Properties: { Topics?: string[] } }[];
    // 6 MSK mappings (sink × topic), the claims and transfers mappings, and the relay's
    // DynamoDB stream mapping.
    expect(devMappings.filter((m) => m.Properties.Topics !== undefined)).toHaveLength(8);
    expect(devMappings).toHaveLength(9);
  });

  it('sends discarded batches to the failure bucket and starts each mapping after its topic exists', () => {
    const { stack, template } = s.imp;
    const failureBucket = logicalIdOf(stack, stack.pipeline.buckets.failures.bucketArn);
    const mappings = Object.values(template.findResources('AWS::Lambda::EventSourceMapping')) as {
      Properties: { Topics: string[]; DestinationConfig: unknown };
      DependsOn?: string[];
    }[];
    for (const m of mappings) {
      expect(JSON.stringify(m.Properties.DestinationConfig)).toContain(failureBucket);
      const topic = m.Properties.Topics[0] ?? '';
      const topicResource = logicalIdOf(
        stack,
        stack.pipeline.topicProvisioning.resourceOf(topic).ref,
      );
      expect(m.DependsOn).toContain(topicResource);
    }
  });

  it('uses defaults that never skip records: infinite record age unless configured', () => {
    s.dev.template.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
      Topics: ['audit-events'],
      MaximumRecordAgeInSeconds: Match.absent(),
      MaximumRetryAttempts: 10,
      BatchSize: 2000,
      MaximumBatchingWindowInSeconds: 30,
    });
  });
});

describe('IAM grants', () => {
  it('scopes the Kafka data-plane permissions to the cluster, its topics and the consumer groups', () => {
    const { stack, template } = s.imp;
    const st = statementsOf(stack, template, sinkFn(stack, 'dynamodb'));
    const find = (action: string) => st.find((x) => actionsOf(x).includes(action));
    expect(resourcesOf(find('kafka-cluster:Connect') as Statement)).toEqual([CLUSTER]);
    expect(resourcesOf(find('kafka-cluster:ReadData') as Statement)).toEqual([
      dataArn('topic', 'orders'),
      dataArn('topic', 'ledger-log'),
    ]);
    expect(actionsOf(find('kafka-cluster:ReadData') as Statement)).toEqual([
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:ReadData',
    ]);
    expect(resourcesOf(find('kafka-cluster:AlterGroup') as Statement)).toEqual([
      dataArn('group', 'staysync-imp-dynamodb-orders'),
      dataArn('group', 'staysync-imp-dynamodb-ledger-log'),
    ]);
  });

  it('builds topic ARNs from the ARN of a created cluster, not a wildcard', () => {
    const { stack, template } = s.dev;
    const st = statementsOf(stack, template, sinkFn(stack, 'opensearch'));
    const read = st.find((x) => actionsOf(x).includes('kafka-cluster:ReadData')) as Statement;
    const text = JSON.stringify(read.Resource);
    expect(text).toContain(':topic/');
    expect(text).toContain('/customer-changes');
    expect(text).not.toContain('*');
  });

  it('lets the topic provisioner delete only topics whose removal policy is delete', () => {
    const { stack, template } = s.imp;
    const st = statementsOf(stack, template, stack.pipeline.topicProvisioning.function);
    const del = st.filter((x) => actionsOf(x).includes('kafka-cluster:DeleteTopic'));
    expect(del).toHaveLength(1);
    expect(resourcesOf(del[0] as Statement)).toEqual([dataArn('topic', 'orders')]);
    const create = st.find((x) => actionsOf(x).includes('kafka-cluster:CreateTopic')) as Statement;
    expect(resourcesOf(create)).toEqual([
      dataArn('topic', 'orders'),
      dataArn('topic', 'ledger-log'),
    ]);
    expect(
      resourcesOf(st.find((x) => actionsOf(x).includes('kafka:GetBootstrapBrokers')) as Statement),
    ).toEqual([CLUSTER]);
  });

  it('uses Resource "*" only for X-Ray and dynamodb:ListStreams, which have no resource-level permissions', () => {
    for (const { template } of Object.values(s)) {
      for (const policy of Object.values(template.findResources('AWS::IAM::Policy'))) {
        for (const st of (policy as { Properties: { PolicyDocument: { Statement: Statement[] } } })
          .Properties.PolicyDocument.Statement) {
          if (resourcesOf(st).includes('*')) {
            expect(
              actionsOf(st).every((a) => a.startsWith('xray:') || a === 'dynamodb:ListStreams'),
            ).toBe(true);
          }
        }
      }
    }
  });

  it('grants each table exactly the item actions the adapters use, on the table ARN', () => {
    const { stack, template } = s.dev;
    const st = statementsOf(stack, template, sinkFn(stack, 'dynamodb'));
    const ledgerArn = {
      'Fn::GetAtt': [logicalIdOf(stack, stack.pipeline.tables.ledger.tableArn), 'Arn'],
    };
    const ledger = st.find(
      (x) => JSON.stringify(resourcesOf(x)) === JSON.stringify([ledgerArn]),
    ) as Statement;
    expect(actionsOf(ledger)).toEqual(
      expect.arrayContaining([
        'dynamodb:GetItem',
        'dynamodb:UpdateItem',
        'dynamodb:ConditionCheckItem',
      ]),
    );
    expect(actionsOf(ledger).some((a) => a.includes('*'))).toBe(false);
    expect(actionsOf(ledger)).not.toContain('dynamodb:PartiQLInsert');
    const viewArn = {
      'Fn::GetAtt': [logicalIdOf(stack, stack.pipeline.tables.view.tableArn), 'Arn'],
    };
    const view = st.find(
      (x) => JSON.stringify(resourcesOf(x)) === JSON.stringify([viewArn]),
    ) as Statement;
    // new keys go as PartiQL INSERTs (BatchExecuteStatement)
    expect(actionsOf(view)).toEqual(
      expect.arrayContaining(['dynamodb:PutItem', 'dynamodb:PartiQLInsert']),
    );
  });
});

describe('functions', () => {
  it('builds every function as Node.js 24 on arm64 with tracing, its own log group and a VPC config', () => {
    const { template } = s.prod;
    const fns = Object.values(template.findResources('AWS::Lambda::Function')) as {
      Properties: Record<string, unknown>;
    }[];
    expect(fns).toHaveLength(4);
    for (const fn of fns) {
      expect(fn.Properties).toMatchObject({
        Runtime: 'nodejs24.x',
        Architectures: ['arm64'],
        TracingConfig: { Mode: 'Active' },
        LoggingConfig: { LogGroup: { Ref: expect.any(String) } },
        VpcConfig: { SubnetIds: expect.any(Array), SecurityGroupIds: expect.any(Array) },
        Environment: {
          Variables: expect.objectContaining({ NODE_OPTIONS: '--enable-source-maps' }),
        },
      });
    }
    template.allResourcesProperties('AWS::Logs::LogGroup', { RetentionInDays: 90 });
  });

  it('gives each sink exactly its DESIGN §3.2 variables', () => {
    const { stack, template } = s.dev;
    const envOf = (kind: 'dynamodb' | 'opensearch' | 's3-archive') => {
      const id = logicalIdOf(stack, sinkFn(stack, kind).functionArn);
      const fn = template.toJSON().Resources[id] as {
        Properties: { Environment: { Variables: Record<string, unknown> } };
      };
      return fn.Properties.Environment.Variables;
    };
    const common = [
      'NODE_OPTIONS',
      'SINK_NAME',
      'STAYSYNC_PIPELINE',
      'LEDGER_TABLE',
      'QUARANTINE_BUCKET',
    ];
    expect(Object.keys(envOf('dynamodb')).sort()).toEqual([...common, 'VIEW_TABLE'].sort());
    expect(Object.keys(envOf('opensearch')).sort()).toEqual(
      [...common, 'OPENSEARCH_ENDPOINT', 'INDEX_PREFIX'].sort(),
    );
    expect(Object.keys(envOf('s3-archive')).sort()).toEqual(
      [...common, 'ARCHIVE_BUCKET', 'ARCHIVE_PREFIX'].sort(),
    );
    expect(envOf('opensearch').INDEX_PREFIX).toBe('staysync-dev');
    expect(envOf('s3-archive').ARCHIVE_PREFIX).toBe('archive');
  });

  it('passes each sink the versioning of the topics it consumes', () => {
    const { stack, template } = s.imp;
    const id = logicalIdOf(stack, sinkFn(stack, 'dynamodb').functionArn);
    const vars = (
      template.toJSON().Resources[id] as {
        Properties: { Environment: { Variables: Record<string, string> } };
      }
    ).Properties.Environment.Variables;
    expect(JSON.parse(vars.STAYSYNC_PIPELINE ?? '')).toEqual({
      topics: { orders: { versioning: 'source' }, 'ledger-log': { versioning: 'log' } },
    });
    expect(vars.SINK_NAME).toBe('dynamodb');
  });
});

describe('topics', () => {
  it('declares one topic resource per configured topic with its partitions, configs and removal policy', () => {
    s.imp.template.hasResourceProperties('Custom::StaysyncKafkaTopic', {
      ClusterArn: CLUSTER,
      TopicName: 'ledger-log',
      Partitions: 4,
      ReplicationFactor: -1,
      Configs: { 'retention.ms': '-1', 'cleanup.policy': 'compact' },
      Versioning: 'log',
      RemovalPolicy: 'retain',
    });
    s.prod.template.hasResourceProperties('Custom::StaysyncKafkaTopic', {
      TopicName: 'order-changes',
      Partitions: 12,
      ReplicationFactor: 3,
      Configs: { 'retention.ms': String(14 * 24 * 3_600_000), 'cleanup.policy': 'delete' },
    });
    // the three example topics and the claims and transfers topics
    expect(Object.keys(s.dev.template.findResources('Custom::StaysyncKafkaTopic'))).toHaveLength(6);
  });
});

describe('stores', () => {
  it('creates the ledger and view tables with pk, TTL on expiresAt, PITR and on-demand billing', () => {
    const { template } = s.imp;
    const tables = Object.values(template.findResources('AWS::DynamoDB::Table'));
    expect(tables).toHaveLength(2);
    template.allResourcesProperties('AWS::DynamoDB::Table', {
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      BillingMode: 'PAY_PER_REQUEST',
      TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      PointInTimeRecoverySpecification: { PointInTimeRecoveryEnabled: true },
    });
  });

  it('keeps prod data on stack deletion and lets dev delete it', () => {
    s.prod.template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Retain' });
    s.dev.template.allResources('AWS::DynamoDB::Table', { DeletionPolicy: 'Delete' });
  });

  it('runs OpenSearch in the VPC, encrypted at rest and between nodes, HTTPS only with TLS 1.2', () => {
    const { stack, template } = s.prod;
    const role = logicalIdOf(
      stack,
      (sinkFn(stack, 'opensearch').role as unknown as { roleArn: string }).roleArn,
    );
    template.hasResourceProperties('AWS::OpenSearchService::Domain', {
      EngineVersion: 'OpenSearch_2.19',
      EncryptionAtRestOptions: { Enabled: true },
      NodeToNodeEncryptionOptions: { Enabled: true },
      DomainEndpointOptions: {
        EnforceHTTPS: true,
        TLSSecurityPolicy: 'Policy-Min-TLS-1-2-2019-07',
      },
      VPCOptions: { SubnetIds: Match.anyValue(), SecurityGroupIds: Match.anyValue() },
      ClusterConfig: Match.objectLike({
        DedicatedMasterEnabled: true,
        ZoneAwarenessEnabled: true,
        InstanceCount: 3,
      }),
      AccessPolicies: {
        Version: '2012-10-17',
        Statement: [
          Match.objectLike({
            Effect: 'Allow',
            Principal: { AWS: [{ 'Fn::GetAtt': [role, 'Arn'] }] },
          }),
        ],
      },
    });
  });

  it('admits HTTPS to the domain only from the sink security group', () => {
    const { stack, template } = s.dev;
    const domainSg = logicalIdOf(stack, stack.pipeline.search?.securityGroup.securityGroupId ?? '');
    const fnSg = logicalIdOf(stack, stack.pipeline.network.functionSecurityGroup.securityGroupId);
    template.hasResourceProperties('AWS::EC2::SecurityGroupIngress', {
      GroupId: { 'Fn::GetAtt': [domainSg, 'GroupId'] },
      SourceSecurityGroupId: { 'Fn::GetAtt': [fnSg, 'GroupId'] },
      FromPort: 443,
      ToPort: 443,
    });
  });

  it('makes every bucket private, TLS-only and encrypted', () => {
    for (const { template } of Object.values(s)) {
      const buckets = template.findResources('AWS::S3::Bucket');
      expect(Object.keys(buckets)).toHaveLength(5);
      template.allResourcesProperties('AWS::S3::Bucket', {
        PublicAccessBlockConfiguration: {
          BlockPublicAcls: true,
          BlockPublicPolicy: true,
          IgnorePublicAcls: true,
          RestrictPublicBuckets: true,
        },
        BucketEncryption: {
          ServerSideEncryptionConfiguration: [
            { ServerSideEncryptionByDefault: { SSEAlgorithm: 'AES256' } },
          ],
        },
      });
      const policies = Object.values(template.findResources('AWS::S3::BucketPolicy'));
      expect(policies).toHaveLength(5);
      for (const p of policies) {
        expect(JSON.stringify(p)).toContain('"aws:SecureTransport":"false"');
      }
    }
  });

  it('tiers the archive to infrequent access and Glacier as configured', () => {
    const { stack, template } = s.prod;
    const archive = logicalIdOf(stack, stack.pipeline.buckets.archive.bucketArn);
    const bucket = template.toJSON().Resources[archive] as {
      Properties: { LifecycleConfiguration: unknown; LoggingConfiguration: unknown };
    };
    expect(bucket.Properties.LifecycleConfiguration).toMatchObject({
      Rules: [
        {
          Status: 'Enabled',
          Transitions: [
            { StorageClass: 'STANDARD_IA', TransitionInDays: 30 },
            { StorageClass: 'GLACIER_IR', TransitionInDays: 180 },
          ],
        },
      ],
    });
    expect(bucket.Properties.LoggingConfiguration).toMatchObject({ LogFilePrefix: 'archive/' });
  });
});

describe('archive catalog', () => {
  it('declares a Glue table over the archive with partition projection on topic, day and partition', () => {
    const { stack, template } = s.dev;
    const archive = logicalIdOf(stack, stack.pipeline.buckets.archive.bucketName);
    template.hasResourceProperties('AWS::Glue::Database', {
      DatabaseInput: { Name: 'staysync_dev' },
    });
    template.hasResourceProperties('AWS::Glue::Table', {
      DatabaseName: 'staysync_dev',
      TableInput: Match.objectLike({
        Name: 'archive',
        TableType: 'EXTERNAL_TABLE',
        PartitionKeys: [
          { Name: 'p_topic', Type: 'string' },
          { Name: 'dt', Type: 'string' },
          { Name: 'p_partition', Type: 'int' },
        ],
        Parameters: Match.objectLike({
          'projection.enabled': 'true',
          'projection.p_topic.type': 'enum',
          // every topic of the stage, archived or not
          'projection.p_topic.values':
            'customer-changes,order-changes,audit-events,username-claims,username-decisions,account-transfers',
          'projection.dt.type': 'date',
          'projection.dt.format': 'yyyy-MM-dd',
          'projection.p_partition.range': '0,11',
          'storage.location.template': {
            'Fn::Join': [
              '',
              [
                's3://',
                { Ref: archive },
                // biome-ignore lint/suspicious/noTemplateCurlyInString: Athena's projection placeholders, not JS
                '/archive/topic=${p_topic}/dt=${dt}/partition=${p_partition}/',
              ],
            ],
          },
        }),
        StorageDescriptor: Match.objectLike({
          InputFormat: 'org.apache.hadoop.mapred.TextInputFormat',
          SerdeInfo: Match.objectLike({
            SerializationLibrary: 'org.openx.data.jsonserde.JsonSerDe',
          }),
          Columns: Match.arrayWith([
            { Name: 'offset', Type: 'bigint' },
            {
              Name: 'headers',
              Type: 'array<struct<key:string,value:string,valueencoding:string>>',
            },
            Match.objectLike({ Name: 'value', Type: 'string' }),
          ]),
        }),
      }),
    });
    template.hasResourceProperties('AWS::Athena::WorkGroup', {
      Name: 'staysync-dev',
      WorkGroupConfiguration: Match.objectLike({
        EnforceWorkGroupConfiguration: true,
        ResultConfiguration: Match.objectLike({
          EncryptionConfiguration: { EncryptionOption: 'SSE_S3' },
        }),
      }),
    });
  });
});

describe('network and MSK', () => {
  it('reaches AWS through VPC endpoints with no NAT gateway', () => {
    const { template } = s.dev;
    template.resourceCountIs('AWS::EC2::NatGateway', 0);
    template.resourceCountIs('AWS::EC2::InternetGateway', 0);
    const services = Object.values(template.findResources('AWS::EC2::VPCEndpoint')).map((e) =>
      JSON.stringify((e as { Properties: { ServiceName: unknown } }).Properties.ServiceName),
    );
    for (const svc of ['.dynamodb', '.s3', '.sts', '.lambda', '.kafka']) {
      expect(services.some((x) => x.includes(svc))).toBe(true);
    }
    template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcEndpointType: 'Interface',
      PrivateDnsEnabled: true,
    });
  });

  it('adds gateway endpoints to an imported VPC when its route tables are given', () => {
    s.imp.template.hasResourceProperties('AWS::EC2::VPCEndpoint', {
      VpcId: 'vpc-0123456789abcdef0',
      VpcEndpointType: 'Gateway',
      RouteTableIds: ['rtb-0aaaaaaaaaaaaaaa1', 'rtb-0bbbbbbbbbbbbbbb2'],
    });
    s.imp.template.resourceCountIs('AWS::MSK::Cluster', 0);
    s.imp.template.resourceCountIs('AWS::MSK::ServerlessCluster', 0);
  });

  it('creates MSK Serverless or a provisioned cluster with IAM auth and TLS only', () => {
    s.dev.template.hasResourceProperties('AWS::MSK::ServerlessCluster', {
      ClientAuthentication: { Sasl: { Iam: { Enabled: true } } },
    });
    s.prod.template.hasResourceProperties('AWS::MSK::Cluster', {
      ClientAuthentication: {
        Sasl: { Iam: { Enabled: true } },
        Unauthenticated: { Enabled: false },
      },
      EncryptionInfo: { EncryptionInTransit: { ClientBroker: 'TLS', InCluster: true } },
      NumberOfBrokerNodes: 3,
    });
  });
});

interface AlarmProps {
  readonly Threshold?: number;
  readonly AlarmActions?: unknown;
  readonly InsufficientDataActions?: unknown;
  readonly TreatMissingData?: string;
  readonly MetricName?: string;
  readonly Namespace?: string;
  readonly Dimensions?: unknown;
  readonly Metrics?: {
    MetricStat: { Metric: { MetricName: string; Namespace: string; Dimensions: unknown } };
  }[];
}

type Dim = { Name: string; Value: unknown };

/** An alarm's metric, whether CDK rendered it flat or (with a label) as a Metrics entry. */
const metricOf = (a: AlarmProps) => {
  const m = a.Metrics?.[0]?.MetricStat.Metric;
  return m === undefined
    ? { Namespace: a.Namespace, MetricName: a.MetricName, Dimensions: a.Dimensions }
    : { Namespace: m.Namespace, MetricName: m.MetricName, Dimensions: m.Dimensions };
};

describe('operations', () => {
  it('alarms on the MSK consumer lag of every mapping, errors and throttles of every function, quarantine and discarded batches', () => {
    const { stack, template } = s.imp;
    const alarms = (
      Object.values(template.findResources('AWS::CloudWatch::Alarm')) as {
        Properties: AlarmProps;
      }[]
    ).map((a) => a.Properties);
    const byMetric = (name: string) => alarms.filter((a) => metricOf(a).MetricName === name);
    // MSK's consumer lag of each mapping's consumer group (docs/infra.md, "Alarms").
    expect(byMetric('MaxOffsetLag')).toHaveLength(3);
    for (const a of byMetric('MaxOffsetLag')) {
      expect(a.Threshold).toBe(777);
      expect(a.TreatMissingData).toBe('missing');
      expect(a.InsufficientDataActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops-alerts']);
    }
    const lagDimensions = byMetric('MaxOffsetLag')
      .map(metricOf)
      .filter((m) => m.Namespace === 'AWS/Kafka')
      .map((m) => Object.fromEntries((m.Dimensions as Dim[]).map((d) => [d.Name, d.Value])));
    expect(lagDimensions).toContainEqual({
      'Cluster Name': 'shared-msk',
      'Consumer Group': 'staysync-imp-dynamodb-ledger-log',
      Topic: 'ledger-log',
    });
    expect(byMetric('OffsetLag')).toEqual([]);
    expect(byMetric('Errors')).toHaveLength(3);
    expect(byMetric('Throttles')).toHaveLength(3);
    const poison = byMetric('RecordsPoison').map(metricOf);
    expect(poison).toHaveLength(2);
    expect(poison).toContainEqual({
      Namespace: 'staysync',
      MetricName: 'RecordsPoison',
      Dimensions: [
        { Name: 'service', Value: 'staysync' },
        { Name: 'sink', Value: 's3-archive' },
      ],
    });
    const failures = logicalIdOf(stack, stack.pipeline.buckets.failures.bucketName);
    expect(byMetric('PutRequests').map(metricOf)).toEqual([
      {
        Namespace: 'AWS/S3',
        MetricName: 'PutRequests',
        Dimensions: [
          { Name: 'BucketName', Value: { Ref: failures } },
          { Name: 'FilterId', Value: 'AllObjects' },
        ],
      },
    ]);
    template.hasResourceProperties('AWS::S3::Bucket', {
      MetricsConfigurations: [{ Id: 'AllObjects' }],
    });
    expect(alarms).toHaveLength(3 + 3 + 3 + 2 + 1);
    for (const a of alarms)
      expect(a.AlarmActions).toEqual(['arn:aws:sns:eu-west-1:123456789012:ops-alerts']);
  });

  it('puts applied, stale and duplicate counts per sink on the dashboard', () => {
    const { template } = s.dev;
    const dashboards = Object.values(template.findResources('AWS::CloudWatch::Dashboard'));
    expect(dashboards).toHaveLength(1);
    const body = JSON.stringify(dashboards[0]);
    for (const m of [
      'RecordsApplied',
      'RecordsStale',
      'RecordsDuplicate',
      'MaxOffsetLag',
      'PutRequests',
    ])
      expect(body).toContain(m);
    for (const sink of ['dynamodb', 'opensearch', 's3-archive'])
      expect(body).toContain(`${sink}: records`);
  });
});

describe('a rebuilt DynamoDB view (docs/rebuild-redrive.md)', () => {
  it('binds the sink to the named table, with grants on it, and keeps the construct’s own view', () => {
    const dev = stages.dev as StageConfig;
    const app = new App({ context: { 'aws:cdk:bundling-stacks': [] } });
    const stage: StageConfig = {
      ...dev,
      stageName: 'rebuilt',
      sinks: {
        ...dev.sinks,
        dynamodb: {
          ...dev.sinks.dynamodb,
          topics: dev.sinks.dynamodb?.topics ?? [],
          viewTableName: 'staysync-dev-view-v2',
        },
      },
    };
    const stack = new StaysyncStack(app, 'staysync-rebuilt', { stage });
    const template = Template.fromStack(stack);

    const fn = sinkFn(stack, 'dynamodb');
    const props = template.toJSON().Resources[logicalIdOf(stack, fn.functionArn)].Properties;
    expect(props.Environment.Variables.VIEW_TABLE).toBe('staysync-dev-view-v2');
    const granted = statementsOf(stack, template, fn).flatMap(resourcesOf);
    expect(JSON.stringify(granted)).toContain(':table/staysync-dev-view-v2');
    expect(stack.pipeline.tables.view).toBeDefined();
    expect(template.findResources('AWS::DynamoDB::Table')).toHaveProperty(
      logicalIdOf(stack, stack.pipeline.tables.view.tableArn),
    );
  });

  it('refuses a view table name on a sink that has no view', () => {
    const dev = stages.dev as StageConfig;
    const stage: StageConfig = {
      ...dev,
      sinks: {
        ...dev.sinks,
        's3-archive': { topics: dev.sinks['s3-archive']?.topics ?? [], viewTableName: 'x-view' },
      },
    };

    expect(() => new StaysyncStack(new App(), 'staysync-bad-view', { stage })).toThrow(
      /sinks\.s3-archive\.viewTableName: only the dynamodb sink has a view/,
    );
  });
});

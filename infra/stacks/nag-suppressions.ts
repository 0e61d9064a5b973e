import { Stack, Validations } from 'aws-cdk-lib';
import type { IConstruct } from 'constructs';
import type { SyncPipeline } from '../constructs/sync-pipeline.js';

/** One cdk-nag finding accepted on purpose, and why. Every entry needs a reason a reviewer can check. */
interface Suppression {
  readonly id: string;
  readonly reason: string;
}

const nag = (rule: string): string => `AwsSolutions::AwsSolutions-${rule}`;

const ack = (scope: IConstruct, ...rules: readonly Suppression[]): void => {
  Validations.of(scope).acknowledge(...rules);
};

/**
 * The cdk-nag (AwsSolutionsChecks) findings staysync accepts, each scoped to the construct
 * it concerns (never the whole app) and each with its reason. `test/infra/nag.test.ts`
 * proves nothing else is reported.
 */
export function addNagSuppressions(stack: Stack, pipeline: SyncPipeline): void {
  const partition = '<AWS::Partition>';
  const managed = (name: string) =>
    nag(`IAM4[Policy::arn:${partition}:iam::aws:policy/service-role/${name}]`);
  const relays = [...pipeline.relays.values()].map((r) => r.function);
  const processors = [...pipeline.processors.values()].map((p) => p.function);
  const functions = [
    ...[...pipeline.sinks.values()].map((s) => s.function),
    ...relays,
    ...processors,
    pipeline.topicProvisioning.function,
  ];
  const resolveId = (token: string) =>
    (Stack.of(stack).resolve(token) as { 'Fn::GetAtt'?: [string, string] })['Fn::GetAtt']?.[0];

  for (const fn of functions) {
    ack(
      fn,
      {
        id: managed('AWSLambdaBasicExecutionRole'),
        reason:
          'AWS-maintained least-privilege policy for writing the function logs (logs:CreateLogStream/PutLogEvents).',
      },
      {
        id: managed('AWSLambdaVPCAccessExecutionRole'),
        reason:
          'AWS-maintained policy for the ENIs of a function in a VPC; ec2 ENI actions have no resource-level scoping.',
      },
      {
        id: nag('IAM5[Resource::*]'),
        reason:
          'Only xray:PutTraceSegments/PutTelemetryRecords (active tracing) and, on a relay, dynamodb:ListStreams (added by the DynamoDB event source) use "*": neither supports resource-level permissions. test/infra asserts no other "*" statement exists.',
      },
    );
  }

  const failuresId = resolveId(pipeline.buckets.failures.bucketArn);
  const quarantineId = resolveId(pipeline.buckets.quarantine.bucketArn);
  const archiveId = resolveId(pipeline.buckets.archive.bucketArn);
  /** The failure-destination and quarantine object grants of a function writing both. */
  const bucketAcks = (writer: string, quarantined: string): Suppression[] => [
    {
      id: nag(`IAM5[Resource::<${failuresId}.Arn>/*]`),
      reason: `s3:PutObject only, as the Lambda guide lists for an S3 on-failure destination (${writer}'s mapping): Lambda names each discarded-batch object itself, so no narrower key exists. The bucket only receives this pipeline's discarded batches.`,
    },
    {
      id: nag(`IAM5[Resource::<${quarantineId}.Arn>/*]`),
      reason: `The ${writer} writes one quarantine object per ${quarantined}: any key of the quarantine bucket, which is dedicated to this pipeline.`,
    },
  ];
  const consumers = [...[...pipeline.sinks.values()].map((s) => s.function), ...processors];
  for (const consumer of consumers) {
    ack(
      consumer,
      {
        id: managed('AWSLambdaMSKExecutionRole'),
        reason:
          'Added by ManagedKafkaEventSource itself (aws-cdk-lib): the MSK pollers need its ENI and kafka:Describe* actions; the data-plane access is granted separately, scoped to cluster/topic/group ARNs.',
      },
      ...bucketAcks(
        'sink or processor',
        'poison record under keys derived from sink/topic/partition/offset',
      ),
    );
  }
  for (const relay of relays) {
    ack(
      relay,
      ...bucketAcks(
        'relay',
        'unconvertible stream record under keys derived from relay/shard/sequence number',
      ),
    );
  }
  const archive = pipeline.sinks.get('s3-archive');
  if (archive !== undefined) {
    ack(archive.function, {
      id: nag(`IAM5[Resource::<${archiveId}.Arn>/${pipeline.config.archive.prefix}/*]`),
      reason:
        'The archive sink writes (and after a crash reads back) one object per partition per batch under the archive prefix; object keys are not known in advance.',
    });
  }
  const search = pipeline.search;
  const os = pipeline.sinks.get('opensearch');
  if (search !== undefined && os !== undefined) {
    const domainId = resolveId(search.domain.domainArn);
    ack(os.function, {
      id: nag(`IAM5[Resource::<${domainId}.Arn>/*]`),
      reason:
        'OpenSearch HTTP permissions are granted on index paths of this one domain (indices are created per entity alias at run time).',
    });
  }
  if (search !== undefined) {
    ack(search.domain, {
      id: nag('OS3'),
      reason:
        'The domain lives in private subnets of the VPC (no public endpoint); its resource policy admits only the sink roles and its security group only the sink security group. IP allowlists do not apply to VPC domains.',
    });
    const os = pipeline.config.openSearch;
    if (os.masterNodes === 0) {
      ack(search.domain, {
        id: nag('OS4'),
        reason: `Stage ${pipeline.config.stageName} opts out of dedicated master nodes (openSearch.masterNodes = 0) to save cost; the prod stage sets 3.`,
      });
    }
    if (!os.zoneAwareness) {
      ack(search.domain, {
        id: nag('OS7'),
        reason: `Stage ${pipeline.config.stageName} runs a single data node (openSearch.dataNodes = 1), so zone awareness cannot apply; the prod stage spreads 3 nodes over 3 AZs.`,
      });
    }
  }
}

import { Duration } from 'aws-cdk-lib';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import type {
  DynamoEventSourceProps,
  ManagedKafkaEventSourceProps,
} from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import type { ResolvedSink, ResolvedSource } from '../config/resolved.js';
import { LeastPrivilegeS3OnFailureDestination } from './failure-destination.js';

/**
 * Stable consumer group of one (stage, sink, topic) mapping. Lambda cannot change a
 * mapping's group in place, and a new group restarts at TRIM_HORIZON, so this name must
 * never depend on anything but these three.
 */
export const consumerGroupId = (stageName: string, sink: string, topic: string): string =>
  `staysync-${stageName}-${sink}-${topic}`.slice(0, 200);

/**
 * The provisioned poller group of a stage: all its mappings share event poller units (EPUs)
 * instead of holding at least one each ("PollerGroupName": up to 100 mappings of one VPC per
 * group, their maximum pollers adding up to 2000 at most; ProvisionedPollerConfig, AWS Lambda
 * API reference). validate.ts enforces both limits.
 */
const pollerGroupName = (stageName: string): string => `staysync-${stageName}`;

/**
 * The error handling both kinds of mapping share: partial batch responses, bisect, bounded
 * retries, a maximum record age only when configured, the least-privilege S3 on-failure
 * destination.
 */
function errorHandling(
  limits: { readonly retryAttempts: number; readonly maxRecordAgeSeconds: number },
  failureBucket: s3.IBucket,
) {
  return {
    reportBatchItemFailures: true,
    bisectBatchOnError: true,
    retryAttempts: limits.retryAttempts,
    // -1 (the default: never discard) is expressed by omission: CDK only accepts 60 s to 7 days.
    ...(limits.maxRecordAgeSeconds === -1
      ? {}
      : { maxRecordAge: Duration.seconds(limits.maxRecordAgeSeconds) }),
    onFailure: new LeastPrivilegeS3OnFailureDestination(failureBucket),
  } as const;
}

/**
 * Every stream setting of a sink's mapping, in one place (STYLE: "stream settings are
 * explicit and gathered in one defaults function").
 *
 * - TRIM_HORIZON: a new mapping reads the whole retained log, so a new view is complete.
 * - reportBatchItemFailures: the handler answers per partition (DESIGN §3.2), so a failing
 *   partition resumes at its lowest unapplied offset and the others keep their progress.
 * - bisectBatchOnError: only helps when the whole invocation fails (a crash, a timeout);
 *   halving the batch isolates a record that kills the process. Per-record failures already
 *   go through batchItemFailures, and poison goes to quarantine, so it costs nothing else.
 * - retryAttempts bounds how long one failing batch can block its partition before its
 *   metadata goes to the S3 on-failure destination (and the failure alarm fires).
 *   maxRecordAge stays infinite unless configured: a lagging view must catch up, not skip.
 * - provisioned pollers (required for retries, bisect, max record age, partial batch responses,
 *   the on-failure destination and a schema registry), per mapping minimum/maximum from the
 *   sink config, in the stage's poller group so the mappings share EPUs.
 */
export function kafkaStreamSettings(args: {
  readonly clusterArn: string;
  readonly topic: string;
  readonly stageName: string;
  /** a sink, or a processor (claims, transfers): the same mapping settings */
  readonly sink: Pick<
    ResolvedSink,
    | 'batchSize'
    | 'batchingWindowSeconds'
    | 'minimumPollers'
    | 'maximumPollers'
    | 'retryAttempts'
    | 'maxRecordAgeSeconds'
  > & { readonly kind: string };
  readonly failureBucket: s3.IBucket;
  /** the topic's schema registry (schema-registry.ts); needs provisioned mode, as here */
  readonly schemaRegistry?: lambda.ISchemaRegistry;
}): ManagedKafkaEventSourceProps {
  const { sink } = args;
  return {
    ...(args.schemaRegistry === undefined ? {} : { schemaRegistryConfig: args.schemaRegistry }),
    clusterArn: args.clusterArn,
    topic: args.topic,
    consumerGroupId: consumerGroupId(args.stageName, sink.kind, args.topic),
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: sink.batchSize,
    maxBatchingWindow: Duration.seconds(sink.batchingWindowSeconds),
    provisionedPollerConfig: {
      minimumPollers: sink.minimumPollers,
      maximumPollers: sink.maximumPollers,
      pollerGroupName: pollerGroupName(args.stageName),
    },
    ...errorHandling(sink, args.failureBucket),
    metricsConfig: {
      metrics: [
        lambda.MetricType.EVENT_COUNT,
        lambda.MetricType.ERROR_COUNT,
        lambda.MetricType.KAFKA_METRICS,
      ],
    },
  };
}

/**
 * Every stream setting of a relay's DynamoDB Streams mapping, in one place.
 *
 * - TRIM_HORIZON: a new relay starts at the oldest record the stream keeps (24 hours).
 * - reportBatchItemFailures: the relay answers the first failed record's sequence number, so
 *   the shard resumes there and nothing before it is published twice.
 * - bisectBatchOnError: a record that crashes the function is isolated; halving does not
 *   count against the retries ("Retain discarded records for a DynamoDB event source in
 *   Lambda", AWS Lambda developer guide,
 *   https://docs.aws.amazon.com/lambda/latest/dg/services-dynamodb-errors.html).
 * - retryAttempts bounds how long a failing batch blocks its shard; then the batch's metadata
 *   and invocation record go to the on-failure destination. That page lists SNS, SQS, S3 (and
 *   Kafka) as destinations for DynamoDB mappings, as does the CloudFormation reference
 *   (AWS::Lambda::EventSourceMapping OnFailure); the S3 bucket is the one the Kafka mappings
 *   use, granted `s3:PutObject` + `s3:ListBucket` only.
 * - maxRecordAge stays infinite unless configured: a change must not be skipped silently.
 * - parallelizationFactor stays 1: one batch per shard at a time keeps per-item order simple.
 */
export function relayStreamSettings(args: {
  readonly source: ResolvedSource;
  readonly failureBucket: s3.IBucket;
}): DynamoEventSourceProps {
  const { source } = args;
  return {
    startingPosition: lambda.StartingPosition.TRIM_HORIZON,
    batchSize: source.batchSize,
    maxBatchingWindow: Duration.seconds(source.batchingWindowSeconds),
    ...errorHandling(source, args.failureBucket),
    parallelizationFactor: 1,
  };
}

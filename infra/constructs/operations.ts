import { Duration } from 'aws-cdk-lib';
import * as cloudwatch from 'aws-cdk-lib/aws-cloudwatch';
import * as actions from 'aws-cdk-lib/aws-cloudwatch-actions';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import * as sns from 'aws-cdk-lib/aws-sns';
import { Construct } from 'constructs';
import { Metric } from '../../functions/core/engine/observability.js';
import { METRICS_NAMESPACE, SERVICE_NAME } from '../../functions/runtime/observability.js';
import { FAILURE_METRICS_FILTER } from './buckets.js';

/**
 * Namespace and dimensions of the sinks' EMF metrics (functions/runtime/observability.ts):
 * Powertools Metrics publishes every metric with `service` plus the default `sink`
 * dimension, and CloudWatch matches a metric only on its exact dimension set.
 */
export const SINK_METRICS_NAMESPACE = METRICS_NAMESPACE;
const sinkDimensions = (sink: string) => ({ service: SERVICE_NAME, sink });
const FIVE_MINUTES = Duration.minutes(5);

export interface MonitoredMapping {
  readonly topic: string;
  /** The mapping's Kafka consumer group: the `Consumer Group` dimension of its lag. */
  readonly consumerGroup: string;
}

/**
 * Consumer lag of one mapping as Amazon MSK publishes it: `AWS/Kafka` `MaxOffsetLag` with the
 * dimensions `Cluster Name`, `Consumer Group`, `Topic` ("Monitor consumer lags" and "Amazon
 * MSK metrics for monitoring Standard brokers with CloudWatch", MSK developer guide,
 * https://docs.aws.amazon.com/msk/latest/developerguide/consumer-lag.html). Lambda's own
 * `OffsetLag` (KafkaMetrics group) is not used for alarms: no AWS page we could read states
 * the dimension set it is published under, and an alarm on a wrong dimension set never sees
 * data. The docs/infra.md alarm table lists every alarm's metric and its source.
 */
function consumerLagMetric(clusterName: string, m: MonitoredMapping): cloudwatch.Metric {
  return new cloudwatch.Metric({
    namespace: 'AWS/Kafka',
    metricName: 'MaxOffsetLag',
    dimensionsMap: {
      'Cluster Name': clusterName,
      'Consumer Group': m.consumerGroup,
      Topic: m.topic,
    },
    statistic: 'Maximum',
    period: FIVE_MINUTES,
  });
}

/**
 * How far a stream-reading function is behind: `AWS/Lambda` `IteratorAge` (milliseconds, "the
 * age of the last record in the event", for event source mappings that read from streams,
 * DynamoDB among them) with the `FunctionName` dimension ("Types of metrics for Lambda
 * functions", AWS Lambda developer guide,
 * https://docs.aws.amazon.com/lambda/latest/dg/monitoring-metrics-types.html).
 */
function iteratorAgeMetric(fn: lambda.IFunction): cloudwatch.Metric {
  return fn.metric('IteratorAge', { statistic: 'Maximum', period: FIVE_MINUTES });
}

export interface MonitoredSink {
  /** SINK_NAME of the function: the `sink` dimension of its metrics. */
  readonly sinkName: string;
  readonly function: lambda.IFunction;
  readonly mappings: readonly MonitoredMapping[];
}

export interface OperationsProps {
  readonly stageName: string;
  /** Name of the MSK cluster (the `Cluster Name` dimension of consumer lag). */
  readonly clusterName: string;
  readonly sinks: readonly MonitoredSink[];
  /** Functions watched for errors/throttles besides the sinks (the topic provisioner). */
  readonly otherFunctions: readonly {
    readonly name: string;
    readonly function: lambda.IFunction;
  }[];
  /** Relay functions: each gets an IteratorAge alarm (and Errors/Throttles). */
  readonly relays: readonly { readonly name: string; readonly function: lambda.IFunction }[];
  /** IteratorAge (seconds) above which a relay alarms (its default is the stage config's). */
  readonly iteratorAgeThresholdSeconds: number;
  readonly failureBucket: s3.IBucket;
  readonly offsetLagThreshold: number;
  readonly quarantineThreshold: number;
  /** @default - alarms without actions */
  readonly alarmTopicArn?: string | undefined;
}

/**
 * Alarms and the dashboard: consumer lag (MSK `MaxOffsetLag`) per mapping, Errors and Throttles per function,
 * quarantined records per sink (the sinks' `RecordsPoison` metric), arrivals in the
 * on-failure bucket (S3 request metrics), and per-sink applied/stale/duplicate graphs.
 */
export class Operations extends Construct {
  readonly alarms: cloudwatch.Alarm[] = [];
  readonly dashboard: cloudwatch.Dashboard;

  constructor(scope: Construct, id: string, props: OperationsProps) {
    super(scope, id);
    const topic =
      props.alarmTopicArn === undefined
        ? undefined
        : sns.Topic.fromTopicArn(this, 'AlarmTopic', props.alarmTopicArn);
    const alarm = (alarmId: string, p: cloudwatch.AlarmProps): cloudwatch.Alarm => {
      const a = new cloudwatch.Alarm(this, alarmId, p);
      if (topic !== undefined) {
        a.addAlarmAction(new actions.SnsAction(topic));
        // A metric that stops arriving is news too (see the lag alarm below).
        if (p.treatMissingData === cloudwatch.TreatMissingData.MISSING)
          a.addInsufficientDataAction(new actions.SnsAction(topic));
      }
      this.alarms.push(a);
      return a;
    };
    const sinkMetric = (sinkName: string, metricName: string) =>
      new cloudwatch.Metric({
        namespace: SINK_METRICS_NAMESPACE,
        metricName,
        dimensionsMap: sinkDimensions(sinkName),
        statistic: 'Sum',
        period: FIVE_MINUTES,
        label: `${sinkName} ${metricName}`,
      });

    const lagWidgets: cloudwatch.IWidget[] = [];
    const outcomeWidgets: cloudwatch.IWidget[] = [];
    for (const sink of props.sinks) {
      const lagMetrics: cloudwatch.IMetric[] = [];
      for (const m of sink.mappings) {
        const lag = consumerLagMetric(props.clusterName, m).with({
          label: `${sink.sinkName} ${m.topic}`,
        });
        lagMetrics.push(lag);
        alarm(`OffsetLag-${sink.sinkName}-${m.topic}`, {
          alarmDescription: `staysync ${props.stageName}: ${sink.sinkName} is more than ${props.offsetLagThreshold} records behind on ${m.topic} (or MSK stopped reporting its lag: INSUFFICIENT_DATA)`,
          metric: lag,
          threshold: props.offsetLagThreshold,
          evaluationPeriods: 3,
          comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
          // MSK publishes no lag for a group that is rebalancing or has committed nothing yet
          // (consumer-lag.html). Missing data must show (INSUFFICIENT_DATA, notified like an
          // alarm), not pass as "not behind": a wrong dimension would otherwise stay OK forever.
          treatMissingData: cloudwatch.TreatMissingData.MISSING,
        });
      }
      alarm(`Quarantined-${sink.sinkName}`, {
        alarmDescription: `staysync ${props.stageName}: ${sink.sinkName} quarantined poison records`,
        metric: sinkMetric(sink.sinkName, Metric.poison),
        threshold: props.quarantineThreshold,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      lagWidgets.push(
        new cloudwatch.GraphWidget({
          title: `${sink.sinkName}: consumer lag (MSK MaxOffsetLag)`,
          left: lagMetrics,
          width: 8,
        }),
      );
      outcomeWidgets.push(
        new cloudwatch.GraphWidget({
          title: `${sink.sinkName}: records`,
          left: [Metric.applied, Metric.stale, Metric.duplicate, Metric.skipped].map((n) =>
            sinkMetric(sink.sinkName, n),
          ),
          right: [Metric.poison, Metric.unapplied].map((n) => sinkMetric(sink.sinkName, n)),
          width: 8,
        }),
      );
    }

    const relayWidgets: cloudwatch.IWidget[] = [];
    for (const relay of props.relays) {
      const age = iteratorAgeMetric(relay.function);
      const thresholdSeconds = props.iteratorAgeThresholdSeconds;
      alarm(`IteratorAge-relay-${relay.name}`, {
        alarmDescription: `staysync ${props.stageName}: relay ${relay.name} reads stream records older than ${thresholdSeconds} s (it falls behind its table)`,
        metric: age,
        threshold: thresholdSeconds * 1000,
        evaluationPeriods: 3,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        // Lambda emits IteratorAge per batch: no write to the table, no batch, no datapoint.
        // A stuck mapping shows as Errors (function) or FailureDestinationArrivals instead.
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      relayWidgets.push(
        new cloudwatch.GraphWidget({
          title: `relay ${relay.name}: iterator age (ms)`,
          left: [age],
          width: 8,
        }),
      );
    }

    const functions = [
      ...props.sinks.map((s) => ({ name: s.sinkName, function: s.function })),
      ...props.relays.map((r) => ({ name: `relay-${r.name}`, function: r.function })),
      ...props.otherFunctions,
    ];
    const errorWidgets: cloudwatch.IWidget[] = [];
    for (const { name, function: fn } of functions) {
      const errors = fn.metricErrors({ period: FIVE_MINUTES, statistic: 'Sum' });
      const throttles = fn.metricThrottles({ period: FIVE_MINUTES, statistic: 'Sum' });
      alarm(`Errors-${name}`, {
        alarmDescription: `staysync ${props.stageName}: function errors (${name})`,
        metric: errors,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      alarm(`Throttles-${name}`, {
        alarmDescription: `staysync ${props.stageName}: function throttles (${name})`,
        metric: throttles,
        threshold: 0,
        evaluationPeriods: 1,
        comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
      });
      errorWidgets.push(
        new cloudwatch.GraphWidget({
          title: `${name}: errors / throttles`,
          left: [errors, throttles],
          width: 8,
        }),
      );
    }

    const failures = new cloudwatch.Metric({
      namespace: 'AWS/S3',
      metricName: 'PutRequests',
      dimensionsMap: {
        BucketName: props.failureBucket.bucketName,
        FilterId: FAILURE_METRICS_FILTER,
      },
      statistic: 'Sum',
      period: FIVE_MINUTES,
      label: 'discarded batches (on-failure destination)',
    });
    alarm('FailureDestinationArrivals', {
      alarmDescription: `staysync ${props.stageName}: an event source mapping discarded a batch (see the failure bucket)`,
      metric: failures,
      threshold: 0,
      evaluationPeriods: 1,
      comparisonOperator: cloudwatch.ComparisonOperator.GREATER_THAN_THRESHOLD,
      treatMissingData: cloudwatch.TreatMissingData.NOT_BREACHING,
    });

    this.dashboard = new cloudwatch.Dashboard(this, 'Dashboard', {
      dashboardName: `staysync-${props.stageName}`,
      defaultInterval: Duration.hours(6),
    });
    this.dashboard.addWidgets(...lagWidgets);
    this.dashboard.addWidgets(...outcomeWidgets);
    this.dashboard.addWidgets(...errorWidgets);
    if (relayWidgets.length > 0) this.dashboard.addWidgets(...relayWidgets);
    this.dashboard.addWidgets(
      new cloudwatch.GraphWidget({
        title: 'On-failure destination arrivals',
        left: [failures],
        width: 8,
      }),
      new cloudwatch.AlarmStatusWidget({ title: 'Alarms', alarms: this.alarms, width: 16 }),
    );
  }
}

import { Duration, Names, type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { ManagedKafkaEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ResolvedProcessor } from '../config/resolved.js';
import {
  bindBalances,
  bindClaims,
  bindKafkaConsumer,
  bindKafkaProducer,
  bindLedger,
  bindPipeline,
  bindQuarantine,
} from './bindings.js';
import { HouseFunction } from './house-function.js';
import type { KafkaCluster } from './kafka-cluster.js';
import type { Network } from './network.js';
import { consumerGroupId, kafkaStreamSettings } from './stream-settings.js';

export interface ConstraintProcessorProps {
  readonly processor: ResolvedProcessor;
  /** Absolute path of `functions/claims/handler.ts` or `functions/transfers/handler.ts`. */
  readonly entry: string;
  readonly stageName: string;
  /** `STAYSYNC_PIPELINE` for the topic it consumes */
  readonly pipelineJson: string;
  readonly cluster: KafkaCluster;
  readonly network: Network;
  readonly ledger: dynamodb.ITable;
  readonly quarantine: s3.IBucket;
  readonly failures: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The claims or the transfers processor (docs/claims.md): its table (holders and decisions,
 * or balances; `pk` S, on-demand, point-in-time recovery), its function in the cluster's
 * security group (it consumes through its mapping and produces with IAM auth), the MSK
 * event source mapping on the topic it decides, and the grant to produce to the topic its
 * decisions (or credit steps) go to. Ledger, quarantine and failure bucket are the
 * pipeline's.
 */
export class ConstraintProcessor extends Construct {
  readonly table: dynamodb.ITable;
  readonly function: HouseFunction;
  readonly eventSource: ManagedKafkaEventSource;
  /** the topic it consumes */
  readonly topic: string;

  constructor(scope: Construct, id: string, props: ConstraintProcessorProps) {
    super(scope, id);
    const { processor: proc } = props;
    const topic = proc.topics[0] as string;
    this.topic = topic;
    this.table = new dynamodb.Table(this, 'Table', {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy,
    }) as dynamodb.ITable;
    this.function = new HouseFunction(this, 'Function', {
      entry: props.entry,
      description: `staysync ${props.stageName}: ${proc.kind} (${topic} → ${proc.produces})`,
      logRetention: props.logRetention,
      vpc: props.network.vpc,
      vpcSubnets: props.network.privateSubnets,
      securityGroups: [props.cluster.securityGroup],
      memorySize: proc.memoryMiB,
      timeout: Duration.seconds(proc.timeoutSeconds),
    });
    const fn = this.function;
    bindPipeline(fn, proc.kind, props.pipelineJson);
    bindLedger(fn, props.ledger);
    bindQuarantine(fn, props.quarantine);
    if (proc.kind === 'claims') bindClaims(fn, this.table, proc.produces);
    else bindBalances(fn, this.table);
    bindKafkaProducer(fn, props.cluster, proc.produces);
    bindKafkaConsumer(
      fn,
      props.cluster,
      [topic],
      [consumerGroupId(props.stageName, proc.kind, topic)],
    );
    this.eventSource = new ManagedKafkaEventSource(
      kafkaStreamSettings({
        clusterArn: props.cluster.clusterArn,
        topic,
        stageName: props.stageName,
        sink: proc,
        failureBucket: props.failures,
      }),
    );
    fn.addEventSource(this.eventSource);
  }

  /** The mapping CDK made for the event source (to order it after its topic). */
  get mapping(): lambda.EventSourceMapping {
    return this.function.node.findChild(
      `KafkaEventSource:${Names.nodeUniqueId(this.function.node)}${this.topic}`,
    ) as lambda.EventSourceMapping;
  }
}

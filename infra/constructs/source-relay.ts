import { Duration, type RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { DynamoEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as logs from 'aws-cdk-lib/aws-logs';
import type * as s3 from 'aws-cdk-lib/aws-s3';
import { Construct } from 'constructs';
import type { ResolvedSource } from '../config/resolved.js';
import { bindKafkaProducer, bindQuarantine, bindRelaySource } from './bindings.js';
import { HouseFunction } from './house-function.js';
import type { KafkaCluster } from './kafka-cluster.js';
import type { Network } from './network.js';
import { relayStreamSettings } from './stream-settings.js';

export interface SourceRelayProps {
  readonly source: ResolvedSource;
  /** Absolute path of the relay's entry (`functions/relay-dynamodb-streams/handler.ts`). */
  readonly entry: string;
  readonly stageName: string;
  readonly cluster: KafkaCluster;
  readonly network: Network;
  readonly quarantine: s3.IBucket;
  readonly failures: s3.IBucket;
  readonly logRetention: logs.RetentionDays;
  /** Of a created source table. */
  readonly removalPolicy: RemovalPolicy;
}

/**
 * One DynamoDB source relayed into Kafka: the table (created with a `NEW_AND_OLD_IMAGES`
 * stream, or imported with its stream ARN), the relay function and its DynamoDB Streams
 * event source mapping. The function runs in the cluster's security group, which admits its
 * members on the IAM listener (9098) and the MSK API endpoint (GetBootstrapBrokers).
 */
export class SourceRelay extends Construct {
  readonly table: dynamodb.ITable;
  readonly function: HouseFunction;
  readonly eventSource: DynamoEventSource;

  constructor(scope: Construct, id: string, props: SourceRelayProps) {
    super(scope, id);
    const { source } = props;
    const t = source.table;
    if ('tableArn' in t) {
      this.table = dynamodb.Table.fromTableAttributes(this, 'Table', {
        tableArn: t.tableArn,
        tableStreamArn: t.tableStreamArn,
      });
    } else {
      this.table = new dynamodb.Table(this, 'Table', {
        tableName: t.tableName,
        partitionKey: { name: t.partitionKey, type: dynamodb.AttributeType.STRING },
        ...(t.sortKey === undefined
          ? {}
          : { sortKey: { name: t.sortKey, type: dynamodb.AttributeType.STRING } }),
        billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
        pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
        stream: dynamodb.StreamViewType.NEW_AND_OLD_IMAGES,
        removalPolicy: props.removalPolicy,
        ...(t.timeToLiveAttribute === undefined
          ? {}
          : { timeToLiveAttribute: t.timeToLiveAttribute }),
      }) as dynamodb.ITable;
    }
    this.function = new HouseFunction(this, 'Function', {
      entry: props.entry,
      description: `staysync ${props.stageName}: relay ${source.name} (DynamoDB stream → ${source.topic})`,
      logRetention: props.logRetention,
      vpc: props.network.vpc,
      vpcSubnets: props.network.privateSubnets,
      securityGroups: [props.cluster.securityGroup],
      memorySize: source.memoryMiB,
      timeout: Duration.seconds(source.timeoutSeconds),
    });
    bindRelaySource(this.function, source.name, source.relaySourceJson);
    bindKafkaProducer(this.function, props.cluster, source.topic);
    bindQuarantine(this.function, props.quarantine);
    this.eventSource = new DynamoEventSource(
      this.table,
      relayStreamSettings({ source, failureBucket: props.failures }),
    );
    this.function.addEventSource(this.eventSource);
  }
}

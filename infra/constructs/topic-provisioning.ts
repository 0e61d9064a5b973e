import { CustomResource, Duration } from 'aws-cdk-lib';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as logs from 'aws-cdk-lib/aws-logs';
import { Construct } from 'constructs';
import type { TopicResourceProperties } from '../../functions/topic-provisioner/desired-topic.js';
import type { ResolvedTopic } from '../config/resolved.js';
import { HouseFunction } from './house-function.js';
import type { KafkaCluster } from './kafka-cluster.js';
import type { Network } from './network.js';

export interface TopicProvisioningProps {
  readonly entry: string;
  readonly cluster: KafkaCluster;
  readonly network: Network;
  readonly topics: readonly ResolvedTopic[];
  readonly logRetention: logs.RetentionDays;
}

/** CloudFormation type of one Kafka topic resource. */
export const TOPIC_RESOURCE_TYPE = 'Custom::StaysyncKafkaTopic';

/** Lambda timeout of the provisioner; it answers FAILED 15 s before it (create-handler.ts). */
const PROVISIONER_TIMEOUT = Duration.minutes(5);

/**
 * How long CloudFormation waits for a topic resource's answer (`ServiceTimeout`, 1-3600 s,
 * default 3600: "AWS::CloudFormation::CustomResource", CloudFormation template reference).
 * Three provisioner timeouts: room for an invocation that is retried, and a lost answer
 * fails the stack operation in 15 minutes instead of an hour.
 */
const TOPIC_SERVICE_TIMEOUT = Duration.minutes(15);

/**
 * One `Custom::StaysyncKafkaTopic` per configured topic, served by the topic-provisioner
 * Lambda. The function runs in the cluster's security group (admitted on 9098 by its
 * self-reference rule) and gets control-plane access to this cluster and data-plane access
 * to exactly the configured topics.
 */
export class TopicProvisioning extends Construct {
  readonly function: HouseFunction;
  private readonly resources = new Map<string, CustomResource>();

  constructor(scope: Construct, id: string, props: TopicProvisioningProps) {
    super(scope, id);
    const { cluster, network } = props;
    this.function = new HouseFunction(this, 'Function', {
      entry: props.entry,
      description: 'staysync: creates and updates Kafka topics (CloudFormation custom resource)',
      logRetention: props.logRetention,
      vpc: network.vpc,
      vpcSubnets: network.privateSubnets,
      securityGroups: [cluster.securityGroup],
      timeout: PROVISIONER_TIMEOUT,
      memorySize: 256,
    });
    const fn = this.function;
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kafka:GetBootstrapBrokers', 'kafka:DescribeClusterV2'],
        resources: [cluster.clusterArn],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['kafka-cluster:Connect', 'kafka-cluster:DescribeCluster'],
        resources: [cluster.clusterArn],
      }),
    );
    const topicActions = [
      'kafka-cluster:CreateTopic',
      'kafka-cluster:DescribeTopic',
      'kafka-cluster:AlterTopic',
      'kafka-cluster:DescribeTopicDynamicConfiguration',
      'kafka-cluster:AlterTopicDynamicConfiguration',
    ];
    const deletable = props.topics.filter((t) => t.removalPolicy === 'delete');
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: topicActions,
        resources: props.topics.map((t) => cluster.topicArn(t.name)),
      }),
    );
    if (deletable.length > 0) {
      fn.addToRolePolicy(
        new iam.PolicyStatement({
          actions: ['kafka-cluster:DeleteTopic'],
          resources: deletable.map((t) => cluster.topicArn(t.name)),
        }),
      );
    }

    for (const topic of props.topics) {
      const properties: TopicResourceProperties = {
        ClusterArn: cluster.clusterArn,
        TopicName: topic.name,
        Partitions: topic.partitions,
        ReplicationFactor: topic.replicationFactor ?? -1,
        Configs: {
          'retention.ms': String(topic.retentionMs),
          'cleanup.policy': topic.cleanupPolicy,
        },
        Versioning: topic.versioning,
        RemovalPolicy: topic.removalPolicy,
      };
      const resource = new CustomResource(this, `Topic-${topic.name}`, {
        serviceToken: fn.functionArn,
        resourceType: TOPIC_RESOURCE_TYPE,
        properties,
        serviceTimeout: TOPIC_SERVICE_TIMEOUT,
      });
      // The function's role policy (a child of the function) must exist before CloudFormation
      // calls it, and must outlive the topic resources on stack deletion. So must its network
      // path: the VPC endpoints (the S3 gateway carries the answer to the pre-signed response
      // URL, the MSK API endpoint GetBootstrapBrokers), their security group rules and the
      // cluster group's 9098 rule. Without these edges CloudFormation may delete them first and
      // the Delete answer never arrives.
      resource.node.addDependency(fn, network.endpoints, cluster.securityGroup);
      this.resources.set(topic.name, resource);
    }
  }

  /** The custom resource of a topic: event source mappings depend on it. */
  resourceOf(topic: string): CustomResource {
    const r = this.resources.get(topic);
    if (r === undefined) throw new Error(`staysync: no topic resource for ${topic}`);
    return r;
  }
}

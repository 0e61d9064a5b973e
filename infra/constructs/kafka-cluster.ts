import { Fn, Stack, Token } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as msk from 'aws-cdk-lib/aws-msk';
import { Construct } from 'constructs';
import type { KafkaSpec } from '../config/types.js';
import type { Network } from './network.js';

export interface KafkaClusterProps {
  readonly spec: KafkaSpec;
  readonly network: Network;
  readonly stageName: string;
  readonly logRetention: logs.RetentionDays;
}

/** Port of MSK's SASL/IAM listener over TLS (provisioned and Serverless alike). */
export const MSK_IAM_PORT = 9098;

/**
 * The MSK cluster the pipeline reads: created (Serverless or provisioned, IAM auth only,
 * TLS everywhere) or imported by ARN. Knows the IAM resource ARNs of its topics and
 * consumer groups, so grants never need a wildcard over other clusters.
 */
export class KafkaCluster extends Construct {
  readonly clusterArn: string;
  /** Security group of the brokers; also used by the mappings and the topic provisioner. */
  readonly securityGroup: ec2.ISecurityGroup;
  /**
   * The cluster name as a plain string (known at synth): the `Cluster Name` dimension of the
   * MSK consumer-lag metrics.
   */
  readonly name: string;
  private readonly clusterName: string;
  private readonly clusterUuid: string;

  constructor(scope: Construct, id: string, props: KafkaClusterProps) {
    super(scope, id);
    const { spec, network } = props;
    if (spec.mode === 'imported') {
      this.clusterArn = spec.clusterArn;
      this.securityGroup = ec2.SecurityGroup.fromSecurityGroupId(this, 'Sg', spec.securityGroupId, {
        mutable: false,
      });
      const [, name = '', uuid = ''] = spec.clusterArn.split(':')[5]?.split('/') ?? [];
      this.clusterName = name;
      this.clusterUuid = uuid;
      this.name = name;
      return;
    }
    const sg = new ec2.SecurityGroup(this, 'Sg', {
      vpc: network.vpc,
      description: 'staysync MSK brokers, event source mapping pollers and topic provisioner',
      allowAllOutbound: true,
    });
    // Lambda's MSK pollers get ENIs in this group and must reach the brokers in it.
    sg.addIngressRule(sg, ec2.Port.tcp(MSK_IAM_PORT), 'Kafka IAM/TLS from members of this group');
    this.securityGroup = sg;
    const subnetIds = network.vpc.selectSubnets(network.privateSubnets).subnetIds;
    const iam = { sasl: { iam: { enabled: true } } };
    this.name = `staysync-${props.stageName}`;
    let arn: string;
    if (spec.mode === 'serverless') {
      const cluster = new msk.CfnServerlessCluster(this, 'Cluster', {
        clusterName: this.name,
        clientAuthentication: iam,
        vpcConfigs: [{ subnetIds, securityGroups: [sg.securityGroupId] }],
      });
      arn = cluster.attrArn;
    } else {
      const brokerLogs = new logs.LogGroup(this, 'BrokerLogs', { retention: props.logRetention });
      const cluster = new msk.CfnCluster(this, 'Cluster', {
        clusterName: this.name,
        kafkaVersion: spec.kafkaVersion ?? '3.8.x',
        numberOfBrokerNodes: spec.brokerNodes ?? 3,
        brokerNodeGroupInfo: {
          clientSubnets: subnetIds,
          instanceType: spec.instanceType ?? 'kafka.m7g.large',
          securityGroups: [sg.securityGroupId],
          storageInfo: { ebsStorageInfo: { volumeSize: spec.volumeSizeGiB ?? 100 } },
          connectivityInfo: { publicAccess: { type: 'DISABLED' } },
        },
        clientAuthentication: { ...iam, unauthenticated: { enabled: false } },
        encryptionInfo: { encryptionInTransit: { clientBroker: 'TLS', inCluster: true } },
        loggingInfo: {
          brokerLogs: { cloudWatchLogs: { enabled: true, logGroup: brokerLogs.logGroupName } },
        },
        enhancedMonitoring: 'PER_TOPIC_PER_PARTITION',
      });
      arn = cluster.attrArn;
    }
    this.clusterArn = arn;
    // arn:<p>:kafka:<r>:<a>:cluster/<name>/<uuid>
    const resource = Fn.select(5, Fn.split(':', arn));
    this.clusterName = Fn.select(1, Fn.split('/', resource));
    this.clusterUuid = Fn.select(2, Fn.split('/', resource));
  }

  /** IAM ARN of a topic of this cluster (`kafka-cluster:*Topic*`, `ReadData`). */
  topicArn(topic: string): string {
    return this.dataPlaneArn('topic', topic);
  }

  /** IAM ARN of a consumer group of this cluster (`kafka-cluster:*Group`). */
  groupArn(group: string): string {
    return this.dataPlaneArn('group', group);
  }

  private dataPlaneArn(kind: 'topic' | 'group', name: string): string {
    const stack = Stack.of(this);
    const [, partition = 'aws', , region = '', account = ''] = this.clusterArn.split(':');
    return !Token.isUnresolved(this.clusterArn)
      ? `arn:${partition}:kafka:${region}:${account}:${kind}/${this.clusterName}/${this.clusterUuid}/${name}`
      : Fn.join('', [
          `arn:${stack.partition}:kafka:${stack.region}:${stack.account}:${kind}/`,
          this.clusterName,
          '/',
          this.clusterUuid,
          `/${name}`,
        ]);
  }
}

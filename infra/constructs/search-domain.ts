import { RemovalPolicy, Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import * as logs from 'aws-cdk-lib/aws-logs';
import * as opensearch from 'aws-cdk-lib/aws-opensearchservice';
import { Construct } from 'constructs';
import type { ResolvedOpenSearch } from '../config/resolved.js';
import type { Network } from './network.js';

export interface SearchDomainProps {
  readonly spec: ResolvedOpenSearch;
  readonly network: Network;
  /** 3-28 chars `[a-z][a-z0-9-]*`; fixed so the access policy can name the domain without a cycle. */
  readonly domainName: string;
  readonly logRetention: logs.RetentionDays;
  readonly removalPolicy: RemovalPolicy;
}

/**
 * OpenSearch 2.19 in the VPC: encryption at rest, node-to-node encryption, HTTPS only with
 * TLS 1.2+, slow/application logs to CloudWatch. Access is IAM-based: the domain's resource
 * policy names only the roles passed to `allowRoles` (the OpenSearch sink), and those roles
 * get a matching identity policy.
 */
export class SearchDomain extends Construct {
  readonly domain: opensearch.Domain;
  readonly securityGroup: ec2.SecurityGroup;
  private readonly roles: iam.IRole[] = [];

  constructor(scope: Construct, id: string, props: SearchDomainProps) {
    super(scope, id);
    const { spec, network } = props;
    this.securityGroup = new ec2.SecurityGroup(this, 'Sg', {
      vpc: network.vpc,
      description: 'staysync OpenSearch domain (HTTPS from the sink functions)',
      allowAllOutbound: false,
    });
    const subnets = network.vpc.selectSubnets(network.privateSubnets).subnets;
    const azCount = spec.zoneAwareness
      ? Math.min(subnets.length, spec.dataNodes % 3 === 0 ? 3 : 2)
      : 1;
    const logGroup = (name: string) =>
      new logs.LogGroup(this, name, {
        retention: props.logRetention,
        removalPolicy: RemovalPolicy.DESTROY,
      });
    const slowSearch = logGroup('SlowSearchLogs');
    const slowIndex = logGroup('SlowIndexLogs');
    const app = logGroup('AppLogs');
    this.domain = new opensearch.Domain(this, 'Domain', {
      domainName: props.domainName,
      version: opensearch.EngineVersion.OPENSEARCH_2_19,
      capacity: {
        dataNodes: spec.dataNodes,
        dataNodeInstanceType: spec.instanceType,
        ...(spec.masterNodes > 0
          ? { masterNodes: spec.masterNodes, masterNodeInstanceType: spec.masterInstanceType }
          : {}),
        multiAzWithStandbyEnabled: false,
      },
      ebs: { volumeSize: spec.volumeSizeGiB, volumeType: ec2.EbsDeviceVolumeType.GP3 },
      zoneAwareness: spec.zoneAwareness
        ? { enabled: true, availabilityZoneCount: azCount }
        : { enabled: false },
      vpc: network.vpc,
      vpcSubnets: [{ subnets: subnets.slice(0, azCount) }],
      securityGroups: [this.securityGroup],
      encryptionAtRest: { enabled: true },
      nodeToNodeEncryption: true,
      enforceHttps: true,
      tlsSecurityPolicy: opensearch.TLSSecurityPolicy.TLS_1_2,
      logging: {
        slowSearchLogEnabled: true,
        slowSearchLogGroup: slowSearch,
        slowIndexLogEnabled: true,
        slowIndexLogGroup: slowIndex,
        appLogEnabled: true,
        appLogGroup: app,
      },
      // CDK would add this policy through an SDK-call custom resource (an extra Lambda);
      // a plain AWS::Logs::ResourcePolicy does the same declaratively.
      suppressLogsResourcePolicy: true,
      removalPolicy: props.removalPolicy,
    });
    new logs.CfnResourcePolicy(this, 'LogsPolicy', {
      policyName: `${props.domainName}-opensearch-logs`,
      policyDocument: JSON.stringify({
        Version: '2012-10-17',
        Statement: [
          {
            Effect: 'Allow',
            Principal: { Service: 'es.amazonaws.com' },
            Action: ['logs:PutLogEvents', 'logs:CreateLogStream'],
            Resource: [slowSearch, slowIndex, app].map((g) => g.logGroupArn),
          },
        ],
      }),
    });
    this.domain.node.addDependency(this.node.findChild('LogsPolicy'));
    if (spec.createServiceLinkedRole) {
      // A VPC domain cannot be created before the account has this role ("Using
      // service-linked roles for Amazon OpenSearch Service", OpenSearch developer guide).
      // Retained on deletion: other domains of the account may rely on it.
      const role = new iam.CfnServiceLinkedRole(this, 'ServiceLinkedRole', {
        awsServiceName: 'opensearchservice.amazonaws.com',
        description: 'OpenSearch Service VPC access (created by staysync)',
      });
      role.applyRemovalPolicy(RemovalPolicy.RETAIN);
      this.domain.node.addDependency(role);
    }

    // The resource policy is written by allowFunction, once the sink roles exist. It spells
    // the domain ARN from the fixed name: the domain's own ARN attribute would be a cycle.
    const stack = Stack.of(this);
    this.domainArnForPolicy = `arn:${stack.partition}:es:${stack.region}:${stack.account}:domain/${props.domainName}`;
  }

  private readonly domainArnForPolicy: string;

  /**
   * Lets a function call the domain: HTTPS from its security group, an identity policy on
   * its role, and its role named in the domain's resource policy.
   */
  allowFunction(fn: lambda.IFunction): void {
    const role = fn.role;
    if (role === undefined)
      throw new Error(`staysync: ${fn.node.path} has no role to grant OpenSearch access to`);
    this.roles.push(role);
    const actions = [
      'es:ESHttpGet',
      'es:ESHttpHead',
      'es:ESHttpPost',
      'es:ESHttpPut',
      'es:ESHttpDelete',
    ];
    role.addToPrincipalPolicy(
      new iam.PolicyStatement({ actions, resources: [`${this.domain.domainArn}/*`] }),
    );
    this.domain.connections.allowFrom(fn, ec2.Port.tcp(443), 'HTTPS from a staysync sink');
    const cfn = this.domain.node.defaultChild as opensearch.CfnDomain;
    cfn.accessPolicies = {
      Version: '2012-10-17',
      Statement: [
        {
          Effect: 'Allow',
          Principal: { AWS: this.roles.map((r) => r.roleArn) },
          Action: actions,
          Resource: `${this.domainArnForPolicy}/*`,
        },
      ],
    };
  }
}

import { Stack } from 'aws-cdk-lib';
import * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as logs from 'aws-cdk-lib/aws-logs';
import { Construct, DependencyGroup } from 'constructs';
import type { ImportedKafkaSpec } from '../config/types.js';

export interface NetworkProps {
  /** Import this cluster's VPC instead of creating one. @default - a new VPC */
  readonly imported?: ImportedKafkaSpec;
  /** AZs of a new VPC. @default 2 */
  readonly maxAzs?: number;
  /** Explicit AZs (required with a region-pinned stack: no lookups). @default - the stack's AZs */
  readonly availabilityZones?: readonly string[];
  readonly logRetention: logs.RetentionDays;
}

/**
 * The VPC the pipeline runs in. A new VPC has only isolated subnets and no NAT gateway:
 * everything the functions and the MSK event source mappings call is reached through
 * VPC endpoints (gateway: DynamoDB, S3; interface: STS and Lambda for the event source
 * mapping's pollers, the MSK API for the topic provisioner's GetBootstrapBrokers).
 */
export class Network extends Construct {
  readonly vpc: ec2.IVpc;
  readonly privateSubnets: ec2.SubnetSelection;
  /** Security group of the interface endpoints (none for an imported VPC). */
  readonly endpointSecurityGroup: ec2.SecurityGroup | undefined;
  /** Security group of the sink functions (egress only). */
  readonly functionSecurityGroup: ec2.ISecurityGroup;
  /**
   * Every VPC endpoint and the endpoints' security group (with its ingress rules): what a
   * function in this VPC needs to reach AWS. Custom resources depend on it so that
   * CloudFormation deletes none of it before they have answered their response URL.
   */
  readonly endpoints = new DependencyGroup();

  constructor(scope: Construct, id: string, props: NetworkProps) {
    super(scope, id);
    if (props.imported !== undefined) {
      const k = props.imported;
      this.vpc = ec2.Vpc.fromVpcAttributes(this, 'Vpc', {
        vpcId: k.vpcId,
        availabilityZones: [...k.availabilityZones],
        privateSubnetIds: [...k.privateSubnetIds],
        ...(k.privateRouteTableIds === undefined
          ? {}
          : { privateSubnetRouteTableIds: [...k.privateRouteTableIds] }),
      });
      this.privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_WITH_EGRESS };
      this.endpointSecurityGroup = undefined;
      if (k.privateRouteTableIds !== undefined) this.addGatewayEndpoints();
    } else {
      const vpc = new ec2.Vpc(this, 'Vpc', {
        ...(props.availabilityZones === undefined
          ? { maxAzs: props.maxAzs ?? 2 }
          : { availabilityZones: [...props.availabilityZones] }),
        natGateways: 0,
        subnetConfiguration: [
          { name: 'private', subnetType: ec2.SubnetType.PRIVATE_ISOLATED, cidrMask: 20 },
        ],
        restrictDefaultSecurityGroup: false,
      });
      new ec2.FlowLog(this, 'FlowLog', {
        resourceType: ec2.FlowLogResourceType.fromVpc(vpc as ec2.IVpc),
        destination: ec2.FlowLogDestination.toCloudWatchLogs(
          new logs.LogGroup(this, 'FlowLogs', { retention: props.logRetention }),
        ),
        trafficType: ec2.FlowLogTrafficType.REJECT,
      });
      // exactOptionalPropertyTypes: CDK's Vpc class and IVpc differ on optional fields.
      this.vpc = vpc as ec2.IVpc;
      this.privateSubnets = { subnetType: ec2.SubnetType.PRIVATE_ISOLATED };
      this.addGatewayEndpoints();
      const subnets = this.privateSubnets;
      this.endpointSecurityGroup = new ec2.SecurityGroup(this, 'EndpointSg', {
        vpc: this.vpc,
        description: 'staysync interface endpoints (HTTPS from the pipeline security groups)',
        allowAllOutbound: false,
      });
      this.endpoints.add(this.endpointSecurityGroup);
      for (const [name, service] of [
        ['Sts', ec2.InterfaceVpcEndpointAwsService.STS],
        ['Lambda', ec2.InterfaceVpcEndpointAwsService.LAMBDA],
        ['KafkaApi', mskApiEndpointService(Stack.of(this).region)],
      ] as const) {
        // Not `open`: only the groups passed to allowEndpointsFrom reach the endpoints.
        this.endpoints.add(
          vpc.addInterfaceEndpoint(name, {
            service,
            subnets,
            privateDnsEnabled: true,
            open: false,
            securityGroups: [this.endpointSecurityGroup],
          }),
        );
      }
    }
    this.functionSecurityGroup = new ec2.SecurityGroup(this, 'FunctionSg', {
      vpc: this.vpc,
      description: 'staysync sink functions (egress to VPC endpoints, OpenSearch)',
      allowAllOutbound: true,
    });
  }

  /** Admits HTTPS from `peer` (a security group) to the interface endpoints. */
  allowEndpointsFrom(peer: ec2.ISecurityGroup, description: string): void {
    this.endpointSecurityGroup?.addIngressRule(peer, ec2.Port.tcp(443), description);
  }

  private addGatewayEndpoints(): void {
    const subnets = [this.privateSubnets];
    this.endpoints.add(
      this.vpc.addGatewayEndpoint('DynamoDb', {
        service: ec2.GatewayVpcEndpointAwsService.DYNAMODB,
        subnets,
      }),
      // Also how the topic provisioner reaches its pre-signed S3 response URL.
      this.vpc.addGatewayEndpoint('S3', { service: ec2.GatewayVpcEndpointAwsService.S3, subnets }),
    );
  }
}

/**
 * The interface endpoint service of the MSK API. The MSK developer guide ("Use Amazon MSK
 * APIs with interface VPC endpoints",
 * https://docs.aws.amazon.com/msk/latest/developerguide/privatelink-vpc-endpoints.html) says
 * `com.amazonaws.<region>.kafka` is no longer supported for new connections and names the
 * dual-stack `aws.api.<region>.kafka-api`, whose private DNS name is the SDK's dual-stack
 * endpoint `kafka-api.<region>.api.aws`: the provisioner's client sets
 * `useDualstackEndpoint` (functions/topic-provisioner/create-handler.ts) to resolve it.
 */
function mskApiEndpointService(region: string): ec2.InterfaceVpcEndpointService {
  return new ec2.InterfaceVpcEndpointService(`aws.api.${region}.kafka-api`, 443);
}

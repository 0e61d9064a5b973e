import { existsSync } from 'node:fs';
import { Duration, RemovalPolicy } from 'aws-cdk-lib';
import type * as ec2 from 'aws-cdk-lib/aws-ec2';
import * as lambda from 'aws-cdk-lib/aws-lambda';
import * as nodejs from 'aws-cdk-lib/aws-lambda-nodejs';
import * as logs from 'aws-cdk-lib/aws-logs';
import type { Construct } from 'constructs';

export interface HouseFunctionProps {
  /** Absolute path of the TypeScript entry exporting `handler`. */
  readonly entry: string;
  /** Log retention of the function's own log group. */
  readonly logRetention: logs.RetentionDays;
  readonly vpc: ec2.IVpc;
  readonly vpcSubnets: ec2.SubnetSelection;
  readonly securityGroups: readonly ec2.ISecurityGroup[];
  /** @default 512 */
  readonly memorySize?: number;
  /** @default Duration.seconds(60) */
  readonly timeout?: Duration;
  /** @default - none */
  readonly environment?: Readonly<Record<string, string>>;
  /** Removal policy of the log group. @default RemovalPolicy.RETAIN */
  readonly logRemovalPolicy?: RemovalPolicy;
  /** @default - CloudFormation-generated name */
  readonly description?: string;
}

/**
 * The one way staysync builds a Lambda function: Node.js 24 on arm64, an esbuild ESM
 * bundle (minified, with source maps), its own log group with retention, X-Ray tracing,
 * inside the VPC. The AWS SDK is bundled (not taken from the runtime) so Lambda runs the
 * exact SDK version the tests ran.
 *
 * @example
 * new HouseFunction(this, 'SinkDynamodb', {
 *   entry: path.join(root, 'functions/sink-dynamodb/handler.ts'),
 *   logRetention: logs.RetentionDays.ONE_MONTH, vpc, vpcSubnets, securityGroups: [sg],
 * });
 */
export class HouseFunction extends nodejs.NodejsFunction {
  constructor(scope: Construct, id: string, props: HouseFunctionProps) {
    if (!existsSync(props.entry)) {
      // NodejsFunction would say "Cannot find entry file"; name the construct too.
      throw new Error(`staysync: ${scope.node.path}/${id}: entry ${props.entry} does not exist`);
    }
    // The log group is created before the function so its name is fixed and its retention
    // explicit, instead of the implicit never-expiring /aws/lambda/<name> group.
    const logGroup = new logs.LogGroup(scope, `${id}Logs`, {
      retention: props.logRetention,
      removalPolicy: props.logRemovalPolicy ?? RemovalPolicy.RETAIN,
    });
    super(scope, id, {
      entry: props.entry,
      handler: 'handler',
      runtime: lambda.Runtime.NODEJS_24_X,
      architecture: lambda.Architecture.ARM_64,
      memorySize: props.memorySize ?? 512,
      timeout: props.timeout ?? Duration.seconds(60),
      tracing: lambda.Tracing.ACTIVE,
      logGroup,
      vpc: props.vpc,
      vpcSubnets: props.vpcSubnets,
      securityGroups: [...props.securityGroups],
      ...(props.description === undefined ? {} : { description: props.description }),
      environment: {
        // Stack traces point at the TypeScript sources through the bundled source map.
        NODE_OPTIONS: '--enable-source-maps',
        ...props.environment,
      },
      bundling: {
        format: nodejs.OutputFormat.ESM,
        target: 'node24',
        minify: true,
        sourceMap: true,
        sourcesContent: false,
        mainFields: ['module', 'main'],
        bundleAwsSDK: true,
        externalModules: [],
        // CommonJS dependencies (kafkajs, parts of the SDK) call require() on Node
        // built-ins; an ESM bundle has no require, so give it one.
        banner:
          "import { createRequire as __staysyncCreateRequire } from 'node:module'; const require = __staysyncCreateRequire(import.meta.url);",
      },
    });
  }
}

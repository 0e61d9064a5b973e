import { Stack, type StackProps } from 'aws-cdk-lib';
import type { Construct } from 'constructs';
import type { StageConfig } from '../config/types.js';
import { type FunctionEntries, SyncPipeline } from '../constructs/sync-pipeline.js';
import { addNagSuppressions } from './nag-suppressions.js';

export interface StaysyncStackProps extends StackProps {
  readonly stage: StageConfig;
  /** @default - the repository's functions */
  readonly entries?: FunctionEntries;
}

/** One stage of staysync: a stack holding one SyncPipeline, with its cdk-nag suppressions. */
export class StaysyncStack extends Stack {
  readonly pipeline: SyncPipeline;

  constructor(scope: Construct, id: string, props: StaysyncStackProps) {
    const { stage } = props;
    super(scope, id, {
      ...props,
      ...(stage.env === undefined
        ? {}
        : { env: { account: stage.env.account, region: stage.env.region } }),
      description: `staysync ${stage.stageName}: Kafka change log -> DynamoDB, OpenSearch, S3`,
    });
    if (stage.env !== undefined) {
      // A region-pinned VPC checks its AZs against the stack's, which CDK would look up with
      // AWS credentials; the stage lists them, so answer the lookup from the config.
      const { account, region, availabilityZones } = stage.env;
      this.node.setContext(`availability-zones:account=${account}:region=${region}`, [
        ...availabilityZones,
      ]);
    }
    this.pipeline = new SyncPipeline(this, 'Pipeline', {
      ...stage,
      ...(stage.env === undefined ? {} : { availabilityZones: stage.env.availabilityZones }),
      ...(props.entries === undefined ? {} : { entries: props.entries }),
    });
    addNagSuppressions(this, this.pipeline);
  }
}

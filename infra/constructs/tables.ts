import type { RemovalPolicy } from 'aws-cdk-lib';
import * as dynamodb from 'aws-cdk-lib/aws-dynamodb';
import { Construct } from 'constructs';

export interface PipelineTablesProps {
  readonly removalPolicy: RemovalPolicy;
}

/**
 * The ledger (DESIGN §3.3: `pk` S, TTL `expiresAt`) and the DynamoDB view. Both on-demand
 * (the load follows Kafka bursts), point-in-time recovery on, AWS-owned encryption.
 */
export class PipelineTables extends Construct {
  readonly ledger: dynamodb.ITable;
  readonly view: dynamodb.ITable;

  constructor(scope: Construct, id: string, props: PipelineTablesProps) {
    super(scope, id);
    const common = {
      partitionKey: { name: 'pk', type: dynamodb.AttributeType.STRING },
      billingMode: dynamodb.BillingMode.PAY_PER_REQUEST,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      removalPolicy: props.removalPolicy,
      // Tombstone items of the view and evt# markers of the ledger both expire.
      timeToLiveAttribute: 'expiresAt',
    } as const;
    this.ledger = new dynamodb.Table(this, 'Ledger', common) as dynamodb.ITable;
    this.view = new dynamodb.Table(this, 'View', common) as dynamodb.ITable;
  }
}

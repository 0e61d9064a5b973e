import * as iam from 'aws-cdk-lib/aws-iam';
import type * as lambda from 'aws-cdk-lib/aws-lambda';
import { S3OnFailureDestination } from 'aws-cdk-lib/aws-lambda-event-sources';
import type * as s3 from 'aws-cdk-lib/aws-s3';

/**
 * The on-failure destination of a Kafka mapping, granting only what Lambda needs to write
 * there. "Capturing discarded batches for Amazon MSK and self-managed Apache Kafka event
 * sources" (AWS Lambda developer guide,
 * https://docs.aws.amazon.com/lambda/latest/dg/kafka-on-failure.html) lists, for an S3
 * destination, `s3:PutObject` and `s3:ListBucket` on the execution role (and
 * `kms:GenerateDataKey` only with a customer-managed key; the bucket uses SSE-S3).
 * aws-cdk-lib's S3OnFailureDestination grants `grantReadWrite` instead (Get*, List*,
 * DeleteObject*, Abort*...). Still an S3OnFailureDestination, because the Kafka event source
 * accepts S3 destinations by that class.
 */
export class LeastPrivilegeS3OnFailureDestination extends S3OnFailureDestination {
  private readonly target: s3.IBucket;

  constructor(bucket: s3.IBucket) {
    super(bucket);
    this.target = bucket;
  }

  override bind(
    _mapping: lambda.IEventSourceMapping,
    fn: lambda.IFunction,
  ): lambda.DlqDestinationConfig {
    fn.addToRolePolicy(
      new iam.PolicyStatement({
        actions: ['s3:PutObject'],
        resources: [this.target.arnForObjects('*')],
      }),
    );
    fn.addToRolePolicy(
      new iam.PolicyStatement({ actions: ['s3:ListBucket'], resources: [this.target.bucketArn] }),
    );
    return { destination: this.target.bucketArn };
  }
}

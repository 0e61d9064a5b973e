/**
 * Clients and unique names for integration tests that arrange and inspect state on the
 * local stack's AWS emulators: Dynoxide (DynamoDB, DynamoDB Streams) and moto (S3).
 * Tables and buckets: see local/aws/resources.ts.
 *
 * @example
 *   const stack = loadStackEnv();
 *   const s3 = localS3(stack);
 *   const bucket = uniqueName('quarantine-it');
 *   await s3.send(new CreateBucketCommand({ Bucket: bucket }));
 *   afterAll(() => emptyAndDeleteBucket(s3, bucket));
 */
import { randomUUID } from 'node:crypto';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import { S3Client } from '@aws-sdk/client-s3';
import { loadStackEnv, type StackEnv } from './stack-env.js';

export {
  createPkTable,
  emptyAndDeleteBucket,
  listAllKeys,
} from '../../local/aws/resources.js';

/**
 * `<prefix>-<8 random hex digits>`: several test runs share one stack, so every table,
 * bucket, topic and index a test makes carries a name no other run uses.
 */
export const uniqueName = (prefix: string): string => `${prefix}-${randomUUID().slice(0, 8)}`;

/** A DynamoDB client of the test's own (not the handler's instance) on the stack's Dynoxide. */
export const localDynamoDb = (stack: StackEnv): DynamoDBClient =>
  new DynamoDBClient({
    endpoint: stack.dynamodbEndpoint,
    region: stack.awsRegion,
    credentials: stack.credentials,
  });

/** A DynamoDB Streams client on the stack's Dynoxide (`AWS_ENDPOINT_URL_DYNAMODB_STREAMS`). */
export const localDynamoDbStreams = (stack: StackEnv): DynamoDBStreamsClient =>
  new DynamoDBStreamsClient({
    endpoint: stack.vars.AWS_ENDPOINT_URL_DYNAMODB_STREAMS ?? stack.dynamodbEndpoint,
    region: stack.awsRegion,
    credentials: stack.credentials,
  });

/** An S3 client of the test's own (not the handler's instance) on the stack's moto. */
export const localS3 = (stack: StackEnv): S3Client =>
  new S3Client({
    endpoint: stack.s3Endpoint,
    region: stack.awsRegion,
    credentials: stack.credentials,
    // moto serves buckets by path; virtual-hosted names would need DNS for *.127.0.0.1.
    forcePathStyle: true,
  });

/**
 * What an integration test of the real handlers starts with: the handlers' logs and EMF
 * metrics silenced (unless the shell asks for them), the stack, and the test's own clients.
 */
export function quietLocalStack() {
  process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
  process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';
  const stack = loadStackEnv();
  return { stack, ddb: localDynamoDb(stack), s3: localS3(stack) };
}

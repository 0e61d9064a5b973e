/**
 * Creating and removing the tables and buckets a local run or a test needs on the local
 * stack (Dynoxide, moto), shared by the demo and the integration tests so they cannot drift apart.
 */
import {
  type AttributeValue,
  CreateTableCommand,
  type DynamoDBClient,
  ScanCommand,
  type StreamViewType,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DynamoDBStreamsClient } from '@aws-sdk/client-dynamodb-streams';
import {
  DeleteBucketCommand,
  DeleteObjectsCommand,
  ListObjectsV2Command,
  type S3Client,
} from '@aws-sdk/client-s3';
import { unmarshall } from '@aws-sdk/util-dynamodb';

/**
 * Creates an on-demand table keyed by a string `pk` (the layout of the ledger and of the
 * view) and waits until it exists.
 */
export async function createPkTable(
  client: DynamoDBClient,
  tableName: string,
  maxWaitTimeSeconds = 30,
  /** turns the table's stream on with this view type */
  streamViewType?: StreamViewType,
): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: tableName,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      ...(streamViewType === undefined
        ? {}
        : { StreamSpecification: { StreamEnabled: true, StreamViewType: streamViewType } }),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: maxWaitTimeSeconds }, { TableName: tableName });
}

/** Every item of `table`, unmarshalled, read strongly consistent page by page. */
export async function scanItems(
  client: DynamoDBClient,
  table: string,
): Promise<Record<string, unknown>[]> {
  const items: Record<string, unknown>[] = [];
  let start: Record<string, AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: start }),
    );
    for (const item of page.Items ?? []) items.push(unmarshall(item));
    start = page.LastEvaluatedKey;
  } while (start !== undefined);
  return items;
}

/**
 * A DynamoDB Streams client on the local stack (its `AWS_ENDPOINT_URL_DYNAMODB_STREAMS`,
 * region and static credentials, from `.local/stack.env`'s variables).
 */
export const dynamoDbStreamsClient = (vars: Readonly<Record<string, string>>) =>
  new DynamoDBStreamsClient({
    region: vars.AWS_REGION ?? 'us-east-1',
    endpoint: vars.AWS_ENDPOINT_URL_DYNAMODB_STREAMS ?? vars.AWS_ENDPOINT_URL_DYNAMODB ?? '',
    credentials: {
      accessKeyId: vars.AWS_ACCESS_KEY_ID ?? 'test',
      secretAccessKey: vars.AWS_SECRET_ACCESS_KEY ?? 'test',
    },
  });

/** Every key in `bucket` (under `prefix` when given), following continuation tokens. */
export async function listAllKeys(
  s3: S3Client,
  bucket: string,
  prefix?: string,
): Promise<string[]> {
  const keys: string[] = [];
  let token: string | undefined;
  do {
    const page = await s3.send(
      new ListObjectsV2Command({
        Bucket: bucket,
        ...(prefix === undefined ? {} : { Prefix: prefix }),
        ContinuationToken: token,
      }),
    );
    for (const o of page.Contents ?? []) if (o.Key !== undefined) keys.push(o.Key);
    token = page.IsTruncated === true ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return keys;
}

/** Deletes every object of `bucket`, then the bucket (S3 refuses to delete a non-empty one). */
export async function emptyAndDeleteBucket(s3: S3Client, bucket: string): Promise<void> {
  const keys = await listAllKeys(s3, bucket);
  // DeleteObjects takes at most 1,000 keys per request.
  for (let i = 0; i < keys.length; i += 1000) {
    await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.slice(i, i + 1000).map((Key) => ({ Key })) },
      }),
    );
  }
  await s3.send(new DeleteBucketCommand({ Bucket: bucket }));
}

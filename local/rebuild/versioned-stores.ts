/**
 * The store I/O of a DynamoDB or S3 archive rebuild: create the new view table like the
 * live one, and find or delete old versions (`--drop-old`).
 */
import {
  CreateTableCommand,
  DeleteTableCommand,
  DescribeTableCommand,
  DescribeTimeToLiveCommand,
  type DynamoDBClient,
  ResourceNotFoundException,
  UpdateTimeToLiveCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { DeleteObjectsCommand, ListObjectsV2Command, type S3Client } from '@aws-sdk/client-s3';

/**
 * Creates `target` with the live table's key schema, billing mode, secondary indexes and
 * TTL attribute (tombstones and event markers expire through it). A table that already
 * exists (a rerun after kill -9) is kept.
 */
export async function createTableLike(
  client: DynamoDBClient,
  live: string,
  target: string,
): Promise<void> {
  if (await tableExists(client, target)) return;
  const { Table: t } = await client.send(new DescribeTableCommand({ TableName: live }));
  if (t === undefined) throw new Error(`DescribeTable ${live} returned no table`);
  const onDemand = t.BillingModeSummary?.BillingMode !== 'PROVISIONED';
  const throughput = (p?: {
    ReadCapacityUnits?: number | undefined;
    WriteCapacityUnits?: number | undefined;
  }) =>
    onDemand
      ? {}
      : {
          ProvisionedThroughput: {
            ReadCapacityUnits: p?.ReadCapacityUnits ?? 5,
            WriteCapacityUnits: p?.WriteCapacityUnits ?? 5,
          },
        };
  await client.send(
    new CreateTableCommand({
      TableName: target,
      KeySchema: t.KeySchema,
      AttributeDefinitions: t.AttributeDefinitions,
      BillingMode: onDemand ? 'PAY_PER_REQUEST' : 'PROVISIONED',
      ...throughput(t.ProvisionedThroughput),
      ...(t.GlobalSecondaryIndexes === undefined || t.GlobalSecondaryIndexes.length === 0
        ? {}
        : {
            GlobalSecondaryIndexes: t.GlobalSecondaryIndexes.map((g) => ({
              IndexName: g.IndexName,
              KeySchema: g.KeySchema,
              Projection: g.Projection,
              ...throughput(g.ProvisionedThroughput),
            })),
          }),
    }),
  );
  await waitUntilTableExists({ client, maxWaitTime: 300 }, { TableName: target });
  const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: live }));
  const attribute = ttl.TimeToLiveDescription?.AttributeName;
  if (attribute !== undefined && ttl.TimeToLiveDescription?.TimeToLiveStatus !== 'DISABLED') {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: target,
        TimeToLiveSpecification: { AttributeName: attribute, Enabled: true },
      }),
    );
  }
}

export async function tableExists(client: DynamoDBClient, table: string): Promise<boolean> {
  try {
    await client.send(new DescribeTableCommand({ TableName: table }));
    return true;
  } catch (err) {
    if (err instanceof ResourceNotFoundException) return false;
    throw err;
  }
}

export async function deleteTable(client: DynamoDBClient, table: string): Promise<void> {
  await client.send(new DeleteTableCommand({ TableName: table }));
}

/** Whether any object lies under `<prefix>/` (not `<prefix>-v2/`). */
export async function prefixExists(s3: S3Client, bucket: string, prefix: string) {
  const page = await s3.send(
    new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/`, MaxKeys: 1 }),
  );
  return (page.KeyCount ?? 0) > 0;
}

/** Deletes every object under `<prefix>/`, 1,000 per request; returns how many. */
export async function deletePrefix(s3: S3Client, bucket: string, prefix: string) {
  let deleted = 0;
  for (;;) {
    const page = await s3.send(new ListObjectsV2Command({ Bucket: bucket, Prefix: `${prefix}/` }));
    const keys = (page.Contents ?? []).flatMap((o) => (o.Key === undefined ? [] : [o.Key]));
    if (keys.length === 0) return deleted;
    const result = await s3.send(
      new DeleteObjectsCommand({
        Bucket: bucket,
        Delete: { Objects: keys.map((Key) => ({ Key })), Quiet: true },
      }),
    );
    if ((result.Errors ?? []).length > 0) {
      throw new Error(
        `deleting ${prefix}/: ${result.Errors?.map((e) => `${e.Key}: ${e.Code}`).join(', ')}`,
      );
    }
    deleted += keys.length;
  }
}

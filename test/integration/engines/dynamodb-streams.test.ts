import {
  CreateTableCommand,
  DeleteItemCommand,
  DeleteTableCommand,
  PutItemCommand,
  UpdateItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import {
  DescribeStreamCommand,
  GetRecordsCommand,
  GetShardIteratorCommand,
  ListStreamsCommand,
  type _Record as StreamRecord,
} from '@aws-sdk/client-dynamodb-streams';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { localDynamoDb, localDynamoDbStreams, uniqueName } from '../../support/aws.js';
import { loadStackEnv } from '../../support/stack-env.js';

// DynamoDB Streams on the running Dynoxide, read the way a relay (or Lambda's stream
// poller) reads them: ListStreams → DescribeStream (shards) → GetShardIterator → GetRecords.
const stack = loadStackEnv();
const ddb = localDynamoDb(stack);
const streams = localDynamoDbStreams(stack);
const table = uniqueName('engine-stream');
let streamArn: string;

beforeAll(async () => {
  const created = await ddb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      StreamSpecification: { StreamEnabled: true, StreamViewType: 'NEW_AND_OLD_IMAGES' },
    }),
  );
  await waitUntilTableExists({ client: ddb, maxWaitTime: 30 }, { TableName: table });
  streamArn = created.TableDescription?.LatestStreamArn ?? '';
});

afterAll(async () => {
  await ddb.send(new DeleteTableCommand({ TableName: table }));
  ddb.destroy();
  streams.destroy();
});

async function readAll(arn: string): Promise<StreamRecord[]> {
  const described = await streams.send(new DescribeStreamCommand({ StreamArn: arn }));
  const records: StreamRecord[] = [];
  for (const shard of described.StreamDescription?.Shards ?? []) {
    let iterator = (
      await streams.send(
        new GetShardIteratorCommand({
          StreamArn: arn,
          ShardId: shard.ShardId,
          ShardIteratorType: 'TRIM_HORIZON',
        }),
      )
    ).ShardIterator;
    // An open shard always hands back a next iterator: stop at the first empty page.
    while (iterator !== undefined) {
      const page = await streams.send(new GetRecordsCommand({ ShardIterator: iterator }));
      records.push(...(page.Records ?? []));
      if ((page.Records ?? []).length === 0) break;
      iterator = page.NextShardIterator;
    }
  }
  return records;
}

describe('DynamoDB Streams on the local DynamoDB (Dynoxide)', () => {
  it('lists the stream of a table created with NEW_AND_OLD_IMAGES', async () => {
    const listed = await streams.send(new ListStreamsCommand({ TableName: table }));

    expect(streamArn).toMatch(/stream/);
    expect(listed.Streams?.map((s) => s.StreamArn)).toContain(streamArn);
    const described = await streams.send(new DescribeStreamCommand({ StreamArn: streamArn }));
    expect(described.StreamDescription).toMatchObject({
      StreamViewType: 'NEW_AND_OLD_IMAGES',
      StreamStatus: 'ENABLED',
      TableName: table,
    });
    // (AWS also answers the table's KeySchema here; Dynoxide 3.2.0 leaves it out, so
    // nothing in staysync may read it from DescribeStream.)
    expect(described.StreamDescription?.Shards?.length).toBeGreaterThanOrEqual(1);
  });

  it('records INSERT, MODIFY and REMOVE in order, with old and new images', async () => {
    const Key = { pk: { S: 'customer#42' } };
    await ddb.send(
      new PutItemCommand({ TableName: table, Item: { ...Key, name: { S: 'Ada' }, v: { N: '1' } } }),
    );
    await ddb.send(
      new UpdateItemCommand({
        TableName: table,
        Key,
        UpdateExpression: 'SET #n = :n, v = :v',
        ExpressionAttributeNames: { '#n': 'name' },
        ExpressionAttributeValues: { ':n': { S: 'Ada L.' }, ':v': { N: '2' } },
      }),
    );
    await ddb.send(new DeleteItemCommand({ TableName: table, Key }));

    const records = (await readAll(streamArn)).filter(
      (r) => r.dynamodb?.Keys?.pk?.S === 'customer#42',
    );

    expect(records.map((r) => r.eventName)).toEqual(['INSERT', 'MODIFY', 'REMOVE']);
    const [insert, modify, remove] = records;
    expect(insert?.dynamodb?.OldImage).toBeUndefined();
    expect(insert?.dynamodb?.NewImage).toEqual({ ...Key, name: { S: 'Ada' }, v: { N: '1' } });
    expect(modify?.dynamodb?.OldImage).toEqual({ ...Key, name: { S: 'Ada' }, v: { N: '1' } });
    expect(modify?.dynamodb?.NewImage).toEqual({ ...Key, name: { S: 'Ada L.' }, v: { N: '2' } });
    expect(remove?.dynamodb?.OldImage).toEqual({ ...Key, name: { S: 'Ada L.' }, v: { N: '2' } });
    expect(remove?.dynamodb?.NewImage).toBeUndefined();
    for (const r of records) {
      expect(r.eventSource).toBe('aws:dynamodb');
      expect(r.dynamodb?.StreamViewType).toBe('NEW_AND_OLD_IMAGES');
      expect(r.dynamodb?.ApproximateCreationDateTime).toBeInstanceOf(Date);
    }
    // Sequence numbers are decimal strings, increasing within a shard.
    const sequence = records.map((r) => BigInt(r.dynamodb?.SequenceNumber ?? '-1'));
    expect(sequence[0]).toBeGreaterThanOrEqual(0n);
    expect(sequence[1]).toBeGreaterThan(sequence[0] as bigint);
    expect(sequence[2]).toBeGreaterThan(sequence[1] as bigint);
  });

  it('writes no record for a write that changed nothing (a failed condition)', async () => {
    const Key = { pk: { S: 'guarded' } };
    await ddb.send(new PutItemCommand({ TableName: table, Item: { ...Key, v: { N: '5' } } }));
    await ddb
      .send(
        new PutItemCommand({
          TableName: table,
          Item: { ...Key, v: { N: '4' } },
          ConditionExpression: 'v < :v',
          ExpressionAttributeValues: { ':v': { N: '4' } },
        }),
      )
      .catch((error: unknown) => {
        if ((error as Error).name !== 'ConditionalCheckFailedException') throw error;
      });

    const records = (await readAll(streamArn)).filter((r) => r.dynamodb?.Keys?.pk?.S === 'guarded');

    expect(records.map((r) => r.eventName)).toEqual(['INSERT']);
  });
});

import {
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPkTable, motoDynamoDb, uniqueName } from '../../support/moto.js';
import { loadStackEnv } from '../../support/stack-env.js';

// Proves the local DynamoDB (moto) has the semantics the ledger relies on:
// all-or-nothing transactions with per-item cancellation reasons, and TTL.
const stack = loadStackEnv();
const client = motoDynamoDb(stack);
const table = uniqueName('engine-ddb');

beforeAll(async () => {
  await createPkTable(client, table);
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: table }));
  client.destroy();
});

describe('the local DynamoDB', () => {
  it('cancels a whole transaction when one condition fails, and says which one', async () => {
    await client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'guarded' }, version: { N: '5' } } }),
    );

    const transaction = client.send(
      new TransactWriteItemsCommand({
        TransactItems: [
          { Put: { TableName: table, Item: { pk: { S: 'innocent' }, version: { N: '1' } } } },
          {
            Update: {
              TableName: table,
              Key: { pk: { S: 'guarded' } },
              UpdateExpression: 'SET version = :next',
              ConditionExpression: 'version < :next',
              ExpressionAttributeValues: { ':next': { N: '3' } },
            },
          },
        ],
      }),
    );

    const error = await transaction.then(
      () => undefined,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons?.map(
      (reason) => reason.Code,
    );
    expect(reasons).toEqual(['None', 'ConditionalCheckFailed']);
    const innocent = await client.send(
      new GetItemCommand({
        TableName: table,
        Key: { pk: { S: 'innocent' } },
        ConsistentRead: true,
      }),
    );
    expect(innocent.Item).toBeUndefined();
    const guarded = await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: 'guarded' } }, ConsistentRead: true }),
    );
    expect(guarded.Item?.version).toEqual({ N: '5' });
  });

  it('enables time to live on an attribute', async () => {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );

    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));

    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: expect.stringMatching(/^ENABL(ED|ING)$/),
    });
  });
});

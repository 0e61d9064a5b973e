import {
  BatchGetItemCommand,
  ConditionalCheckFailedException,
  DeleteTableCommand,
  DescribeTimeToLiveCommand,
  GetItemCommand,
  PutItemCommand,
  TransactionCanceledException,
  TransactWriteItemsCommand,
  UpdateItemCommand,
  UpdateTimeToLiveCommand,
} from '@aws-sdk/client-dynamodb';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPkTable, localDynamoDb, uniqueName } from '../../support/aws.js';
import { loadStackEnv } from '../../support/stack-env.js';

// Pins, against the running Dynoxide, each DynamoDB behaviour the adapters rely on (the
// view's guarded put, the aggregates' transactions, the pre-read's BatchGetItem, the
// ledger's TTL, poison classification of oversized items and numbers). What Dynoxide does
// not emulate (eventually consistent reads, TransactionConflictException, throttling) is
// injected at the SDK layer by the adapters' own tests instead.
const stack = loadStackEnv();
const client = localDynamoDb(stack);
const table = uniqueName('engine-ddb');

beforeAll(async () => {
  await createPkTable(client, table);
});

afterAll(async () => {
  await client.send(new DeleteTableCommand({ TableName: table }));
  client.destroy();
});

const get = async (pk: string) =>
  (
    await client.send(
      new GetItemCommand({ TableName: table, Key: { pk: { S: pk } }, ConsistentRead: true }),
    )
  ).Item;

const failureOf = (promise: Promise<unknown>): Promise<unknown> =>
  promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );

describe('the local DynamoDB (Dynoxide)', () => {
  it('refuses a guarded put over a newer version and returns the stored item when asked', async () => {
    await client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'view' }, _v: { N: '7' } } }),
    );

    const error = await failureOf(
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'view' }, _v: { N: '6' } },
          ConditionExpression: 'attribute_not_exists(pk) OR #v < :v',
          ExpressionAttributeNames: { '#v': '_v' },
          ExpressionAttributeValues: { ':v': { N: '6' } },
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
        }),
      ),
    );

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toEqual({
      pk: { S: 'view' },
      _v: { N: '7' },
    });
    expect((await get('view'))?._v).toEqual({ N: '7' });
  });

  it('returns no item on a failed guard when the caller did not ask for one', async () => {
    const error = await failureOf(
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'view' }, _v: { N: '1' } },
          ConditionExpression: '#v < :v',
          ExpressionAttributeNames: { '#v': '_v' },
          ExpressionAttributeValues: { ':v': { N: '1' } },
        }),
      ),
    );

    expect(error).toBeInstanceOf(ConditionalCheckFailedException);
    expect((error as ConditionalCheckFailedException).Item).toBeUndefined();
  });

  it('cancels a whole transaction when one condition fails, and says which one', async () => {
    await client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'guarded' }, version: { N: '5' } } }),
    );

    const error = await failureOf(
      client.send(
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
      ),
    );

    expect(error).toBeInstanceOf(TransactionCanceledException);
    const reasons = (error as TransactionCanceledException).CancellationReasons?.map(
      (reason) => reason.Code,
    );
    expect(reasons).toEqual(['None', 'ConditionalCheckFailed']);
    expect(await get('innocent')).toBeUndefined();
    expect((await get('guarded'))?.version).toEqual({ N: '5' });
  });

  it('applies concurrent counter transactions exactly (no lost update, no torn write)', async () => {
    const counter = 'counter';
    const n = 64;

    await Promise.all(
      Array.from({ length: n }, (_, i) =>
        client.send(
          new TransactWriteItemsCommand({
            TransactItems: [
              {
                Update: {
                  TableName: table,
                  Key: { pk: { S: counter } },
                  UpdateExpression: 'ADD amount :one',
                  ExpressionAttributeValues: { ':one': { N: '1' } },
                },
              },
              {
                Put: {
                  TableName: table,
                  Item: { pk: { S: `marker#${i}` } },
                  ConditionExpression: 'attribute_not_exists(pk)',
                },
              },
            ],
          }),
        ),
      ),
    );

    expect((await get(counter))?.amount).toEqual({ N: String(n) });
    const markers = await Promise.all(Array.from({ length: n }, (_, i) => get(`marker#${i}`)));
    expect(markers.filter((m) => m !== undefined)).toHaveLength(n);
  });

  it('answers BatchGetItem with UnprocessedKeys past the 16 MB response limit', async () => {
    // 60 items of ~390 KB: ~23 MB in all, more than one response may carry.
    const keys = Array.from({ length: 60 }, (_, i) => `big#${i}`);
    const payload = 'x'.repeat(390 * 1024);
    for (const pk of keys) {
      await client.send(
        new PutItemCommand({ TableName: table, Item: { pk: { S: pk }, body: { S: payload } } }),
      );
    }

    const answer = await client.send(
      new BatchGetItemCommand({
        RequestItems: { [table]: { Keys: keys.map((pk) => ({ pk: { S: pk } })) } },
      }),
    );

    const returned = answer.Responses?.[table]?.length ?? 0;
    const unprocessed = answer.UnprocessedKeys?.[table]?.Keys?.length ?? 0;
    expect(returned).toBeGreaterThan(0);
    expect(unprocessed).toBeGreaterThan(0);
    expect(returned + unprocessed).toBe(keys.length);
  });

  it('refuses an item over 400 KB with a ValidationException (poison, not retriable)', async () => {
    const error = await failureOf(
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'huge' }, body: { S: 'x'.repeat(401 * 1024) } },
        }),
      ),
    );

    expect((error as Error).name).toBe('ValidationException');
    expect((error as Error).message).toMatch(/size/i);
    expect(await get('huge')).toBeUndefined();
  });

  it('keeps 38 significant digits exactly and refuses a 39th', async () => {
    const exact = '12345678901234567890123456789012345678';
    await client.send(
      new PutItemCommand({ TableName: table, Item: { pk: { S: 'precise' }, n: { N: exact } } }),
    );
    const added = await client.send(
      new UpdateItemCommand({
        TableName: table,
        Key: { pk: { S: 'precise' } },
        UpdateExpression: 'ADD n :tiny',
        ExpressionAttributeValues: { ':tiny': { N: '1' } },
        ReturnValues: 'UPDATED_NEW',
      }),
    );

    const error = await failureOf(
      client.send(
        new PutItemCommand({
          TableName: table,
          Item: { pk: { S: 'imprecise' }, n: { N: `${exact}9` } },
        }),
      ),
    );

    expect(added.Attributes?.n).toEqual({ N: '12345678901234567890123456789012345679' });
    expect((error as Error).name).toBe('ValidationException');
    expect((error as Error).message).toMatch(/more than 38 significant digits/);
  });

  it('enables time to live on an attribute, and an expired item stays readable until swept', async () => {
    await client.send(
      new UpdateTimeToLiveCommand({
        TableName: table,
        TimeToLiveSpecification: { AttributeName: 'expiresAt', Enabled: true },
      }),
    );
    // Expired a minute ago: AWS deletes such items in the background, within days, and
    // reads may still return them meanwhile, so nothing may rely on them being gone.
    const expired = Math.floor(Date.now() / 1000) - 60;
    await client.send(
      new PutItemCommand({
        TableName: table,
        Item: { pk: { S: 'marker' }, expiresAt: { N: String(expired) } },
      }),
    );

    const ttl = await client.send(new DescribeTimeToLiveCommand({ TableName: table }));

    expect(ttl.TimeToLiveDescription).toMatchObject({
      AttributeName: 'expiresAt',
      TimeToLiveStatus: expect.stringMatching(/^ENABL(ED|ING)$/),
    });
    expect((await get('marker'))?.expiresAt).toEqual({ N: String(expired) });
  });
});

/**
 * The local DynamoDB's per-request cost, measured apart from any staysync code: PutItem
 * per second at several concurrencies (plain and conditional, as the view sink writes)
 * against BatchWriteItem items per second, on the endpoint given (default: the stack's
 * Dynoxide).
 *
 *   npx tsx bench/e2e/dynamodb-probe.ts [http://127.0.0.1:18000] [rounds]
 *
 * Run it under the bench lock. It creates and deletes its own table.
 */
import { randomUUID } from 'node:crypto';
import {
  BatchWriteItemCommand,
  CreateTableCommand,
  DeleteTableCommand,
  DynamoDBClient,
  PutItemCommand,
  waitUntilTableExists,
} from '@aws-sdk/client-dynamodb';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mapBounded } from '../../functions/core/index.js';
import { loadStackEnv } from '../../test/support/stack-env.js';
import { median, round } from '../lib/stats.js';
import { batches, envelope, prng } from '../lib/workload.js';

const endpoint = process.argv[2] ?? loadStackEnv().dynamodbEndpoint;
const rounds = Number(process.argv[3] ?? 3);
const ddb = new DynamoDBClient({
  endpoint,
  region: 'us-east-1',
  credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
});

async function main() {
  const table = `probe-${randomUUID().slice(0, 8)}`;
  await ddb.send(
    new CreateTableCommand({
      TableName: table,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
  await waitUntilTableExists({ client: ddb, maxWaitTime: 60 }, { TableName: table });
  try {
    const random = prng(3);
    let run = 0;
    const docs = () => {
      run++;
      return Array.from({ length: 600 }, (_, i) => envelope(`r${run}k${i}`, 1, random, 1000));
    };
    const rate = async (f: () => Promise<number>) => {
      const samples: number[] = [];
      for (let i = 0; i < rounds; i++) samples.push(await f());
      return round(median(samples), 0);
    };
    const put = (concurrency: number, conditional: boolean) => async () => {
      const items = docs();
      const began = performance.now();
      await mapBounded(items, concurrency, async (d) => {
        await ddb.send(
          new PutItemCommand({
            TableName: table,
            Item: marshall({ pk: `${d.entity}#${d.key}`, _v: d.version, data: d.data }),
            ...(conditional
              ? {
                  ConditionExpression: 'attribute_not_exists(pk) OR #v < :v',
                  ExpressionAttributeNames: { '#v': '_v' },
                  ExpressionAttributeValues: { ':v': { N: String(d.version) } },
                }
              : {}),
          }),
        );
      });
      return items.length / ((performance.now() - began) / 1000);
    };
    const batch = (concurrency: number) => async () => {
      const items = docs();
      const began = performance.now();
      await mapBounded(batches(items, 25), concurrency, async (chunk) => {
        await ddb.send(
          new BatchWriteItemCommand({
            RequestItems: {
              [table]: chunk.map((d) => ({
                PutRequest: {
                  Item: marshall({ pk: `${d.entity}#${d.key}`, _v: d.version, data: d.data }),
                },
              })),
            },
          }),
        );
      });
      return items.length / ((performance.now() - began) / 1000);
    };
    await put(4, false)(); // warm the connection pool and the server's code paths
    console.log(`DynamoDB probe ${endpoint}, median of ${rounds} rounds of 600 ~1 KB items`);
    for (const c of [1, 16, 64]) console.log(`  PutItem c=${c}: ${await rate(put(c, false))} /s`);
    console.log(`  conditional PutItem c=16: ${await rate(put(16, true))} /s`);
    console.log(`  conditional PutItem c=64: ${await rate(put(64, true))} /s`);
    console.log(`  BatchWriteItem(25) c=4: ${await rate(batch(4))} items/s`);
  } finally {
    await ddb.send(new DeleteTableCommand({ TableName: table }));
  }
}

await main();

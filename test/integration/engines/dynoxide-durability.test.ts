import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  CreateTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
  ScanCommand,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  deleteAllTables,
  dynoxideArgs,
  dynoxideDbPath,
} from '../../../local/stack/services/dynoxide.js';
import { stackPaths } from '../../../local/stack/support/paths.js';
import { killNow, terminate } from '../../../local/stack/support/processes.js';
import { clientFor, freePort, startDynoxide } from './private-server.js';

// The stack's Dynoxide, started with the stack's own arguments (dynoxideArgs) on a private
// port and data folder, killed with SIGKILL while transactions are in flight: every
// acknowledged write must be there after the restart, and no transaction half-applied.
// (`npm start -- --faults` kills the stack's server the same way.)
const running: number[] = [];
const folders: string[] = [];

afterEach(async () => {
  for (const pid of running.splice(0)) await terminate(pid, 5_000);
  for (const folder of folders.splice(0)) rmSync(folder, { recursive: true, force: true });
});

async function privateServer() {
  const data = mkdtempSync(path.join(tmpdir(), 'staysync-dynoxide-'));
  folders.push(data);
  const paths = { ...stackPaths(), data };
  mkdirSync(path.dirname(dynoxideDbPath(paths)), { recursive: true });
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const start = async (): Promise<number> => {
    const { pid } = await startDynoxide(dynoxideArgs(paths, port), endpoint);
    running.push(pid);
    return pid;
  };
  const kill9 = async (pid: number): Promise<void> => {
    await killNow(pid);
    running.splice(running.indexOf(pid), 1);
  };
  return { endpoint, start, kill9 };
}

const TableName = 'durable';

async function createTable(client: DynamoDBClient, name: string): Promise<void> {
  await client.send(
    new CreateTableCommand({
      TableName: name,
      BillingMode: 'PAY_PER_REQUEST',
      AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
      KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
    }),
  );
}
const WRITES = 400;
const KILL_AFTER = 150;

describe('the stack’s Dynoxide killed with -9', () => {
  it('keeps every acknowledged write, and no transaction is half-applied', async () => {
    const server = await privateServer();
    const pid = await server.start();
    const client = clientFor(server.endpoint);
    await createTable(client, TableName);
    // Each transaction puts one item (conditionally, as the sinks write) and counts it on a
    // shared counter; 16 in flight; the kill lands once KILL_AFTER were acknowledged.
    const acknowledged: string[] = [];
    let killed: Promise<void> | undefined;
    const write = async (i: number): Promise<void> => {
      const pk = `item#${i}`;
      await client.send(
        new TransactWriteItemsCommand({
          TransactItems: [
            {
              Put: {
                TableName,
                Item: { pk: { S: pk }, _v: { N: '1' } },
                ConditionExpression: 'attribute_not_exists(pk) OR #v < :v',
                ExpressionAttributeNames: { '#v': '_v' },
                ExpressionAttributeValues: { ':v': { N: '1' } },
              },
            },
            {
              Update: {
                TableName,
                Key: { pk: { S: 'counter' } },
                UpdateExpression: 'ADD n :one',
                ExpressionAttributeValues: { ':one': { N: '1' } },
              },
            },
          ],
        }),
      );
      acknowledged.push(pk);
      if (acknowledged.length === KILL_AFTER) killed = server.kill9(pid);
    };
    let next = 0;
    const lane = async (): Promise<void> => {
      while (next < WRITES && killed === undefined) await write(next++).catch(() => undefined);
    };
    await Promise.all(Array.from({ length: 16 }, lane));
    await killed;
    client.destroy();
    expect(acknowledged.length).toBeGreaterThanOrEqual(KILL_AFTER);
    expect(acknowledged.length).toBeLessThan(WRITES);

    await server.start();
    const reopened = clientFor(server.endpoint);
    const { Items = [] } = await reopened.send(
      new ScanCommand({ TableName, ConsistentRead: true }),
    );
    const items = new Set(Items.map((item) => item.pk?.S));
    for (const pk of acknowledged) expect(items.has(pk), pk).toBe(true);
    // Unacknowledged transactions may or may not have committed, but each wholly.
    const counter = Number(Items.find((item) => item.pk?.S === 'counter')?.n?.N);
    expect(counter).toBe(items.size - 1);
    reopened.destroy();
  });

  it('reopens after a reset with only what was written since', async () => {
    const server = await privateServer();
    const pid = await server.start();
    const client = clientFor(server.endpoint);
    await createTable(client, 'before-reset');
    await deleteAllTables(server.endpoint);
    await createTable(client, 'after-reset');
    await server.kill9(pid);

    await server.start();

    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual(['after-reset']);
    client.destroy();
  });
});

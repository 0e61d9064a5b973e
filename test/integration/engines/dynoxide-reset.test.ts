import { createServer } from 'node:net';
import { CreateTableCommand, DynamoDBClient, ListTablesCommand } from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import {
  callDynamoDb,
  deleteAllTables,
  dynoxideBinary,
} from '../../../local/stack/services/dynoxide.js';
import { stackPaths } from '../../../local/stack/support/paths.js';
import { spawnDetached, terminate } from '../../../local/stack/support/processes.js';

// The reset (`npm run stack:reset`) and the in-memory state of the stack's Dynoxide, on a
// private server of its own (the same cached binary, a free port), so emptying it cannot
// touch the tables of tests sharing the stack.
const running: number[] = [];

afterEach(async () => {
  for (const pid of running.splice(0)) await terminate(pid, 5_000);
});

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

async function startPrivate(): Promise<string> {
  const port = await freePort();
  const paths = stackPaths();
  const { pid } = await spawnDetached(
    dynoxideBinary(paths),
    ['--host', '127.0.0.1', '--port', String(port)],
    { logFile: '/dev/null' },
  );
  running.push(pid);
  const endpoint = `http://127.0.0.1:${port}`;
  for (let attempt = 0; attempt < 200; attempt++) {
    const answered = await callDynamoDb(endpoint, 'ListTables', {}).then(
      () => true,
      () => false,
    );
    if (answered) return endpoint;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the private Dynoxide on ${endpoint} never answered`);
}

const clientFor = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({
    endpoint,
    region: 'us-east-1',
    credentials: { accessKeyId: 'test', secretAccessKey: 'test' },
  });

async function createTables(client: DynamoDBClient, names: readonly string[]): Promise<void> {
  for (const TableName of names) {
    await client.send(
      new CreateTableCommand({
        TableName,
        BillingMode: 'PAY_PER_REQUEST',
        AttributeDefinitions: [{ AttributeName: 'pk', AttributeType: 'S' }],
        KeySchema: [{ AttributeName: 'pk', KeyType: 'HASH' }],
      }),
    );
  }
}

describe('the stack’s Dynoxide state', () => {
  it('is emptied by the reset, across more tables than one ListTables page holds', async () => {
    const endpoint = await startPrivate();
    const client = clientFor(endpoint);
    // ListTables pages at 100 names: 105 tables make the reset follow the page token.
    await createTables(
      client,
      Array.from({ length: 105 }, (_, i) => `reset-${String(i).padStart(3, '0')}`),
    );

    await deleteAllTables(endpoint);

    expect((await client.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    client.destroy();
  });

  it('starts empty after a restart (the database lives in memory)', async () => {
    const first = await startPrivate();
    const client = clientFor(first);
    await createTables(client, ['kept-only-in-memory']);
    client.destroy();
    for (const pid of running.splice(0)) await terminate(pid, 5_000);

    const second = clientFor(await startPrivate());

    expect((await second.send(new ListTablesCommand({}))).TableNames).toEqual([]);
    second.destroy();
  });
});

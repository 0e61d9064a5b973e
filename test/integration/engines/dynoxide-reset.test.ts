import {
  CreateTableCommand,
  type DynamoDBClient,
  ListTablesCommand,
} from '@aws-sdk/client-dynamodb';
import { afterEach, describe, expect, it } from 'vitest';
import { deleteAllTables } from '../../../local/stack/services/dynoxide.js';
import { terminate } from '../../../local/stack/support/processes.js';
import { clientFor, freePort, startDynoxide } from './private-server.js';

// The reset (`npm run stack:reset`) of the stack's Dynoxide, on a private in-memory server
// (the same cached binary, a free port), so emptying it cannot touch the tables of tests
// sharing the stack. Its durability across kill -9 is dynoxide-durability.test.ts.
const running: number[] = [];

afterEach(async () => {
  for (const pid of running.splice(0)) await terminate(pid, 5_000);
});

async function startPrivate(): Promise<string> {
  const port = await freePort();
  const endpoint = `http://127.0.0.1:${port}`;
  const { pid } = await startDynoxide(['--host', '127.0.0.1', '--port', String(port)], endpoint);
  running.push(pid);
  return endpoint;
}

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

describe('the stack’s Dynoxide reset', () => {
  it('empties the server, across more tables than one ListTables page holds', async () => {
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
});

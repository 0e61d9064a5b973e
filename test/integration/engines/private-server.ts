/**
 * Private engine servers for the engine tests: the stack's cached binaries on free ports
 * (and, where a test says so, private data folders), so what a test does to them (delete
 * every table, kill -9) cannot touch the state of tests sharing the stack.
 */
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { callDynamoDb, dynoxideBinary } from '../../../local/stack/services/dynoxide.js';
import { stackPaths } from '../../../local/stack/support/paths.js';
import { spawnDetached } from '../../../local/stack/support/processes.js';

export { freePort } from '../../support/free-port.js';

/** Starts `command` detached and resolves with its pid once `answers()` is true. */
export async function startServer(
  command: string,
  args: readonly string[],
  answers: () => Promise<boolean>,
): Promise<{ pid: number }> {
  const { pid } = await spawnDetached(command, args, { logFile: '/dev/null' });
  for (let attempt = 0; attempt < 600; attempt++) {
    if (await answers().catch(() => false)) return { pid };
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`the private server (${command} ${args.join(' ')}) never answered`);
}

/** The stack's Dynoxide binary with `args`, once it answers ListTables on `endpoint`. */
export const startDynoxide = (args: readonly string[], endpoint: string) =>
  startServer(dynoxideBinary(stackPaths()), args, () =>
    callDynamoDb(endpoint, 'ListTables', {}).then(() => true),
  );

const credentials = { accessKeyId: 'test', secretAccessKey: 'test' };

/** No SDK retries: a request to a killed server fails at once. */
export const clientFor = (endpoint: string): DynamoDBClient =>
  new DynamoDBClient({ endpoint, region: 'us-east-1', credentials, maxAttempts: 1 });

export const s3ClientFor = (endpoint: string): S3Client =>
  new S3Client({
    endpoint,
    region: 'us-east-1',
    credentials,
    forcePathStyle: true,
    maxAttempts: 1,
  });

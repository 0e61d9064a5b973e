import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceDef, StackPaths } from '../service.js';
import { StackError } from '../support/errors.js';
import { portFromEnv } from '../support/ports.js';
import { requireTool } from '../support/prerequisites.js';
import { run, spawnDetached } from '../support/processes.js';
import { localAwsIdentity } from './aws-identity.js';

/**
 * Dynoxide: DynamoDB and DynamoDB Streams on SQLite (crate `dynoxide-rs`, MIT OR
 * Apache-2.0), built once from crates.io with cargo into `.local/cache/dynoxide/<version>`
 * and run as its own service. The database is a SQLite file, `<local dir>/data/dynoxide/
 * dynoxide.db`: a restart (after `stack:down`, or a kill -9 by `npm start -- --faults`)
 * reopens it with every acknowledged write, as DynamoDB never loses a committed one.
 * `reset` (`npm run stack:reset`) deletes every table of a running server.
 *
 * Why not moto's DynamoDB: 327 conditional PutItem/s and 6 TransactWriteItems/s here,
 * transactions not isolated from concurrent writes. Dynoxide: ~800 PutItem/s (client-bound)
 * and ~960 transactions/s, exact under concurrency (docs/local-stack.md has the figures).
 *
 * Port: STAYSYNC_DYNOXIDE_PORT (default 18000) on 127.0.0.1. Cargo: STAYSYNC_CARGO
 * (default `cargo`), needed only for the first build of a version.
 */
export const DYNOXIDE_VERSION = '3.2.0';
/** The HTTP server and CLI on the bundled SQLite, without the MCP server and import tools. */
const FEATURES = 'native-sqlite,http-server,cli';
const port = portFromEnv('STAYSYNC_DYNOXIDE_PORT', 18000);
const cargo = process.env.STAYSYNC_CARGO ?? 'cargo';
export const dynoxideEndpoint = `http://127.0.0.1:${port}`;

const installRoot = (paths: StackPaths): string =>
  path.join(paths.cache, 'dynoxide', DYNOXIDE_VERSION);
/** The built server (after `prepare`). */
export const dynoxideBinary = (paths: StackPaths): string =>
  path.join(installRoot(paths), 'bin', 'dynoxide');
/** Written after a build succeeded: a half-built install (killed cargo) is rebuilt. */
const marker = (paths: StackPaths): string => path.join(installRoot(paths), '.staysync-build');
const buildId = `dynoxide-rs ${DYNOXIDE_VERSION} --locked --features ${FEATURES}`;

/** The server's SQLite database (its `-wal` and `-shm` files sit beside it). */
export const dynoxideDbPath = (paths: StackPaths): string =>
  path.join(paths.data, 'dynoxide', 'dynoxide.db');

/**
 * The server's arguments. `--db-path`: Dynoxide commits every write in its own SQLite
 * transaction (WAL journal, SQLite's default `synchronous=FULL`) before it answers, so an
 * acknowledged write is in the file — in the OS's page cache at least, which a killed
 * process cannot take with it. Without it the database is in memory and a restart loses
 * every table.
 */
export function dynoxideArgs(paths: StackPaths, listenPort: number): string[] {
  return ['--host', '127.0.0.1', '--port', String(listenPort), '--db-path', dynoxideDbPath(paths)];
}

export const dynoxideService: ServiceDef = {
  name: 'dynoxide',
  port,

  async prepare(paths) {
    if (
      existsSync(dynoxideBinary(paths)) &&
      existsSync(marker(paths)) &&
      readFileSync(marker(paths), 'utf8') === buildId
    ) {
      return;
    }
    requireTool(cargo, ['--version'], `the Dynoxide DynamoDB emulator (${buildId})`);
    rmSync(installRoot(paths), { recursive: true, force: true });
    mkdirSync(installRoot(paths), { recursive: true });
    // --locked: the crate's own Cargo.lock, so every machine builds the same dependency
    // set. The target folder is shared by versions, so a version bump rebuilds only what
    // changed. ~3.5 min on 2 cores the first time.
    const result = await run(cargo, [
      'install',
      'dynoxide-rs',
      '--version',
      DYNOXIDE_VERSION,
      '--locked',
      '--no-default-features',
      '--features',
      FEATURES,
      '--root',
      installRoot(paths),
      '--target-dir',
      path.join(paths.cache, 'dynoxide', 'target'),
    ]);
    if (result.code !== 0 || !existsSync(dynoxideBinary(paths))) {
      throw new StackError(
        `cargo install of ${buildId} failed (exit code ${result.code}):\n${result.text.slice(-4000)}`,
        { service: 'dynoxide' },
      );
    }
    writeFileSync(marker(paths), buildId);
  },

  start(paths, logFile) {
    mkdirSync(path.dirname(dynoxideDbPath(paths)), { recursive: true });
    return spawnDetached(dynoxideBinary(paths), dynoxideArgs(paths, port), {
      logFile,
      cwd: paths.root,
    });
  },

  /** A real DynamoDB ListTables call (not a port check). */
  async ready() {
    try {
      const body = (await callDynamoDb(dynoxideEndpoint, 'ListTables', { Limit: 1 })) as {
        TableNames?: unknown;
      };
      return Array.isArray(body.TableNames);
    } catch {
      return false;
    }
  },

  reset: () => deleteAllTables(dynoxideEndpoint),

  env() {
    // The SDKs' service-specific endpoint variables: each service names its own engine.
    return {
      ...localAwsIdentity,
      AWS_ENDPOINT_URL_DYNAMODB: dynoxideEndpoint,
      AWS_ENDPOINT_URL_DYNAMODB_STREAMS: dynoxideEndpoint,
    };
  },
};

/** Deletes every table (and with it its stream): the state of a fresh start. */
export async function deleteAllTables(endpoint: string): Promise<void> {
  let start: string | undefined;
  do {
    const page = (await callDynamoDb(
      endpoint,
      'ListTables',
      start === undefined ? {} : { ExclusiveStartTableName: start },
    )) as { TableNames?: string[]; LastEvaluatedTableName?: string };
    for (const name of page.TableNames ?? []) {
      await callDynamoDb(endpoint, 'DeleteTable', { TableName: name });
    }
    start = page.LastEvaluatedTableName;
  } while (start !== undefined);
}

/**
 * One DynamoDB JSON request, sent raw: Dynoxide checks that SigV4 material is present but
 * never verifies it, and the stack CLI stays free of the AWS SDK (and its start-up cost).
 */
export async function callDynamoDb(
  endpoint: string,
  operation: string,
  body: object,
): Promise<unknown> {
  const response = await fetch(`${endpoint}/`, {
    method: 'POST',
    headers: {
      'content-type': 'application/x-amz-json-1.0',
      'x-amz-target': `DynamoDB_20120810.${operation}`,
      'x-amz-date': '20250101T000000Z',
      authorization:
        'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/dynamodb/aws4_request, SignedHeaders=host;x-amz-date, Signature=0',
    },
    body: JSON.stringify(body),
    // Patient: a server busy with a test suite must not look dead to `status`/`up`.
    signal: AbortSignal.timeout(10_000),
  });
  const text = await response.text();
  if (!response.ok) {
    throw new StackError(
      `dynoxide ${operation} answered ${response.status}: ${text.slice(0, 500)}`,
      {
        service: 'dynoxide',
      },
    );
  }
  return JSON.parse(text) as unknown;
}

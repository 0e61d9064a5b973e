import { createHash } from 'node:crypto';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceDef, StackPaths } from '../service.js';
import { StackError } from '../support/errors.js';
import { repoRoot } from '../support/paths.js';
import { portFromEnv } from '../support/ports.js';
import { requireTool } from '../support/prerequisites.js';
import { run, spawnDetached } from '../support/processes.js';
import { localAwsIdentity } from './aws-identity.js';

/**
 * moto in server mode: S3 (with conditional writes) and SQS on one port, from the pinned
 * local/requirements.txt installed into the virtualenv .local/venv. State lives in
 * memory; S3's survives a restart (a kill -9 by `npm start -- --faults` included) through
 * the launcher's journal of acknowledged S3 writes, `<local dir>/data/moto/s3-journal.jsonl`,
 * replayed at start (moto_s3_journal.py). SQS starts empty. `reset` (`npm run
 * stack:reset`) empties both, journal included. DynamoDB is Dynoxide's (dynoxide.ts).
 *
 * Started through moto-server.py (moto's own `moto_server` entry point with the same
 * arguments and logs), which keeps HTTP/1.1 connections alive and caches two lookups moto
 * repeats on every request.
 *
 * Port: STAYSYNC_MOTO_PORT (default 15000) on 127.0.0.1. Python: STAYSYNC_PYTHON
 * (default python3), used only to create the virtualenv.
 */
const requirements = path.join(repoRoot, 'local/requirements.txt');
const launcher = path.join(repoRoot, 'local/stack/services/moto-server.py');
const port = portFromEnv('STAYSYNC_MOTO_PORT', 15000);
const python = process.env.STAYSYNC_PYTHON ?? 'python3';
const endpoint = `http://127.0.0.1:${port}`;

const venv = (paths: StackPaths): string => path.join(paths.root, 'venv');

/** The journal of acknowledged S3 writes the launcher replays at start. */
export const motoJournalPath = (paths: StackPaths): string =>
  path.join(paths.data, 'moto', 's3-journal.jsonl');

/** The virtualenv's Python and the launcher's arguments, for a server on `listenPort`. */
export function motoCommand(paths: StackPaths, listenPort: number): [string, string[]] {
  return [
    path.join(venv(paths), 'bin', 'python'),
    [launcher, '-H', '127.0.0.1', '-p', String(listenPort), '--s3-journal', motoJournalPath(paths)],
  ];
}
/** Records which requirements the venv holds: editing requirements.txt reinstalls. */
const marker = (paths: StackPaths): string => path.join(venv(paths), '.staysync-requirements');
const requirementsHash = (): string =>
  createHash('sha256').update(readFileSync(requirements)).digest('hex').slice(0, 16);

async function mustRun(
  command: string,
  args: readonly string[],
  what: string,
  env: NodeJS.ProcessEnv = process.env,
): Promise<void> {
  const result = await run(command, args, { env });
  if (result.code !== 0) {
    throw new StackError(
      `${what} failed (exit code ${result.code}):\n${result.text.slice(-4000)}`,
      {
        service: 'moto',
      },
    );
  }
}

export const motoService: ServiceDef = {
  name: 'moto',
  port,

  async prepare(paths) {
    const wanted = requirementsHash();
    if (existsSync(marker(paths)) && readFileSync(marker(paths), 'utf8') === wanted) return;
    requireTool(python, ['--version'], 'the moto AWS emulator (DynamoDB, S3, SQS)');
    rmSync(venv(paths), { recursive: true, force: true });
    await mustRun(python, ['-m', 'venv', venv(paths)], `${python} -m venv ${venv(paths)}`);
    const pip = path.join(venv(paths), 'bin', 'pip');
    // pip's download cache under .local/cache too: a fresh machine downloads once.
    await mustRun(
      pip,
      ['install', '--quiet', '-r', requirements],
      `pip install -r ${requirements}`,
      { ...process.env, PIP_CACHE_DIR: path.join(paths.cache, 'pip') },
    );
    writeFileSync(marker(paths), wanted);
  },

  start(paths, logFile) {
    const [command, args] = motoCommand(paths, port);
    return spawnDetached(command, args, { logFile, cwd: paths.root });
  },

  /** A real S3 ListBuckets call, sent raw (moto does not check signatures). */
  async ready() {
    try {
      const response = await fetch(`${endpoint}/`, {
        headers: {
          authorization:
            'AWS4-HMAC-SHA256 Credential=test/20250101/us-east-1/s3/aws4_request, SignedHeaders=host, Signature=0',
          'x-amz-date': '20250101T000000Z',
        },
        // Patient: moto busy with a test suite must not look dead to `status`/`up`.
        signal: AbortSignal.timeout(10_000),
      });
      return response.ok && (await response.text()).includes('ListAllMyBucketsResult');
    } catch {
      return false;
    }
  },

  /** moto's own reset: every bucket, object and queue is dropped, and the S3 journal emptied. */
  reset: () => resetMoto(endpoint),

  env() {
    return {
      ...localAwsIdentity,
      AWS_ENDPOINT_URL_S3: endpoint,
      AWS_ENDPOINT_URL_SQS: endpoint,
    };
  },
};

/** POST /moto-api/reset: moto drops every backend's state; the launcher empties its journal. */
export async function resetMoto(motoEndpoint: string): Promise<void> {
  const response = await fetch(`${motoEndpoint}/moto-api/reset`, {
    method: 'POST',
    signal: AbortSignal.timeout(30_000),
  });
  if (!response.ok) {
    throw new StackError(`moto reset answered ${response.status}`, { service: 'moto' });
  }
}

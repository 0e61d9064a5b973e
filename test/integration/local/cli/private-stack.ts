/**
 * A local stack of its own for a test that kills engines: its own folder and ports, the
 * shared stack's download/build cache and Python virtualenv linked in (nothing is
 * downloaded or built again), so killing its engines cannot disturb the tests sharing
 * the suite's stack, in this run or in another.
 */
import { mkdtempSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackPaths } from '../../../../local/stack/service.js';
import { stackPaths } from '../../../../local/stack/support/paths.js';
import { run } from '../../../../local/stack/support/processes.js';
import { freePort } from '../../../support/free-port.js';

const repo = fileURLToPath(new URL('../../../../', import.meta.url));

const PORT_VARIABLES = [
  'STAYSYNC_KAFKA_PORT',
  'STAYSYNC_KAFKA_CONTROLLER_PORT',
  'STAYSYNC_DYNOXIDE_PORT',
  'STAYSYNC_MOTO_PORT',
  'STAYSYNC_OPENSEARCH_PORT',
  'STAYSYNC_OPENSEARCH_TRANSPORT_PORT',
  'STAYSYNC_SCHEMA_REGISTRY_PORT',
] as const;

export interface PrivateStack {
  readonly paths: StackPaths;
  /** the test process's environment pointed at this stack (for `npm start` and the stack CLI) */
  readonly env: NodeJS.ProcessEnv;
  /** `stack:down`, then the folder removed (the linked cache and venv stay) */
  remove(): Promise<void>;
}

/**
 * Makes the stack's folder and picks its ports; nothing runs yet (`npm start` brings it up).
 * `sharedVars`: the suite stack's variables, dropped from the environment so nothing can
 * reach the suite's engines by mistake.
 */
export async function privateStack(
  sharedVars: Readonly<Record<string, string>>,
): Promise<PrivateStack> {
  const shared = stackPaths();
  const root = mkdtempSync(path.join(tmpdir(), 'staysync-private-stack-'));
  symlinkSync(shared.cache, path.join(root, 'cache'));
  symlinkSync(path.join(shared.root, 'venv'), path.join(root, 'venv'));
  const env: NodeJS.ProcessEnv = { ...process.env, STAYSYNC_LOCAL_DIR: root };
  for (const name of Object.keys(sharedVars)) delete env[name];
  for (const name of PORT_VARIABLES) env[name] = String(await freePort());
  const paths = stackPaths(env);
  return {
    paths,
    env,
    async remove() {
      const result = await run(
        process.execPath,
        ['--import', 'tsx', 'local/stack/cli.ts', 'down'],
        {
          cwd: repo,
          env,
        },
      );
      if (result.code !== 0) throw new Error(`stack:down of ${root} failed:\n${result.text}`);
      // rm does not follow the cache and venv links: it unlinks them.
      rmSync(root, { recursive: true, force: true });
    },
  };
}

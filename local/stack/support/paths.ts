import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import type { StackPaths } from '../service.js';

/** The repository root (this file lives in local/stack/support/). */
export const repoRoot: string = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../..',
);

/**
 * Where the stack keeps everything it downloads, builds, stores and logs. Defaults to
 * `<repo>/.local`; `STAYSYNC_LOCAL_DIR` moves it (a second, independent stack — e.g. to
 * measure a cold start — needs its own folder and its own ports).
 */
export function stackPaths(env: NodeJS.ProcessEnv = process.env): StackPaths {
  const root = path.resolve(env.STAYSYNC_LOCAL_DIR ?? path.join(repoRoot, '.local'));
  return {
    root,
    cache: path.join(root, 'cache'),
    data: path.join(root, 'data'),
    logs: path.join(root, 'logs'),
  };
}

/** Folder of the pid files of the processes the stack started. */
export const pidDir = (paths: StackPaths): string => path.join(paths.root, 'pids');

/** The KEY=VALUE file that tells tools and tests where the running stack listens. */
export const envFile = (paths: StackPaths): string => path.join(paths.root, 'stack.env');

export const logFileOf = (paths: StackPaths, service: string): string =>
  path.join(paths.logs, `${service}.log`);

export function ensureDirs(paths: StackPaths): void {
  for (const dir of [paths.root, paths.cache, paths.data, paths.logs, pidDir(paths)]) {
    mkdirSync(dir, { recursive: true });
  }
}

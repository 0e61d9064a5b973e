import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { StackError } from './errors.js';
import { isAlive, sleep } from './processes.js';

/**
 * A lock around `up` and `down`, so two test runs (or a test run and a developer) that
 * find the stack down do not both start it. A folder is created atomically; the pid of
 * its holder inside lets a later caller take over a lock whose holder died.
 */
export async function withLock<T>(
  root: string,
  action: () => Promise<T>,
  options: { timeoutMs?: number; onWait?: (holder: number) => void } = {},
): Promise<T> {
  const dir = path.join(root, 'stack.lock');
  const owner = path.join(dir, 'pid');
  const deadline = Date.now() + (options.timeoutMs ?? 15 * 60_000);
  let told = false;
  for (;;) {
    try {
      mkdirSync(dir);
      writeFileSync(owner, String(process.pid));
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    }
    const holder = Number(readOr(owner, '0'));
    if (holder > 0 && !isAlive(holder)) {
      rmSync(dir, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) {
      throw new StackError(
        `another stack:up/down (pid ${holder}) still holds ${dir}; giving up waiting`,
      );
    }
    if (!told && holder > 0) {
      options.onWait?.(holder);
      told = true;
    }
    await sleep(500);
  }
  try {
    return await action();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function readOr(file: string, fallback: string): string {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return fallback;
  }
}

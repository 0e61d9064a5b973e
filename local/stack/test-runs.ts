import { mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { ServiceDef, StackPaths } from './service.js';
import { ownerOf, stopLocked } from './stack.js';
import { withLock } from './support/lock.js';
import { isAlive } from './support/processes.js';

/**
 * Test runs share the stack. Each run holds a lease (.local/test-runs/<pid>) while it
 * runs; services a test run had to start (owner `test-run`) are stopped by the LAST run
 * to finish, not by the run that started them, so one run never pulls a server from
 * under another. Services started with `stack:up` are never stopped here. A run killed
 * without its teardown leaves a lease whose pid is dead, which does not count.
 */
const leaseDir = (paths: StackPaths): string => path.join(paths.root, 'test-runs');

export function beginTestRun(paths: StackPaths): void {
  mkdirSync(leaseDir(paths), { recursive: true });
  writeFileSync(path.join(leaseDir(paths), String(process.pid)), new Date().toISOString());
}

/** Ends this run's lease; when it was the last live one, stops what test runs started. */
export function endTestRun(
  services: readonly ServiceDef[],
  paths: StackPaths,
  log: (line: string) => void = () => undefined,
): Promise<void> {
  return withLock(paths.root, async () => {
    rmSync(path.join(leaseDir(paths), String(process.pid)), { force: true });
    const others = liveLeases(paths);
    if (others.length > 0) {
      log(`leaving the stack up for ${others.length} other test run(s)`);
      return;
    }
    const started = services.filter((service) => ownerOf(paths, service.name) === 'test-run');
    if (started.length > 0) {
      await stopLocked(
        services,
        paths,
        started.map((service) => service.name),
        log,
      );
    }
  });
}

function liveLeases(paths: StackPaths): number[] {
  let names: string[];
  try {
    names = readdirSync(leaseDir(paths));
  } catch {
    return [];
  }
  const live: number[] = [];
  for (const name of names) {
    const pid = Number(name);
    if (Number.isInteger(pid) && pid > 0 && isAlive(pid)) live.push(pid);
    else rmSync(path.join(leaseDir(paths), name), { force: true });
  }
  return live;
}

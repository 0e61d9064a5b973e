/**
 * The pid records of the processes the stack started (`.local/stack/pids/<service>.pid`):
 * who started each one, and whether it is still ours to signal.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import type { StackPaths } from './service.js';
import { pidDir } from './support/paths.js';
import { commandLineOf, isAlive } from './support/processes.js';

/**
 * Who asked for a process: `cli` (a person or script ran `stack:up`; it stays up until
 * `stack:down`) or `test-run` (a vitest run found the service down; the last test run to
 * finish stops it, see test-runs.ts).
 */
export type Owner = 'cli' | 'test-run';

export interface PidRecord {
  readonly pid: number;
  readonly port: number;
  readonly startedAt: string;
  readonly owner?: Owner;
}

export const pidFile = (paths: StackPaths, service: string): string =>
  path.join(pidDir(paths), `${service}.pid`);

export function readPid(paths: StackPaths, service: string): PidRecord | undefined {
  try {
    const record = JSON.parse(readFileSync(pidFile(paths, service), 'utf8')) as PidRecord;
    return Number.isInteger(record.pid) ? record : undefined;
  } catch {
    return undefined;
  }
}

/**
 * The recorded process, if it still runs and is still ours: pids are reused, so the
 * process must also mention the stack's folder on its command line (every service runs
 * from the cache or the venv under it) before anything signals it.
 */
export function liveProcess(paths: StackPaths, service: string): number | undefined {
  const record = readPid(paths, service);
  if (record === undefined || !isAlive(record.pid)) return undefined;
  const commandLine = commandLineOf(record.pid);
  return commandLine === undefined || commandLine.includes(paths.root) ? record.pid : undefined;
}

/**
 * `stack:up` on a service a test run started makes it the user's: it then stays up when
 * the test runs end.
 */
export function adopt(
  paths: StackPaths,
  service: string,
  owner: Owner,
  log: (line: string) => void,
): void {
  const record = readPid(paths, service);
  if (owner !== 'cli' || record === undefined || record.owner !== 'test-run') return;
  writeFileSync(pidFile(paths, service), JSON.stringify({ ...record, owner }));
  log(`${service}: was started by a test run; now kept up until \`stack:down\``);
}

/** Who started the service's running process (`cli` for records older than owners). */
export function ownerOf(paths: StackPaths, service: string): Owner | undefined {
  return liveProcess(paths, service) === undefined
    ? undefined
    : (readPid(paths, service)?.owner ?? 'cli');
}

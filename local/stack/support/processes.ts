import { spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/** Runs a command to completion, collecting stdout and stderr together. */
export function run(
  command: string,
  args: readonly string[],
  options: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<{ code: number; text: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let text = '';
    const collect = (chunk: Buffer): void => {
      text += chunk.toString();
    };
    child.stdout.on('data', collect);
    child.stderr.on('data', collect);
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? 1, text }));
  });
}

/**
 * Starts a long-running server that outlives this process: its own session and process
 * group (so `down` can signal the whole group), stdin closed, stdout and stderr appended
 * to `logFile`. Resolves once the OS has started it (a missing binary rejects here).
 */
export function spawnDetached(
  command: string,
  args: readonly string[],
  options: { logFile: string; cwd?: string; env?: NodeJS.ProcessEnv },
): Promise<{ pid: number }> {
  const log = openSync(options.logFile, 'a');
  try {
    const child = spawn(command, args, {
      cwd: options.cwd,
      env: options.env ?? process.env,
      detached: true,
      stdio: ['ignore', log, log],
    });
    return new Promise((resolve, reject) => {
      child.once('error', reject);
      child.once('spawn', () => {
        child.unref();
        if (child.pid === undefined) reject(new Error(`${command} started without a pid`));
        else resolve({ pid: child.pid });
      });
    });
  } finally {
    closeSync(log);
  }
}

export function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return !isZombie(pid);
  } catch (error) {
    // EPERM: the pid exists but belongs to someone else, so it is not ours either way.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** A child that exited but was not reaped still answers kill(pid, 0). */
function isZombie(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z');
  } catch {
    return false;
  }
}

/**
 * CPU time a process has used so far (user + system), in seconds, from /proc/<pid>/stat;
 * undefined when the process is gone or /proc is not available. Comparable across
 * machine loads, unlike wall time.
 */
export function cpuSecondsOf(pid: number): number | undefined {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // fields after the command name (which may hold spaces), 1-based: utime 14, stime 15,
    // in clock ticks (USER_HZ, 100 per second on Linux)
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return undefined;
  }
}

/**
 * The command line of a running process, or undefined where /proc is not available.
 * Used to make sure a recorded pid still belongs to the process the stack started
 * (pids are reused), before anything signals it.
 */
export function commandLineOf(pid: number): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

/**
 * Stops a process the stack started: SIGTERM to its process group (the server and any
 * child it forked), then SIGKILL if it is still alive after `graceMs`.
 * Resolves to how it ended.
 */
export async function terminate(
  pid: number,
  graceMs: number,
): Promise<'stopped' | 'killed' | 'gone'> {
  if (!isAlive(pid)) return 'gone';
  signalGroup(pid, 'SIGTERM');
  const deadline = Date.now() + graceMs;
  while (Date.now() < deadline) {
    if (!isAlive(pid)) return 'stopped';
    await sleep(200);
  }
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(100);
  return 'killed';
}

/** SIGKILL to `pid` and the group it leads (no grace: a crash), resolved once it is gone. */
export async function killNow(pid: number): Promise<void> {
  signalGroup(pid, 'SIGKILL');
  while (isAlive(pid)) await sleep(50);
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Not a group leader (or the group is gone already): signal the process itself.
    try {
      process.kill(pid, signal);
    } catch {
      // exited meanwhile
    }
  }
}

export const sleep = (ms: number): Promise<void> =>
  new Promise((resolve) => setTimeout(resolve, ms));

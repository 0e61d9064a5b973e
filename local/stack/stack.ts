import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { readEnvFile, removeEnvFile, writeEnvFile } from './env-file.js';
import type { ServiceDef, StackPaths } from './service.js';
import { StackError } from './support/errors.js';
import { withLock } from './support/lock.js';
import { ensureDirs, envFile, logFileOf, pidDir } from './support/paths.js';
import { isPortOpen } from './support/ports.js';
import { commandLineOf, isAlive, sleep, terminate } from './support/processes.js';

/**
 * The orchestrator of the local stack: `up` prepares, starts and probes each service,
 * `down` stops what `up` started (by recorded pid, never by name), `status` reports.
 * Services are handled in parallel; each is a ServiceDef (local/stack/services/*).
 */

export type ServiceState =
  /** started by the stack and answering a real request */
  | 'up'
  /** started by the stack, process alive, not answering (still starting, or hung) */
  | 'unresponsive'
  /** not running */
  | 'down'
  /** not started by the stack, but something else listens on its port */
  | 'port-in-use';

export interface ServiceStatus {
  readonly name: string;
  readonly port: number;
  readonly state: ServiceState;
  readonly pid: number | undefined;
  readonly logFile: string;
}

export interface StackOptions {
  /** progress lines (the CLI prints them; tests pass nothing) */
  readonly log?: (line: string) => void;
  /** recorded with the processes `up` starts; default `cli` */
  readonly owner?: Owner;
  /** how long one service may take to answer after it started; default STAYSYNC_READY_TIMEOUT_S or 180 s */
  readonly readyTimeoutMs?: number;
}

export interface UpResult {
  /** names of the services this call started (the others were already up) */
  readonly started: readonly string[];
  readonly env: Readonly<Record<string, string>>;
}

/**
 * Who asked for a process: `cli` (a person or script ran `stack:up`; it stays up until
 * `stack:down`) or `test-run` (a vitest run found the service down; the last test run to
 * finish stops it, see test-runs.ts).
 */
export type Owner = 'cli' | 'test-run';

interface PidRecord {
  readonly pid: number;
  readonly port: number;
  readonly startedAt: string;
  readonly owner?: Owner;
}

const pidFile = (paths: StackPaths, service: string): string =>
  path.join(pidDir(paths), `${service}.pid`);

function readPid(paths: StackPaths, service: string): PidRecord | undefined {
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
function liveProcess(paths: StackPaths, service: string): number | undefined {
  const record = readPid(paths, service);
  if (record === undefined || !isAlive(record.pid)) return undefined;
  const commandLine = commandLineOf(record.pid);
  return commandLine === undefined || commandLine.includes(paths.root) ? record.pid : undefined;
}

/**
 * `stack:up` on a service a test run started makes it the user's: it then stays up when
 * the test runs end.
 */
function adopt(
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

async function statusOf(paths: StackPaths, service: ServiceDef): Promise<ServiceStatus> {
  const pid = liveProcess(paths, service.name);
  const base = {
    name: service.name,
    port: service.port,
    pid,
    logFile: logFileOf(paths, service.name),
  };
  if (pid !== undefined) return { ...base, state: (await service.ready()) ? 'up' : 'unresponsive' };
  return { ...base, state: (await isPortOpen(service.port)) ? 'port-in-use' : 'down' };
}

export function status(
  services: readonly ServiceDef[],
  paths: StackPaths,
): Promise<ServiceStatus[]> {
  return Promise.all(services.map((service) => statusOf(paths, service)));
}

/**
 * Brings every service up; one that is up already is left alone (so `up` twice is a
 * no-op). Rejects with a StackError naming the service and its log file when one does
 * not come up; the services this call started are then stopped again.
 */
export function up(
  services: readonly ServiceDef[],
  paths: StackPaths,
  options: StackOptions = {},
): Promise<UpResult> {
  const log = options.log ?? (() => undefined);
  ensureDirs(paths);
  return withLock(
    paths.root,
    async () => {
      const started: string[] = [];
      const needed = await servicesToStart(services, paths, options, log);
      // Everything is prepared before anything starts, so a missing prerequisite or a
      // failed download fails the whole `up` before a single server was started.
      await settleAll(needed.map((service) => prepare(service, paths, log)));
      const outcomes = await Promise.allSettled(
        needed.map((service) =>
          startAndWait(service, paths, options, log, () => started.push(service.name)),
        ),
      );
      const failures = outcomes.flatMap((outcome) =>
        outcome.status === 'rejected' ? [outcome.reason] : [],
      );
      if (failures.length > 0) {
        await stopServices(services, paths, started, log);
        throw combine(failures);
      }
      const env = Object.assign({}, ...services.map((service) => service.env())) as Record<
        string,
        string
      >;
      writeEnvFile(envFile(paths), env);
      return { started, env };
    },
    { onWait: (holder) => log(`waiting for another stack:up/down (pid ${holder}) to finish…`) },
  );
}

/**
 * The services that are not up yet. One whose process runs but does not answer is
 * stopped first (it is restarted below); a port taken by a stranger is an error.
 */
async function servicesToStart(
  services: readonly ServiceDef[],
  paths: StackPaths,
  options: StackOptions,
  log: (line: string) => void,
): Promise<ServiceDef[]> {
  const report = await status(services, paths);
  const needed: ServiceDef[] = [];
  for (const [i, service] of services.entries()) {
    const current = report[i];
    if (current === undefined) continue;
    if (current.state === 'up') {
      log(`${service.name}: already up on 127.0.0.1:${service.port} (pid ${current.pid})`);
      adopt(paths, service.name, options.owner ?? 'cli', log);
      continue;
    }
    if (current.state === 'port-in-use') {
      throw new StackError(
        `${service.name}: port ${service.port} on 127.0.0.1 is taken by a process the stack did not start. ` +
          'Stop it, or choose another port (see docs/local-stack.md for the STAYSYNC_*_PORT variables).',
        { service: service.name },
      );
    }
    if (current.state === 'unresponsive' && current.pid !== undefined) {
      // Busy, not dead, as a rule: a shared server under a test suite's load can miss one
      // probe. Restarting it would pull it from under every other test run, so wait for
      // it instead, and leave a really hung one to an explicit `stack:down`.
      log(`${service.name}: pid ${current.pid} runs but did not answer; waiting for it…`);
      if (await answersWithin(service, current.pid, readyTimeout(options))) {
        log(`${service.name}: answered; up on 127.0.0.1:${service.port} (pid ${current.pid})`);
        continue;
      }
      throw new StackError(
        `${service.name} (pid ${current.pid}) runs but has not answered for ${readyTimeout(options) / 1000} s. ` +
          `See ${current.logFile}; \`npm run stack:down && npm run stack:up\` restarts the stack.`,
        { service: service.name, logFile: current.logFile },
      );
    }
    rmSync(pidFile(paths, service.name), { force: true });
    needed.push(service);
  }
  return needed;
}

async function prepare(
  service: ServiceDef,
  paths: StackPaths,
  log: (line: string) => void,
): Promise<void> {
  const begin = Date.now();
  log(`${service.name}: preparing…`);
  await service.prepare(paths);
  log(`${service.name}: prepared in ${seconds(begin)}`);
}

async function startAndWait(
  service: ServiceDef,
  paths: StackPaths,
  options: StackOptions,
  log: (line: string) => void,
  onSpawned: () => void,
): Promise<void> {
  const begin = Date.now();
  const logFile = logFileOf(paths, service.name);
  writeFileSync(
    logFile,
    `\n===== staysync stack: starting ${service.name} at ${new Date().toISOString()} =====\n`,
    { flag: 'a' },
  );
  const logOffset = statSync(logFile).size;
  const { pid } = await service.start(paths, logFile);
  const record: PidRecord = {
    pid,
    port: service.port,
    startedAt: new Date().toISOString(),
    owner: options.owner ?? 'cli',
  };
  writeFileSync(pidFile(paths, service.name), JSON.stringify(record));
  // From here on the caller owns the process: it stops it if this or another service fails.
  onSpawned();
  log(
    `${service.name}: started (pid ${pid}), waiting for it to answer on 127.0.0.1:${service.port}…`,
  );

  const timeoutMs = readyTimeout(options);
  const deadline = Date.now() + timeoutMs;
  while (!(await service.ready())) {
    if (!isAlive(pid)) {
      rmSync(pidFile(paths, service.name), { force: true });
      throw new StackError(
        `${service.name} exited before it answered. Its log ${logFile} ends with:\n${tail(logFile, logOffset)}`,
        { service: service.name, logFile },
      );
    }
    if (Date.now() > deadline) {
      throw new StackError(
        `${service.name} did not answer on 127.0.0.1:${service.port} within ${timeoutMs / 1000} s. ` +
          `Its log ${logFile} ends with:\n${tail(logFile, logOffset)}`,
        { service: service.name, logFile },
      );
    }
    await sleep(250);
  }
  log(`${service.name}: up on 127.0.0.1:${service.port} in ${seconds(begin)}`);
}

/** Waits for every promise; rejects with all the failures once all have settled. */
async function settleAll(promises: readonly Promise<void>[]): Promise<void> {
  const outcomes = await Promise.allSettled(promises);
  const failures = outcomes.flatMap((outcome) =>
    outcome.status === 'rejected' ? [outcome.reason] : [],
  );
  if (failures.length > 0) throw combine(failures);
}

function combine(failures: readonly unknown[]): unknown {
  return failures.length === 1 ? failures[0] : new StackError(failures.map(messageOf).join('\n\n'));
}

/** How long one service may take to answer: the option, else STAYSYNC_READY_TIMEOUT_S, else 180 s. */
function readyTimeout(options: StackOptions): number {
  if (options.readyTimeoutMs !== undefined) return options.readyTimeoutMs;
  const raw = Number(process.env.STAYSYNC_READY_TIMEOUT_S ?? '180');
  return (Number.isFinite(raw) && raw > 0 ? raw : 180) * 1000;
}

/** Polls `ready()` until it answers (true), the process dies or the time is up (false). */
async function answersWithin(
  service: ServiceDef,
  pid: number,
  timeoutMs: number,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (isAlive(pid) && Date.now() < deadline) {
    if (await service.ready()) return true;
    await sleep(500);
  }
  return false;
}

const seconds = (since: number): string => `${((Date.now() - since) / 1000).toFixed(1)} s`;

/**
 * Stops the services the stack started (all of them, or those named in `only`):
 * SIGTERM, then SIGKILL after a grace period. Processes it did not start are never
 * touched. Removes .local/stack.env once nothing is left running.
 */
export function down(
  services: readonly ServiceDef[],
  paths: StackPaths,
  options: StackOptions & { only?: readonly string[] } = {},
): Promise<void> {
  const log = options.log ?? (() => undefined);
  ensureDirs(paths);
  return withLock(paths.root, () =>
    stopLocked(services, paths, options.only ?? services.map((service) => service.name), log),
  );
}

/** `down` for a caller that holds the stack lock already. */
export async function stopLocked(
  services: readonly ServiceDef[],
  paths: StackPaths,
  names: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  await stopServices(services, paths, names, log);
  const remaining = services.filter((service) => liveProcess(paths, service.name) !== undefined);
  if (remaining.length === 0) removeEnvFile(envFile(paths));
  else
    writeEnvFile(envFile(paths), Object.assign({}, ...remaining.map((service) => service.env())));
}

async function stopServices(
  services: readonly ServiceDef[],
  paths: StackPaths,
  names: readonly string[],
  log: (line: string) => void,
): Promise<void> {
  await Promise.all(
    services
      .filter((service) => names.includes(service.name))
      .map(async (service) => {
        const pid = liveProcess(paths, service.name);
        if (pid === undefined) {
          log(`${service.name}: not running`);
        } else {
          const how = await terminate(pid, 20_000);
          log(
            `${service.name}: ${how === 'killed' ? 'killed after the grace period' : 'stopped'} (pid ${pid})`,
          );
        }
        rmSync(pidFile(paths, service.name), { force: true });
      }),
  );
}

/** The stack's variables, when the stack is up (written by `up`). */
export function stackEnv(paths: StackPaths): Record<string, string> | undefined {
  try {
    return readEnvFile(envFile(paths));
  } catch {
    return undefined;
  }
}

/** The last lines a service logged since `offset` (its current start). */
function tail(file: string, offset: number, lines = 25): string {
  try {
    const text = readFileSync(file, 'utf8').slice(offset);
    return text.trimEnd().split('\n').slice(-lines).join('\n') || '(nothing logged)';
  } catch {
    return '(no log file)';
  }
}

const messageOf = (error: unknown): string =>
  error instanceof Error ? error.message : String(error);

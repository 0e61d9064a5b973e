/**
 * `up`: prepares, starts and probes each service not up yet, in parallel; a service that
 * fails to come up makes the call stop the services it started.
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { stopServices } from './down.js';
import { writeEnvFile } from './env-file.js';
import { adopt, type Owner, type PidRecord, pidFile } from './pid-records.js';
import type { ServiceDef, StackPaths } from './service.js';
import { status } from './status.js';
import { StackError } from './support/errors.js';
import { withLock } from './support/lock.js';
import { ensureDirs, envFile, logFileOf } from './support/paths.js';
import { isAlive, sleep } from './support/processes.js';

export interface StackOptions {
  /** progress lines (the CLI prints them; tests pass nothing) */
  readonly log?: (line: string) => void;
  /** recorded with the processes `up` starts; default `cli` */
  readonly owner?: Owner;
  /**
   * Whether a `cli` call takes over services a test run started, so they stay up after the
   * tests (what `npm run stack:up` means). Default true; `npm start` passes false: when
   * the test suite runs it, the suite must still stop what it started.
   */
  readonly adopt?: boolean;
  /** how long one service may take to answer after it started; default STAYSYNC_READY_TIMEOUT_S or 180 s */
  readonly readyTimeoutMs?: number;
}

export interface UpResult {
  /** names of the services this call started (the others were already up) */
  readonly started: readonly string[];
  readonly env: Readonly<Record<string, string>>;
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
      if (options.adopt !== false) adopt(paths, service.name, options.owner ?? 'cli', log);
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

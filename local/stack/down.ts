/**
 * `down`: stops what `up` started, by recorded pid (never by name): SIGTERM, then SIGKILL
 * after a grace period.
 */
import { rmSync } from 'node:fs';
import { removeEnvFile, writeEnvFile } from './env-file.js';
import { liveProcess, pidFile } from './pid-records.js';
import type { ServiceDef, StackPaths } from './service.js';
import { withLock } from './support/lock.js';
import { ensureDirs, envFile } from './support/paths.js';
import { terminate } from './support/processes.js';

/** The part of up.ts's StackOptions `down` reads (up.ts imports this module, not the reverse). */
export interface LogOption {
  readonly log?: (line: string) => void;
}

/**
 * Stops the services the stack started (all of them, or those named in `only`):
 * SIGTERM, then SIGKILL after a grace period. Processes it did not start are never
 * touched. Removes .local/stack.env once nothing is left running.
 */
export function down(
  services: readonly ServiceDef[],
  paths: StackPaths,
  options: LogOption & { only?: readonly string[] } = {},
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

/** Stops the named services the stack started; the caller holds the stack lock. */
export async function stopServices(
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

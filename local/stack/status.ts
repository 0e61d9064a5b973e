/** What each service of the stack is doing, and the variables of a stack that is up. */
import { readEnvFile } from './env-file.js';
import { liveProcess } from './pid-records.js';
import type { ServiceDef, StackPaths } from './service.js';
import { envFile, logFileOf } from './support/paths.js';
import { isPortOpen } from './support/ports.js';

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

/** The stack's variables, when the stack is up (written by `up`). */
export function stackEnv(paths: StackPaths): Record<string, string> | undefined {
  try {
    return readEnvFile(envFile(paths));
  } catch {
    return undefined;
  }
}

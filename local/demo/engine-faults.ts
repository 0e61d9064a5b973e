/**
 * `npm start -- --faults`: engines killed mid-run. One at a time, a local stack service
 * is killed with SIGKILL by its recorded pid (never by name), then brought back by the
 * stack's own `up`, with the owner it had (so a test run still stops what it started).
 *
 * Every engine's acknowledged state survives the kill, as the AWS service it stands for
 * keeps it through an outage: the Kafka broker's KRaft log (.local/data/kafka), the
 * OpenSearch node's indices (.local/data/opensearch), Dynoxide's SQLite file
 * (.local/data/dynoxide) and moto's journal of acknowledged S3 writes, replayed when it
 * starts (.local/data/moto). So each kill is an outage of that service — refused
 * connections, then the same data back — and the pipeline must ride it out.
 */

import { liveProcess, ownerOf, readPid } from '../stack/pid-records.js';
import type { ServiceDef, StackPaths } from '../stack/service.js';
import { up } from '../stack/stack.js';
import { killNow } from '../stack/support/processes.js';

/** The stack services `--faults` kills: every one of them. */
export const KILLABLE_ENGINES = ['kafka', 'opensearch', 'dynoxide', 'moto'] as const;
export type KillableEngine = (typeof KILLABLE_ENGINES)[number];

export interface EngineRestart {
  /** the process killed with SIGKILL */
  readonly killedPid: number;
  /** the process `up` started in its place */
  readonly pid: number;
}

/**
 * Kills `engine` (SIGKILL to its recorded pid and process group), waits `downMs`, and
 * starts it again through `up`; resolves once it answers its readiness probe, with both
 * pids. Resolves to undefined when the engine was not running under this stack (nothing
 * killed).
 */
export async function killAndRestart(
  engine: KillableEngine,
  services: readonly ServiceDef[],
  paths: StackPaths,
  downMs: number,
  log: (line: string) => void = () => undefined,
): Promise<EngineRestart | undefined> {
  const killedPid = liveProcess(paths, engine);
  if (killedPid === undefined) return undefined;
  const owner = ownerOf(paths, engine) ?? 'cli';
  await killNow(killedPid);
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await up(services, paths, { owner, adopt: false, log });
  const pid = readPid(paths, engine)?.pid;
  if (pid === undefined) throw new Error(`${engine} has no pid record after its restart`);
  return { killedPid, pid };
}

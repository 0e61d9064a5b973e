/**
 * `npm start -- --faults`: engines killed mid-run. One at a time, a local stack service
 * is killed with SIGKILL by its recorded pid (never by name), then brought back by the
 * stack's own `up`, with the owner it had (so a test run still stops what it started).
 *
 * Only engines whose state survives a restart are killed: the Kafka broker (KRaft log
 * on disk under .local/data/kafka) and the OpenSearch node (.local/data/opensearch).
 * Dynoxide and moto keep everything in memory: a restart starts empty, which would wipe
 * the ledger and view tables and the archive and quarantine buckets of every run — not a
 * crash the pipeline recovers from but the loss of the stores themselves (in AWS neither
 * DynamoDB nor S3 loses committed writes). Their crash is simulated where it matters, in
 * the requests (the SDK-middleware fault properties, test/integration/sink-*).
 */

import { liveProcess, ownerOf } from '../stack/pid-records.js';
import type { ServiceDef, StackPaths } from '../stack/service.js';
import { up } from '../stack/stack.js';
import { killNow } from '../stack/support/processes.js';

/** The stack services `--faults` may kill: their state is on disk. */
export const KILLABLE_ENGINES = ['kafka', 'opensearch'] as const;
export type KillableEngine = (typeof KILLABLE_ENGINES)[number];

/**
 * Kills `engine` (SIGKILL to its recorded pid and process group), waits `downMs`, and
 * starts it again through `up`; resolves once it answers its readiness probe. Resolves
 * to false when the engine was not running under this stack (nothing killed).
 */
export async function killAndRestart(
  engine: KillableEngine,
  services: readonly ServiceDef[],
  paths: StackPaths,
  downMs: number,
  log: (line: string) => void = () => undefined,
): Promise<boolean> {
  const pid = liveProcess(paths, engine);
  if (pid === undefined) return false;
  const owner = ownerOf(paths, engine) ?? 'cli';
  await killNow(pid);
  await new Promise((resolve) => setTimeout(resolve, downMs));
  await up(services, paths, { owner, adopt: false, log });
  return true;
}

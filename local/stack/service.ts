/**
 * One service of the local stack (Kafka, OpenSearch, Dynoxide, moto). The orchestrator
 * (`local/stack/stack.ts`) prepares, starts, probes and stops each service the same way;
 * a service module only knows its own engine.
 */
export interface StackPaths {
  /** repo-root/.local */
  readonly root: string;
  /** download/build cache shared by runs: .local/cache */
  readonly cache: string;
  /** per-service data directories: .local/data/<service> */
  readonly data: string;
  /** log files: .local/logs/<service>.log */
  readonly logs: string;
}

export interface StartedProcess {
  readonly pid: number;
}

export interface ServiceDef {
  readonly name: string;
  /** TCP port on 127.0.0.1 (configurable through an env var the service documents) */
  readonly port: number;
  /** Downloads and builds what the service needs into the cache; idempotent and quick when cached. */
  prepare(paths: StackPaths): Promise<void>;
  /** Starts the engine detached (it outlives the calling process), logging to `logFile`. */
  start(paths: StackPaths, logFile: string): Promise<StartedProcess>;
  /** A real request proving the service answers (not a port check, not a sleep). */
  ready(): Promise<boolean>;
  /**
   * Empties the running engine's state (`npm run stack:reset`): what a fresh start would
   * give, without restarting it. Absent for engines whose state tests keep apart by name.
   */
  reset?(): Promise<void>;
  /** KEY=VALUE pairs this service contributes to .local/stack.env */
  env(): Record<string, string>;
}

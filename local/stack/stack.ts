/**
 * The orchestrator of the local stack: `up` prepares, starts and probes each service,
 * `down` stops what `up` started (by recorded pid, never by name), `status` reports.
 * Services are handled in parallel; each is a ServiceDef (local/stack/services/*).
 * This module gathers the three (up.ts, down.ts, status.ts) and the pid records'
 * owner (pid-records.ts) behind one import.
 */
export { down, stopLocked } from './down.js';
export { type Owner, ownerOf } from './pid-records.js';
export { type ServiceState, type ServiceStatus, stackEnv, status } from './status.js';
export { type StackOptions, type UpResult, up } from './up.js';

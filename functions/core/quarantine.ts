import type { MskEventRecord } from './msk-event.js';

/** One poison record as stored in quarantine: enough to understand it and to replay it. */
export interface QuarantineEntry {
  readonly sink: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** short machine-readable reason (PoisonError.reason) */
  readonly reason: string;
  readonly error: { readonly name: string; readonly message: string; readonly field?: string };
  /** the record exactly as Lambda delivered it (base64 key/value, signed-byte headers) */
  readonly raw: MskEventRecord;
  readonly quarantinedAt: string;
}

export interface Quarantine {
  /** Stores each entry under a key derived from (sink, topic, partition, offset), so a
   *  redelivered poison record overwrites its own entry: quarantined exactly once. */
  put(entries: readonly QuarantineEntry[]): Promise<void>;
}

/**
 * The ledger (dedupe) table of DESIGN §3.3: partition key `pk` (S), TTL on `expiresAt`.
 * - `ckpt#<sink>#<topic>#<partition>` → `{ offset }`: highest offset fully applied by that sink;
 * - `evt#<sink>#<eventId>` → `{ expiresAt }`: event applied (non-idempotent effects).
 */
export interface CheckpointRef {
  readonly sink: string;
  readonly topic: string;
  readonly partition: number;
}

export const checkpointKey = (ref: CheckpointRef): string =>
  `ckpt#${ref.sink}#${ref.topic}#${ref.partition}`;

export const eventKey = (sink: string, eventId: string): string => `evt#${sink}#${eventId}`;

/** Default retention of `evt#` markers: longer than any topic retention a team would replay. */
export const DEFAULT_EVENT_MARKER_TTL_SECONDS = 14 * 24 * 3600;

export interface Ledger {
  /** strongly consistent read; null when the sink never checkpointed this partition */
  readCheckpoint(ref: CheckpointRef): Promise<number | null>;
  /**
   * Conditional advance (`attribute_not_exists(pk) OR offset < :new`). Resolves `false`
   * (not an error) when the stored offset is already at or past `offset`.
   */
  advanceCheckpoint(ref: CheckpointRef, offset: number): Promise<boolean>;
}

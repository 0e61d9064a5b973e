import type { Change } from './change.js';
import type { PoisonError, StaysyncError } from './errors.js';
import type { KafkaRecord } from './record.js';

/** One record handed to a sink: the raw record, and its decoded change or why it is poison. */
export type BatchEntry =
  | { readonly record: KafkaRecord; readonly change: Change; readonly poison?: undefined }
  | { readonly record: KafkaRecord; readonly change?: undefined; readonly poison: PoisonError }
  /** sinks with `decodes: false` get raw records only */
  | { readonly record: KafkaRecord; readonly change?: undefined; readonly poison?: undefined };

/** The not-yet-applied records of one topic-partition, ascending offsets, all above the checkpoint. */
export interface SinkBatch {
  readonly sink: string;
  readonly topic: string;
  readonly partition: number;
  /** the ledger checkpoint read before this batch (null: none yet) */
  readonly checkpoint: number | null;
  readonly entries: readonly BatchEntry[];
}

/**
 * What became of one record.
 * - `applied`: its effect is in the store (including a change superseded within the batch
 *   by a later version that was applied);
 * - `stale`: the store already held this version or a newer one;
 * - `duplicate`: the same event (id) was already applied;
 * - `poison`: can never be applied; the engine quarantines it;
 * - `retry`: a retriable failure that outlasted the sink's own retries.
 */
export type RecordOutcome =
  | { readonly offset: number; readonly status: 'applied' | 'stale' | 'duplicate' }
  | { readonly offset: number; readonly status: 'poison'; readonly error: PoisonError }
  | { readonly offset: number; readonly status: 'retry'; readonly error: StaysyncError };

export interface SinkResult {
  /** exactly one outcome per entry of the batch (any order) */
  readonly outcomes: readonly RecordOutcome[];
  /** set when the sink stored the checkpoint itself, atomically with its output
   *  (DynamoDB aggregates): the highest offset so stored */
  readonly checkpointedThrough?: number;
}

export interface ApplyContext {
  /** milliseconds left before the invocation must answer (retry budgets stay inside it) */
  remainingTimeMs(): number;
}

/**
 * A store that derives its state from the log. Implemented by the DynamoDB view,
 * DynamoDB aggregates, OpenSearch and S3 archive sinks; the engine drives it.
 * `apply` is called once per partition batch (and again with the records still to do
 * after a retriable failure); it must be idempotent: a redelivery is a no-op.
 * Expected store failures become outcomes; an exception thrown from `apply` is treated
 * as a retriable failure of the whole batch when it is a retriable `StaysyncError`, and
 * as a bug (rethrown, the invocation fails) otherwise.
 */
export interface Sink {
  readonly name: string;
  /** false for sinks that store raw records (the archive): the engine skips decoding */
  readonly decodes: boolean;
  apply(batch: SinkBatch, ctx: ApplyContext): Promise<SinkResult>;
}

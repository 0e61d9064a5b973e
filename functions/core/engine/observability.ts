/**
 * What the engine needs from a logger and a metrics sink. Powertools Logger satisfies
 * {@link EngineLogger} as is; the runtime adapts Powertools Metrics to {@link EngineMetrics}.
 * Core code stays free of I/O: tests pass silent or recording implementations.
 */
export interface EngineLogger {
  debug(message: string, ...extra: Record<string, unknown>[]): void;
  info(message: string, ...extra: Record<string, unknown>[]): void;
  warn(message: string, ...extra: Record<string, unknown>[]): void;
  error(message: string, ...extra: Record<string, unknown>[]): void;
}

export interface EngineMetrics {
  /** adds `value` to the count `name` (dimension: the sink) */
  count(name: MetricName, value: number): void;
}

/** Metric names (unit Count, dimension `sink`, namespace `staysync`). */
export const Metric = {
  /** records whose effect is now in the store */
  applied: 'RecordsApplied',
  /** records the store already held (same or newer version) */
  stale: 'RecordsStale',
  /** records whose event id was already applied */
  duplicate: 'RecordsDuplicate',
  /** poison records quarantined */
  poison: 'RecordsPoison',
  /** records at or below the checkpoint (redelivered, skipped without any store call) */
  skipped: 'RecordsSkipped',
  /** records left unapplied: their partition is reported in batchItemFailures */
  unapplied: 'RecordsUnapplied',
  /** sink apply attempts repeated after a retriable failure */
  retries: 'ApplyRetries',
  /** partitions reported in batchItemFailures */
  failedPartitions: 'PartitionsFailed',
  /** quarantine writes that failed (the poison record stays unapplied) */
  quarantineFailures: 'QuarantineFailures',
  /** checkpoint advances that failed after retries (the batch is redelivered, a no-op) */
  checkpointFailures: 'CheckpointFailures',
} as const;
export type MetricName = (typeof Metric)[keyof typeof Metric];

export const silentLogger: EngineLogger = {
  debug: () => {},
  info: () => {},
  warn: () => {},
  error: () => {},
};

export const noMetrics: EngineMetrics = { count: () => {} };

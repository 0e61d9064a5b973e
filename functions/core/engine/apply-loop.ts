import { StaysyncError } from '../errors.js';
import type { BatchEntry, RecordOutcome, SinkBatch } from '../sink.js';
import type { EngineDeps } from './deps.js';
import { Metric } from './observability.js';
import { type Budget, waitBeforeRetry } from './retry-policy.js';
import { describe } from './with-retry.js';

export interface ApplyResult {
  /** one final outcome per entry, by offset */
  readonly outcomes: ReadonlyMap<number, RecordOutcome>;
  /** highest offset the sink checkpointed itself, if any */
  readonly checkpointedThrough?: number;
}

/**
 * Calls `sink.apply`, then again with only the records whose outcome is `retry` (sinks
 * are idempotent, and plan each key as one write, so this never reorders a key), with
 * jittered backoff, until none is left or the policy/budget says stop.
 */
export async function applyWithRetries(
  batch: Omit<SinkBatch, 'entries'>,
  entries: readonly BatchEntry[],
  deps: EngineDeps,
  budget: Budget,
): Promise<ApplyResult> {
  const { sink, logger } = deps;
  const where = { sink: sink.name, topic: batch.topic, partition: batch.partition };
  const outcomes = new Map<number, RecordOutcome>();
  let checkpointedThrough: number | undefined;
  let pending = entries;
  for (let attempt = 1; pending.length > 0; attempt++) {
    try {
      const result = await sink.apply(
        { ...batch, entries: pending },
        { remainingTimeMs: () => budget.remainingMs() },
      );
      recordOutcomes(pending, result.outcomes, outcomes, sink.name);
      if (result.checkpointedThrough !== undefined) {
        checkpointedThrough = Math.max(checkpointedThrough ?? -1, result.checkpointedThrough);
      }
    } catch (err) {
      if (!(err instanceof StaysyncError) || !err.retriable) throw err;
      for (const { record } of pending)
        outcomes.set(record.offset, { offset: record.offset, status: 'retry', error: err });
    }
    const failing = pending.filter((e) => outcomes.get(e.record.offset)?.status === 'retry');
    if (failing.length === 0) break;
    const first = outcomes.get((failing[0] as BatchEntry).record.offset);
    logger.warn('sink apply had retriable failures', {
      ...where,
      offset: (failing[0] as BatchEntry).record.offset,
      failing: failing.length,
      attempt,
      error: first?.status === 'retry' ? describe(first.error) : undefined,
    });
    if (!(await waitBeforeRetry(deps.retry, budget, deps.clock, attempt))) break;
    deps.metrics.count(Metric.retries, 1);
    pending = failing;
  }
  return checkpointedThrough === undefined ? { outcomes } : { outcomes, checkpointedThrough };
}

/**
 * Checks the sink kept its contract (one outcome per entry, no foreign offsets): a
 * violation is a bug and fails the invocation. A missing outcome for an entry that was
 * already poison is tolerated and counts as poison.
 */
function recordOutcomes(
  pending: readonly BatchEntry[],
  reported: readonly RecordOutcome[],
  into: Map<number, RecordOutcome>,
  sinkName: string,
): void {
  const expected = new Map(pending.map((e) => [e.record.offset, e]));
  const seen = new Set<number>();
  for (const outcome of reported) {
    if (!expected.has(outcome.offset) || seen.has(outcome.offset)) {
      throw new Error(
        `staysync: sink ${sinkName} reported an unexpected or repeated outcome for offset ${outcome.offset}`,
      );
    }
    seen.add(outcome.offset);
    into.set(outcome.offset, outcome);
  }
  for (const [offset, entry] of expected) {
    if (seen.has(offset)) continue;
    if (entry.poison === undefined) {
      throw new Error(`staysync: sink ${sinkName} reported no outcome for offset ${offset}`);
    }
    into.set(offset, { offset, status: 'poison', error: entry.poison });
  }
}

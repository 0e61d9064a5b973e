import { PoisonError, StaysyncError } from './errors.js';
import type { KafkaRecord } from './record.js';
import type { BatchEntry, RecordOutcome } from './sink.js';

/** A record a log-ordered processor handled, with what its step returned. */
export interface Handled<T> {
  readonly offset: number;
  readonly value: T;
}

/**
 * Runs `step` on each record of one partition, in offset order, for the processors whose
 * decisions depend on every earlier record (claims, transfers: docs/claims.md). A poison
 * record gets its outcome and the partition moves on; after the first retriable failure
 * every later record is retried too, since it may depend on the failed one. Anything else
 * is a bug and is thrown.
 */
export async function runInLogOrder<T>(
  entries: readonly BatchEntry[],
  step: (record: KafkaRecord) => Promise<T>,
): Promise<{ readonly outcomes: RecordOutcome[]; readonly handled: Handled<T>[] }> {
  const outcomes: RecordOutcome[] = [];
  const handled: Handled<T>[] = [];
  let failed: StaysyncError | undefined;
  for (const { record } of entries) {
    const offset = record.offset;
    if (failed !== undefined) {
      outcomes.push({ offset, status: 'retry', error: failed });
      continue;
    }
    try {
      handled.push({ offset, value: await step(record) });
    } catch (err) {
      if (err instanceof PoisonError) {
        outcomes.push({ offset, status: 'poison', error: err });
      } else if (err instanceof StaysyncError && err.retriable) {
        failed = err;
        outcomes.push({ offset, status: 'retry', error: err });
      } else {
        throw err;
      }
    }
  }
  return { outcomes, handled };
}

/**
 * Publishes what a batch's records emitted, then settles those records: their own status
 * when publishing succeeded (or there was nothing to publish), `retry` for all of them when
 * it failed retriably (their stored effects make the retry republish the same messages).
 */
export async function publishThenSettle(
  settled: ReadonlyArray<{ readonly offset: number; readonly status: 'applied' | 'duplicate' }>,
  publish: (() => Promise<void>) | undefined,
): Promise<RecordOutcome[]> {
  if (publish !== undefined) {
    try {
      await publish();
    } catch (err) {
      if (!(err instanceof StaysyncError) || !err.retriable) throw err;
      return settled.map((d) => ({ offset: d.offset, status: 'retry', error: err }));
    }
  }
  return settled.map((d) => ({ offset: d.offset, status: d.status }));
}

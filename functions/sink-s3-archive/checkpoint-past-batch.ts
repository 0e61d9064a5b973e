/**
 * When existing archive objects reach past a batch's last record, the checkpoint the
 * engine would store (that last record) lies inside an object, and the next batch would
 * start a second object over the same offsets. The sink then stores the checkpoint at the
 * object's end itself, unless a record S3 refused is not quarantined yet.
 */
import type { CoveredRange } from '../core/archive/plan.js';
import { RetriableError, StaysyncError } from '../core/errors.js';
import type { CheckpointRef, Ledger } from '../core/ledger.js';
import type { RecordOutcome, SinkResult } from '../core/sink.js';

export interface PastBatch {
  readonly outcomes: readonly RecordOutcome[];
  /** the objects starting at or before the batch's last record (one reaches past it) */
  readonly reaching: readonly CoveredRange[];
  readonly lastOffset: number;
  /** lowest record S3 refused that may not be quarantined yet (`Infinity`: none) */
  readonly floor: number;
}

export async function checkpointPastBatch(
  ledger: Ledger,
  ref: CheckpointRef,
  { outcomes, reaching, lastOffset, floor }: PastBatch,
): Promise<SinkResult> {
  const maxEnd = reaching.reduce((m, r) => Math.max(m, r.endOffset), -1);
  if (floor <= maxEnd) {
    // The engine quarantines the refused records after this call (or a later one of the
    // invocation): the checkpoint may not pass them yet, nor stop inside an object. The
    // records of the object reaching past the batch wait (retry), so the checkpoint stays
    // before that object; the redelivery finds it once the refused records are settled.
    const start = reaching
      .filter((r) => r.endOffset > lastOffset)
      .reduce((m, r) => Math.min(m, r.startOffset), Number.POSITIVE_INFINITY);
    const error = new RetriableError(
      `archived object from offset ${start} reaches past the batch, and offset ${floor} S3 refused is not quarantined yet`,
      { context: ref },
    );
    return {
      outcomes: outcomes.map((o) =>
        o.offset >= start && o.status === 'duplicate'
          ? { offset: o.offset, status: 'retry', error }
          : o,
      ),
    };
  }
  try {
    await ledger.advanceCheckpoint(ref, maxEnd);
  } catch (err) {
    // Throwing (not returning outcomes) keeps the engine from checkpointing at the
    // batch's last offset, which lies inside an object.
    if (err instanceof StaysyncError && err.retriable) throw err;
    throw new RetriableError(`advancing the checkpoint past archived object end ${maxEnd} failed`, {
      context: ref,
      cause: err,
    });
  }
  return { outcomes, checkpointedThrough: maxEnd };
}

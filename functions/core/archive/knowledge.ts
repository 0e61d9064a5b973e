/**
 * What one sink instance knows about the archive of a partition, so that a batch which
 * follows the checkpoint can be planned without listing S3 (the normal path: one
 * PutObject per batch) and still never write an object over offsets that an existing
 * object holds.
 *
 * Why the sink needs it: a new object keyed by its first record is only guarded by
 * `If-None-Match: *` on that key. Objects that start *inside* the batch (after a hole:
 * records the mapping gave up on, a segment S3 refused, a replay with a new ledger over an
 * older archive) are invisible to that guard, so every object the batch writes must be
 * planned around all existing objects that start within it. That is learned by listing
 * (see `ArchiveScan`), or carried over from the last batch of the same process.
 *
 * The knowledge is a claim about objects as of `at`; other writers can add objects later.
 * It is trusted only when they cannot have added one the batch could overlap without the
 * PutObject guard noticing (docs/sink-s3-archive.md, "Exactly once"), and only for
 * `ttlMs`, which bounds how long a silent change (a ledger rebuilt under the same sink
 * name while this process was idle) can go unnoticed.
 */
import type { CoveredRange } from './plan.js';

/** Inclusive range of `dt=` folder dates (yyyy-mm-dd; string order = date order). */
export interface DateSpan {
  readonly from: string;
  readonly to: string;
}

/** Every date: a listing of the topic's `dt=` folders saw all there were. */
export const EVERY_DAY: DateSpan = { from: '0000-01-01', to: '9999-12-31' };

export interface ArchiveKnowledge {
  /**
   * Every object of the partition that holds an offset above `after` and starts at or
   * below `until`, in the `dt=` folders of `dates`, is in `ranges`.
   */
  readonly after: number;
  /** `Infinity` when no object started after the listed window */
  readonly until: number;
  readonly dates: DateSpan;
  readonly ranges: readonly CoveredRange[];
  /** when it was last confirmed or used (ms) */
  readonly at: number;
}

/** The dates a batch's objects can have: those of its records (an object starts at one). */
export function dateSpanOf(dates: Iterable<string>): DateSpan | null {
  let span: DateSpan | null = null;
  for (const d of dates) {
    if (span === null) span = { from: d, to: d };
    else if (d < span.from) span = { from: d, to: span.to };
    else if (d > span.to) span = { from: span.from, to: d };
  }
  return span;
}

export interface BatchShape {
  /** the ledger checkpoint the batch was read with (null: none) */
  readonly checkpoint: number | null;
  readonly first: number;
  readonly last: number;
  readonly dates: DateSpan;
}

/**
 * Whether `k` may stand in for a listing when planning the batch. The batch must follow
 * the checkpoint (`first = checkpoint + 1`): the checkpoint never lies inside an object,
 * so only objects starting in `first..last` matter, each in the folder of one of the
 * batch's records; `k` must know them all. A batch without a checkpoint (the first one,
 * or a ledger lost or rebuilt) is never planned from memory, nor one whose checkpoint is
 * below where this process left the partition (the ledger went back, or its last
 * checkpoint failed).
 */
export function trusts(
  k: ArchiveKnowledge,
  batch: BatchShape,
  now: number,
  ttlMs: number,
): boolean {
  return (
    batch.checkpoint !== null &&
    batch.first === batch.checkpoint + 1 &&
    batch.checkpoint >= k.after &&
    batch.last <= k.until &&
    batch.dates.from >= k.dates.from &&
    batch.dates.to <= k.dates.to &&
    now - k.at >= 0 &&
    now - k.at < ttlMs
  );
}

/**
 * The knowledge after a batch, given what it started from (`base`), the checkpoint the
 * engine stores when the batch succeeds (`expected`) and every object the batch wrote or
 * found. Only a batch read at that checkpoint or later trusts it; ranges wholly at or
 * below it are dropped, so the memory kept stays small.
 */
export function afterBatch(
  base: Omit<ArchiveKnowledge, 'ranges' | 'at'>,
  expected: number,
  ranges: readonly CoveredRange[],
  now: number,
): ArchiveKnowledge {
  const after = Math.max(base.after, expected);
  const kept = new Map<number, CoveredRange>();
  for (const r of ranges)
    if (r.endOffset > after)
      kept.set(r.startOffset, { startOffset: r.startOffset, endOffset: r.endOffset });
  return {
    after,
    until: base.until,
    dates: base.dates,
    ranges: [...kept.values()].sort((a, b) => a.startOffset - b.startOffset),
    at: now,
  };
}

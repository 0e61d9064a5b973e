/**
 * The event source mapping's bookkeeping for one topic-partition, free of I/O so every
 * rule is unit-tested: what has been fetched, which batch is in flight (at most one),
 * when the next batch is due (batch size or batching window), and what to do with the
 * function's verdict: commit what was applied, resume (seek) at the first record not
 * applied, retry with backoff, and after `maxRetryAttempts` hand the records that were
 * not applied to the on-failure destination and move on.
 *
 * Kafka's committed offset is the *next* offset to read, so a commit is always
 * "last applied + 1".
 */
import type { BatchVerdict } from './batch-response.js';
import type { FetchedRecord } from './event-builder.js';

export interface CursorSettings {
  /** records per invocation at most (Lambda `BatchSize`) */
  readonly batchSize: number;
  /** how long to gather records before invoking with fewer than `batchSize`
   *  (Lambda `MaximumBatchingWindowInSeconds`, here in ms) */
  readonly batchingWindowMs: number;
  /** retries after the first failed attempt before giving up on the records (Lambda
   *  `MaximumRetryAttempts`; -1 = retry forever) */
  readonly maxRetryAttempts: number;
  /** first retry delay, doubled per attempt up to `maxRetryDelayMs` */
  readonly retryDelayMs: number;
  readonly maxRetryDelayMs: number;
}

/** What the fetch loop must do after a verdict. */
export interface CursorDecision {
  /** commit this offset (next offset to read) for the consumer group */
  readonly commit?: number;
  /** re-read the partition from this offset (records in memory were dropped) */
  readonly seekTo?: number;
  /** records given up on: send them to the on-failure destination before committing */
  readonly discarded?: readonly FetchedRecord[];
  /** wait this long before the next invocation for this partition */
  readonly retryDelayMs?: number;
  /** invocations made for the records discarded (for the invocation record) */
  readonly attempts?: number;
}

export class PartitionCursor {
  readonly topic: string;
  readonly partition: number;
  private buffer: FetchedRecord[] = [];
  /** next offset the fetch loop may hand us; records below it are stale re-reads */
  private fetchPosition: number | null;
  private firstBufferedAt: number | null = null;
  private inFlight: readonly FetchedRecord[] | null = null;
  /** consecutive failed invocations starting at the same head offset */
  private failures = 0;
  private notBefore = 0;

  constructor(
    topic: string,
    partition: number,
    private readonly settings: CursorSettings,
    /** the group's committed offset when the partition was assigned (null: none) */
    startAt: number | null = null,
  ) {
    if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${settings.batchSize}`);
    }
    this.topic = topic;
    this.partition = partition;
    this.fetchPosition = startAt;
  }

  get id(): string {
    return `${this.topic}-${this.partition}`;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  get busy(): boolean {
    return this.inFlight !== null;
  }

  /** Takes fetched records; drops those before the current read position (re-reads). */
  accept(records: readonly FetchedRecord[], now: number): number {
    let taken = 0;
    for (const record of records) {
      if (this.fetchPosition !== null && record.offset < this.fetchPosition) continue;
      this.buffer.push(record);
      this.fetchPosition = record.offset + 1;
      taken++;
    }
    if (taken > 0 && this.firstBufferedAt === null) this.firstBufferedAt = now;
    return taken;
  }

  /** When the next batch becomes due (ms epoch), or null when there is nothing to send. */
  dueAt(): number | null {
    if (this.inFlight !== null || this.buffer.length === 0 || this.firstBufferedAt === null) {
      return null;
    }
    const windowEnd =
      this.buffer.length >= this.settings.batchSize
        ? 0
        : this.firstBufferedAt + this.settings.batchingWindowMs;
    return Math.max(windowEnd, this.notBefore);
  }

  /** The next batch if one is due at `now` (it stays in flight until `complete`). */
  take(now: number): readonly FetchedRecord[] | null {
    const due = this.dueAt();
    if (due === null || due > now) return null;
    const batch = this.buffer.slice(0, this.settings.batchSize);
    this.buffer = this.buffer.slice(batch.length);
    this.firstBufferedAt = this.buffer.length > 0 ? now : null;
    this.inFlight = batch;
    return batch;
  }

  /** Applies the verdict on the in-flight batch. */
  complete(verdict: BatchVerdict, now: number): CursorDecision {
    const batch = this.inFlight;
    if (batch === null) throw new Error(`${this.id}: complete() without a batch in flight`);
    this.inFlight = null;
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (first === undefined || last === undefined) throw new Error(`${this.id}: empty batch`);

    if (verdict.kind === 'success') {
      this.failures = 0;
      return { commit: last.offset + 1 };
    }
    const resumeAt = verdict.kind === 'partial' ? verdict.resumeAt : first.offset;
    const progressed = resumeAt > first.offset;
    this.failures = progressed ? 1 : this.failures + 1;
    const { maxRetryAttempts } = this.settings;
    if (maxRetryAttempts >= 0 && this.failures > maxRetryAttempts) {
      // Retries exhausted: the records not applied go to the on-failure destination and
      // the partition moves on past the batch (what is buffered after it stays valid).
      const attempts = this.failures;
      this.failures = 0;
      return {
        commit: last.offset + 1,
        discarded: batch.filter((r) => r.offset >= resumeAt),
        attempts,
      };
    }
    // Resume at the first record not applied: forget what was read after it and re-read
    // the partition from there, as Lambda does.
    this.buffer = [];
    this.firstBufferedAt = null;
    this.fetchPosition = resumeAt;
    const retryDelayMs = Math.min(
      this.settings.maxRetryDelayMs,
      this.settings.retryDelayMs * 2 ** Math.max(0, this.failures - 1),
    );
    this.notBefore = now + retryDelayMs;
    return { ...(progressed ? { commit: resumeAt } : {}), seekTo: resumeAt, retryDelayMs };
  }

  /** Forgets everything in memory and reads again from `offset` (a restart, a rebalance). */
  reset(offset: number | null): void {
    this.buffer = [];
    this.firstBufferedAt = null;
    this.inFlight = null;
    this.failures = 0;
    this.notBefore = 0;
    this.fetchPosition = offset;
  }
}

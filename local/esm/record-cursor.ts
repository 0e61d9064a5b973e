/**
 * The event source mapping's bookkeeping for one topic-partition or stream shard, free of I/O so every
 * rule is unit-tested: what has been fetched, which batch is in flight (at most one),
 * when the next batch is due (batch size or batching window), and what to do with the
 * function's verdict: commit what was applied, resume (seek) at the first record not
 * applied, retry with backoff, and after `maxRetryAttempts` hand the records that were
 * not applied to the on-failure destination and move on.
 *
 * The Kafka mapping (partition-cursor.ts) and the DynamoDB Streams mapping
 * (dynamodb-streams/) share it: Lambda documents the same error handling for both.
 *
 * Two stream settings of Lambda's Kafka mappings are kept here too (docs/pipeline.md says
 * what AWS documents and what it leaves open):
 * - `bisectBatchOnFunctionError`: a whole-batch failure (a function error, a timeout, a
 *   crash, a malformed answer; not a partial batch response) of more than one record splits
 *   the records not applied into two halves, retried one after the other, in offset order.
 *   A split is not a retry (Lambda: "splitting batches doesn't consume the retry quota");
 *   only a batch of one record that keeps failing uses up `maxRetryAttempts`.
 * - `maximumRecordAgeSeconds`: records older than that are never sent to the function; the
 *   mapping hands them to the on-failure destination (`RecordAgeExceeded`) and commits past
 *   them like applied records. The age is checked at every attempt, so a failing batch is
 *   retried until its records expire.
 *
 * A commit is always "last applied + 1" (Kafka's committed offset is the *next* offset to
 * read; a shard's checkpoint is the record just below it).
 */
import type { BatchVerdict } from './batch-response.js';
import { isExpired, validateMaximumRecordAge } from './record-age.js';

/** What the cursor needs of a record: its position in the partition or shard (ascending,
 *  gapless as the source delivers them) and when it was written (ms epoch, for the age). */
export interface CursorRecord {
  readonly offset: number;
  readonly timestamp: number;
}

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
  /** split a batch that failed as a whole in two and retry the halves (Lambda
   *  `BisectBatchOnFunctionError`)
   *  @default false */
  readonly bisectBatchOnFunctionError?: boolean;
  /** records older than this (by their timestamp) go to the on-failure destination
   *  instead of the function (Lambda `MaximumRecordAgeInSeconds`)
   *  @default -1 (infinite) */
  readonly maximumRecordAgeSeconds?: number;
}

/** An inclusive offset range left by a bisection, sent as one batch of its own. */
interface Segment {
  from: number;
  readonly to: number;
}

/** What the fetch loop must do after a verdict. */
export interface CursorDecision<R extends CursorRecord = CursorRecord> {
  /** commit this offset (next offset to read) for the consumer group */
  readonly commit?: number;
  /** re-read the partition from this offset (records in memory were dropped) */
  readonly seekTo?: number;
  /** records given up on: send them to the on-failure destination before committing */
  readonly discarded?: readonly R[];
  /** wait this long before the next invocation for this partition */
  readonly retryDelayMs?: number;
  /** invocations made for the records discarded (for the invocation record) */
  readonly attempts?: number;
}

export class RecordCursor<R extends CursorRecord> {
  private buffer: R[] = [];
  /** next offset the fetch loop may hand us; records below it are stale re-reads */
  private fetchPosition: number | null;
  private firstBufferedAt: number | null = null;
  private inFlight: readonly R[] | null = null;
  /** consecutive failed invocations starting at the same head offset */
  private failures = 0;
  private notBefore = 0;
  /** halves of bisected batches still to send, in offset order */
  private segments: Segment[] = [];
  private inFlightIsSegment = false;
  /** offsets of expired records already handed to the destination (not sent again when
   *  a retry re-reads them); pruned as commits pass them */
  private recorded = new Set<number>();

  constructor(
    /** `"<topic>-<partition>"`, a shard id: names the cursor in messages */
    readonly id: string,
    private readonly settings: CursorSettings,
    /** the first offset to accept (a Kafka group's committed offset); null: any */
    startAt: number | null = null,
  ) {
    if (!Number.isInteger(settings.batchSize) || settings.batchSize < 1) {
      throw new RangeError(`batchSize must be a positive integer, got ${settings.batchSize}`);
    }
    validateMaximumRecordAge(settings.maximumRecordAgeSeconds);
    this.fetchPosition = startAt;
  }

  get buffered(): number {
    return this.buffer.length;
  }

  get busy(): boolean {
    return this.inFlight !== null;
  }

  /** Takes fetched records; drops those before the current read position (re-reads). */
  accept(records: readonly R[], now: number): number {
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
    this.dropPassedSegments();
    const segment = this.segments[0];
    const last = this.buffer[this.buffer.length - 1];
    // A bisected half is due as soon as all of it is buffered: it is a retry, not new data.
    const full =
      this.buffer.length >= this.settings.batchSize ||
      (segment !== undefined && last !== undefined && last.offset >= segment.to);
    const windowEnd = full ? 0 : this.firstBufferedAt + this.settings.batchingWindowMs;
    return Math.max(windowEnd, this.notBefore);
  }

  /** The next batch if one is due at `now` (it stays in flight until `complete`). */
  take(now: number): readonly R[] | null {
    const due = this.dueAt();
    if (due === null || due > now) return null;
    const segment = this.segments[0];
    let size = Math.min(this.settings.batchSize, this.buffer.length);
    if (segment !== undefined) {
      const beyond = this.buffer.findIndex((r) => r.offset > segment.to);
      if (beyond !== -1) size = Math.min(size, beyond);
    }
    const batch = this.buffer.slice(0, size);
    this.buffer = this.buffer.slice(batch.length);
    this.firstBufferedAt = this.buffer.length > 0 ? now : null;
    this.inFlight = batch;
    this.inFlightIsSegment = segment !== undefined;
    return batch;
  }

  /**
   * Records of the batch in flight that are too old at `now` and not handed to the
   * destination yet; from now on they count as handled (the caller must write them to the
   * destination before anything is committed past them).
   */
  expire(now: number): readonly R[] {
    const batch = this.inFlight;
    if (batch === null) return [];
    const expired = batch.filter(
      (r) =>
        !this.recorded.has(r.offset) && isExpired(r, now, this.settings.maximumRecordAgeSeconds),
    );
    for (const r of expired) this.recorded.add(r.offset);
    return expired;
  }

  /**
   * Marks records of the batch in flight as handled without the function (the schema
   * registry step rejected them; the caller writes them to the destination before
   * anything is committed past them). Like expired records, they are not sent again
   * when a retry re-reads them.
   */
  markHandled(records: readonly R[]): void {
    for (const r of records) this.recorded.add(r.offset);
  }

  /** The records of the batch in flight to send to the function (not expired). */
  live(): readonly R[] {
    return (this.inFlight ?? []).filter((r) => !this.recorded.has(r.offset));
  }

  /** Applies the verdict on the in-flight batch (on its live records). */
  complete(verdict: BatchVerdict, now: number): CursorDecision<R> {
    const batch = this.inFlight;
    if (batch === null) throw new Error(`${this.id}: complete() without a batch in flight`);
    this.inFlight = null;
    const first = batch[0];
    const last = batch[batch.length - 1];
    if (first === undefined || last === undefined) throw new Error(`${this.id}: empty batch`);
    const live = batch.filter((r) => !this.recorded.has(r.offset));
    const wasSegment = this.inFlightIsSegment;
    this.inFlightIsSegment = false;

    if (verdict.kind === 'success' || live[0] === undefined) {
      this.failures = 0;
      if (wasSegment) this.segmentDoneThrough(last.offset);
      return this.committing({ commit: last.offset + 1 });
    }
    const resumeAt = verdict.kind === 'partial' ? verdict.resumeAt : live[0].offset;
    const progressed = resumeAt > first.offset;
    const pending = live.filter((r) => r.offset >= resumeAt);
    const segment = wasSegment ? this.segments[0] : undefined;
    if (segment !== undefined) segment.from = resumeAt;

    if (
      verdict.kind === 'failed' &&
      this.settings.bisectBatchOnFunctionError === true &&
      pending.length > 1
    ) {
      // Split, not a retry: the retry quota is untouched (only reset by progress).
      if (progressed) this.failures = 0;
      const middle = Math.ceil(pending.length / 2);
      const halves: Segment[] = [
        { from: resumeAt, to: pending[middle - 1]?.offset ?? resumeAt },
        { from: pending[middle]?.offset ?? resumeAt, to: last.offset },
      ];
      if (wasSegment) this.segmentDoneThrough(last.offset);
      this.segments.unshift(...halves);
      return this.resumeAt(resumeAt, progressed, now, this.settings.retryDelayMs);
    }

    this.failures = progressed ? 1 : this.failures + 1;
    const { maxRetryAttempts } = this.settings;
    if (maxRetryAttempts >= 0 && this.failures > maxRetryAttempts) {
      // Retries exhausted: the records not applied go to the on-failure destination and
      // the partition moves on past the batch (what is buffered after it stays valid).
      const attempts = this.failures;
      this.failures = 0;
      if (wasSegment) this.segmentDoneThrough(last.offset);
      return this.committing({ commit: last.offset + 1, discarded: pending, attempts });
    }
    const retryDelayMs = Math.min(
      this.settings.maxRetryDelayMs,
      this.settings.retryDelayMs * 2 ** Math.max(0, this.failures - 1),
    );
    return this.resumeAt(resumeAt, progressed, now, retryDelayMs);
  }

  /**
   * Resume at the first record not applied: forget what was read after it and re-read
   * the partition from there, as Lambda does.
   */
  private resumeAt(
    offset: number,
    progressed: boolean,
    now: number,
    retryDelayMs: number,
  ): CursorDecision<R> {
    this.buffer = [];
    this.firstBufferedAt = null;
    this.fetchPosition = offset;
    this.notBefore = now + retryDelayMs;
    return this.committing({
      ...(progressed ? { commit: offset } : {}),
      seekTo: offset,
      retryDelayMs,
    });
  }

  /** Forgets the expired offsets a commit passes. */
  private committing(decision: CursorDecision<R>): CursorDecision<R> {
    const { commit } = decision;
    if (commit !== undefined)
      for (const o of this.recorded) if (o < commit) this.recorded.delete(o);
    return decision;
  }

  /** The batch in flight covered its segment up to `offset` (all of it, unless only part
   *  of the segment was buffered when it became due). */
  private segmentDoneThrough(offset: number): void {
    const segment = this.segments[0];
    if (segment === undefined) return;
    if (offset >= segment.to) this.segments.shift();
    else segment.from = offset + 1;
  }

  /** Bisected halves the buffer has moved past (records gone, or re-read from later). */
  private dropPassedSegments(): void {
    const head = this.buffer[0];
    while (
      head !== undefined &&
      this.segments[0] !== undefined &&
      this.segments[0].to < head.offset
    ) {
      this.segments.shift();
    }
  }

  /** Forgets everything in memory and reads again from `offset` (a restart, a rebalance). */
  reset(offset: number | null): void {
    this.buffer = [];
    this.firstBufferedAt = null;
    this.inFlight = null;
    this.failures = 0;
    this.notBefore = 0;
    this.segments = [];
    this.inFlightIsSegment = false;
    this.recorded.clear();
    this.fetchPosition = offset;
  }
}

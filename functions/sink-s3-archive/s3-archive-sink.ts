/**
 * The S3 archive sink (DESIGN §4): one gzip JSON Lines object per partition batch,
 * created with `If-None-Match: *`, so the archive of every partition is a chain of
 * immutable objects with disjoint offset ranges: gapless and duplicate-free whatever
 * crashes, redeliveries, batch boundaries, concurrent invocations and replays bring.
 *
 * `If-None-Match: *` guards one key: the object starting at the segment's first record.
 * So before writing, the sink must know every existing object that starts *inside* the
 * segment (docs/sink-s3-archive.md "Exactly once"):
 * - Normal path (one PutObject): the batch follows the checkpoint and this process knows
 *   the partition's archive from its previous batch (`ArchiveKnowledge`): nothing new can
 *   have appeared inside the batch without the PutObject answering 412.
 * - Forward scan: the batch follows the checkpoint but this process knows nothing (cold
 *   start, first batch of a partition, after a failure): list the days of its records
 *   from its first offset on (an object starting in the batch starts at one of its records).
 * - Window scan: the batch does not follow the checkpoint (a delivery that skipped
 *   records, offsets missing after compaction): an object may also start before it and
 *   reach into it, so the days before are listed too (every day without a checkpoint).
 * Then existing objects are duplicates, the records between them become new objects, and:
 * - a 412 nobody expected (a concurrent writer) is read (HEAD) and the rest re-listed;
 * - an object that would follow a hole (records not archived and not yet behind the
 *   checkpoint) is written only after the checkpoint moves past the hole, so no writer
 *   that resumes before the hole can overlap it unknowingly;
 * - when existing objects cover the batch *beyond* its last record, the sink advances the
 *   ledger checkpoint to that object's end itself: a checkpoint inside an object would let
 *   the next batch start a second object over the same offsets.
 */

import type { ArchiveObjectStore } from '../adapters/s3-archive-store.js';
import { archiveObjectKey, utcDate } from '../core/archive/key.js';
import {
  type ArchiveKnowledge,
  afterBatch,
  type DateSpan,
  dateSpanOf,
  trusts,
} from '../core/archive/knowledge.js';
import { type ArchiveRange, encodeArchiveObject } from '../core/archive/object.js';
import { type CoveredRange, holdsOffset, planSegments } from '../core/archive/plan.js';
import { PoisonError, RetriableError, StaysyncError } from '../core/errors.js';
import type { CheckpointRef, Ledger } from '../core/ledger.js';
import type { KafkaRecord } from '../core/record.js';
import type { ApplyContext, RecordOutcome, Sink, SinkBatch, SinkResult } from '../core/sink.js';
import { ArchiveScan, type ScanMode } from './archive-scan.js';
import { checkpointPastBatch } from './checkpoint-past-batch.js';
import { PoisonFloors } from './poison-floors.js';

export interface S3ArchiveSinkOptions {
  /** `SINK_NAME`: the checkpoint namespace in the ledger */
  readonly name: string;
  /** `ARCHIVE_PREFIX` ('' for the bucket root) */
  readonly prefix: string;
  readonly store: ArchiveObjectStore;
  /** the ledger the engine checkpoints in (see "covers beyond the batch" above) */
  readonly ledger: Ledger;
  /**
   * Days before the batch's earliest record date whose folders the window scan lists.
   * Objects start at a record; with `LogAppendTime` (or producer clocks that are right)
   * a record before the batch is at most this much older than the batch's oldest.
   * @default 1
   */
  readonly scanLookbackDays?: number;
  /** Above this many days in the scan window, list the `dt=` folders instead. @default 4 */
  readonly maxProbedDays?: number;
  /**
   * How long what this process learnt about a partition's archive stands in for a listing
   * after its last batch of that partition. Bounds how long a change nobody tells it about
   * (a ledger rebuilt under the same sink name while it was idle) can go unnoticed; a busy
   * partition never waits this long between batches.
   * @default 30_000
   */
  readonly knowledgeTtlMs?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/** Counters of the last `apply` calls, for tests and metrics. */
export interface ArchiveSinkStats {
  puts: number;
  created: number;
  exists: number;
  inspects: number;
  scans: number;
  /** batches planned from what the process knew, without listing */
  trusted: number;
  /** checkpoint advances past a hole before writing the object after it */
  writeAheads: number;
  ownCheckpoints: number;
}

const MISSING_ATTEMPTS = 3;

export class S3ArchiveSink implements Sink {
  readonly name: string;
  readonly decodes = false;
  readonly stats: ArchiveSinkStats = {
    puts: 0,
    created: 0,
    exists: 0,
    inspects: 0,
    scans: 0,
    trusted: 0,
    writeAheads: 0,
    ownCheckpoints: 0,
  };
  private readonly prefix: string;
  private readonly store: ArchiveObjectStore;
  private readonly ledger: Ledger;
  private readonly scan: ArchiveScan;
  private readonly ttlMs: number;
  private readonly now: () => number;
  /** per partition: what this process knows about its archive (see the module comment) */
  private readonly knowledge = new Map<string, ArchiveKnowledge>();
  private readonly poisonFloors = new PoisonFloors();

  constructor(options: S3ArchiveSinkOptions) {
    this.name = options.name;
    this.prefix = options.prefix;
    this.store = options.store;
    this.ledger = options.ledger;
    const lookbackDays = options.scanLookbackDays ?? 1;
    if (!Number.isInteger(lookbackDays) || lookbackDays < 0) {
      throw new RangeError('S3ArchiveSink: scanLookbackDays must be a non-negative integer');
    }
    this.scan = new ArchiveScan({
      prefix: options.prefix,
      store: options.store,
      lookbackDays,
      maxProbedDays: options.maxProbedDays ?? 4,
      onInspect: () => {
        this.stats.inspects++;
      },
    });
    this.ttlMs = options.knowledgeTtlMs ?? 30_000;
    this.now = options.now ?? Date.now;
  }

  async apply(batch: SinkBatch, _ctx: ApplyContext): Promise<SinkResult> {
    const { topic, partition } = batch;
    const outcomes: RecordOutcome[] = [];
    const records: KafkaRecord[] = [];
    for (const entry of batch.entries) {
      // Bytes the engine could not even decode from the event are already quarantined.
      if (entry.poison !== undefined)
        outcomes.push({ offset: entry.record.offset, status: 'poison', error: entry.poison });
      else records.push(entry.record);
    }
    const first = records[0];
    const last = records[records.length - 1];
    if (first === undefined || last === undefined) return { outcomes };
    const partKey = `${topic}\u0000${partition}`;
    const now = this.now();

    // What existing objects can this batch meet? Taken out while the batch runs: only a
    // batch that ends knowing all of them puts it back (a PutObject that timed out, for
    // one, may have created its object).
    const prior = this.knowledge.get(partKey);
    this.knowledge.delete(partKey);
    const { base, covered } = await this.known(batch, records, prior, now);
    const run: WriteRun = {
      batch,
      ref: { sink: this.name, topic, partition },
      outcomes,
      covered,
      complete: true,
      surprised: false,
      aheadTo: batch.checkpoint ?? -1,
      missingObjects: 0,
    };
    let pending = records;
    while (pending.length > 0) pending = await this.writeNext(run, pending);
    return this.finish(run, base, partKey, last.offset, now);
  }

  /** The objects the batch can meet: from what this process knows, else from a scan. */
  private async known(
    batch: SinkBatch,
    records: readonly KafkaRecord[],
    prior: ArchiveKnowledge | undefined,
    now: number,
  ): Promise<{ base: Omit<ArchiveKnowledge, 'ranges' | 'at'>; covered: CoveredRange[] }> {
    const first = records[0] as KafkaRecord;
    const last = records[records.length - 1] as KafkaRecord;
    const dates = dateSpanOf(records.map((r) => utcDate(r.timestamp))) as DateSpan;
    const shape = { checkpoint: batch.checkpoint, first: first.offset, last: last.offset, dates };
    if (prior !== undefined && trusts(prior, shape, now, this.ttlMs)) {
      this.stats.trusted++;
      return { base: prior, covered: [...prior.ranges] };
    }
    const checkpoint = batch.checkpoint ?? -1;
    const mode: ScanMode =
      first.offset === checkpoint + 1
        ? 'forward'
        : batch.checkpoint === null
          ? 'everyDay'
          : 'window';
    this.stats.scans++;
    const lo = mode === 'forward' ? first.offset : checkpoint + 1;
    const found = await this.scan.around(batch.topic, batch.partition, records, lo, mode);
    const base = {
      after: first.offset - 1,
      until: found.nextStart === null ? Number.POSITIVE_INFINITY : found.nextStart - 1,
      dates: found.dates,
    };
    return { base, covered: [...found.ranges] };
  }

  /**
   * Plans the pending records against the known objects and writes the first new object;
   * returns the records still pending (none: done, or stopped at a retriable failure).
   */
  private async writeNext(run: WriteRun, pending: KafkaRecord[]): Promise<KafkaRecord[]> {
    if (!run.complete) {
      // Someone wrote while we planned: learn what else they wrote before writing more.
      this.stats.scans++;
      const { topic, partition } = run.batch;
      const from = (pending[0] as KafkaRecord).offset;
      const again = await this.scan.around(topic, partition, pending, from, 'forward');
      run.covered.push(...again.ranges);
      run.complete = true;
    }
    const plan = planSegments(
      pending.map((r) => r.offset),
      run.covered,
    );
    const dup = new Set(plan.covered);
    for (const i of dup)
      run.outcomes.push({ offset: (pending[i] as KafkaRecord).offset, status: 'duplicate' });
    const seg = plan.segments[0];
    if (seg === undefined) return [];
    const segment = pending.slice(seg.from, seg.to);
    const uncovered = pending.filter((_, i) => !dup.has(i));
    const tail = segment[segment.length - 1] as KafkaRecord;
    const afterSegment = uncovered.filter((r) => r.offset > tail.offset);
    try {
      if (!(await this.closeHoleBefore(run, segment[0] as KafkaRecord, uncovered))) return [];
      return (await this.put(run, segment)) ? afterSegment : uncovered;
    } catch (err) {
      if (!(err instanceof StaysyncError)) throw err;
      if (err.retriable) {
        // Stop at the first retriable failure: later records wait for the retry, so the
        // checkpoint (lowest unapplied - 1) stays at an object's end.
        for (const r of uncovered)
          run.outcomes.push({ offset: r.offset, status: 'retry', error: err });
        return [];
      }
      // S3 refused this object (a 4xx that is not about access or configuration): its
      // records go to quarantine with the reason, the rest of the batch goes on.
      if (!(err instanceof PoisonError)) throw err;
      for (const r of segment)
        run.outcomes.push({ offset: r.offset, status: 'poison', error: err });
      return afterSegment;
    }
  }

  /**
   * The record before an object starting at `head` is not archived (skipped by the
   * mapping, absent from the log, quarantined): a writer resuming before it from what it
   * remembers would plan one object across the hole and this one. Moves the checkpoint past
   * the hole first; false (the uncovered records wait) while a record S3 refused may not be
   * quarantined yet. (Without a checkpoint nobody plans from memory, and a batch without
   * one lists every day: it stays so rather than trade that for a lookback window.)
   */
  private async closeHoleBefore(
    run: WriteRun,
    head: KafkaRecord,
    uncovered: readonly KafkaRecord[],
  ): Promise<boolean> {
    const before = head.offset - 1;
    if (run.batch.checkpoint === null || before <= run.aheadTo || holdsOffset(run.covered, before))
      return true;
    const floor = this.poisonFloors.current(run.batch, run.outcomes);
    if (floor < head.offset) {
      const error = new RetriableError(
        `archiving from offset ${head.offset} waits for offset ${floor}, which S3 refused, to be quarantined`,
        { context: run.ref },
      );
      for (const r of uncovered) run.outcomes.push({ offset: r.offset, status: 'retry', error });
      return false;
    }
    await this.ledger.advanceCheckpoint(run.ref, before);
    this.stats.writeAheads++;
    run.aheadTo = before;
    return true;
  }

  /** Writes `segment` as a new object; false when another writer had created it first. */
  private async put(run: WriteRun, segment: readonly KafkaRecord[]): Promise<boolean> {
    const { topic, partition } = run.batch;
    const head = segment[0] as KafkaRecord;
    const key = archiveObjectKey(this.prefix, {
      topic,
      partition,
      date: utcDate(head.timestamp),
      startOffset: head.offset,
    });
    const encoded = await encodeArchiveObject(segment);
    this.stats.puts++;
    const put = await this.store.putIfAbsent(key, encoded.body, encoded.metadata);
    if (put === 'created') {
      this.stats.created++;
      for (const r of segment) run.outcomes.push({ offset: r.offset, status: 'applied' });
      run.covered.push(encoded.range);
      return true;
    }
    // Another writer created the object that starts here: learn what it covers.
    this.stats.exists++;
    this.stats.inspects++;
    run.surprised = true;
    const existing = await this.store.inspect(key);
    if (existing === null) {
      // Gone between our write and our read (e.g. a lifecycle rule): write again.
      if (++run.missingObjects >= MISSING_ATTEMPTS) {
        throw new RetriableError(`archive object ${key} exists and vanishes repeatedly`, {
          context: run.ref,
        });
      }
    } else {
      assertCovers(existing, head.offset, key, run.ref);
      run.covered.push(existing);
      run.complete = false;
    }
    return false;
  }

  /** Remembers what the batch learnt, and checkpoints past it when objects reach beyond. */
  private async finish(
    run: WriteRun,
    base: Omit<ArchiveKnowledge, 'ranges' | 'at'>,
    partKey: string,
    lastOffset: number,
    now: number,
  ): Promise<SinkResult> {
    const { outcomes, covered } = run;
    const retrying = outcomes.some((o) => o.status === 'retry');
    // objects reaching into the batch, and how far the last of them goes
    const reaching = covered.filter((r) => r.startOffset <= lastOffset);
    const maxEnd = reaching.reduce((m, r) => Math.max(m, r.endOffset), -1);
    if (!retrying && !run.surprised) {
      const expected = Math.max(lastOffset, maxEnd);
      this.knowledge.set(partKey, afterBatch(base, expected, covered, now));
    }
    const floor = this.poisonFloors.settle(run.batch, outcomes);
    if (retrying || maxEnd <= lastOffset) return { outcomes };
    const result = await checkpointPastBatch(this.ledger, run.ref, {
      outcomes,
      reaching,
      lastOffset,
      floor,
    });
    if (result.checkpointedThrough !== undefined) this.stats.ownCheckpoints++;
    return result;
  }
}

/** One `apply` call's progress through its batch. */
interface WriteRun {
  readonly batch: SinkBatch;
  readonly ref: CheckpointRef;
  readonly outcomes: RecordOutcome[];
  /** the objects known to start within the batch or reach into it */
  readonly covered: CoveredRange[];
  /** `covered` holds every object starting within the pending records */
  complete: boolean;
  /** a PutObject met an object nobody expected */
  surprised: boolean;
  /** the checkpoint, as far as this call moved it */
  aheadTo: number;
  missingObjects: number;
}

/** The archive contradicts itself: nothing to retry, nothing to quarantine, a human must look. */
export class CorruptArchiveError extends StaysyncError {}

function assertCovers(
  range: ArchiveRange,
  offset: number,
  key: string,
  context: CheckpointRef,
): void {
  if (range.startOffset > offset || range.endOffset < offset) {
    throw new CorruptArchiveError(
      `archive object ${key} declares offsets ${range.startOffset}..${range.endOffset}, which do not include its key's start ${offset}`,
      { retriable: false, context },
    );
  }
}

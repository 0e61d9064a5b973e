/**
 * The S3 archive sink (DESIGN §4): one gzip JSON Lines object per partition batch,
 * created with `If-None-Match: *`, so the archive of every partition is a chain of
 * immutable objects with disjoint offset ranges: gapless and duplicate-free whatever
 * crashes, redeliveries, batch boundaries and concurrent invocations bring.
 *
 * How a batch finds where the chain stands (docs/sink-s3-archive.md "Exactly once"):
 * - Chain path (the normal one, one PutObject): the batch's first record directly
 *   follows the checkpoint (`first = checkpoint + 1`). The checkpoint is always the end
 *   of an object, never inside one, so the next object can only start at `first`; its
 *   key is fixed by `first`, and the conditional write either creates it or answers 412
 *   because another attempt already did. Then HEAD gives that object's end offset:
 *   records up to it are duplicates, the rest continue in a new object after it. Loop.
 * - Scan path: the batch does not directly follow the checkpoint (no checkpoint yet,
 *   offsets missing after compaction or transactions, or a delivery that skipped
 *   records). An object may then start anywhere between the checkpoint and the batch's
 *   last offset, so the partition's folders are listed first (the `dt=` days of the
 *   batch, `scanLookbackDays` before; every day when there is no checkpoint) and the
 *   objects that can reach into the batch are HEAD-ed. Then as above.
 * - When existing objects cover the batch *beyond* its last record, the sink advances
 *   the ledger checkpoint to that object's end itself: a checkpoint inside an object
 *   would let the next batch start a second object over the same offsets.
 */
import {
  addDays,
  archiveObjectKey,
  objectStem,
  parseArchiveKey,
  parseDateFolder,
  partitionDatePrefix,
  topicPrefix,
  utcDate,
} from '../core/archive/key.js';
import { type ArchiveRange, encodeArchiveObject } from '../core/archive/object.js';
import { type CoveredRange, planSegments, startsToInspect } from '../core/archive/plan.js';
import { PoisonError, RetriableError, StaysyncError } from '../core/errors.js';
import type { CheckpointRef, Ledger } from '../core/ledger.js';
import type { KafkaRecord } from '../core/record.js';
import type { ApplyContext, RecordOutcome, Sink, SinkBatch, SinkResult } from '../core/sink.js';
import type { ArchiveObjectStore } from './s3-archive-store.js';

export interface S3ArchiveSinkOptions {
  /** `SINK_NAME`: the checkpoint namespace in the ledger */
  readonly name: string;
  /** `ARCHIVE_PREFIX` ('' for the bucket root) */
  readonly prefix: string;
  readonly store: ArchiveObjectStore;
  /** the ledger the engine checkpoints in (see "covers beyond the batch" above) */
  readonly ledger: Ledger;
  /**
   * Days before the batch's earliest record date whose folders the scan path lists.
   * Objects start at a record; with `LogAppendTime` (or producer clocks that are right)
   * a record before the batch is at most this much older than the batch's oldest.
   * @default 1
   */
  readonly scanLookbackDays?: number;
  /** Above this many days in the scan window, list the `dt=` folders instead. @default 4 */
  readonly maxProbedDays?: number;
}

/** Counters of the last `apply` calls, for tests and metrics. */
export interface ArchiveSinkStats {
  puts: number;
  created: number;
  exists: number;
  inspects: number;
  scans: number;
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
    ownCheckpoints: 0,
  };
  private readonly prefix: string;
  private readonly store: ArchiveObjectStore;
  private readonly ledger: Ledger;
  private readonly lookbackDays: number;
  private readonly maxProbedDays: number;
  /** per partition: an offset this process knows to be an object's end */
  private readonly knownEnds = new Map<string, number>();
  /** per partition: lowest offset S3 refused (poison) that the engine may not have quarantined yet */
  private readonly poisonFloors = new Map<string, number>();

  constructor(options: S3ArchiveSinkOptions) {
    this.name = options.name;
    this.prefix = options.prefix;
    this.store = options.store;
    this.ledger = options.ledger;
    this.lookbackDays = options.scanLookbackDays ?? 1;
    this.maxProbedDays = options.maxProbedDays ?? 4;
    if (!Number.isInteger(this.lookbackDays) || this.lookbackDays < 0) {
      throw new RangeError('S3ArchiveSink: scanLookbackDays must be a non-negative integer');
    }
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
    const context = { sink: this.name, topic, partition };
    const partKey = `${topic}\u0000${partition}`;

    // Where does the chain stand?
    const known = this.knownEnds.get(partKey);
    const follows =
      (batch.checkpoint !== null && first.offset === batch.checkpoint + 1) ||
      (known !== undefined &&
        (batch.checkpoint === null || known > batch.checkpoint) &&
        first.offset === known + 1);
    const covered: CoveredRange[] = follows ? [] : await this.scan(batch, records);

    let pending = records;
    let missingObjects = 0;
    while (pending.length > 0) {
      const plan = planSegments(
        pending.map((r) => r.offset),
        covered,
      );
      const dup = new Set(plan.covered);
      for (const i of dup)
        outcomes.push({ offset: (pending[i] as KafkaRecord).offset, status: 'duplicate' });
      const seg = plan.segments[0];
      if (seg === undefined) break;
      const segment = pending.slice(seg.from, seg.to);
      const uncovered = pending.filter((_, i) => !dup.has(i));
      const head = segment[0] as KafkaRecord;
      const tail = segment[segment.length - 1] as KafkaRecord;
      const afterSegment = uncovered.filter((r) => r.offset > tail.offset);
      const key = archiveObjectKey(this.prefix, {
        topic,
        partition,
        date: utcDate(head.timestamp),
        startOffset: head.offset,
      });
      try {
        const encoded = await encodeArchiveObject(segment);
        this.stats.puts++;
        const put = await this.store.putIfAbsent(key, encoded.body, encoded.metadata);
        if (put === 'created') {
          this.stats.created++;
          for (const r of segment) outcomes.push({ offset: r.offset, status: 'applied' });
          covered.push(encoded.range);
          pending = afterSegment;
          continue;
        }
        // Another attempt created the object that starts here: learn what it covers.
        this.stats.exists++;
        this.stats.inspects++;
        const existing = await this.store.inspect(key);
        if (existing === null) {
          // Gone between our write and our read (e.g. a lifecycle rule): write again.
          if (++missingObjects >= MISSING_ATTEMPTS) {
            throw new RetriableError(`archive object ${key} exists and vanishes repeatedly`, {
              context,
            });
          }
        } else {
          assertCovers(existing, head.offset, key, context);
          covered.push(existing);
        }
        pending = uncovered;
      } catch (err) {
        if (!(err instanceof StaysyncError)) throw err;
        if (err.retriable) {
          // Stop at the first retriable failure: later records wait for the retry, so the
          // checkpoint (lowest unapplied - 1) stays at an object's end.
          for (const r of uncovered)
            outcomes.push({ offset: r.offset, status: 'retry', error: err });
          pending = [];
          break;
        }
        // S3 refused this object (a 4xx that is not about access or configuration): its
        // records go to quarantine with the reason, the rest of the batch goes on.
        if (!(err instanceof PoisonError)) throw err;
        for (const r of segment) outcomes.push({ offset: r.offset, status: 'poison', error: err });
        pending = afterSegment;
      }
    }

    const maxEnd = covered.reduce((m, r) => Math.max(m, r.endOffset), -1);
    if (maxEnd >= 0)
      this.knownEnds.set(partKey, Math.max(maxEnd, this.knownEnds.get(partKey) ?? -1));
    const retrying = outcomes.some((o) => o.status === 'retry');
    const floor = this.poisonFloor(batch, partKey, outcomes);
    if (!retrying && maxEnd > last.offset && floor <= maxEnd) {
      // The engine quarantines the refused records after this call (or a later one of the
      // invocation): the checkpoint may not pass them yet, nor stop inside an object. The
      // records of the object reaching past the batch wait (retry), so the checkpoint stays
      // before that object; the redelivery finds it once the refused records are settled.
      const start = covered
        .filter((r) => r.endOffset > last.offset && r.startOffset <= last.offset)
        .reduce((m, r) => Math.min(m, r.startOffset), Number.POSITIVE_INFINITY);
      const error = new RetriableError(
        `archived object from offset ${start} reaches past the batch, and offset ${floor} S3 refused is not quarantined yet`,
        { context },
      );
      return {
        outcomes: outcomes.map((o) =>
          o.offset >= start && o.status === 'duplicate'
            ? { offset: o.offset, status: 'retry', error }
            : o,
        ),
      };
    }
    if (!retrying && maxEnd > last.offset) {
      // Objects cover offsets past this batch: checkpoint at their end, not inside them.
      const ref: CheckpointRef = { sink: this.name, topic, partition };
      try {
        await this.ledger.advanceCheckpoint(ref, maxEnd);
      } catch (err) {
        // Throwing (not returning outcomes) keeps the engine from checkpointing at the
        // batch's last offset, which lies inside an object.
        if (err instanceof StaysyncError && err.retriable) throw err;
        throw new RetriableError(
          `advancing the checkpoint past archived object end ${maxEnd} failed`,
          {
            context,
            cause: err,
          },
        );
      }
      this.stats.ownCheckpoints++;
      return { outcomes, checkpointedThrough: maxEnd };
    }
    return { outcomes };
  }

  /**
   * The lowest record of the partition this sink reported poison (S3 refused it) that the
   * engine may not have quarantined yet: it quarantines sink poison after its retries, so
   * an earlier call of this invocation may have reported one. Decode poison reaches the
   * sink already quarantined. Forgotten once the checkpoint the engine read has passed it.
   */
  private poisonFloor(
    batch: SinkBatch,
    partKey: string,
    outcomes: readonly RecordOutcome[],
  ): number {
    const decodePoison = new Set(
      batch.entries.filter((e) => e.poison !== undefined).map((e) => e.record.offset),
    );
    let floor = this.poisonFloors.get(partKey) ?? Number.POSITIVE_INFINITY;
    if (batch.checkpoint !== null && floor <= batch.checkpoint) floor = Number.POSITIVE_INFINITY;
    for (const o of outcomes)
      if (o.status === 'poison' && !decodePoison.has(o.offset)) floor = Math.min(floor, o.offset);
    if (floor === Number.POSITIVE_INFINITY) this.poisonFloors.delete(partKey);
    else this.poisonFloors.set(partKey, floor);
    return floor;
  }

  /** Existing objects that may cover records of the batch (see the module comment). */
  private async scan(batch: SinkBatch, records: readonly KafkaRecord[]): Promise<ArchiveRange[]> {
    this.stats.scans++;
    const { topic, partition, checkpoint } = batch;
    const first = (records[0] as KafkaRecord).offset;
    const last = (records[records.length - 1] as KafkaRecord).offset;
    const lo = checkpoint === null ? 0 : checkpoint + 1;
    const dates = await this.scanDates(topic, records, checkpoint === null);
    const keys = new Map<number, string>();
    for (const date of dates) {
      const folder = partitionDatePrefix(this.prefix, topic, date, partition);
      const startAfter = lo === 0 ? undefined : `${folder}${objectStem(topic, partition, lo)}`;
      for await (const key of this.store.listKeys(folder, startAfter)) {
        const id = parseArchiveKey(key);
        if (id === null || id.partition !== partition || id.topic !== topic) continue;
        if (id.startOffset > last) break;
        if (id.startOffset >= lo) keys.set(id.startOffset, key);
      }
    }
    const ranges: ArchiveRange[] = [];
    for (const start of startsToInspect([...keys.keys()], first, last)) {
      this.stats.inspects++;
      const range = await this.store.inspect(keys.get(start) as string);
      if (range !== null) ranges.push(range);
    }
    return ranges;
  }

  private async scanDates(
    topic: string,
    records: readonly KafkaRecord[],
    everyDay: boolean,
  ): Promise<string[]> {
    if (everyDay) return this.dateFolders(topic);
    let min = utcDate((records[0] as KafkaRecord).timestamp);
    let max = min;
    for (const r of records) {
      const d = utcDate(r.timestamp);
      if (d < min) min = d;
      if (d > max) max = d;
    }
    const from = addDays(min, -this.lookbackDays);
    const days: string[] = [];
    for (let d = from; d <= max && days.length <= this.maxProbedDays; d = addDays(d, 1))
      days.push(d);
    if (days.length <= this.maxProbedDays) return days;
    // A wide window (an old backlog): list the days that exist rather than probe each.
    return (await this.dateFolders(topic)).filter((d) => d >= from && d <= max);
  }

  private async dateFolders(topic: string): Promise<string[]> {
    const folders = await this.store.listFolders(topicPrefix(this.prefix, topic));
    return folders.map(parseDateFolder).filter((d): d is string => d !== null);
  }
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

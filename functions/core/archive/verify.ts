/**
 * Verification of an archive, fed in reading order (objects of a partition by start
 * offset, lines in file order): no duplicate offsets, no gaps except those a compacted
 * topic (or the list of offsets Kafka actually holds) explains, and every object
 * consistent with its key and metadata. Pure: the reader feeds it, the CLI prints it.
 */
import type { ArchiveObjectId } from './key.js';
import type { ArchiveRange } from './object.js';
import { fmtRanges, type OffsetRange, OffsetSet, rangesMissing } from './offset-set.js';

export interface VerifyOptions {
  /** the topic is compacted: holes between archived offsets are not problems */
  readonly compacted?: boolean;
  /**
   * Offsets Kafka holds, per partition. When given, a hole is a problem only where Kafka
   * has a record the archive lacks (between the first and last archived offsets).
   */
  readonly expected?: ReadonlyMap<number, OffsetSet>;
  /** how many offsets/ranges each list in the report shows @default 20 */
  readonly maxListed?: number;
}

export interface PartitionReport {
  readonly partition: number;
  readonly objects: number;
  /** archived lines (duplicates included) */
  readonly records: number;
  /** distinct archived offsets */
  readonly distinctOffsets: number;
  readonly firstOffset: number | null;
  readonly lastOffset: number | null;
  /** contiguous runs of archived offsets (first `maxListed`) */
  readonly ranges: readonly OffsetRange[];
  readonly rangeCount: number;
  readonly gaps: { readonly offsets: number; readonly ranges: readonly OffsetRange[] };
  readonly duplicates: { readonly count: number; readonly offsets: readonly number[] };
  /** with expected offsets: Kafka offsets between first and last archived that are missing */
  readonly missing?: { readonly offsets: number; readonly ranges: readonly OffsetRange[] };
  /** with expected offsets: Kafka offsets after the last archived one (not archived yet) */
  readonly notYetArchived?: number;
  /** with expected offsets: Kafka offsets before the first archived one */
  readonly beforeFirstArchived?: number;
}

export interface ArchiveReport {
  readonly ok: boolean;
  readonly problems: readonly string[];
  readonly warnings: readonly string[];
  readonly objects: number;
  readonly records: number;
  readonly partitions: readonly PartitionReport[];
}

export interface VerifiedObject {
  readonly key: string;
  readonly id: ArchiveObjectId;
  /** the range its metadata declares; null when missing or malformed */
  readonly declared: ArchiveRange | null;
}

interface PartitionState {
  objects: number;
  records: number;
  readonly seen: OffsetSet;
  duplicateCount: number;
  readonly duplicates: number[];
}

interface OpenObject {
  readonly info: VerifiedObject;
  first: number | null;
  last: number | null;
  count: number;
  outOfOrder: boolean;
  foreign: boolean;
}

const countOffsets = (ranges: readonly OffsetRange[]): number =>
  ranges.reduce((n, [a, b]) => n + (b - a + 1), 0);

export class ArchiveVerifier {
  private readonly partitions = new Map<number, PartitionState>();
  private readonly problems: string[] = [];
  private readonly warnings: string[] = [];
  private open: OpenObject | null = null;
  private readonly maxListed: number;

  constructor(
    readonly topic: string,
    private readonly options: VerifyOptions = {},
  ) {
    this.maxListed = options.maxListed ?? 20;
  }

  beginObject(info: VerifiedObject): void {
    if (this.open !== null) this.endObject();
    this.open = { info, first: null, last: null, count: 0, outOfOrder: false, foreign: false };
    this.state(info.id.partition).objects++;
  }

  record(line: {
    readonly topic: string;
    readonly partition: number;
    readonly offset: number;
  }): void {
    const obj = this.open;
    if (obj === null) throw new Error('ArchiveVerifier: record() outside an object');
    const { partition } = obj.info.id;
    if (line.topic !== obj.info.id.topic || line.partition !== partition) obj.foreign = true;
    if (obj.last !== null && line.offset <= obj.last) obj.outOfOrder = true;
    if (obj.first === null) obj.first = line.offset;
    obj.last = line.offset;
    obj.count++;
    const st = this.state(partition);
    st.records++;
    if (!st.seen.add(line.offset)) {
      st.duplicateCount++;
      if (st.duplicates.length < this.maxListed) st.duplicates.push(line.offset);
    }
  }

  endObject(): void {
    const obj = this.open;
    if (obj === null) return;
    this.open = null;
    const { key, id, declared } = obj.info;
    const problem = (what: string) => this.problems.push(`${key}: ${what}`);
    if (obj.count === 0 || obj.first === null || obj.last === null) {
      problem('object holds no records');
      return;
    }
    if (obj.foreign)
      problem(`holds records of another topic/partition than ${id.topic}/${id.partition}`);
    if (obj.outOfOrder) problem('lines are not in strictly ascending offset order');
    if (obj.first !== id.startOffset) {
      problem(`first record has offset ${obj.first}, the key says ${id.startOffset}`);
    }
    if (declared === null) {
      problem('metadata start-offset/end-offset/record-count missing or malformed');
      return;
    }
    if (declared.startOffset !== id.startOffset) {
      problem(
        `metadata start-offset ${declared.startOffset} differs from the key's ${id.startOffset}`,
      );
    }
    if (declared.endOffset !== obj.last) {
      problem(`metadata end-offset ${declared.endOffset} but last record is ${obj.last}`);
    }
    if (declared.recordCount !== obj.count) {
      problem(`metadata record-count ${declared.recordCount} but ${obj.count} lines`);
    }
  }

  finish(): ArchiveReport {
    this.endObject();
    const expected = this.options.expected;
    const partitionIds = new Set([...this.partitions.keys(), ...(expected?.keys() ?? [])]);
    const reports: PartitionReport[] = [];
    for (const partition of [...partitionIds].sort((a, b) => a - b)) {
      reports.push(
        this.partitionReport(partition, this.state(partition), expected?.get(partition)),
      );
    }
    return {
      ok: this.problems.length === 0,
      problems: [...this.problems],
      warnings: [...this.warnings],
      objects: reports.reduce((n, p) => n + p.objects, 0),
      records: reports.reduce((n, p) => n + p.records, 0),
      partitions: reports,
    };
  }

  private partitionReport(
    partition: number,
    st: PartitionState,
    expected: OffsetSet | undefined,
  ): PartitionReport {
    const runs = st.seen.ranges();
    const gapRanges = st.seen.gaps();
    const first = st.seen.min() ?? null;
    const last = st.seen.max() ?? null;
    const where = `${this.topic}/partition=${partition}`;
    if (st.duplicateCount > 0) {
      this.problems.push(
        `${where}: ${st.duplicateCount} duplicate offset(s), e.g. ${st.duplicates.slice(0, 5).join(', ')}`,
      );
    }
    const gapOffsets = countOffsets(gapRanges);
    let expectedPart: Pick<PartitionReport, 'missing' | 'notYetArchived' | 'beforeFirstArchived'> =
      {};
    if (expected !== undefined) {
      if (first === null || last === null) {
        if (expected.size > 0) {
          this.warnings.push(`${where}: nothing archived, Kafka holds ${expected.size} record(s)`);
        }
        expectedPart = {
          missing: { offsets: 0, ranges: [] },
          notYetArchived: expected.size,
          beforeFirstArchived: 0,
        };
      } else {
        const missing = rangesMissing(expected, st.seen, first, last);
        const missingCount = countOffsets(missing);
        if (missingCount > 0) {
          this.problems.push(
            `${where}: ${missingCount} offset(s) Kafka holds are missing from the archive, e.g. ${fmtRanges(missing.slice(0, 5))}`,
          );
        }
        const after = countOffsets(rangesMissing(expected, st.seen, last + 1));
        const before = first > 0 ? countOffsets(rangesMissing(expected, st.seen, 0, first - 1)) : 0;
        if (after > 0)
          this.warnings.push(
            `${where}: ${after} Kafka record(s) after offset ${last} not archived yet`,
          );
        if (before > 0)
          this.warnings.push(
            `${where}: ${before} Kafka record(s) before offset ${first} not archived`,
          );
        expectedPart = {
          missing: { offsets: missingCount, ranges: missing.slice(0, this.maxListed) },
          notYetArchived: after,
          beforeFirstArchived: before,
        };
      }
    } else if (gapOffsets > 0) {
      if (this.options.compacted === true) {
        this.warnings.push(
          `${where}: ${gapOffsets} offset(s) absent in ${gapRanges.length} hole(s) (compacted topic)`,
        );
      } else {
        this.problems.push(
          `${where}: gap(s) of ${gapOffsets} offset(s), e.g. ${fmtRanges(gapRanges.slice(0, 5))} (pass --compacted or the Kafka offsets if the topic is compacted)`,
        );
      }
    }
    return {
      partition,
      objects: st.objects,
      records: st.records,
      distinctOffsets: st.seen.size,
      firstOffset: first,
      lastOffset: last,
      ranges: runs.slice(0, this.maxListed),
      rangeCount: runs.length,
      gaps: { offsets: gapOffsets, ranges: gapRanges.slice(0, this.maxListed) },
      duplicates: { count: st.duplicateCount, offsets: [...st.duplicates] },
      ...expectedPart,
    };
  }

  private state(partition: number): PartitionState {
    let st = this.partitions.get(partition);
    if (st === undefined) {
      st = { objects: 0, records: 0, seen: new OffsetSet(), duplicateCount: 0, duplicates: [] };
      this.partitions.set(partition, st);
    }
    return st;
  }
}

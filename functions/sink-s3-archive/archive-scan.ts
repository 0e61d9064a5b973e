/**
 * Listing a partition's archive objects around a batch (docs/sink-s3-archive.md "Exactly
 * once"): which existing objects start in a window of offsets, what they cover (HEAD), and
 * where the next one after the batch starts.
 *
 * Objects live under `dt=<date of their first record>/partition=<p>/`, named by their
 * 20-digit start offset, so one folder lists in offset order and `StartAfter` skips to an
 * offset; but an object's folder depends on its first record's timestamp, so a window of
 * offsets means a window of days.
 */

import type { ArchiveObjectStore } from '../adapters/s3-archive-store.js';
import {
  addDays,
  objectStem,
  parseArchiveKey,
  parseDateFolder,
  partitionDatePrefix,
  topicPrefix,
  utcDate,
} from '../core/archive/key.js';
import { type DateSpan, dateSpanOf, EVERY_DAY } from '../core/archive/knowledge.js';
import type { ArchiveRange } from '../core/archive/object.js';
import { startsToInspect } from '../core/archive/plan.js';
import type { KafkaRecord } from '../core/record.js';

/**
 * - `forward`: the days of the batch's records: every object that *starts* within the
 *   batch is there (it starts at one of its records);
 * - `window`: those days and `lookbackDays` before, for an object that starts before the
 *   batch and reaches into it;
 * - `everyDay`: every `dt=` folder of the topic (nothing tells where the chain stands).
 */
export type ScanMode = 'forward' | 'window' | 'everyDay';

export interface ScanResult {
  /** the objects starting at or after `lo` that reach into the batch, and the last one before it */
  readonly ranges: ArchiveRange[];
  /** lowest start of an object after the batch's last offset in the listed folders, or null */
  readonly nextStart: number | null;
  /** the days listed */
  readonly dates: DateSpan;
}

export interface ArchiveScanOptions {
  readonly prefix: string;
  readonly store: ArchiveObjectStore;
  readonly lookbackDays: number;
  /** above this many days in a window, list the `dt=` folders instead of probing each day */
  readonly maxProbedDays: number;
  /** counts requests, for tests and metrics */
  readonly onInspect?: () => void;
}

export class ArchiveScan {
  constructor(private readonly options: ArchiveScanOptions) {}

  /** Objects of the partition starting at or after `lo` that matter for `records`. */
  async around(
    topic: string,
    partition: number,
    records: readonly KafkaRecord[],
    lo: number,
    mode: ScanMode,
  ): Promise<ScanResult> {
    const { prefix, store } = this.options;
    const first = (records[0] as KafkaRecord).offset;
    const last = (records[records.length - 1] as KafkaRecord).offset;
    const { days, span } = await this.days(topic, records, mode);
    const keys = new Map<number, string>();
    let nextStart: number | null = null;
    for (const date of days) {
      const folder = partitionDatePrefix(prefix, topic, date, partition);
      // the key of `lo` itself sorts after its stem, so it is listed
      const startAfter = lo === 0 ? undefined : `${folder}${objectStem(topic, partition, lo)}`;
      for await (const key of store.listKeys(folder, startAfter)) {
        const id = parseArchiveKey(key);
        if (id === null || id.partition !== partition || id.topic !== topic) continue;
        if (id.startOffset > last) {
          if (nextStart === null || id.startOffset < nextStart) nextStart = id.startOffset;
          break;
        }
        if (id.startOffset >= lo) keys.set(id.startOffset, key);
      }
    }
    const ranges: ArchiveRange[] = [];
    for (const start of startsToInspect([...keys.keys()], first, last)) {
      this.options.onInspect?.();
      const range = await store.inspect(keys.get(start) as string);
      if (range !== null) ranges.push(range);
    }
    return { ranges, nextStart, dates: span };
  }

  private async days(
    topic: string,
    records: readonly KafkaRecord[],
    mode: ScanMode,
  ): Promise<{ days: string[]; span: DateSpan }> {
    if (mode === 'everyDay') return { days: await this.dateFolders(topic), span: EVERY_DAY };
    const { from: min, to: max } = dateSpanOf(records.map((r) => utcDate(r.timestamp))) as DateSpan;
    const from = addDays(min, mode === 'window' ? -this.options.lookbackDays : 0);
    const span = { from, to: max };
    const days: string[] = [];
    for (let d = from; d <= max && days.length <= this.options.maxProbedDays; d = addDays(d, 1))
      days.push(d);
    if (days.length <= this.options.maxProbedDays) return { days, span };
    // A wide window (an old backlog): list the days that exist rather than probe each.
    const existing = await this.dateFolders(topic);
    return { days: existing.filter((d) => d >= from && d <= max), span };
  }

  private async dateFolders(topic: string): Promise<string[]> {
    const folders = await this.options.store.listFolders(topicPrefix(this.options.prefix, topic));
    return folders.map(parseDateFolder).filter((d): d is string => d !== null);
  }
}

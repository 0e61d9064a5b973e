/**
 * The event source mapping's bookkeeping for one Kafka topic-partition: a
 * {@link RecordCursor} over fetched Kafka records, named `"<topic>-<partition>"`.
 */
import type { FetchedRecord } from './event-builder.js';
import { type CursorSettings, RecordCursor } from './record-cursor.js';

export type { CursorDecision, CursorSettings } from './record-cursor.js';

export class PartitionCursor extends RecordCursor<FetchedRecord> {
  constructor(
    readonly topic: string,
    readonly partition: number,
    settings: CursorSettings,
    /** the group's committed offset when the partition was assigned (null: none) */
    startAt: number | null = null,
  ) {
    super(`${topic}-${partition}`, settings, startAt);
  }
}

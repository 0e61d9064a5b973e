/**
 * A stream record as the mapping keeps it: the record read from GetRecords, its position
 * in the mapping's reading of the shard (`offset`: 0, 1, 2, ... from where this reading
 * started, so the shared {@link RecordCursor} can count and bisect) and its creation time.
 */
import type { _Record } from '@aws-sdk/client-dynamodb-streams';

export interface ShardRecord {
  readonly offset: number;
  /** `ApproximateCreationDateTime` in ms epoch (the record's age is read from it) */
  readonly timestamp: number;
  readonly sequenceNumber: string;
  readonly record: _Record;
}

export function toShardRecord(record: _Record, offset: number, now: number): ShardRecord {
  const sequenceNumber = record.dynamodb?.SequenceNumber;
  if (sequenceNumber === undefined) {
    throw new TypeError(`stream record ${record.eventID ?? '?'} has no SequenceNumber`);
  }
  return {
    offset,
    timestamp: record.dynamodb?.ApproximateCreationDateTime?.getTime() ?? now,
    sequenceNumber,
    record,
  };
}

import type { TopicSettings } from '../config.js';
import type { DecodeLimits } from '../limits.js';
import type { KafkaRecord, RecordCoordinates } from '../record.js';

/** What every envelope parser needs about the record it parses. */
export interface ParseContext {
  readonly record: KafkaRecord;
  readonly coords: RecordCoordinates;
  readonly settings: TopicSettings;
  readonly limits: DecodeLimits;
  /** the Kafka key as UTF-8 text; null when the record has no key */
  readonly kafkaKey: string | null;
}

/** `<topic>-<partition>@<offset>`: the event id of records whose source gives none. */
export const offsetEventId = (c: RecordCoordinates): string =>
  `${c.topic}-${c.partition}@${c.offset}`;

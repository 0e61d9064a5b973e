/**
 * The inverse of msk-decode.ts: a record's bytes in the encoding Lambda delivers them
 * (base64 key and value, header values as arrays of Java *signed* bytes: Lambda's poller
 * is a JVM, so `0xC3` becomes `-61`). The local event source mapping builds its events
 * with it, and archive replay feeds handlers exactly what the log fed them.
 */
import type { MskEventRecord } from './msk-event.js';
import type { KafkaRecord } from './record.js';

/**
 * A record's coordinates and bytes, before MSK encoding: a decoded record without the
 * delivered form it was decoded from. A null `key` gives an MSK record with no `key` field.
 */
export type RecordBytes = Omit<KafkaRecord, 'raw'>;

/** Java `byte` values (-128..127) of a buffer. */
export function toJavaSignedBytes(bytes: Uint8Array): number[] {
  return Array.from(bytes, (b) => (b > 127 ? b - 256 : b));
}

/** One record in MSK encoding, as it stands in the event Lambda hands a function. */
export function encodeMskRecord(record: RecordBytes): MskEventRecord {
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    timestampType: record.timestampType,
    ...(record.key === null ? {} : { key: record.key.toString('base64') }),
    value: record.value === null ? null : record.value.toString('base64'),
    headers: record.headers.map((h) => ({ [h.key]: toJavaSignedBytes(h.value) })),
  };
}

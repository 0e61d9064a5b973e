/**
 * The MSK decoder as first written (commit 73d5080), kept verbatim as the oracle of
 * test/unit/core/msk-decode.property.test.ts: the optimised decoder must give the same
 * partitions, records, bytes and poison (reason, message, context) for any event.
 */
import { InvalidEventError, PoisonError } from '../../../../functions/core/errors.js';
import type { DecodeLimits } from '../../../../functions/core/limits.js';
import type { DecodedPartition, DecodedRecord } from '../../../../functions/core/msk-decode.js';
import type { MskEventRecord } from '../../../../functions/core/msk-event.js';
import type { KafkaHeader, KafkaRecord } from '../../../../functions/core/record.js';

const STRICT_BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
function decodeBase64Strict(text: string): Buffer | null {
  if (!STRICT_BASE64.test(text)) return null;
  return Buffer.from(text, 'base64');
}

const EVENT_SOURCES = new Set(['aws:kafka', 'SelfManagedKafka']);

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isCoordinate = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

/**
 * Validates the shape of the invocation at the edge and decodes every record.
 * Throws {@link InvalidEventError} only when the payload is not a Kafka event or a record
 * has no usable coordinates (topic, partition, offset): such a record cannot be
 * quarantined nor reported. Every other defect of a record (base64, headers, timestamp,
 * size) makes that record poison, never an exception.
 */
export function referenceDecodeMskEvent(event: unknown, limits: DecodeLimits): DecodedPartition[] {
  if (!isObject(event)) throw new InvalidEventError('staysync: event is not an object');
  const { eventSource, records } = event;
  if (typeof eventSource !== 'string' || !EVENT_SOURCES.has(eventSource)) {
    throw new InvalidEventError(
      `staysync: eventSource must be "aws:kafka" or "SelfManagedKafka", got ${JSON.stringify(eventSource)}`,
    );
  }
  if (!isObject(records)) throw new InvalidEventError('staysync: event.records must be an object');
  const partitions: DecodedPartition[] = [];
  for (const [id, group] of Object.entries(records)) {
    if (!Array.isArray(group)) {
      throw new InvalidEventError(`staysync: event.records["${id}"] must be an array`);
    }
    partitions.push(decodeGroup(id, group, limits));
  }
  return partitions;
}

function decodeGroup(
  id: string,
  group: readonly unknown[],
  limits: DecodeLimits,
): DecodedPartition {
  const match = /^(.+)-(\d+)$/.exec(id);
  if (match === null) {
    throw new InvalidEventError(`staysync: record group "${id}" is not "<topic>-<partition>"`);
  }
  const topic = match[1] as string;
  const partition = Number(match[2]);
  const byOffset = new Map<number, DecodedRecord>();
  group.forEach((raw, i) => {
    const where = `event.records["${id}"][${i}]`;
    if (!isObject(raw)) throw new InvalidEventError(`staysync: ${where} is not an object`);
    if (raw.topic !== topic || raw.partition !== partition) {
      throw new InvalidEventError(
        `staysync: ${where} has topic/partition ${JSON.stringify(raw.topic)}/${JSON.stringify(raw.partition)}, not those of its group`,
      );
    }
    if (!isCoordinate(raw.offset)) {
      throw new InvalidEventError(
        `staysync: ${where}.offset must be a non-negative safe integer, got ${JSON.stringify(raw.offset)}`,
      );
    }
    // A redelivered duplicate within one event keeps its first copy.
    if (!byOffset.has(raw.offset)) {
      byOffset.set(raw.offset, decodeRecord(raw as unknown as MskEventRecord, limits));
    }
  });
  const decoded = [...byOffset.values()].sort((a, b) => a.record.offset - b.record.offset);
  return { topic, partition, id, records: decoded };
}

/** Decodes one record whose coordinates are valid; defects make it poison. */
function decodeRecord(raw: MskEventRecord, limits: DecodeLimits): DecodedRecord {
  const coords = { topic: raw.topic, partition: raw.partition, offset: raw.offset };
  const base: KafkaRecord = {
    ...coords,
    timestamp: typeof raw.timestamp === 'number' ? raw.timestamp : 0,
    timestampType: typeof raw.timestampType === 'string' ? raw.timestampType : 'NO_TIMESTAMP_TYPE',
    key: null,
    value: null,
    headers: [],
    raw,
  };
  const poison = (reason: string, field: string, message: string): DecodedRecord => ({
    record: base,
    poison: new PoisonError(reason, `${field}: ${message}`, { context: { ...coords, field } }),
  });

  if (typeof raw.timestamp !== 'number' || !Number.isSafeInteger(raw.timestamp)) {
    return poison(
      'invalid-timestamp',
      'timestamp',
      `must be an integer (epoch ms), got ${JSON.stringify(raw.timestamp)}`,
    );
  }
  const key = decodeBytes(raw.key, 'key', limits.maxKeyBytes);
  if (isDefect(key)) return poison(key.reason, 'key', key.message);
  const value = decodeBytes(raw.value, 'value', limits.maxValueBytes);
  if (isDefect(value)) return poison(value.reason, 'value', value.message);
  const headers = decodeHeaders(raw.headers);
  if (!Array.isArray(headers)) return poison('invalid-header', headers.field, headers.message);
  return { record: { ...base, key, value, headers } };
}

interface Defect {
  readonly reason: string;
  readonly message: string;
}

const isDefect = (v: Buffer | null | Defect): v is Defect => v !== null && !Buffer.isBuffer(v);

function decodeBytes(text: unknown, field: string, maxBytes: number): Buffer | null | Defect {
  if (text === undefined || text === null) return null;
  if (typeof text !== 'string') {
    return {
      reason: 'invalid-base64',
      message: `must be a base64 string or null, got ${typeof text}`,
    };
  }
  // 4 base64 chars carry 3 bytes: reject before allocating a huge buffer.
  if ((text.length / 4) * 3 > maxBytes + 3) {
    return { reason: 'too-large', message: `${field} exceeds ${maxBytes} bytes` };
  }
  const bytes = decodeBase64Strict(text);
  if (bytes === null) return { reason: 'invalid-base64', message: 'is not valid base64' };
  if (bytes.length > maxBytes) {
    return {
      reason: 'too-large',
      message: `${bytes.length} bytes exceeds the limit of ${maxBytes} bytes`,
    };
  }
  return bytes;
}

/**
 * MSK headers: an array of single-entry objects `{ name: number[] }`, the numbers being
 * Java *signed* bytes (-128..127). `b & 0xff` maps them back to octets; 128..255 are
 * accepted too (already unsigned).
 */
function decodeHeaders(raw: unknown): KafkaHeader[] | { field: string; message: string } {
  if (raw === undefined || raw === null) return [];
  if (!Array.isArray(raw)) return { field: 'headers', message: 'must be an array' };
  const headers: KafkaHeader[] = [];
  for (const [i, entry] of raw.entries()) {
    if (!isObject(entry)) return { field: `headers[${i}]`, message: 'must be an object' };
    for (const [name, bytes] of Object.entries(entry)) {
      const field = `headers[${i}].${name}`;
      if (!Array.isArray(bytes)) return { field, message: 'must be an array of bytes' };
      for (const b of bytes) {
        if (typeof b !== 'number' || !Number.isInteger(b) || b < -128 || b > 255) {
          return { field, message: `${JSON.stringify(b)} is not a byte (-128..255)` };
        }
      }
      headers.push({ key: name, value: Buffer.from(bytes.map((b: number) => b & 0xff)) });
    }
  }
  return headers;
}

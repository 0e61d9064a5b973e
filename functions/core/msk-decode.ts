import { Buffer } from 'node:buffer';
import { decodeBase64Strict } from './base64.js';
import { InvalidEventError, PoisonError } from './errors.js';
import type { DecodeLimits } from './limits.js';
import type { MskEventRecord } from './msk-event.js';
import type { KafkaHeader, KafkaRecord } from './record.js';

/** A record after MSK decoding; `poison` is set when its bytes could not be decoded. */
export interface DecodedRecord {
  readonly record: KafkaRecord;
  readonly poison?: PoisonError;
}

export interface DecodedPartition {
  readonly topic: string;
  readonly partition: number;
  /** `"<topic>-<partition>"` as used in `batchItemFailures` */
  readonly id: string;
  /** ascending offsets, duplicates removed */
  readonly records: readonly DecodedRecord[];
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
export function decodeMskEvent(event: unknown, limits: DecodeLimits): DecodedPartition[] {
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

const GROUP_ID = /^(.+)-(\d+)$/;

const where = (id: string, i: number) => `event.records["${id}"][${i}]`;

function decodeGroup(
  id: string,
  group: readonly unknown[],
  limits: DecodeLimits,
): DecodedPartition {
  const match = GROUP_ID.exec(id);
  if (match === null) {
    throw new InvalidEventError(`staysync: record group "${id}" is not "<topic>-<partition>"`);
  }
  const topic = match[1] as string;
  const partition = Number(match[2]);
  const decoded: DecodedRecord[] = [];
  // Lambda delivers each group in ascending offset order: the common case costs no map and
  // no sort. Offsets seen so far are only indexed once one arrives out of order.
  let last = -1;
  let seen: Set<number> | undefined;
  for (let i = 0; i < group.length; i++) {
    const raw = group[i];
    if (raw === undefined && !(i in group)) continue; // a hole of a sparse array, as forEach
    if (!isObject(raw)) throw new InvalidEventError(`staysync: ${where(id, i)} is not an object`);
    if (raw.topic !== topic || raw.partition !== partition) {
      throw new InvalidEventError(
        `staysync: ${where(id, i)} has topic/partition ${JSON.stringify(raw.topic)}/${JSON.stringify(raw.partition)}, not those of its group`,
      );
    }
    const offset = raw.offset;
    if (!isCoordinate(offset)) {
      throw new InvalidEventError(
        `staysync: ${where(id, i)}.offset must be a non-negative safe integer, got ${JSON.stringify(offset)}`,
      );
    }
    if (seen === undefined) {
      if (offset > last) {
        last = offset;
        decoded.push(decodeRecord(raw as unknown as MskEventRecord, limits));
        continue;
      }
      seen = new Set(decoded.map((d) => d.record.offset));
    }
    // A redelivered duplicate within one event keeps its first copy.
    if (seen.has(offset)) continue;
    seen.add(offset);
    decoded.push(decodeRecord(raw as unknown as MskEventRecord, limits));
  }
  if (seen !== undefined) decoded.sort((a, b) => a.record.offset - b.record.offset);
  return { topic, partition, id, records: decoded };
}

/** Shared by every record without headers (the type is readonly; frozen to keep it so). */
const NO_HEADERS: readonly KafkaHeader[] = Object.freeze([]);

/**
 * Decodes one record whose coordinates are valid; defects make it poison. Hot path: one
 * record object, built in one literal (no spreads, no per-record closures).
 */
export function decodeRecord(raw: MskEventRecord, limits: DecodeLimits): DecodedRecord {
  const { timestamp } = raw;
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    return poisoned(
      raw,
      'invalid-timestamp',
      'timestamp',
      `must be an integer (epoch ms), got ${JSON.stringify(timestamp)}`,
    );
  }
  const key = decodeBytes(raw.key, 'key', limits.maxKeyBytes);
  if (isDefect(key)) return poisoned(raw, key.reason, 'key', key.message);
  const value = decodeBytes(raw.value, 'value', limits.maxValueBytes);
  if (isDefect(value)) return poisoned(raw, value.reason, 'value', value.message);
  const headers = decodeHeaders(raw.headers);
  if ('field' in headers) {
    return poisoned(raw, 'invalid-header', headers.field, headers.message);
  }
  return {
    record: {
      topic: raw.topic,
      partition: raw.partition,
      offset: raw.offset,
      timestamp,
      timestampType: timestampTypeOf(raw),
      key,
      value,
      headers,
      raw,
    },
  };
}

const timestampTypeOf = (raw: MskEventRecord): string =>
  typeof raw.timestampType === 'string' ? raw.timestampType : 'NO_TIMESTAMP_TYPE';

/** A poison record: its coordinates and raw form, no key, value nor headers. */
function poisoned(
  raw: MskEventRecord,
  reason: string,
  field: string,
  message: string,
): DecodedRecord {
  const { topic, partition, offset } = raw;
  return {
    record: {
      topic,
      partition,
      offset,
      timestamp: typeof raw.timestamp === 'number' ? raw.timestamp : 0,
      timestampType: timestampTypeOf(raw),
      key: null,
      value: null,
      headers: [],
      raw,
    },
    poison: new PoisonError(reason, `${field}: ${message}`, {
      context: { topic, partition, offset, field },
    }),
  };
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
function decodeHeaders(raw: unknown): readonly KafkaHeader[] | { field: string; message: string } {
  if (raw === undefined || raw === null) return NO_HEADERS;
  if (!Array.isArray(raw)) return { field: 'headers', message: 'must be an array' };
  if (raw.length === 0) return NO_HEADERS;
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

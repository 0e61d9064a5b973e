/**
 * One archive line: one Kafka record, everything needed to replay it byte for byte.
 *
 * ```json
 * {"topic":"orders","partition":0,"offset":42,"timestamp":1795600000000,
 *  "timestampType":"CREATE_TIME","key":"customer:42",
 *  "headers":[{"key":"trace","value":"abc"},{"key":"bin","value":"/w==","valueEncoding":"base64"}],
 *  "value":{"id":"01J9...","entity":"customer"}}
 * ```
 * - `key`: UTF-8 text, or base64 with `keyEncoding: "base64"` when the bytes are not valid
 *   UTF-8; `null` when the record had no key.
 * - `headers`: in log order (keys may repeat); each value follows the key's rule.
 * - `value`: the parsed JSON when the bytes are UTF-8 JSON that re-serializes to exactly
 *   the same bytes (so replay reproduces them); otherwise base64 with
 *   `valueEncoding: "base64"`; `null` for a tombstone. A value that is the JSON literal
 *   `null` is stored as base64 so it cannot be mistaken for a tombstone.
 */
import { encodeMskRecord } from '../msk-encode.js';
import type { MskEventRecord } from '../msk-event.js';
import type { KafkaRecord } from '../record.js';

export const ARCHIVE_SCHEMA = 'staysync-archive-jsonl/1';

export interface ArchiveHeaderLine {
  readonly key: string;
  readonly value: string;
  readonly valueEncoding?: 'base64';
}

export interface ArchiveLine {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  readonly key: string | null;
  readonly keyEncoding?: 'base64';
  readonly headers: readonly ArchiveHeaderLine[];
  readonly value: unknown;
  readonly valueEncoding?: 'base64';
}

/** A record read back from the archive, bytes restored. */
export interface ArchivedRecord {
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  readonly timestamp: number;
  readonly timestampType: string;
  readonly key: Buffer | null;
  readonly headers: ReadonlyArray<{ readonly key: string; readonly value: Buffer }>;
  /** null for a tombstone */
  readonly value: Buffer | null;
}

// ignoreBOM: keep a leading U+FEFF in the text, so the text re-encodes to the same bytes.
const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/** The bytes as text when they are valid UTF-8, else null. */
export function utf8OrNull(bytes: Uint8Array): string | null {
  try {
    return utf8.decode(bytes);
  } catch {
    return null;
  }
}

/** JSON value of the bytes when they are JSON that re-serializes to exactly these bytes. */
function canonicalJson(bytes: Buffer): { readonly json: unknown } | null {
  const text = utf8OrNull(bytes);
  if (text === null) return null;
  const first = text.charCodeAt(0);
  // cheap pre-check: JSON.stringify never starts with whitespace or a BOM
  if (text.length === 0 || first <= 0x20 || first === 0xfeff) return null;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return null;
  }
  if (parsed === null || JSON.stringify(parsed) !== text) return null;
  return { json: parsed };
}

function textOrBase64(bytes: Buffer): { readonly text: string; readonly base64: boolean } {
  const text = utf8OrNull(bytes);
  return text === null ? { text: bytes.toString('base64'), base64: true } : { text, base64: false };
}

/** The archive line of a Kafka record. */
export function toArchiveLine(record: KafkaRecord): ArchiveLine {
  const key = record.key === null ? null : textOrBase64(record.key);
  const headers = record.headers.map((h): ArchiveHeaderLine => {
    const v = textOrBase64(h.value);
    return v.base64
      ? { key: h.key, value: v.text, valueEncoding: 'base64' }
      : { key: h.key, value: v.text };
  });
  let value: Pick<ArchiveLine, 'value' | 'valueEncoding'>;
  if (record.value === null) value = { value: null };
  else {
    const json = canonicalJson(record.value);
    value =
      json === null
        ? { value: record.value.toString('base64'), valueEncoding: 'base64' }
        : { value: json.json };
  }
  return {
    topic: record.topic,
    partition: record.partition,
    offset: record.offset,
    timestamp: record.timestamp,
    timestampType: record.timestampType,
    key: key === null ? null : key.text,
    ...(key?.base64 === true ? { keyEncoding: 'base64' as const } : {}),
    headers,
    ...value,
  };
}

/** Thrown when a line is not a valid archive line. */
export class ArchiveLineError extends Error {}

const isObject = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);

const isOffset = (v: unknown): v is number =>
  typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;

function bytesOf(text: unknown, encoding: unknown, field: string): Buffer {
  if (typeof text !== 'string') throw new ArchiveLineError(`${field} must be a string`);
  if (encoding === 'base64') return Buffer.from(text, 'base64');
  if (encoding !== undefined)
    throw new ArchiveLineError(`${field}Encoding must be "base64" or absent`);
  return Buffer.from(text, 'utf8');
}

/** Validates a parsed line and restores the record's bytes. */
export function fromArchiveLine(line: unknown): ArchivedRecord {
  if (!isObject(line)) throw new ArchiveLineError('line must be a JSON object');
  const { topic, partition, offset, timestamp, timestampType, headers } = line;
  if (typeof topic !== 'string' || topic === '')
    throw new ArchiveLineError('topic must be a string');
  if (!isOffset(partition)) throw new ArchiveLineError('partition must be a non-negative integer');
  if (!isOffset(offset)) throw new ArchiveLineError('offset must be a non-negative integer');
  if (typeof timestamp !== 'number' || !Number.isSafeInteger(timestamp)) {
    throw new ArchiveLineError('timestamp must be an integer');
  }
  if (typeof timestampType !== 'string')
    throw new ArchiveLineError('timestampType must be a string');
  if (!Array.isArray(headers)) throw new ArchiveLineError('headers must be an array');
  const key = line.key === null ? null : bytesOf(line.key, line.keyEncoding, 'key');
  let value: Buffer | null;
  if (line.value === null && line.valueEncoding === undefined) value = null;
  else if (line.valueEncoding === 'base64') value = bytesOf(line.value, 'base64', 'value');
  else if (line.valueEncoding === undefined)
    value = Buffer.from(JSON.stringify(line.value), 'utf8');
  else throw new ArchiveLineError('valueEncoding must be "base64" or absent');
  return {
    topic,
    partition,
    offset,
    timestamp,
    timestampType,
    key,
    headers: headers.map((h, i) => {
      if (!isObject(h) || typeof h.key !== 'string') {
        throw new ArchiveLineError(`headers[${i}] must be an object with a string key`);
      }
      return { key: h.key, value: bytesOf(h.value, h.valueEncoding, `headers[${i}].value`) };
    }),
    value,
  };
}

/** Parses one JSON Lines line (text) into a record. */
export function parseArchiveLine(text: string): ArchivedRecord {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (err) {
    throw new ArchiveLineError(`line is not JSON: ${(err as Error).message}`);
  }
  return fromArchiveLine(parsed);
}

/**
 * The record as Lambda would deliver it (base64 key/value, Java signed-byte headers):
 * replaying an archive through a handler feeds it exactly what the log fed it.
 */
export function toMskEventRecord(record: ArchivedRecord): MskEventRecord {
  return encodeMskRecord(record);
}

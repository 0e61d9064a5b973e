/**
 * One archive object: gzip JSON Lines of consecutive records of one partition, plus the
 * user metadata that lets a writer learn which offsets it covers with a HEAD request.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import type { KafkaRecord } from '../record.js';
import { ARCHIVE_SCHEMA, type ArchivedRecord, parseArchiveLine, toArchiveLine } from './line.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);

export const ARCHIVE_CONTENT_TYPE = 'application/x-ndjson';
export const ARCHIVE_CONTENT_ENCODING = 'gzip';

/** What an object covers: its first and last record offsets (inclusive) and how many. */
export interface ArchiveRange {
  readonly startOffset: number;
  readonly endOffset: number;
  readonly recordCount: number;
}

/** S3 user metadata names (S3 lower-cases them; sent as `x-amz-meta-*`). */
export const META = {
  schema: 'staysync-schema',
  startOffset: 'start-offset',
  endOffset: 'end-offset',
  recordCount: 'record-count',
  firstTimestamp: 'first-timestamp',
  lastTimestamp: 'last-timestamp',
} as const;

export interface EncodedArchiveObject {
  readonly body: Buffer;
  readonly range: ArchiveRange;
  readonly metadata: Readonly<Record<string, string>>;
  /** bytes of the JSON Lines before gzip */
  readonly rawBytes: number;
}

/** JSON Lines text (one line per record, `\n`-terminated). */
export const toJsonLines = (records: readonly KafkaRecord[]): string =>
  records.map((r) => `${JSON.stringify(toArchiveLine(r))}\n`).join('');

/**
 * Encodes records (ascending offsets, one partition, at least one) into an object body
 * and its metadata.
 */
export async function encodeArchiveObject(
  records: readonly KafkaRecord[],
): Promise<EncodedArchiveObject> {
  const first = records[0];
  const last = records[records.length - 1];
  if (first === undefined || last === undefined) throw new RangeError('archive object: no records');
  for (let i = 1; i < records.length; i++) {
    const prev = records[i - 1] as KafkaRecord;
    const cur = records[i] as KafkaRecord;
    if (
      cur.offset <= prev.offset ||
      cur.partition !== first.partition ||
      cur.topic !== first.topic
    ) {
      throw new RangeError(
        'archive object: records must be of one partition in ascending offset order',
      );
    }
  }
  const text = Buffer.from(toJsonLines(records), 'utf8');
  const body = await gzipAsync(text);
  const range = { startOffset: first.offset, endOffset: last.offset, recordCount: records.length };
  return {
    body,
    range,
    rawBytes: text.length,
    metadata: {
      [META.schema]: ARCHIVE_SCHEMA,
      [META.startOffset]: String(range.startOffset),
      [META.endOffset]: String(range.endOffset),
      [META.recordCount]: String(range.recordCount),
      [META.firstTimestamp]: String(first.timestamp),
      [META.lastTimestamp]: String(last.timestamp),
    },
  };
}

const metaInt = (
  metadata: Readonly<Record<string, string | undefined>>,
  name: string,
): number | null => {
  const v = metadata[name];
  if (v === undefined || !/^\d{1,16}$/.test(v)) return null;
  const n = Number(v);
  return Number.isSafeInteger(n) ? n : null;
};

/** The range an object's metadata declares, or null when it is missing or inconsistent. */
export function rangeFromMetadata(
  metadata: Readonly<Record<string, string | undefined>> | undefined,
): ArchiveRange | null {
  if (metadata === undefined) return null;
  // S3 returns metadata names lower-cased; accept any case from other emulators.
  const lower: Record<string, string> = {};
  for (const [k, v] of Object.entries(metadata)) if (v !== undefined) lower[k.toLowerCase()] = v;
  const startOffset = metaInt(lower, META.startOffset);
  const endOffset = metaInt(lower, META.endOffset);
  const recordCount = metaInt(lower, META.recordCount);
  if (startOffset === null || endOffset === null || recordCount === null) return null;
  if (endOffset < startOffset || recordCount < 1 || recordCount > endOffset - startOffset + 1) {
    return null;
  }
  return { startOffset, endOffset, recordCount };
}

/** Splits JSON Lines text into lines (ignores a trailing newline, rejects empty lines). */
export function splitJsonLines(text: string): string[] {
  if (text === '') return [];
  const lines = text.endsWith('\n') ? text.slice(0, -1).split('\n') : text.split('\n');
  return lines;
}

/** Whether the bytes start with the gzip magic number. */
export const isGzip = (bytes: Uint8Array): boolean => bytes[0] === 0x1f && bytes[1] === 0x8b;

/**
 * Decodes a whole object body (gzip JSON Lines) into records. For large objects prefer
 * the streaming reader (functions/adapters/archive-reader.ts).
 */
export async function decodeArchiveObject(body: Uint8Array): Promise<ArchivedRecord[]> {
  // Tolerate a body already decompressed by an HTTP client that honoured Content-Encoding.
  const text = (isGzip(body) ? await gunzipAsync(body) : Buffer.from(body)).toString('utf8');
  return splitJsonLines(text).map(parseArchiveLine);
}

/** The range of decoded records (what the metadata should say). */
export function rangeOfRecords(
  records: readonly Pick<ArchivedRecord, 'offset'>[],
): ArchiveRange | null {
  const first = records[0];
  const last = records[records.length - 1];
  if (first === undefined || last === undefined) return null;
  return { startOffset: first.offset, endOffset: last.offset, recordCount: records.length };
}

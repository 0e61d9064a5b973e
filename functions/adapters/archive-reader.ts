/**
 * Reads an S3 archive back (replay, reconciliation, `archive:verify`): lists a topic's
 * objects, optionally only some partitions and `dt=` days, and streams their records in
 * (partition, offset) order. Memory stays bounded: one partition's object keys and one
 * decompressed chunk at a time, never a whole object.
 *
 * @example
 * const reader = new ArchiveReader({ client: s3Client(env), bucket, prefix: 'archive', topic: 'orders' });
 * for await (const record of reader.records()) replay(toMskEventRecord(record));
 */

import { Readable } from 'node:stream';
import { StringDecoder } from 'node:string_decoder';
import { createGunzip } from 'node:zlib';
import { GetObjectCommand, type GetObjectCommandOutput, type S3Client } from '@aws-sdk/client-s3';
import {
  type ArchiveObjectId,
  datePrefix,
  parseArchiveKey,
  parseDateFolder,
  parsePartitionFolder,
  partitionDatePrefix,
  topicPrefix,
} from '../core/archive/key.js';
import { type ArchivedRecord, parseArchiveLine } from '../core/archive/line.js';
import { type ArchiveRange, isGzip, rangeFromMetadata } from '../core/archive/object.js';
import { toStaysyncError } from './aws-errors.js';
import { S3ArchiveStore } from './s3-archive-store.js';

export interface ArchiveReaderOptions {
  readonly client: S3Client;
  readonly bucket: string;
  /** `ARCHIVE_PREFIX` of the sink that wrote the archive */
  readonly prefix: string;
  readonly topic: string;
  /** only these partitions @default every partition found */
  readonly partitions?: readonly number[];
  /** first `dt=` day (yyyy-mm-dd, inclusive) @default the first */
  readonly fromDate?: string;
  /** last `dt=` day (inclusive) @default the last */
  readonly toDate?: string;
}

export interface ArchiveObjectRef {
  readonly key: string;
  readonly id: ArchiveObjectId;
}

export interface OpenedArchiveObject {
  readonly ref: ArchiveObjectRef;
  /** the range its metadata declares (null: missing or malformed) */
  readonly declared: ArchiveRange | null;
  /** its records in file order, streamed */
  readonly records: AsyncIterable<ArchivedRecord>;
}

/** Thrown for an object whose content cannot be read as archive lines. */
export class ArchiveReadError extends Error {}

export class ArchiveReader {
  private readonly store: S3ArchiveStore;
  private datesCache: string[] | null = null;
  private partitionDatesCache: Map<number, string[]> | null = null;

  constructor(private readonly options: ArchiveReaderOptions) {
    this.store = new S3ArchiveStore(options.client, options.bucket);
  }

  /** The `dt=` days holding objects of the topic, within the date filter, ascending. */
  async dates(): Promise<string[]> {
    if (this.datesCache === null) {
      const { prefix, topic, fromDate, toDate } = this.options;
      const folders = await this.store.listFolders(topicPrefix(prefix, topic));
      this.datesCache = folders
        .map(parseDateFolder)
        .filter((d): d is string => d !== null)
        .filter(
          (d) => (fromDate === undefined || d >= fromDate) && (toDate === undefined || d <= toDate),
        )
        .sort();
    }
    return this.datesCache;
  }

  /** Partitions with objects (within the filters), ascending. */
  async partitions(): Promise<number[]> {
    return [...(await this.partitionDates()).keys()].sort((a, b) => a - b);
  }

  /** One partition's objects, by start offset (their `dt=` days merged). */
  async objects(partition: number): Promise<ArchiveObjectRef[]> {
    const { prefix, topic } = this.options;
    const refs: ArchiveObjectRef[] = [];
    for (const date of (await this.partitionDates()).get(partition) ?? []) {
      for await (const key of this.store.listKeys(
        partitionDatePrefix(prefix, topic, date, partition),
      )) {
        const id = parseArchiveKey(key);
        if (id !== null && id.topic === topic && id.partition === partition) refs.push({ key, id });
      }
    }
    return refs.sort((a, b) => a.id.startOffset - b.id.startOffset || (a.key < b.key ? -1 : 1));
  }

  /** Opens one object: its declared range at once, its records as a stream. */
  async open(ref: ArchiveObjectRef): Promise<OpenedArchiveObject> {
    const { client, bucket } = this.options;
    let got: GetObjectCommandOutput;
    try {
      got = await client.send(new GetObjectCommand({ Bucket: bucket, Key: ref.key }));
    } catch (err) {
      throw toStaysyncError(err, `S3 GetObject s3://${bucket}/${ref.key}`);
    }
    const body: unknown = got.Body;
    if (!(body instanceof Readable) && !isAsyncIterable(body)) {
      throw new ArchiveReadError(`s3://${bucket}/${ref.key}: response body is not a stream`);
    }
    return {
      ref,
      declared: rangeFromMetadata(got.Metadata),
      records: parseLines(ref.key, jsonLines(body as AsyncIterable<Uint8Array>)),
    };
  }

  /** Every record of the selected partitions, in (partition, offset) order. */
  async *records(): AsyncGenerator<ArchivedRecord> {
    for (const partition of await this.partitions()) {
      for (const ref of await this.objects(partition)) {
        yield* (await this.open(ref)).records;
      }
    }
  }

  private async partitionDates(): Promise<Map<number, string[]>> {
    if (this.partitionDatesCache === null) {
      const { prefix, topic, partitions } = this.options;
      const wanted = partitions === undefined ? null : new Set(partitions);
      const map = new Map<number, string[]>();
      for (const date of await this.dates()) {
        for (const folder of await this.store.listFolders(datePrefix(prefix, topic, date))) {
          const p = parsePartitionFolder(folder);
          if (p === null || (wanted !== null && !wanted.has(p))) continue;
          map.set(p, [...(map.get(p) ?? []), date]);
        }
      }
      this.partitionDatesCache = map;
    }
    return this.partitionDatesCache;
  }
}

const isAsyncIterable = (v: unknown): v is AsyncIterable<unknown> =>
  typeof v === 'object' && v !== null && Symbol.asyncIterator in v;

/** Decompressed bytes of a body: gunzipped when it starts with the gzip magic number. */
async function* decompressed(body: AsyncIterable<Uint8Array>): AsyncGenerator<Buffer> {
  const it = body[Symbol.asyncIterator]();
  let head = Buffer.alloc(0);
  while (head.length < 2) {
    const next = await it.next();
    if (next.done === true) break;
    head = Buffer.concat([head, Buffer.from(next.value)]);
  }
  if (head.length === 0) return;
  async function* rest(): AsyncGenerator<Buffer> {
    yield head;
    for (let next = await it.next(); next.done !== true; next = await it.next())
      yield Buffer.from(next.value);
  }
  if (!isGzip(head)) {
    yield* rest();
    return;
  }
  const source = Readable.from(rest());
  const gunzip = createGunzip();
  source.on('error', (err) => gunzip.destroy(err));
  yield* source.pipe(gunzip) as AsyncIterable<Buffer>;
}

/** Lines of a JSON Lines body (UTF-8 characters split across chunks are joined). */
async function* jsonLines(body: AsyncIterable<Uint8Array>): AsyncGenerator<string> {
  const decoder = new StringDecoder('utf8');
  let carry = '';
  for await (const chunk of decompressed(body)) {
    const text = carry + decoder.write(chunk);
    const lines = text.split('\n');
    carry = lines.pop() ?? '';
    for (const line of lines) yield line;
  }
  carry += decoder.end();
  if (carry !== '') yield carry;
}

async function* parseLines(
  key: string,
  lines: AsyncIterable<string>,
): AsyncGenerator<ArchivedRecord> {
  let n = 0;
  for await (const line of lines) {
    n++;
    try {
      yield parseArchiveLine(line);
    } catch (err) {
      throw new ArchiveReadError(`${key} line ${n}: ${(err as Error).message}`);
    }
  }
}

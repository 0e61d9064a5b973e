import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { mapBounded } from '../core/engine/pool.js';
import type { ErrorContext } from '../core/errors.js';
import type { Quarantine, QuarantineEntry } from '../core/quarantine.js';
import { toStaysyncError } from './aws-errors.js';

export const DEFAULT_QUARANTINE_PREFIX = 'quarantine';

/** Parallel PUTs per call: poison usually comes alone; a bad deploy can make thousands. */
const PUT_CONCURRENCY = 8;

/**
 * `<prefix>/sink=<sink>/topic=<topic>/partition=<p>/<offset, 20 digits>.json`: one object
 * per poison record, so a redelivered record overwrites its own entry (quarantined
 * exactly once) and a listing sorts by offset.
 */
export const quarantineKey = (
  prefix: string,
  e: Pick<QuarantineEntry, 'sink' | 'topic' | 'partition' | 'offset'>,
): string =>
  `${prefix}/sink=${e.sink}/topic=${e.topic}/partition=${e.partition}/${String(e.offset).padStart(20, '0')}.json`;

/**
 * Quarantine on S3: each entry as a JSON object holding the raw record exactly as Lambda
 * delivered it (base64 key/value, signed-byte headers), its coordinates, the sink, the
 * reason and error, and the time — enough to understand it and to replay it.
 */
export class S3Quarantine implements Quarantine {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(client: S3Client, bucket: string, prefix: string = DEFAULT_QUARANTINE_PREFIX) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix.replace(/\/+$/, '');
  }

  async put(entries: readonly QuarantineEntry[]): Promise<void> {
    await mapBounded(entries, PUT_CONCURRENCY, async (entry) => {
      await putJsonObject(this.#client, this.#bucket, quarantineKey(this.#prefix, entry), entry, {
        sink: entry.sink,
        topic: entry.topic,
        partition: entry.partition,
        offset: entry.offset,
      });
    });
  }
}

/**
 * One quarantine entry as a JSON object (shared by the sinks' and the relay's quarantine);
 * a failed write becomes a StaysyncError saying where it was going.
 */
export async function putJsonObject(
  client: S3Client,
  bucket: string,
  key: string,
  entry: unknown,
  context: ErrorContext,
): Promise<void> {
  try {
    await client.send(
      new PutObjectCommand({
        Bucket: bucket,
        Key: key,
        Body: JSON.stringify(entry),
        ContentType: 'application/json',
      }),
    );
  } catch (err) {
    throw toStaysyncError(err, `quarantine: writing s3://${bucket}/${key} failed`, context);
  }
}

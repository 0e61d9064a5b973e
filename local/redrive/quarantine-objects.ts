/**
 * The quarantine bucket as redrive sees it: the entries of one sink
 * (`<prefix>/sink=<sink>/…`, written by functions/adapters/quarantine-s3.ts), and the
 * `<prefix>/redriven/…` copies a redriven entry moves to, with its outcome. Moving (not
 * deleting) keeps the evidence; the live listing no longer holds it, so a second redrive
 * finds nothing to do.
 */
import { DeleteObjectCommand, GetObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { putJsonObject } from '../../functions/adapters/quarantine-s3.js';
import type { QuarantineEntry } from '../../functions/core/quarantine.js';
import { listAllKeys } from '../aws/resources.js';
import { ToolError } from '../sinks/errors.js';

export interface StoredEntry {
  readonly key: string;
  readonly entry: QuarantineEntry;
}

/** What a redriven entry records beside the original entry. */
export interface RedriveMark {
  readonly outcome: string;
  readonly redrivenAt: string;
}

/** `<prefix>/sink=…/…` → `<prefix>/redriven/sink=…/…` */
export const redrivenKey = (prefix: string, key: string): string => {
  const root = `${prefix}/`;
  if (!key.startsWith(root))
    throw new ToolError(`${key} is not under the quarantine prefix ${prefix}`);
  return `${root}redriven/${key.slice(root.length)}`;
};

export class QuarantineObjects {
  constructor(
    private readonly s3: S3Client,
    private readonly bucket: string,
    private readonly prefix: string,
  ) {}

  /** The sink's entries not redriven yet, by key (topic, partition, then offset). */
  async *entries(sink: string): AsyncGenerator<StoredEntry> {
    const keys = await listAllKeys(this.s3, this.bucket, `${this.prefix}/sink=${sink}/`);
    for (const key of keys.sort()) {
      if (!key.endsWith('.json')) continue;
      yield { key, entry: await this.read(key) };
    }
  }

  /** Rewrites an entry in place (a record still poison, with its new reason). */
  async rewrite(key: string, entry: QuarantineEntry): Promise<void> {
    await this.put(key, entry);
  }

  /** Moves an entry under `redriven/` with its outcome. Copy first: a crash in between
   *  leaves the entry live, and the next redrive re-applies it (a no-op) and moves it. */
  async markRedriven(stored: StoredEntry, mark: RedriveMark): Promise<string> {
    const target = redrivenKey(this.prefix, stored.key);
    await this.put(target, { ...stored.entry, redrive: mark });
    await this.s3.send(new DeleteObjectCommand({ Bucket: this.bucket, Key: stored.key }));
    return target;
  }

  private async read(key: string): Promise<QuarantineEntry> {
    const got = await this.s3.send(new GetObjectCommand({ Bucket: this.bucket, Key: key }));
    const text = (await got.Body?.transformToString('utf8')) ?? '';
    try {
      return JSON.parse(text) as QuarantineEntry;
    } catch (err) {
      throw new ToolError(`s3://${this.bucket}/${key} is not a quarantine entry (JSON)`, {
        cause: err,
      });
    }
  }

  private put(key: string, body: unknown): Promise<void> {
    return putJsonObject(this.s3, this.bucket, key, body, {});
  }
}

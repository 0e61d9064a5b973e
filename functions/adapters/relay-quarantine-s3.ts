import type { S3Client } from '@aws-sdk/client-s3';
import { putJsonObject } from './quarantine-s3.js';

/** What the relay quarantines (mirrors `RelayQuarantineEntry`). */
export interface RelayQuarantineRecord {
  readonly relay: string;
  readonly table: string;
  readonly sequenceNumber: string;
}

/**
 * `<prefix>/relay=<relay>/table=<table>/<sequence number, 40 digits>.json`: one object per
 * stream record (DynamoDB sequence numbers are decimal strings of up to 40 digits), so a
 * redelivered record overwrites its own entry and a listing sorts in stream order.
 */
export const relayQuarantineKey = (prefix: string, e: RelayQuarantineRecord): string =>
  `${prefix}/relay=${e.relay}/table=${e.table}/${e.sequenceNumber.padStart(40, '0')}.json`;

/** The relay's quarantine on S3: the raw stream record, its reason and error, as JSON. */
export class S3RelayQuarantine {
  readonly #client: S3Client;
  readonly #bucket: string;
  readonly #prefix: string;

  constructor(client: S3Client, bucket: string, prefix: string) {
    this.#client = client;
    this.#bucket = bucket;
    this.#prefix = prefix.replace(/\/+$/, '');
  }

  async put(entries: readonly RelayQuarantineRecord[]): Promise<void> {
    for (const entry of entries) {
      await putJsonObject(
        this.#client,
        this.#bucket,
        relayQuarantineKey(this.#prefix, entry),
        entry,
        {
          sink: entry.relay,
        },
      );
    }
  }
}

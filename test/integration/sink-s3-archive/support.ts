import { Readable } from 'node:stream';
import { DeleteTableCommand, type DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, type S3Client } from '@aws-sdk/client-s3';
import { expect } from 'vitest';
import { ArchiveReader } from '../../../functions/adapters/archive-reader.js';
import type { ArchivedRecord } from '../../../functions/core/archive/line.js';
import type { MskBatchResponse, MskEvent } from '../../../functions/core/msk-event.js';
import { buildMskEvent, type FetchedRecord } from '../../../local/esm/event-builder.js';
import { createPkTable, emptyAndDeleteBucket, uniqueName } from '../../support/aws.js';

/** A ledger table and two buckets (archive, quarantine) unique to one test file. */
export async function createResources(dynamo: DynamoDBClient, s3: S3Client) {
  const ledger = uniqueName('archive-ledger');
  const archive = uniqueName('archive-it');
  const quarantine = uniqueName('archive-quarantine');
  await createPkTable(dynamo, ledger);
  for (const Bucket of [archive, quarantine]) await s3.send(new CreateBucketCommand({ Bucket }));
  return {
    ledger,
    archive,
    quarantine,
    drop: async () => {
      for (const Bucket of [archive, quarantine]) await emptyAndDeleteBucket(s3, Bucket);
      await dynamo.send(new DeleteTableCommand({ TableName: ledger }));
    },
  };
}

/** The archive sink's environment over `resources`, archive and quarantine under `prefix`. */
export function archiveSinkEnv(
  base: NodeJS.ProcessEnv,
  resources: { readonly ledger: string; readonly archive: string; readonly quarantine: string },
  prefix: string,
): NodeJS.ProcessEnv {
  return {
    ...base,
    SINK_NAME: 's3-archive',
    LEDGER_TABLE: resources.ledger,
    ARCHIVE_BUCKET: resources.archive,
    ARCHIVE_PREFIX: prefix,
    QUARANTINE_BUCKET: resources.quarantine,
    QUARANTINE_PREFIX: prefix,
  };
}

const NOT_UTF8 = Buffer.from([0xc3, 0x28, 0xff]);

/**
 * Records of one partition as a producer would write them: JSON envelopes, and among
 * them tombstones, a value other sinks find poison (not JSON), keys and headers that are
 * not UTF-8, repeated header keys. Timestamps step `stepMs` from `startMs`.
 */
export function makeRecords(
  topic: string,
  partition: number,
  from: number,
  count: number,
  {
    startMs = Date.UTC(2026, 10, 26, 10),
    stepMs = 1_000,
  }: { startMs?: number; stepMs?: number } = {},
): FetchedRecord[] {
  return Array.from({ length: count }, (_, i) => {
    const offset = from + i;
    const key = offset % 7 === 3 ? NOT_UTF8 : Buffer.from(`customer:${offset % 5}`);
    let value: Buffer | null = Buffer.from(
      JSON.stringify({
        id: `e-${partition}-${offset}`,
        entity: 'customer',
        key: String(offset % 5),
        op: 'upsert',
        version: offset,
        ts: new Date(startMs).toISOString(),
        data: { n: offset, name: 'Zoë' },
      }),
    );
    if (offset % 10 === 9) value = null;
    if (offset % 13 === 4) value = Buffer.from('not json {');
    return {
      topic,
      partition,
      offset,
      timestamp: startMs + i * stepMs,
      timestampType: 'CREATE_TIME',
      key,
      value,
      headers:
        offset % 4 === 0
          ? [
              ['trace', Buffer.from(`t${offset}`)],
              ['trace', NOT_UTF8],
            ]
          : [],
    };
  });
}

export const mskEvent = (records: readonly FetchedRecord[]): MskEvent =>
  buildMskEvent(
    {
      eventSourceArn: 'arn:aws:kafka:us-east-1:123456789012:cluster/local/abc',
      bootstrapServers: 'b-1:9098',
    },
    records,
  );

export type Handler = (
  event: MskEvent,
  context?: { getRemainingTimeInMillis?(): number },
) => Promise<MskBatchResponse>;

/** Every archived record of a topic, in (partition, offset) order, through the reader. */
export async function readArchive(
  s3: S3Client,
  bucket: string,
  prefix: string,
  topic: string,
): Promise<ArchivedRecord[]> {
  const out: ArchivedRecord[] = [];
  for await (const r of new ArchiveReader({ client: s3, bucket, prefix, topic }).records())
    out.push(r);
  return out;
}

/** The archive holds exactly the records sent, each once, byte for byte. */
export function expectExactlyOnce(
  archived: readonly ArchivedRecord[],
  sent: readonly FetchedRecord[],
): void {
  const want = [...sent].sort((a, b) => a.partition - b.partition || a.offset - b.offset);
  expect(archived.map((r) => `${r.partition}@${r.offset}`)).toEqual(
    want.map((r) => `${r.partition}@${r.offset}`),
  );
  archived.forEach((got, i) => {
    const exp = want[i] as FetchedRecord;
    expect(got.key, `key of ${exp.offset}`).toEqual(exp.key);
    expect(got.value, `value of ${exp.offset}`).toEqual(exp.value);
    expect(got.timestamp).toBe(exp.timestamp);
    expect(got.timestampType).toBe(exp.timestampType);
    expect(got.headers.map((h) => [h.key, h.value])).toEqual(exp.headers.map(([k, v]) => [k, v]));
  });
}

interface StackLike<I extends object, O extends object> {
  middlewareStack: {
    addRelativeTo(
      mw: (
        next: (args: I) => Promise<O>,
        context: { commandName?: string },
      ) => (args: I) => Promise<O>,
      options: {
        relation: 'before' | 'after';
        toMiddleware: string;
        name: string;
        override?: boolean;
      },
    ): void;
    add(
      mw: (
        next: (args: I) => Promise<O>,
        context: { commandName?: string },
      ) => (args: I) => Promise<O>,
      options: { step: 'initialize'; name: string; override?: boolean },
    ): void;
    remove(name: string): boolean;
  };
}

let faultSeq = 0;

/**
 * Makes the client answer `command` with an HTTP error *as S3 would send it* (status and
 * XML body), without reaching the server: the SDK's own deserializer and retry strategy
 * handle it, exactly as for a real SlowDown or AccessDenied. Returns a detach function.
 */
export function injectS3Error(
  client: unknown,
  command: string,
  error: { status: number; code: string; message?: string },
  shouldFail: (input: Readonly<Record<string, unknown>>) => boolean = () => true,
): () => void {
  const name = `archiveFault${++faultSeq}`;
  const c = client as StackLike<object, object>;
  c.middlewareStack.addRelativeTo(
    (next, context) => async (args) => {
      const input = (args as { input?: Record<string, unknown> }).input ?? {};
      if (context.commandName !== command || !shouldFail(input)) return next(args);
      const body = `<?xml version="1.0" encoding="UTF-8"?>\n<Error><Code>${error.code}</Code><Message>${error.message ?? error.code}</Message><RequestId>fault</RequestId></Error>`;
      return {
        response: {
          statusCode: error.status,
          reason: error.code,
          headers: { 'content-type': 'application/xml', 'x-amz-request-id': 'fault' },
          body: Readable.from([Buffer.from(body)]),
        },
      };
    },
    { relation: 'after', toMiddleware: 'deserializerMiddleware', name, override: true },
  );
  return () => {
    c.middlewareStack.remove(name);
  };
}

/**
 * Makes the next `times` calls of `command` fail before they are sent (a process dying
 * there): used to stop an invocation between its PutObject and its checkpoint.
 */
export function failCommand(client: unknown, command: string, times = 1): () => void {
  const name = `archiveCrash${++faultSeq}`;
  let left = times;
  const c = client as StackLike<object, object>;
  c.middlewareStack.add(
    (next, context) => async (args) => {
      if (context.commandName === command && left > 0) {
        left--;
        throw new Error(`simulated crash before ${command}`);
      }
      return next(args);
    },
    { step: 'initialize', name, override: true },
  );
  return () => {
    c.middlewareStack.remove(name);
  };
}

/**
 * The stores' own ingest speed, with no staysync code: the same documents written straight
 * to DynamoDB (BatchWriteItem, 25 items), OpenSearch (_bulk, 500 docs) and S3 (PutObject of
 * one gzip JSON Lines object per 500 records), the three stores at once, `concurrency`
 * requests in flight per store (as many as the pipeline has partitions).
 */
import { gzipSync } from 'node:zlib';
import {
  BatchWriteItemCommand,
  type DynamoDBClient,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { PutObjectCommand, type S3Client } from '@aws-sdk/client-s3';
import { marshall } from '@aws-sdk/util-dynamodb';
import { mapBounded } from '../../functions/core/index.js';
import { batches, type Envelope } from '../lib/workload.js';

export interface RawIngestTargets {
  readonly ddb: DynamoDBClient;
  readonly table: string;
  readonly s3: S3Client;
  readonly bucket: string;
  readonly opensearchEndpoint: string;
  readonly index: string;
}

export interface RawIngestResult {
  readonly eventsPerSecond: number;
  readonly seconds: { dynamodb: number; opensearch: number; s3: number; all: number };
}

async function dynamo(t: RawIngestTargets, docs: readonly Envelope[], concurrency: number) {
  await mapBounded(batches(docs, 25), concurrency, async (chunk) => {
    let requests: Record<string, unknown>[] | undefined = chunk.map((d) => ({
      PutRequest: {
        Item: marshall({ pk: `${d.entity}#${d.key}`, _v: d.version, data: d.data }),
      },
    }));
    while (requests !== undefined && requests.length > 0) {
      const out = await t.ddb.send(
        new BatchWriteItemCommand({ RequestItems: { [t.table]: requests as never } }),
      );
      requests = out.UnprocessedItems?.[t.table] as Record<string, unknown>[] | undefined;
    }
  });
}

async function opensearch(t: RawIngestTargets, docs: readonly Envelope[], concurrency: number) {
  const base = t.opensearchEndpoint.replace(/\/$/, '');
  await mapBounded(batches(docs, 500), concurrency, async (chunk) => {
    const body = chunk
      .map(
        (d) =>
          `${JSON.stringify({ index: { _index: t.index, _id: `${d.entity}:${d.key}`, version: d.version, version_type: 'external' } })}\n${JSON.stringify({ ...d.data, _v: d.version })}\n`,
      )
      .join('');
    const res = await fetch(`${base}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    const json = (await res.json()) as { errors?: boolean };
    if (!res.ok || json.errors === true) throw new Error(`raw _bulk failed: ${res.status}`);
  });
}

async function s3(t: RawIngestTargets, docs: readonly Envelope[], concurrency: number) {
  let n = 0;
  await mapBounded(batches(docs, 500), concurrency, async (chunk) => {
    const body = gzipSync(chunk.map((d) => JSON.stringify(d)).join('\n'));
    await t.s3.send(
      new PutObjectCommand({
        Bucket: t.bucket,
        Key: `raw/${String(n++).padStart(8, '0')}.jsonl.gz`,
        Body: body,
      }),
    );
  });
}

/**
 * DynamoDB alone with one PutItem per item (what a conditional, version-guarded write
 * needs: BatchWriteItem takes no conditions), `concurrency` in flight: separates the cost
 * of the request count from the cost of staysync's code.
 */
export async function rawDynamoPutItems(
  t: Pick<RawIngestTargets, 'ddb' | 'table'>,
  docs: readonly Envelope[],
  concurrency: number,
): Promise<number> {
  const began = performance.now();
  await mapBounded(docs, concurrency, async (d) => {
    await t.ddb.send(
      new PutItemCommand({
        TableName: t.table,
        Item: marshall({ pk: `${d.entity}#${d.key}`, _v: d.version, data: d.data }),
      }),
    );
  });
  return docs.length / ((performance.now() - began) / 1000);
}

export async function rawIngest(
  t: RawIngestTargets,
  docs: readonly Envelope[],
  concurrency: number,
): Promise<RawIngestResult> {
  const began = performance.now();
  const timed = async (f: () => Promise<void>) => {
    await f();
    return (performance.now() - began) / 1000;
  };
  const [d, o, s] = await Promise.all([
    timed(() => dynamo(t, docs, concurrency)),
    timed(() => opensearch(t, docs, concurrency)),
    timed(() => s3(t, docs, concurrency)),
  ]);
  const all = (performance.now() - began) / 1000;
  return {
    eventsPerSecond: docs.length / all,
    seconds: { dynamodb: d, opensearch: o, s3: s, all },
  };
}

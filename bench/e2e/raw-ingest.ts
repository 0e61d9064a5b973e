/**
 * The stores' own ingest speed, with no staysync code, the three stores at once:
 * - `bulk` (the stores' raw bulk ingest): DynamoDB `BatchWriteItem` (25 items, no
 *   condition), OpenSearch `_bulk` of 500 docs, S3 `PutObject` of one gzip JSON Lines
 *   object per 500 records;
 * - `guarded` (the same store requests the sinks send, issued raw): DynamoDB PartiQL
 *   `INSERT` statements, 25 a `BatchExecuteStatement` (what the view sends for new keys,
 *   each statement guarded), OpenSearch `_bulk` with external versions and S3 `PutObject`
 *   per partition batch (`batchSize` records), `concurrency` requests in flight per store.
 */
import { gzipSync } from 'node:zlib';
import {
  BatchExecuteStatementCommand,
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

export type RawMode =
  | { readonly kind: 'bulk' }
  | { readonly kind: 'guarded'; readonly batchSize: number };

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

/** INSERT statements of the view's items, 25 a request: the view's writes of new keys. */
async function dynamoInserts(t: RawIngestTargets, docs: readonly Envelope[], concurrency: number) {
  await mapBounded(batches(docs, 25), concurrency, async (chunk) => {
    const out = await t.ddb.send(
      new BatchExecuteStatementCommand({
        Statements: chunk.map((d) => {
          const item = marshall({ ...d.data, pk: `${d.entity}#${d.key}`, _v: 2 * d.version });
          const names = Object.keys(item);
          return {
            Statement: `INSERT INTO "${t.table}" VALUE {${names.map((n) => `'${n}': ?`).join(', ')}}`,
            Parameters: names.map((n) => item[n] as never),
          };
        }),
      }),
    );
    if ((out.Responses ?? []).some((r) => r.Error !== undefined))
      throw new Error('raw INSERT refused');
  });
}

async function opensearch(
  t: RawIngestTargets,
  docs: readonly Envelope[],
  concurrency: number,
  size: number,
) {
  const base = t.opensearchEndpoint.replace(/\/$/, '');
  await mapBounded(batches(docs, size), concurrency, async (chunk) => {
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

async function s3(
  t: RawIngestTargets,
  docs: readonly Envelope[],
  concurrency: number,
  size: number,
) {
  let n = 0;
  await mapBounded(batches(docs, size), concurrency, async (chunk) => {
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
 * DynamoDB alone with one conditional PutItem per item (the view's guarded put of a key
 * already stored: BatchWriteItem takes no conditions), `concurrency` in flight.
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
        Item: marshall({ ...d.data, pk: `${d.entity}#${d.key}`, _v: 2 * d.version }),
        ConditionExpression: 'attribute_not_exists(#pk) OR #v < :v',
        ExpressionAttributeNames: { '#pk': 'pk', '#v': '_v' },
        ExpressionAttributeValues: { ':v': { N: String(2 * d.version) } },
        ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
      }),
    );
  });
  return docs.length / ((performance.now() - began) / 1000);
}

export async function rawIngest(
  t: RawIngestTargets,
  docs: readonly Envelope[],
  concurrency: number,
  mode: RawMode,
): Promise<RawIngestResult> {
  const size = mode.kind === 'bulk' ? 500 : mode.batchSize;
  const began = performance.now();
  const timed = async (f: () => Promise<void>) => {
    await f();
    return (performance.now() - began) / 1000;
  };
  const [d, o, s] = await Promise.all([
    timed(() =>
      mode.kind === 'bulk'
        ? dynamo(t, docs, concurrency)
        : // as many INSERT requests in flight as the view has: every chunk of every partition's batch
          dynamoInserts(t, docs, concurrency * Math.ceil(mode.batchSize / 25)),
    ),
    timed(() => opensearch(t, docs, concurrency, size)),
    timed(() => s3(t, docs, concurrency, size)),
  ]);
  const all = (performance.now() - began) / 1000;
  return {
    eventsPerSecond: docs.length / all,
    seconds: { dynamodb: d, opensearch: o, s3: s, all },
  };
}

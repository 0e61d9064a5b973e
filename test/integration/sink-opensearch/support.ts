import { DeleteTableCommand, GetItemCommand } from '@aws-sdk/client-dynamodb';
import { CreateBucketCommand, GetObjectCommand, ListObjectsV2Command } from '@aws-sdk/client-s3';
import { Client } from '@opensearch-project/opensearch';
import type { MskEvent } from '../../../functions/core/msk-event.js';
import type { QuarantineEntry } from '../../../functions/core/quarantine.js';
import { buildMskEvent, type FetchedRecord } from '../../../local/esm/event-builder.js';
import {
  createPkTable,
  emptyAndDeleteBucket,
  localDynamoDb,
  localS3,
  uniqueName,
} from '../../support/aws.js';
import { loadStackEnv } from '../../support/stack-env.js';

export const stack = loadStackEnv();

/** A client of our own for arranging and asserting (not the handler's instance). */
export const admin = new Client({ node: stack.opensearchEndpoint });

const dynamo = localDynamoDb(stack);
const s3 = localS3(stack);

export const uniquePrefix = (): string => uniqueName('ss-os');

/**
 * A ledger table on Dynoxide and a quarantine bucket on moto, and an index prefix, unique to one test;
 * `drop()` removes them and every index/template under the prefix.
 */
export async function createFixture() {
  const prefix = uniquePrefix();
  const table = `${prefix}-ledger`;
  const bucket = `${prefix}-quarantine`;
  await createPkTable(dynamo, table);
  await s3.send(new CreateBucketCommand({ Bucket: bucket }));
  const env = (extra: Record<string, string> = {}): NodeJS.ProcessEnv => ({
    ...stack.vars,
    OPENSEARCH_ENDPOINT: stack.opensearchEndpoint,
    INDEX_PREFIX: prefix,
    LEDGER_TABLE: table,
    QUARANTINE_BUCKET: bucket,
    SINK_NAME: 'opensearch',
    POWERTOOLS_METRICS_DISABLED: 'true',
    POWERTOOLS_LOG_LEVEL: 'ERROR',
    ...extra,
  });
  return {
    prefix,
    table,
    bucket,
    env,
    drop: async () => {
      await dropPrefix(prefix);
      await dynamo.send(new DeleteTableCommand({ TableName: table }));
      await emptyAndDeleteBucket(s3, bucket);
    },
  };
}

/** Deletes every index (with its aliases) and index template under `prefix`. */
export async function dropPrefix(prefix: string): Promise<void> {
  await admin.transport.request(
    { method: 'DELETE', path: `/${prefix}-*`, querystring: { expand_wildcards: 'all' } },
    { ignore: [404] },
  );
  await admin.transport.request(
    { method: 'DELETE', path: `/_index_template/${prefix}-*` },
    { ignore: [404] },
  );
}

export async function checkpoint(
  table: string,
  topic: string,
  partition: number,
  sink = 'opensearch',
) {
  const res = await dynamo.send(
    new GetItemCommand({
      TableName: table,
      Key: { pk: { S: `ckpt#${sink}#${topic}#${partition}` } },
      ConsistentRead: true,
    }),
  );
  return res.Item?.offset?.N === undefined ? null : Number(res.Item.offset.N);
}

export async function quarantined(bucket: string): Promise<QuarantineEntry[]> {
  const listed = await s3.send(new ListObjectsV2Command({ Bucket: bucket }));
  const out: QuarantineEntry[] = [];
  for (const object of listed.Contents ?? []) {
    const got = await s3.send(new GetObjectCommand({ Bucket: bucket, Key: object.Key }));
    out.push(
      JSON.parse(await (got.Body?.transformToString() ?? Promise.resolve('{}'))) as QuarantineEntry,
    );
  }
  return out;
}

export interface EnvelopeSpec {
  readonly key: string;
  readonly version: number;
  readonly op?: 'upsert' | 'patch' | 'delete';
  readonly data?: Record<string, unknown>;
  readonly entity?: string;
  readonly id?: string;
}

/** A native staysync envelope (DESIGN §3.1) as a Kafka record value, or null (tombstone). */
export function envelope(spec: EnvelopeSpec): Buffer {
  const entity = spec.entity ?? 'customer';
  const op = spec.op ?? 'upsert';
  return Buffer.from(
    JSON.stringify({
      id: spec.id ?? `${entity}-${spec.key}-v${spec.version}-${op}`,
      entity,
      key: spec.key,
      op,
      version: spec.version,
      ts: '2026-11-26T10:00:00Z',
      ...(op === 'delete' ? {} : { data: spec.data ?? { name: `n${spec.version}` } }),
    }),
  );
}

export interface RecordSpec {
  readonly offset: number;
  readonly partition?: number;
  /** `<entity>:<id>` */
  readonly key: string;
  /** null: a Kafka tombstone */
  readonly value: Buffer | null;
}

/** An MSK event (base64, grouped by topic-partition) as Lambda would deliver it. */
export function mskEvent(topic: string, records: readonly RecordSpec[]): MskEvent {
  const fetched: FetchedRecord[] = records.map((r) => ({
    topic,
    partition: r.partition ?? 0,
    offset: r.offset,
    timestamp: 1795687200000 + r.offset,
    timestampType: 'CREATE_TIME',
    key: Buffer.from(r.key),
    value: r.value,
    headers: [],
  }));
  return buildMskEvent({ bootstrapServers: stack.kafkaBrokers.join(',') }, fetched);
}

/** Upserts of one entity as records at consecutive offsets. */
export function upserts(from: number, specs: readonly EnvelopeSpec[], partition = 0): RecordSpec[] {
  return specs.map((s, i) => ({
    offset: from + i,
    partition,
    key: `${s.entity ?? 'customer'}:${s.key}`,
    value: envelope(s),
  }));
}

/** Realtime GET through the write alias (tombstones included): `_version` and `_source`. */
export async function getDoc(alias: string, id: string) {
  const res = await admin.transport.request(
    { method: 'GET', path: `/${alias}/_doc/${encodeURIComponent(id)}` },
    { ignore: [404] },
  );
  const body = res.body as {
    found?: boolean;
    _version?: number;
    _source?: Record<string, unknown>;
  };
  return body.found === true
    ? { version: body._version as number, source: body._source ?? {} }
    : undefined;
}

/** Ids a search through `index` (alias) returns, after a refresh. */
export async function searchIds(index: string, query: Record<string, unknown> = { match_all: {} }) {
  await admin.transport.request({ method: 'POST', path: `/${index}/_refresh` });
  const res = await admin.transport.request({
    method: 'POST',
    path: `/${index}/_search`,
    body: { query, size: 10_000 },
  });
  const hits = (res.body as { hits: { hits: Array<{ _id: string }> } }).hits.hits;
  return hits.map((h) => h._id).sort();
}

export const lambdaContext = (ms = 60_000) => {
  const deadline = Date.now() + ms;
  return { getRemainingTimeInMillis: () => deadline - Date.now() };
};

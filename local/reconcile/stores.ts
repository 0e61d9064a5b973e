/**
 * Reads what each store holds, through the sinks' own adapters and configuration (the
 * environment of DESIGN §3.2), so the same code reconciles the local stack and AWS.
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import { ArchiveReader } from '../../functions/adapters/archive-reader.js';
import { openSearchClient } from '../../functions/adapters/opensearch-client.js';
import { EnvVar, requireEnv } from '../../functions/contract/index.js';
import type { ArchivedRecord } from '../../functions/core/archive/line.js';
import { AGGREGATE_ITEM_ATTRIBUTES } from '../../functions/core/dynamodb/aggregates.js';
import { fromViewItem } from '../../functions/core/dynamodb/view-item.js';
import { fromDocument } from '../../functions/core/opensearch/document.js';
import type { ViewState } from '../../functions/core/view-state.js';
import { dynamoDbClient, s3Client } from '../../functions/runtime/aws-clients.js';
import { readOpenSearchSinkConfig } from '../../functions/sink-opensearch/config.js';
import { readS3ArchiveSinkConfig } from '../../functions/sink-s3-archive/config.js';

export interface DynamoContents {
  /** `<entity>#<key>` → state */
  readonly views: Map<string, ViewState>;
  /** `agg#<name>#<group>` → measures */
  readonly aggregates: Map<string, Record<string, unknown>>;
}

/** Scans the view table (strongly consistent): entity items and aggregate items. */
export async function readDynamoView(env: NodeJS.ProcessEnv): Promise<DynamoContents> {
  const table = requireEnv(EnvVar.viewTable, env);
  const client = dynamoDbClient(env);
  const views = new Map<string, ViewState>();
  const aggregates = new Map<string, Record<string, unknown>>();
  let startKey: Record<string, import('@aws-sdk/client-dynamodb').AttributeValue> | undefined;
  do {
    const page = await client.send(
      new ScanCommand({ TableName: table, ConsistentRead: true, ExclusiveStartKey: startKey }),
    );
    for (const raw of page.Items ?? []) {
      const item = unmarshall(raw);
      const pk = String(item.pk);
      if (pk.startsWith('agg#')) {
        const measures: Record<string, unknown> = {};
        for (const [name, value] of Object.entries(item)) {
          if (!(AGGREGATE_ITEM_ATTRIBUTES as readonly string[]).includes(name))
            measures[name] = value;
        }
        aggregates.set(pk, measures);
      } else {
        views.set(pk, fromViewItem(item));
      }
    }
    startKey = page.LastEvaluatedKey;
  } while (startKey !== undefined);
  return { views, aggregates };
}

/**
 * Every document (tombstones included) of the indexes the sink writes to: the indexes
 * behind each `<INDEX_PREFIX>-<entity>-write` alias (or `-<aliasSuffix>`: a rebuild's), read with a scroll. `_version` is the
 * external version the sink wrote, hence the effective version.
 */
export async function readOpenSearch(
  env: NodeJS.ProcessEnv,
  aliasSuffix = 'write',
): Promise<Map<string, ViewState>> {
  const config = readOpenSearchSinkConfig(env);
  const client = openSearchClient(config.client);
  const prefix = config.indexPrefix;
  const out = new Map<string, ViewState>();
  // Indexed documents become searchable at the next refresh (1 s by default): refresh the
  // run's indices first, so a reconcile right after the sinks caught up sees everything.
  await client.transport.request(
    {
      method: 'POST',
      path: `/${encodeURIComponent(`${prefix}-*`)}/_refresh`,
      querystring: { expand_wildcards: 'all', allow_no_indices: 'true' },
    },
    { ignore: [404] },
  );
  const aliases = await client.transport.request(
    { method: 'GET', path: `/_alias/${encodeURIComponent(`${prefix}-*-${aliasSuffix}`)}` },
    { ignore: [404] },
  );
  const byIndex = (aliases.statusCode === 404 ? {} : aliases.body) as Record<
    string,
    { aliases?: Record<string, unknown> }
  >;
  for (const [index, { aliases: names = {} }] of Object.entries(byIndex)) {
    for (const alias of Object.keys(names)) {
      const suffix = `-${aliasSuffix}`;
      if (!alias.startsWith(`${prefix}-`) || !alias.endsWith(suffix)) continue;
      const entity = alias.slice(prefix.length + 1, -suffix.length);
      let response = await client.transport.request({
        method: 'POST',
        path: `/${encodeURIComponent(index)}/_search`,
        querystring: { scroll: '1m' },
        body: { size: 1000, version: true, query: { match_all: {} } },
      });
      for (;;) {
        const body = response.body as {
          _scroll_id?: string;
          hits?: { hits?: Array<{ _id: string; _version: number; _source: unknown }> };
        };
        const hits = body.hits?.hits ?? [];
        for (const hit of hits)
          out.set(`${entity}#${hit._id}`, fromDocument(hit._source, hit._version));
        if (hits.length === 0 || body._scroll_id === undefined) {
          if (body._scroll_id !== undefined) {
            await client.transport
              .request({
                method: 'DELETE',
                path: '/_search/scroll',
                body: { scroll_id: body._scroll_id },
              })
              .catch(() => undefined);
          }
          break;
        }
        response = await client.transport.request({
          method: 'POST',
          path: '/_search/scroll',
          body: { scroll: '1m', scroll_id: body._scroll_id },
        });
      }
    }
  }
  return out;
}

/**
 * Every archived record of the topics, per `<topic>-<partition>`, read with the archive
 * sink's own reader: objects by start offset, lines in file order (duplicates kept:
 * finding them is the point).
 */
export async function readArchive(
  env: NodeJS.ProcessEnv,
  topics: readonly string[],
): Promise<Map<string, ArchivedRecord[]>> {
  const { archiveBucket, archivePrefix } = readS3ArchiveSinkConfig(env);
  const out = new Map<string, ArchivedRecord[]>();
  for (const topic of topics) {
    const reader = new ArchiveReader({
      client: s3Client(env),
      bucket: archiveBucket,
      prefix: archivePrefix,
      topic,
    });
    for await (const record of reader.records()) {
      const id = `${topic}-${record.partition}`;
      const list = out.get(id) ?? [];
      list.push(record);
      out.set(id, list);
    }
  }
  return out;
}

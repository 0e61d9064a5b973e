import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSearchClient } from '../../../functions/adapters/opensearch-client.js';
import { readOpenSearchSinkConfig } from '../../../functions/sink-opensearch/config.js';
import { createHandler } from '../../../functions/sink-opensearch/create-handler.js';
import {
  admin,
  checkpoint,
  createFixture,
  envelope,
  getDoc,
  lambdaContext,
  mskEvent,
  quarantined,
  searchIds,
  upserts,
} from './support.js';

// The real sink-opensearch handler (createHandler(env)) on the real local OpenSearch node,
// with the DynamoDB ledger on Dynoxide and the S3 quarantine on moto, fed MSK-shaped events.
const TOPIC = 'customers';
let fx: Awaited<ReturnType<typeof createFixture>>;

beforeEach(async () => {
  fx = await createFixture();
});
afterEach(async () => {
  await fx.drop();
});

const names = () => ({
  read: `${fx.prefix}-customer`,
  write: `${fx.prefix}-customer-write`,
  physical: `${fx.prefix}-customer-v1`,
});

describe('sink-opensearch handler', () => {
  it('creates the index, its aliases and its template on first use', async () => {
    const handler = createHandler(fx.env());
    const response = await handler(
      mskEvent(TOPIC, upserts(0, [{ key: '1', version: 1 }])),
      lambdaContext(),
    );
    expect(response.batchItemFailures).toEqual([]);

    const aliases = (
      await admin.transport.request({ method: 'GET', path: `/${names().physical}/_alias` })
    ).body as Record<
      string,
      { aliases: Record<string, { is_write_index?: boolean; filter?: unknown }> }
    >;
    const own = aliases[names().physical]?.aliases ?? {};
    expect(own[names().write]?.is_write_index).toBe(true);
    expect(own[names().read]?.filter).toEqual({
      bool: { must_not: [{ term: { _deleted: true } }] },
    });
    const template = (
      await admin.transport.request({
        method: 'GET',
        path: `/_index_template/${fx.prefix}-customer`,
      })
    ).body as { index_templates: Array<{ index_template: { index_patterns: string[] } }> };
    expect(template.index_templates[0]?.index_template.index_patterns).toEqual([
      `${fx.prefix}-customer-v*`,
    ]);
    const mapping = (
      await admin.transport.request({ method: 'GET', path: `/${names().physical}/_mapping` })
    ).body as Record<string, { mappings: { properties: Record<string, { type?: string }> } }>;
    expect(mapping[names().physical]?.mappings.properties._deleted?.type).toBe('boolean');
    expect(mapping[names().physical]?.mappings.properties._v?.type).toBe('long');
    const doc = await getDoc(names().write, '1');
    expect(doc?.version).toBe(2);
    expect(doc?.source).toMatchObject({
      data: { name: 'n1' },
      _deleted: false,
      _v: 2,
      _sv: 1,
      _topic: TOPIC,
      _partition: 0,
      _offset: 0,
    });
    expect(await checkpoint(fx.table, TOPIC, 0)).toBe(0);
  });

  it('applies duplicates once, within a batch, across batches and after a lost checkpoint', async () => {
    const handler = createHandler(fx.env());
    const first = [
      ...upserts(0, [
        { key: '1', version: 3 },
        { key: '1', version: 3 },
        { key: '2', version: 1 },
      ]),
    ];
    expect((await handler(mskEvent(TOPIC, first), lambdaContext())).batchItemFailures).toEqual([]);
    const before = await getDoc(names().write, '1');

    // the producer retried: the same events again at later offsets
    const again = upserts(3, [
      { key: '1', version: 3 },
      { key: '2', version: 1 },
    ]);
    expect((await handler(mskEvent(TOPIC, again), lambdaContext())).batchItemFailures).toEqual([]);
    // the checkpoint was lost (another sink name, same index): the whole log again
    const amnesiac = createHandler(fx.env({ SINK_NAME: 'opensearch-replay' }));
    expect(
      (await amnesiac(mskEvent(TOPIC, [...first, ...again]), lambdaContext())).batchItemFailures,
    ).toEqual([]);

    const after = await getDoc(names().write, '1');
    expect(after).toEqual(before);
    expect(after?.version).toBe(6);
    expect(await searchIds(names().read)).toEqual(['1', '2']);
    expect(await checkpoint(fx.table, TOPIC, 0)).toBe(4);
  });

  it('keeps the newest version whatever order the versions arrive in', async () => {
    const handler = createHandler(fx.env());
    const records = upserts(0, [
      { key: '1', version: 5, data: { name: 'five' } },
      { key: '1', version: 2, data: { name: 'two' } },
      { key: '2', version: 1, data: { name: 'one' } },
    ]);
    expect((await handler(mskEvent(TOPIC, records), lambdaContext())).batchItemFailures).toEqual(
      [],
    );
    // a later batch redelivers older versions (e.g. a replay from another source)
    const late = upserts(3, [
      { key: '1', version: 4, data: { name: 'four' } },
      { key: '2', version: 2, data: { name: 'two' } },
      { key: '1', version: 1, data: { name: 'one' } },
    ]);
    expect((await handler(mskEvent(TOPIC, late), lambdaContext())).batchItemFailures).toEqual([]);
    expect(await getDoc(names().write, '1')).toMatchObject({
      version: 10,
      source: { data: { name: 'five' }, _sv: 5 },
    });
    expect(await getDoc(names().write, '2')).toMatchObject({
      version: 4,
      source: { data: { name: 'two' } },
    });
  });

  it('never resurrects a deleted key, even after index.gc_deletes has passed', async () => {
    const handler = createHandler(
      fx.env({ OPENSEARCH_INDEX_SETTINGS: JSON.stringify({ 'index.gc_deletes': '0s' }) }),
    );
    const records = [
      ...upserts(0, [
        { key: '1', version: 1 },
        { key: 'control', version: 1 },
      ]),
      { offset: 2, key: 'customer:1', value: envelope({ key: '1', version: 2, op: 'delete' }) },
    ];
    expect((await handler(mskEvent(TOPIC, records), lambdaContext())).batchItemFailures).toEqual(
      [],
    );
    const settings = (
      await admin.transport.request({ method: 'GET', path: `/${names().physical}/_settings` })
    ).body as Record<string, { settings: { index: { gc_deletes?: string } } }>;
    expect(settings[names().physical]?.settings.index.gc_deletes).toBe('0s');

    // Control: a real DELETE with an external version is forgotten once gc_deletes (0s)
    // has passed — OpenSearch prunes the deleted version on a later refresh, so poll for
    // that (bounded) — and an older write then resurrects the document.
    await admin.transport.request({
      method: 'DELETE',
      path: `/${names().physical}/_doc/control`,
      querystring: { version: 4, version_type: 'external' },
    });
    let resurrected = false;
    for (let attempt = 0; attempt < 50 && !resurrected; attempt++) {
      await admin.transport.request({ method: 'POST', path: `/${names().physical}/_refresh` });
      await new Promise((resolve) => setTimeout(resolve, 100));
      const put = await admin.transport.request(
        {
          method: 'PUT',
          path: `/${names().physical}/_doc/control`,
          querystring: { version: 2, version_type: 'external' },
          body: { data: { name: 'resurrected' }, _deleted: false, _v: 2 },
        },
        { ignore: [409] },
      );
      resurrected = put.statusCode === 200 || put.statusCode === 201;
    }
    expect(resurrected).toBe(true);
    expect(await getDoc(names().write, 'control')).toMatchObject({ version: 2 });

    // The sink's tombstone document keeps its version: the late older upsert is stale.
    const late = upserts(3, [{ key: '1', version: 1, id: 'late-replay' }]);
    expect((await handler(mskEvent(TOPIC, late), lambdaContext())).batchItemFailures).toEqual([]);
    expect(await getDoc(names().write, '1')).toMatchObject({
      version: 4,
      source: { _deleted: true, _sv: 2 },
    });
    expect(await searchIds(names().read)).toEqual(['control']);
    expect(await checkpoint(fx.table, TOPIC, 0)).toBe(3);
  });

  it('quarantines a document whose field changes type and indexes the rest of the batch', async () => {
    const handler = createHandler(fx.env());
    const records = upserts(0, [
      { key: '1', version: 1, data: { age: 36 } },
      { key: '2', version: 1, data: { age: { years: 3 } } },
      { key: '3', version: 1, data: { age: 40 } },
    ]);
    // one shard indexes a bulk request's items in order: key 1 maps data.age as a number
    const response = await handler(mskEvent(TOPIC, records), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);

    expect(await searchIds(names().read)).toEqual(['1', '3']);
    const entries = await quarantined(fx.bucket);
    expect(entries).toHaveLength(1);
    expect(entries[0]).toMatchObject({
      sink: 'opensearch',
      topic: TOPIC,
      partition: 0,
      offset: 1,
      reason: 'opensearch-rejected',
    });
    expect(entries[0]?.error.message).toMatch(
      /mapper_parsing_exception|document_parsing_exception/,
    );
    expect(entries[0]?.error.message).toMatch(/data\.age/);
    expect(Buffer.from(entries[0]?.raw.value ?? '', 'base64').toString()).toContain('"years":3');
    expect(await checkpoint(fx.table, TOPIC, 0)).toBe(2);
  });

  it('indexes an older version the batch dropped when the newer one before it is rejected', async () => {
    const handler = createHandler(fx.env());
    // key 1 maps data.age as a number; key 42's v3 (first in the batch) breaks that mapping,
    // so its v2 after it is the newest version that can be indexed, as in two batches
    const records = upserts(0, [
      { key: '1', version: 1, data: { age: 36 } },
      { key: '42', version: 3, data: { age: { years: 3 } } },
      { key: '42', version: 2, data: { age: 40 } },
    ]);
    const response = await handler(mskEvent(TOPIC, records), lambdaContext());
    expect(response.batchItemFailures).toEqual([]);

    expect(await getDoc(names().write, '42')).toMatchObject({
      version: 4,
      source: { data: { age: 40 }, _sv: 2, _offset: 2 },
    });
    const entries = await quarantined(fx.bucket);
    expect(entries.map((e) => [e.offset, e.reason])).toEqual([[1, 'opensearch-rejected']]);
    expect(await checkpoint(fx.table, TOPIC, 0)).toBe(2);
  });

  it('never returns tombstones through the read alias', async () => {
    const handler = createHandler(fx.env());
    const records = [
      ...upserts(
        0,
        Array.from({ length: 10 }, (_, i) => ({ key: String(i), version: 1 })),
      ),
      ...[0, 2, 4, 6, 8].map((k, i) => ({
        offset: 10 + i,
        key: `customer:${k}`,
        value: envelope({ key: String(k), version: 2, op: 'delete' }),
      })),
      // a Kafka tombstone (null value) deletes key 9 at its log position
      { offset: 15, key: 'customer:9', value: null },
    ];
    expect((await handler(mskEvent(TOPIC, records), lambdaContext())).batchItemFailures).toEqual(
      [],
    );
    expect(await searchIds(names().read)).toEqual(['1', '3', '5', '7']);
    expect(await searchIds(names().read, { term: { _deleted: true } })).toEqual([]);
    expect((await searchIds(names().write)).length).toBe(10);
    // the Kafka tombstone is stored just above the version it deleted
    expect(await getDoc(names().write, '9')).toMatchObject({
      version: 3,
      source: { _deleted: true, _sv: null },
    });
  });

  it('folds patches over the stored document', async () => {
    const handler = createHandler(fx.env());
    await handler(
      mskEvent(
        TOPIC,
        upserts(0, [{ key: '1', version: 1, data: { name: 'Ada', tier: 'silver' } }]),
      ),
      lambdaContext(),
    );
    const patches = upserts(1, [
      { key: '1', version: 2, op: 'patch', data: { tier: 'gold' } },
      { key: '1', version: 3, op: 'patch', data: { city: 'London' } },
    ]);
    expect((await handler(mskEvent(TOPIC, patches), lambdaContext())).batchItemFailures).toEqual(
      [],
    );
    expect(await getDoc(names().write, '1')).toMatchObject({
      version: 6,
      source: { data: { name: 'Ada', tier: 'gold', city: 'London' } },
    });
  });

  it('sends one bulk request per partition batch of 1,000 documents', async () => {
    const env = fx.env();
    const handler = createHandler(env);
    const client = openSearchClient(readOpenSearchSinkConfig(env).client);
    const paths: string[] = [];
    const listener = (_err: unknown, meta: { meta: { request: { params: { path: string } } } }) => {
      paths.push(meta.meta.request.params.path);
    };
    client.on('response', listener);
    try {
      const records = [0, 1, 2].flatMap((partition) =>
        upserts(
          0,
          Array.from({ length: 1000 }, (_, i) => ({ key: `p${partition}-${i}`, version: 1 })),
          partition,
        ),
      );
      const response = await handler(mskEvent(TOPIC, records), lambdaContext());
      expect(response.batchItemFailures).toEqual([]);
    } finally {
      client.off('response', listener);
    }
    const bulks = paths.filter((p) => p === '/_bulk').length;
    expect(bulks).toBe(3);
    expect(paths.filter((p) => p === '/_mget')).toEqual([]);
    expect(bulks / (3000 / 1000)).toBeLessThanOrEqual(1);
    expect((await searchIds(names().read)).length).toBe(3000);
    for (const partition of [0, 1, 2])
      expect(await checkpoint(fx.table, TOPIC, partition)).toBe(999);
  });

  it('reports the first offset for redelivery when OpenSearch cannot be reached', async () => {
    const handler = createHandler(
      fx.env({ OPENSEARCH_ENDPOINT: 'http://127.0.0.1:9', OPENSEARCH_REQUEST_TIMEOUT_MS: '2000' }),
    );
    const response = await handler(
      mskEvent(
        TOPIC,
        upserts(7, [
          { key: '1', version: 1 },
          { key: '2', version: 1 },
        ]),
      ),
      lambdaContext(5_000),
    );
    expect(response.batchItemFailures).toEqual([
      { itemIdentifier: { partition: `${TOPIC}-0`, offset: 7 } },
    ]);
    expect(await checkpoint(fx.table, TOPIC, 0)).toBeNull();
  });
});

import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { openSearchClient } from '../../../functions/adapters/opensearch-client.js';
import { OpenSearchClientStore } from '../../../functions/adapters/opensearch-store.js';
import { RetriableError } from '../../../functions/core/errors.js';
import type { RecordOutcome } from '../../../functions/core/sink.js';
import { OpenSearchSink } from '../../../functions/sink-opensearch/opensearch-sink.js';
import { batch, change } from '../../unit/sink-opensearch/support/changes.js';
import { admin, dropPrefix, getDoc, searchIds, stack, uniquePrefix } from './support.js';

// The sink class on its own against the real local OpenSearch node: layout creation under
// concurrency, and per-item failures the handler tests cannot provoke on demand.
let prefix: string;
beforeEach(() => {
  prefix = uniquePrefix();
});
afterEach(async () => {
  await dropPrefix(prefix);
});

const client = () =>
  openSearchClient({
    endpoint: stack.opensearchEndpoint,
    auth: { kind: 'none' },
    requestTimeoutMs: 30_000,
  });
const newSink = () =>
  new OpenSearchSink({
    name: 'opensearch',
    store: new OpenSearchClientStore(client()),
    indexPrefix: prefix,
    layout: { numberOfShards: 1, numberOfReplicas: 0 },
  });
const byOffset = (outcomes: readonly RecordOutcome[]) =>
  Object.fromEntries(
    [...outcomes].sort((a, b) => a.offset - b.offset).map((o) => [o.offset, o.status]),
  );

describe('OpenSearchSink on a real node', () => {
  it('creates the layout once when several cold starts race for it', async () => {
    const sinks = Array.from({ length: 6 }, newSink);
    const results = await Promise.all(
      sinks.map((sink, i) => sink.apply(batch([change({ offset: i, key: `k${i}`, version: 1 })]))),
    );
    expect(results.flatMap((r) => r.outcomes.map((o) => o.status))).toEqual(
      Array(6).fill('applied'),
    );
    const indices = (await admin.transport.request({ method: 'GET', path: `/${prefix}-*` }))
      .body as Record<string, unknown>;
    expect(Object.keys(indices)).toEqual([`${prefix}-customer-v1`]);
    expect(await searchIds(`${prefix}-customer`)).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
  });

  it('reports items refused by a write block as retry, and applies them once the block is lifted', async () => {
    const sink = newSink();
    await sink.apply(batch([change({ offset: 0, key: 'seed', version: 1 })]));
    await sink.apply(batch([change({ offset: 0, entity: 'order', key: 'seed', version: 1 })]));
    const blocked = `${prefix}-customer-v1`;
    await admin.transport.request({
      method: 'PUT',
      path: `/${blocked}/_settings`,
      body: { 'index.blocks.read_only_allow_delete': true },
    });
    const changes = [
      change({ offset: 1, key: 'a', version: 1 }),
      change({ offset: 2, entity: 'order', key: 'b', version: 1 }),
    ];
    try {
      const first = await sink.apply(batch(changes));
      expect(byOffset(first.outcomes)).toEqual({ 1: 'retry', 2: 'applied' });
      const retry = first.outcomes.find((o) => o.offset === 1);
      expect(retry?.status === 'retry' && retry.error).toBeInstanceOf(RetriableError);
      expect(retry?.status === 'retry' && retry.error.message).toMatch(/cluster_block_exception/);
    } finally {
      await admin.transport.request({
        method: 'PUT',
        path: `/${blocked}/_settings`,
        body: { 'index.blocks.read_only_allow_delete': null },
      });
    }
    // what the engine does next: re-apply only the records reported as retry
    const bulksBefore = sink.stats.bulkRequests;
    const second = await sink.apply(batch(changes.slice(0, 1)));
    expect(byOffset(second.outcomes)).toEqual({ 1: 'applied' });
    expect(sink.stats.bulkRequests - bulksBefore).toBe(1);
    expect(await getDoc(`${prefix}-customer-write`, 'a')).toMatchObject({ version: 2 });
  });

  it('recreates the layout when the index disappears under a warm sink', async () => {
    const sink = newSink();
    await sink.apply(batch([change({ offset: 0, key: 'a', version: 1 })]));
    await admin.transport.request({ method: 'DELETE', path: `/${prefix}-customer-v1` });
    const lost = await sink.apply(batch([change({ offset: 1, key: 'b', version: 1 })]));
    expect(byOffset(lost.outcomes)).toEqual({ 1: 'retry' });
    const again = await sink.apply(batch([change({ offset: 1, key: 'b', version: 1 })]));
    expect(byOffset(again.outcomes)).toEqual({ 1: 'applied' });
    expect(await searchIds(`${prefix}-customer`)).toEqual(['b']);
  });

  it('quarantines a document that breaks the mapping inside a fold and keeps the other patches', async () => {
    const sink = newSink();
    await sink.apply(batch([change({ offset: 0, version: 1, data: { age: 36 } })]));
    const result = await sink.apply(
      batch([
        change({ offset: 1, version: 2, op: 'patch', data: { city: 'Paris' } }),
        change({ offset: 2, version: 3, op: 'patch', data: { age: { years: 3 } } }),
        change({ offset: 3, version: 4, op: 'patch', data: { zip: '75001' } }),
      ]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 1: 'applied', 2: 'poison', 3: 'applied' });
    expect(await getDoc(`${prefix}-customer-write`, '42')).toMatchObject({
      version: 8,
      source: { data: { age: 36, city: 'Paris', zip: '75001' } },
    });
  });
  it('folds an older version the batch dropped, and the patch after it, when the newer version before it is rejected', async () => {
    const sink = newSink();
    await sink.apply(batch([change({ offset: 0, version: 1, data: { age: 36 } })]));
    const result = await sink.apply(
      batch([
        change({ offset: 1, version: 3, data: { age: { years: 3 } } }),
        change({ offset: 2, version: 2, data: { age: 40, city: 'Lyon' } }),
        change({ offset: 3, version: 4, op: 'patch', data: { zip: '69001' } }),
      ]),
    );
    expect(byOffset(result.outcomes)).toEqual({ 1: 'poison', 2: 'applied', 3: 'applied' });
    // the log without the rejected v3: v1, v2, patch v4
    expect(await getDoc(`${prefix}-customer-write`, '42')).toMatchObject({
      version: 8,
      source: { data: { age: 40, city: 'Lyon', zip: '69001' } },
    });
  });
});

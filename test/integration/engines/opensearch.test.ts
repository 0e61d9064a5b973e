import { randomUUID } from 'node:crypto';
import { Client } from '@opensearch-project/opensearch';
import { afterAll, describe, expect, it } from 'vitest';
import { loadStackEnv } from '../../support/stack-env.js';

// Proves the local OpenSearch is a real engine with the features the OpenSearch sink
// relies on: external versioning, filtered aliases, and the module plugins (painless,
// reindex, analysis-common, mapper-extras) a later index rebuild needs.
const stack = loadStackEnv();
const client = new Client({ node: stack.opensearchEndpoint });
const suffix = randomUUID().slice(0, 8);
const indices: string[] = [];

function uniqueIndex(name: string): string {
  const index = `engine-${name}-${suffix}`;
  indices.push(index);
  return index;
}

async function sourceOf(index: string, id: string): Promise<Record<string, unknown> | undefined> {
  const { body } = await client.get({ index, id });
  return body._source;
}

async function idsFound(index: string): Promise<string[]> {
  const { body } = await client.search({ index, body: { query: { match_all: {} }, size: 100 } });
  return body.hits.hits.flatMap((hit) => (hit._id === undefined ? [] : [hit._id])).sort();
}

afterAll(async () => {
  if (indices.length > 0) {
    await client.indices.delete({ index: indices.join(','), ignore_unavailable: true });
  }
  await client.close();
});

describe('the local OpenSearch node', () => {
  it('gives an index created without replica settings zero replicas, so it is green on one node', async () => {
    const index = uniqueIndex('green');

    await client.indices.create({ index });

    const { body: health } = await client.cluster.health({
      index,
      wait_for_status: 'green',
      timeout: '10s',
    });
    expect(health.status).toBe('green');
    const { body: settings } = await client.indices.getSettings({ index, flat_settings: true });
    expect(settings[index]?.settings?.['index.number_of_replicas']).toBe('0');
  });

  it('rejects a write whose external version is not newer than the stored one with 409', async () => {
    const index = uniqueIndex('versions');
    await client.index({
      index,
      id: 'guest-1',
      version: 5,
      version_type: 'external',
      body: { name: 'v5' },
    });

    const older = client.index({
      index,
      id: 'guest-1',
      version: 4,
      version_type: 'external',
      body: { name: 'v4' },
    });
    await expect(older).rejects.toMatchObject({
      statusCode: 409,
      body: { error: { type: 'version_conflict_engine_exception' } },
    });
    const same = client.index({
      index,
      id: 'guest-1',
      version: 5,
      version_type: 'external',
      body: { name: 'v5b' },
    });
    await expect(same).rejects.toMatchObject({ statusCode: 409 });
    const { body: newer } = await client.index({
      index,
      id: 'guest-1',
      version: 7,
      version_type: 'external',
      body: { name: 'v7' },
    });

    expect(newer._version).toBe(7);
    expect(await sourceOf(index, 'guest-1')).toEqual({ name: 'v7' });
  });

  it('hides documents outside an alias filter from searches through that alias', async () => {
    const index = uniqueIndex('aliased');
    const alias = `${index}-live`;
    await client.indices.create({
      index,
      body: { mappings: { properties: { status: { type: 'keyword' } } } },
    });
    await client.bulk({
      index,
      refresh: true,
      body: [
        { index: { _id: 'a' } },
        { status: 'live' },
        { index: { _id: 'b' } },
        { status: 'deleted' },
        { index: { _id: 'c' } },
        { status: 'live' },
      ],
    });

    await client.indices.putAlias({
      index,
      name: alias,
      body: { filter: { term: { status: 'live' } } },
    });

    expect(await idsFound(alias)).toEqual(['a', 'c']);
    expect(await idsFound(index)).toEqual(['a', 'b', 'c']);
  });

  it('rebuilds an index with a painless _update_by_query and a _reindex', async () => {
    const source = uniqueIndex('rebuild-src');
    const target = uniqueIndex('rebuild-dst');
    await client.indices.create({
      index: source,
      body: {
        settings: {
          analysis: {
            analyzer: {
              folded: {
                type: 'custom',
                tokenizer: 'whitespace',
                filter: ['lowercase', 'asciifolding'],
              },
            },
          },
        },
        mappings: {
          properties: {
            name: { type: 'text', analyzer: 'folded' },
            price: { type: 'scaled_float', scaling_factor: 100 },
            nights: { type: 'integer' },
          },
        },
      },
    });
    await client.bulk({
      index: source,
      refresh: true,
      body: [{ index: { _id: 'r1' } }, { name: 'Hôtel Zürich', price: 120.5, nights: 2 }],
    });

    const { body: updated } = await client.updateByQuery({
      index: source,
      refresh: true,
      body: {
        script: {
          lang: 'painless',
          source: 'ctx._source.nights += params.extra',
          params: { extra: 3 },
        },
      },
    });
    const { body: reindexed } = await client.reindex({
      refresh: true,
      body: { source: { index: source }, dest: { index: target } },
    });

    expect(updated).toMatchObject({ updated: 1, failures: [] });
    expect(reindexed).toMatchObject({ created: 1, failures: [] });
    expect(await sourceOf(target, 'r1')).toEqual({ name: 'Hôtel Zürich', price: 120.5, nights: 5 });
    const { body: folded } = await client.search({
      index: source,
      body: { query: { match: { name: 'hotel zurich' } } },
    });
    expect(folded.hits.hits.map((hit) => hit._id)).toEqual(['r1']);
  });
});

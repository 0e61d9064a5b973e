/** The alias I/O of an OpenSearch rebuild (reads and the atomic `_aliases` request). */
import type { Client } from '@opensearch-project/opensearch';
import type { IndexAliases } from './opensearch-plan.js';

/** Every `<prefix>-*-v*` index with its aliases. */
export async function readIndexAliases(client: Client, prefix: string): Promise<IndexAliases[]> {
  const response = await client.transport.request(
    { method: 'GET', path: `/${encodeURIComponent(`${prefix}-*-v*`)}/_alias` },
    { ignore: [404] },
  );
  if (response.statusCode === 404) return [];
  const body = response.body as Record<string, { aliases?: Record<string, unknown> }>;
  return Object.entries(body).map(([index, v]) => ({
    index,
    aliases: Object.keys(v.aliases ?? {}),
  }));
}

/** One `_aliases` request: all actions applied atomically, or none. */
export async function updateAliases(client: Client, actions: readonly object[]): Promise<void> {
  if (actions.length === 0) return;
  await client.transport.request({ method: 'POST', path: '/_aliases', body: { actions } });
}

export async function deleteIndex(client: Client, index: string): Promise<void> {
  await client.transport.request({ method: 'DELETE', path: `/${encodeURIComponent(index)}` });
}

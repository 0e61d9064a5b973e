import type { Client } from '@opensearch-project/opensearch';
import { errors } from '@opensearch-project/opensearch';
import { RetriableError, StaysyncError } from '../core/errors.js';
import type { BulkItemResult } from '../core/opensearch/bulk-item.js';
import type { EntityIndexNames } from '../core/opensearch/index-naming.js';
import {
  createIndexBody,
  type IndexLayoutOptions,
  indexTemplateBody,
} from '../core/opensearch/index-template.js';
import {
  type OpenSearchStore,
  RequestTooLargeError,
  type StoredDocument,
} from '../core/opensearch/store.js';

/** Raw I/O over the OpenSearch client; turns the client's failures into staysync meanings. */
export class OpenSearchClientStore implements OpenSearchStore {
  constructor(private readonly client: Client) {}

  async ensureEntity(names: EntityIndexNames, layout: IndexLayoutOptions): Promise<void> {
    if (await this.aliasExists(names.writeAlias)) return;
    // The template makes a rebuild's `-v<N+1>` index get the same settings and mappings.
    await this.call(`put index template ${names.template}`, {
      method: 'PUT',
      path: `/_index_template/${encodeURIComponent(names.template)}`,
      body: indexTemplateBody(names, layout),
    });
    try {
      await this.call(`create index ${names.physicalIndex}`, {
        method: 'PUT',
        path: `/${encodeURIComponent(names.physicalIndex)}`,
        body: createIndexBody(names, layout),
      });
    } catch (err) {
      // Another invocation won the race: it created the index *with* its aliases (one
      // request, atomic), so the alias must exist now.
      if (errorType((err as Error).cause) !== 'resource_already_exists_exception') throw err;
      if (!(await this.aliasExists(names.writeAlias))) {
        throw new StaysyncError(
          `index ${names.physicalIndex} exists without the write alias ${names.writeAlias}: fix the aliases (or raise the index version)`,
          { retriable: false, cause: err },
        );
      }
    }
  }

  async mget(docs: readonly { index: string; id: string }[]): Promise<StoredDocument[]> {
    const body = await this.call('mget', {
      method: 'POST',
      path: '/_mget',
      querystring: { realtime: true },
      body: { docs: docs.map((d) => ({ _index: d.index, _id: d.id })) },
    });
    const results = (body as { docs?: unknown }).docs;
    if (!Array.isArray(results))
      throw new StaysyncError('mget: response has no docs', { retriable: false });
    return results.map((raw): StoredDocument => {
      const doc = raw as {
        found?: boolean;
        _version?: number;
        _source?: unknown;
        error?: { type?: string; reason?: string };
      };
      if (doc.error !== undefined) {
        return {
          kind: 'error',
          missingIndex: doc.error.type === 'index_not_found_exception',
          message: `${doc.error.type ?? 'error'}: ${doc.error.reason ?? ''}`,
        };
      }
      if (doc.found === true && typeof doc._version === 'number') {
        return { kind: 'found', version: doc._version, source: doc._source };
      }
      return { kind: 'missing' };
    });
  }

  async bulk(ndjson: string): Promise<BulkItemResult[]> {
    const body = await this.call('bulk', {
      method: 'POST',
      path: '/_bulk',
      bulkBody: ndjson,
      // only what the classification needs: a smaller response to parse
      querystring: { require_alias: true, filter_path: 'errors,items.*.status,items.*.error' },
    });
    const items = (body as { items?: unknown }).items;
    if (!Array.isArray(items))
      throw new StaysyncError('bulk: response has no items', { retriable: false });
    return items.map((item) => {
      const result = Object.values(item as Record<string, BulkItemResult>)[0];
      if (result === undefined || typeof result.status !== 'number') {
        throw new StaysyncError(`bulk: malformed item ${JSON.stringify(item)}`, {
          retriable: false,
        });
      }
      return result;
    });
  }

  private async aliasExists(alias: string): Promise<boolean> {
    const response = await this.request(
      `alias ${alias}`,
      {
        method: 'HEAD',
        path: `/_alias/${encodeURIComponent(alias)}`,
      },
      [404],
    );
    return response.statusCode === 200;
  }

  private async call(what: string, params: Parameters<Client['transport']['request']>[0]) {
    return (await this.request(what, params, [])).body as unknown;
  }

  private async request(
    what: string,
    params: Parameters<Client['transport']['request']>[0],
    ignore: number[],
  ) {
    try {
      return await this.client.transport.request(params, { ignore });
    } catch (err) {
      throw toStoreError(what, err);
    }
  }
}

const TRANSIENT_STATUS = new Set([408, 429, 500, 502, 503, 504]);

/**
 * Whole-request failures: unreachable, timed out, throttled or 5xx are retriable; 401/403
 * too (expired or not-yet-propagated credentials and policies fix themselves, and
 * quarantining good data for them would be wrong); 413 means "split the request";
 * anything else (400: a malformed request) is a bug and fails loudly.
 */
export function toStoreError(what: string, err: unknown): Error {
  if (
    err instanceof errors.ConnectionError ||
    err instanceof errors.TimeoutError ||
    err instanceof errors.NoLivingConnectionsError ||
    err instanceof errors.RequestAbortedError
  ) {
    return new RetriableError(`${what}: ${err.name}: ${err.message}`, { cause: err });
  }
  if (err instanceof errors.ResponseError) {
    const status = err.statusCode ?? 0;
    const message = `${what}: HTTP ${status} ${errorType(err) ?? ''}: ${errorReason(err)}`;
    if (status === 413) return new RequestTooLargeError(message, { cause: err });
    if (TRANSIENT_STATUS.has(status) || status >= 500 || status === 401 || status === 403) {
      return new RetriableError(message, { cause: err });
    }
    return new StaysyncError(message, { retriable: false, cause: err });
  }
  return err instanceof Error ? err : new Error(String(err));
}

function errorType(err: unknown): string | undefined {
  if (!(err instanceof errors.ResponseError)) return undefined;
  const body = err.body as { error?: { type?: string } | string } | undefined;
  return typeof body?.error === 'object' ? body.error.type : undefined;
}

function errorReason(err: errors.ResponseError): string {
  const body = err.body as { error?: { reason?: string } | string } | string | undefined;
  if (typeof body === 'string') return body.slice(0, 500);
  if (typeof body?.error === 'string') return body.error;
  return body?.error?.reason ?? err.message;
}

import { StaysyncError } from '../errors.js';
import type { BulkItemResult } from './bulk-item.js';
import type { EntityIndexNames } from './index-naming.js';
import type { IndexLayoutOptions } from './index-template.js';

/** One document as read back by a realtime multi-get. */
export type StoredDocument =
  | { readonly kind: 'found'; readonly version: number; readonly source: unknown }
  | { readonly kind: 'missing' }
  | { readonly kind: 'error'; readonly missingIndex: boolean; readonly message: string };

/**
 * The raw I/O the OpenSearch sink needs; implemented over `@opensearch-project/opensearch`
 * by functions/adapters/opensearch-store.ts. Whole-request failures surface as
 * `RetriableError` (connection refused, timeouts, 429, 5xx) or `RequestTooLargeError`
 * (413); anything else is rethrown as a non-retriable error (a bug or a misconfiguration).
 */
export interface OpenSearchStore {
  /** Creates the template, index and aliases of an entity unless its write alias exists. */
  ensureEntity(names: EntityIndexNames, layout: IndexLayoutOptions): Promise<void>;
  /** Realtime multi-get, one result per requested document, in request order. */
  mget(docs: readonly { readonly index: string; readonly id: string }[]): Promise<StoredDocument[]>;
  /** Sends one NDJSON bulk body (`require_alias`), one item result per action, in order. */
  bulk(ndjson: string): Promise<BulkItemResult[]>;
}

/** HTTP 413: the bulk body is larger than the cluster accepts; split it. */
export class RequestTooLargeError extends StaysyncError {
  constructor(message: string, opts: { cause?: unknown } = {}) {
    super(message, { retriable: false, ...opts });
  }
}

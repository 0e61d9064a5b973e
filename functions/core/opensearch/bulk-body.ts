import type { EntityDocument } from './document.js';

/** One `index` action of a bulk request, with external versioning. */
export interface IndexAction {
  /** the alias (or index) to write through */
  readonly index: string;
  readonly id: string;
  /** external version: the state's effective version */
  readonly version: number;
  readonly document: EntityDocument;
}

/** An action serialized to its two NDJSON lines (each ending in `\n`). */
export interface SerializedAction<T> {
  readonly ref: T;
  readonly ndjson: string;
  readonly bytes: number;
}

export interface BulkLimits {
  /** default 1000 */
  readonly maxActions: number;
  /** default 5 MiB: under every Amazon OpenSearch Service instance's 10 MiB payload limit */
  readonly maxBytes: number;
}

export const DEFAULT_BULK_LIMITS: BulkLimits = Object.freeze({
  maxActions: 1000,
  maxBytes: 5 * 1024 * 1024,
});

export function serializeAction<T>(action: IndexAction, ref: T): SerializedAction<T> {
  const meta = {
    index: {
      _index: action.index,
      _id: action.id,
      version: action.version,
      version_type: 'external',
    },
  };
  const ndjson = `${JSON.stringify(meta)}\n${JSON.stringify(action.document)}\n`;
  return { ref, ndjson, bytes: Buffer.byteLength(ndjson) };
}

/**
 * Splits actions into bulk requests of at most `maxActions` actions and `maxBytes` bytes,
 * in order. An action larger than `maxBytes` on its own travels alone (the server decides).
 */
export function chunkActions<T>(
  actions: readonly SerializedAction<T>[],
  limits: BulkLimits,
): SerializedAction<T>[][] {
  const chunks: SerializedAction<T>[][] = [];
  let current: SerializedAction<T>[] = [];
  let bytes = 0;
  for (const action of actions) {
    if (
      current.length > 0 &&
      (current.length >= limits.maxActions || bytes + action.bytes > limits.maxBytes)
    ) {
      chunks.push(current);
      current = [];
      bytes = 0;
    }
    current.push(action);
    bytes += action.bytes;
  }
  if (current.length > 0) chunks.push(current);
  return chunks;
}

export const bulkBody = (chunk: readonly SerializedAction<unknown>[]): string =>
  chunk.map((a) => a.ndjson).join('');

import type { BulkItemResult } from '../../../../functions/core/opensearch/bulk-item.js';
import type { EntityIndexNames } from '../../../../functions/core/opensearch/index-naming.js';
import type {
  OpenSearchStore,
  StoredDocument,
} from '../../../../functions/core/opensearch/store.js';

interface Stored {
  version: number;
  source: Record<string, unknown>;
}

/**
 * An in-memory stand-in for one OpenSearch cluster's external versioning, for unit tests of
 * the sink's planning and classification (the integration tests use the real node).
 * `intercept` lets a test answer an action itself (a rejection, a 429) before it is applied.
 */
export class MemoryStore implements OpenSearchStore {
  readonly docs = new Map<string, Stored>();
  readonly ensured: string[] = [];
  readonly bulkBodies: string[] = [];
  mgets = 0;
  intercept: (action: {
    index: string;
    id: string;
    version: number;
    source: Record<string, unknown>;
  }) => BulkItemResult | undefined = () => undefined;
  /** called before each write is applied, e.g. to simulate a concurrent writer */
  beforeBulk: () => void = () => undefined;

  async ensureEntity(names: EntityIndexNames): Promise<void> {
    this.ensured.push(names.writeAlias);
  }

  async mget(docs: readonly { index: string; id: string }[]): Promise<StoredDocument[]> {
    this.mgets += 1;
    return docs.map((d) => {
      const doc = this.docs.get(`${d.index}/${d.id}`);
      return doc === undefined
        ? { kind: 'missing' }
        : { kind: 'found', version: doc.version, source: structuredClone(doc.source) };
    });
  }

  async bulk(ndjson: string): Promise<BulkItemResult[]> {
    this.bulkBodies.push(ndjson);
    this.beforeBulk();
    const lines = ndjson.split('\n').filter((l) => l !== '');
    const items: BulkItemResult[] = [];
    for (let i = 0; i < lines.length; i += 2) {
      const meta = JSON.parse(lines[i] as string).index as {
        _index: string;
        _id: string;
        version: number;
        version_type: string;
      };
      if (meta.version_type !== 'external') throw new Error('expected external versioning');
      const source = JSON.parse(lines[i + 1] as string) as Record<string, unknown>;
      const action = { index: meta._index, id: meta._id, version: meta.version, source };
      const intercepted = this.intercept(action);
      if (intercepted !== undefined) {
        items.push(intercepted);
        continue;
      }
      items.push(this.put(action));
    }
    return items;
  }

  put(action: {
    index: string;
    id: string;
    version: number;
    source: Record<string, unknown>;
  }): BulkItemResult {
    const key = `${action.index}/${action.id}`;
    const current = this.docs.get(key);
    if (current !== undefined && current.version >= action.version) {
      return {
        status: 409,
        error: {
          type: 'version_conflict_engine_exception',
          reason: `[${action.id}]: version conflict, current version [${current.version}] is higher or equal to the one provided [${action.version}]`,
        },
      };
    }
    this.docs.set(key, { version: action.version, source: action.source });
    return { status: current === undefined ? 201 : 200 };
  }

  actionsSent(): number {
    return this.bulkBodies.reduce(
      (n, b) => n + b.split('\n').filter((l) => l !== '').length / 2,
      0,
    );
  }
}

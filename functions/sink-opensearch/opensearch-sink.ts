import type { Change } from '../core/change.js';
import { PoisonError, RetriableError, StaysyncError } from '../core/errors.js';
import {
  type BulkLimits,
  bulkBody,
  chunkActions,
  DEFAULT_BULK_LIMITS,
  type SerializedAction,
  serializeAction,
} from '../core/opensearch/bulk-body.js';
import { classifyBulkItem } from '../core/opensearch/bulk-item.js';
import { fromDocument, toDocument } from '../core/opensearch/document.js';
import {
  type EntityIndexNames,
  entityIndexNames,
  type IndexStage,
  invalidDocumentIdReason,
  invalidEntityReason,
  invalidPrefixReason,
  rebuildIndexNames,
} from '../core/opensearch/index-naming.js';
import type { IndexLayoutOptions } from '../core/opensearch/index-template.js';
import { createKeyTask, type KeyTask } from '../core/opensearch/key-task.js';
import { type OpenSearchStore, RequestTooLargeError } from '../core/opensearch/store.js';
import type { RecordOutcome, Sink, SinkBatch, SinkResult } from '../core/sink.js';
import { planKeys } from '../core/view-state.js';

export interface OpenSearchSinkOptions {
  /** the sink name used in checkpoints and quarantine entries */
  readonly name: string;
  readonly store: OpenSearchStore;
  readonly indexPrefix: string;
  /** N in `<prefix>-<entity>-v<N>` for indices this sink creates (default 1) */
  readonly indexVersion?: number;
  /** `rebuild`: write through a rebuild's staging aliases (local/rebuild) @default 'live' */
  readonly stage?: IndexStage;
  readonly layout: IndexLayoutOptions;
  readonly bulkLimits?: BulkLimits;
  /** re-reads a fold may do after losing a race to another writer (default 5) */
  readonly maxReads?: number;
}

/** Counters since construction (per cold start): for metrics, tests and benchmarks. */
export interface OpenSearchSinkStats {
  bulkRequests: number;
  mgetRequests: number;
}

/**
 * The OpenSearch sink (DESIGN §4): per partition batch, one bulk `index` request per
 * ≤1000 documents with `version_type=external` and version = effective version, so
 * duplicates and late older changes are 409s (already applied); patches and
 * offset-guarded tombstones read the stored documents first (one realtime mget).
 *
 * Every bulk item gets a verdict: written → `applied`; 409 → `stale`/`duplicate`; rejected
 * (400: mapping, parse) → `poison`; transient (429, rejected execution, 5xx) → `retry`. The
 * engine re-applies only the `retry` records, with jittered backoff inside the Lambda's
 * time budget (functions/core/engine/apply-loop.ts), so the sink keeps no retry policy of
 * its own; it checkpoints from the outcomes.
 */
export class OpenSearchSink implements Sink {
  readonly name: string;
  readonly decodes = true;
  readonly stats: OpenSearchSinkStats = { bulkRequests: 0, mgetRequests: 0 };

  private readonly store: OpenSearchStore;
  private readonly prefix: string;
  private readonly indexVersion: number;
  private readonly stage: IndexStage;
  private readonly layout: IndexLayoutOptions;
  private readonly limits: BulkLimits;
  private readonly maxReads: number;
  /** entity → layout ensured (per cold start); dropped when a write finds the alias gone */
  private readonly ensured = new Map<string, Promise<void>>();

  constructor(options: OpenSearchSinkOptions) {
    const bad = invalidPrefixReason(options.indexPrefix);
    if (bad !== null) throw new StaysyncError(bad, { retriable: false });
    this.name = options.name;
    this.store = options.store;
    this.prefix = options.indexPrefix;
    this.indexVersion = options.indexVersion ?? 1;
    this.stage = options.stage ?? 'live';
    this.layout = options.layout;
    this.limits = options.bulkLimits ?? DEFAULT_BULK_LIMITS;
    this.maxReads = options.maxReads ?? 5;
  }

  /** Names of an entity's index, aliases and template under this sink's prefix. */
  names(entity: string): EntityIndexNames {
    const naming = this.stage === 'rebuild' ? rebuildIndexNames : entityIndexNames;
    return naming(this.prefix, entity, this.indexVersion);
  }

  async apply(batch: SinkBatch): Promise<SinkResult> {
    const outcomes: RecordOutcome[] = [];
    const changes: Change[] = [];
    for (const entry of batch.entries) {
      const offset = entry.record.offset;
      if (entry.poison !== undefined) {
        outcomes.push({ offset, status: 'poison', error: entry.poison });
      } else if (entry.change === undefined) {
        throw new Error(
          `${this.name}: record ${batch.topic}-${batch.partition}@${offset} was not decoded`,
        );
      } else {
        const invalid = this.invalidChange(entry.change);
        if (invalid === null) changes.push(entry.change);
        else outcomes.push({ offset, status: 'poison', error: invalid });
      }
    }
    if (changes.length === 0) return { outcomes };

    // a key whose poison may make a dropped older change its newest state is planned again
    for (let plans = planKeys(changes); plans.length > 0; ) {
      const tasks = plans.map((plan) =>
        createKeyTask(plan, { sink: this.name, maxReads: this.maxReads }),
      );
      await this.run(tasks);
      for (const task of tasks) outcomes.push(...task.outcomes);
      plans = tasks.flatMap((task) => planKeys(task.replan()));
    }
    return { outcomes };
  }

  private invalidChange(change: Change): PoisonError | null {
    const context = { ...change.coords, sink: this.name };
    const entity = invalidEntityReason(this.prefix, change.entity);
    if (entity !== null) return new PoisonError('invalid-entity-name', entity, { context });
    const id = invalidDocumentIdReason(change.key);
    if (id !== null) return new PoisonError('invalid-document-id', id, { context });
    return null;
  }

  /**
   * Rounds of (one mget for the folds waiting to read, bulk requests for every pending
   * write) until every task settles. Each round moves every active task on (a read, a
   * verdict, or a give-up on a transient failure), so a plain batch takes one round; a
   * fold takes two; a rejected or raced document adds one.
   */
  private async run(tasks: readonly KeyTask[]): Promise<void> {
    const giveUp = (task: KeyTask, message: string) =>
      task.fail(new RetriableError(`${this.name}: ${message}`, { context: { sink: this.name } }));
    for (;;) {
      const active = tasks.filter((t) => !t.settled());
      if (active.length === 0) return;
      // A retriable failure here (cannot reach the cluster) fails the apply as a whole:
      // nothing of this round was written, and the engine retries the batch.
      await this.ensureEntities(active.map((t) => t.entity));
      const readers = active.filter((t) => t.needsRead());
      if (readers.length > 0) await this.read(readers, giveUp);
      const writers = active.filter((t) => !t.settled() && t.pendingWrite() !== null);
      if (writers.length > 0) await this.write(writers, giveUp);
    }
  }

  private async ensureEntities(entities: readonly string[]): Promise<void> {
    await Promise.all(
      [...new Set(entities)].map((entity) => {
        let ensured = this.ensured.get(entity);
        if (ensured === undefined) {
          ensured = this.store.ensureEntity(this.names(entity), this.layout);
          // a failure is not cached: the next batch tries again
          ensured.catch(() => this.ensured.delete(entity));
          this.ensured.set(entity, ensured);
        }
        return ensured;
      }),
    );
  }

  private async read(
    readers: readonly KeyTask[],
    giveUp: (task: KeyTask, message: string) => void,
  ): Promise<void> {
    this.stats.mgetRequests += 1;
    let docs: Awaited<ReturnType<OpenSearchStore['mget']>>;
    try {
      docs = await this.store.mget(
        readers.map((t) => ({ index: this.names(t.entity).writeAlias, id: t.id })),
      );
    } catch (err) {
      if (!(err instanceof StaysyncError && err.retriable)) throw err;
      for (const task of readers) giveUp(task, `mget: ${err.message}`);
      return;
    }
    readers.forEach((task, i) => {
      const doc = docs[i];
      if (doc === undefined)
        throw new Error(
          `${this.name}: mget answered ${docs.length} of ${readers.length} documents`,
        );
      if (doc.kind === 'found') task.onRead(fromDocument(doc.source, doc.version));
      else if (doc.kind === 'missing') task.onRead(undefined);
      else {
        if (doc.missingIndex) this.ensured.delete(task.entity);
        giveUp(task, `mget ${task.entity}/${task.id}: ${doc.message}`);
      }
    });
  }

  private async write(
    writers: readonly KeyTask[],
    giveUp: (task: KeyTask, message: string) => void,
  ): Promise<void> {
    const actions = writers.map((task) => {
      const state = task.pendingWrite();
      if (state === null) throw new Error('OpenSearchSink.write: task has no pending write');
      const index = this.names(task.entity).writeAlias;
      return serializeAction(
        { index, id: task.id, version: state.ev, document: toDocument(state) },
        task,
      );
    });
    const queue = chunkActions(actions, this.limits);
    for (let chunk = queue.shift(); chunk !== undefined; chunk = queue.shift()) {
      await this.writeChunk(chunk, queue, giveUp);
    }
  }

  private async writeChunk(
    chunk: SerializedAction<KeyTask>[],
    queue: SerializedAction<KeyTask>[][],
    giveUp: (task: KeyTask, message: string) => void,
  ): Promise<void> {
    this.stats.bulkRequests += 1;
    let items: Awaited<ReturnType<OpenSearchStore['bulk']>>;
    try {
      items = await this.store.bulk(bulkBody(chunk));
    } catch (err) {
      if (err instanceof RequestTooLargeError) {
        if (chunk.length > 1) {
          // halve and try again: the byte limit is set above what the cluster accepts
          const half = Math.ceil(chunk.length / 2);
          queue.unshift(chunk.slice(0, half), chunk.slice(half));
        } else {
          chunk[0]?.ref.onWrite({
            kind: 'poison',
            errorType: 'request_too_large',
            message: `document of ${chunk[0].bytes} bytes is larger than the cluster accepts: ${err.message}`,
          });
        }
        return;
      }
      if (!(err instanceof StaysyncError && err.retriable)) throw err;
      for (const action of chunk) giveUp(action.ref, `bulk: ${err.message}`);
      return;
    }
    if (items.length !== chunk.length) {
      throw new Error(
        `${this.name}: bulk answered ${items.length} items for ${chunk.length} actions`,
      );
    }
    chunk.forEach((action, i) => {
      const task = action.ref;
      const verdict = classifyBulkItem(items[i] as (typeof items)[number]);
      switch (verdict.kind) {
        case 'applied':
        case 'conflict':
        case 'poison':
          task.onWrite(verdict);
          return;
        case 'missing-index':
          this.ensured.delete(task.entity);
          giveUp(task, `${task.entity}/${task.id}: ${verdict.message}`);
          return;
        case 'retry':
          giveUp(task, `${task.entity}/${task.id}: ${verdict.message}`);
          return;
      }
    });
  }
}

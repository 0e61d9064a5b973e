import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { type AggregateWork, DynamoAggregateWriter } from '../adapters/dynamodb-aggregates.js';
import { DynamoViewWriter } from '../adapters/dynamodb-view.js';
import { readStoredVersions, type StoredVersion } from '../adapters/dynamodb-view-preread.js';
import type { Change } from '../core/change.js';
import {
  type AggregateDeclaration,
  contributionsOf,
  defineAggregates,
} from '../core/dynamodb/aggregates.js';
import {
  type Projection,
  projectChange,
  projectionsByEntity,
} from '../core/dynamodb/projection.js';
import { assertStorable, viewItemKey } from '../core/dynamodb/view-item.js';
import { mapBounded } from '../core/engine/pool.js';
import { PoisonError } from '../core/errors.js';
import { DEFAULT_EVENT_MARKER_TTL_SECONDS } from '../core/ledger.js';
import type { ApplyContext, RecordOutcome, Sink, SinkBatch, SinkResult } from '../core/sink.js';
import { type KeyPlan, planKeys } from '../core/view-state.js';
import { type InsertTarget, insertNewKeys, NOTHING_INSERTED } from './insert-new-keys.js';
import { INSERT_FIRST_MAX_EXISTING, InsertFirstPolicy } from './insert-policy.js';
import { PREREAD_BREAK_EVEN, PreReadPolicy } from './preread-policy.js';

/** Default retention of view tombstones: as long as the `evt#` markers (14 days). */
export const DEFAULT_TOMBSTONE_TTL_SECONDS = DEFAULT_EVENT_MARKER_TTL_SECONDS;
/** Default number of keys written at once. */
export const DEFAULT_VIEW_CONCURRENCY = 16;

export interface DynamoDbSinkOptions {
  /** SINK_NAME: names this sink's checkpoints and markers in the ledger */
  readonly name: string;
  readonly client: DynamoDBClient;
  readonly viewTable: string;
  readonly ledgerTable: string;
  /** what the view stores per entity. @default the envelope's `data` */
  readonly projections?: readonly Projection[];
  /** delta aggregates kept in the view table. @default none */
  readonly aggregates?: readonly AggregateDeclaration[];
  /** @default DEFAULT_TOMBSTONE_TTL_SECONDS */
  readonly tombstoneTtlSeconds?: number;
  /** @default DEFAULT_EVENT_MARKER_TTL_SECONDS */
  readonly markerTtlSeconds?: number;
  /** keys written in parallel. @default DEFAULT_VIEW_CONCURRENCY */
  readonly concurrency?: number;
  /** share of stale keys (per partition, recent) above which blind writes are preceded by
   *  an eventually consistent read of the stored versions (see preread-policy.ts);
   *  0 reads before every batch. @default PREREAD_BREAK_EVEN (0.1) */
  readonly preReadThreshold?: number;
  /** recent share of blind keys found stored at or above which the sink stops sending them
   *  as batched PartiQL INSERTs first (insert-policy.ts); 0 never does.
   *  @default INSERT_FIRST_MAX_EXISTING (0.03) */
  readonly insertFirstMaxExisting?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

/**
 * The DynamoDB sink: a version-guarded materialized view (state) and, optionally,
 * effectively-once delta aggregates, from one partition batch at a time.
 *
 * Order of work, which is what keeps the checkpoint honest: first the view writes of the
 * whole batch (keys in parallel); then the aggregate transactions, only for records
 * below the first record the view could not apply, each carrying the checkpoint no
 * further than that record, nor than a poison record the sink found (the engine
 * quarantines those after the sink returns; a checkpoint past one could lose it).
 */
export class DynamoDbSink implements Sink {
  readonly name: string;
  readonly decodes = true;
  readonly #view: DynamoViewWriter;
  readonly #aggregates: DynamoAggregateWriter;
  readonly #projections: ReadonlyMap<string, Projection>;
  readonly #declarations: readonly AggregateDeclaration[];
  readonly #concurrency: number;
  readonly #client: DynamoDBClient;
  readonly #viewTable: string;
  readonly #preRead: PreReadPolicy;
  readonly #insertFirst: InsertFirstPolicy;
  readonly #insertTarget: InsertTarget;
  /** per topic-partition: lowest sink-found poison offset perhaps not quarantined yet */
  readonly #floors = new Map<string, number>();

  constructor(opts: DynamoDbSinkOptions) {
    this.name = opts.name;
    const now = opts.now ?? Date.now;
    const tombstoneTtlSeconds = opts.tombstoneTtlSeconds ?? DEFAULT_TOMBSTONE_TTL_SECONDS;
    this.#view = new DynamoViewWriter({
      client: opts.client,
      table: opts.viewTable,
      tombstoneTtlSeconds,
      now,
    });
    this.#aggregates = new DynamoAggregateWriter({
      client: opts.client,
      aggregateTable: opts.viewTable,
      ledgerTable: opts.ledgerTable,
      markerTtlSeconds: opts.markerTtlSeconds ?? DEFAULT_EVENT_MARKER_TTL_SECONDS,
      now,
    });
    this.#projections = projectionsByEntity(opts.projections ?? []);
    this.#declarations = defineAggregates(opts.aggregates ?? []);
    this.#concurrency = opts.concurrency ?? DEFAULT_VIEW_CONCURRENCY;
    this.#client = opts.client;
    this.#viewTable = opts.viewTable;
    this.#preRead = new PreReadPolicy(opts.preReadThreshold ?? PREREAD_BREAK_EVEN);
    this.#insertTarget = {
      client: opts.client,
      table: opts.viewTable,
      concurrency: this.#concurrency,
      now,
      tombstoneTtlSeconds,
    };
    this.#insertFirst = new InsertFirstPolicy(
      opts.insertFirstMaxExisting ?? INSERT_FIRST_MAX_EXISTING,
    );
  }

  async apply(batch: SinkBatch, ctx: ApplyContext): Promise<SinkResult> {
    const outcomes = new Map<number, RecordOutcome>();
    const decodePoison = new Set<number>();
    const changes: Change[] = [];
    const works: AggregateWork[] = [];
    for (const entry of batch.entries) {
      const { offset } = entry.record;
      if (entry.poison !== undefined) {
        outcomes.set(offset, { offset, status: 'poison', error: entry.poison });
        decodePoison.add(offset);
        continue;
      }
      if (entry.change === undefined) {
        const error = new PoisonError(
          'not-decoded',
          'the engine handed an undecoded record to a decoding sink',
          {
            context: { topic: batch.topic, partition: batch.partition, offset, sink: this.name },
          },
        );
        outcomes.set(offset, { offset, status: 'poison', error });
        continue;
      }
      try {
        const contributions = contributionsOf(entry.change, this.#declarations);
        const projected = projectChange(entry.change, this.#projections.get(entry.change.entity));
        assertStorable(projected);
        changes.push(projected);
        if (contributions.length > 0) works.push({ change: entry.change, contributions });
      } catch (err) {
        if (!(err instanceof PoisonError)) throw err;
        outcomes.set(offset, { offset, status: 'poison', error: err });
      }
    }

    const plans = planKeys(changes);
    const partitionId = `${batch.topic}-${batch.partition}`;
    const stored = await this.#readIfWorthIt(partitionId, plans);
    const existing = new Set<string>();
    const inserted = this.#insertFirst.enabled(partitionId)
      ? await insertNewKeys(this.#insertTarget, plans, stored, existing)
      : NOTHING_INSERTED;
    for (const outcome of inserted.outcomes) outcomes.set(outcome.offset, outcome);
    const perKey = await mapBounded(
      plans.filter((p) => !inserted.keys.has(p.key)),
      this.#concurrency,
      (plan) => this.#view.write(plan, ctx, stored.get(plan.key), existing),
    );
    for (const outcome of perKey.flat()) outcomes.set(outcome.offset, outcome);
    this.#learn(partitionId, plans, outcomes, existing);
    if (works.length === 0) return { outcomes: [...outcomes.values()] };

    const firstRetry = lowest(outcomes, 'retry');
    const cap = Math.min(firstRetry, this.#poisonFloor(batch, outcomes, decodePoison));
    const below = batch.entries.map((e) => e.record.offset).filter((o) => o < cap);
    const pending = works.filter((w) => {
      const viewOutcome = outcomes.get(w.change.coords.offset);
      if (w.change.coords.offset >= firstRetry) {
        // its view write may have landed, but the record is not done: redelivered from firstRetry
        const error = outcomes.get(firstRetry);
        if (error?.status === 'retry')
          outcomes.set(w.change.coords.offset, { ...error, offset: w.change.coords.offset });
        return false;
      }
      return viewOutcome?.status !== 'poison';
    });
    const run = await this.#aggregates.run(
      {
        ref: { sink: this.name, topic: batch.topic, partition: batch.partition },
        works: pending,
        checkpoint: batch.checkpoint,
        checkpointTarget: below.length === 0 ? null : below.reduce((a, b) => Math.max(a, b)),
      },
      ctx,
    );
    for (const aggregate of run.outcomes) {
      const view = outcomes.get(aggregate.offset);
      outcomes.set(aggregate.offset, view === undefined ? aggregate : combine(view, aggregate));
    }
    // poison the transactions found: a later call of this invocation must stay below it too
    this.#poisonFloor(batch, outcomes, decodePoison);
    const result = { outcomes: [...outcomes.values()] };
    return run.checkpointedThrough === undefined
      ? result
      : { ...result, checkpointedThrough: run.checkpointedThrough };
  }

  /**
   * Stored versions of the batch's blind-plan keys, read only when the partition's recent
   * share of stale keys says the read costs less than the failed writes it saves
   * (preread-policy.ts). Fold plans read strongly consistent state themselves: never here.
   */
  async #readIfWorthIt(
    partitionId: string,
    plans: readonly KeyPlan[],
  ): Promise<ReadonlyMap<string, StoredVersion>> {
    if (!this.#preRead.enabled(partitionId)) return NO_STORED;
    const byPk = new Map<string, string>();
    for (const plan of plans) {
      if (plan.kind === 'blind') byPk.set(viewItemKey(plan.final.entity, plan.final.key), plan.key);
    }
    if (byPk.size === 0) return NO_STORED;
    const found = await readStoredVersions(
      this.#client,
      this.#viewTable,
      [...byPk.keys()],
      this.#concurrency,
    );
    const byPlanKey = new Map<string, StoredVersion>();
    for (const [pk, version] of found) byPlanKey.set(byPk.get(pk) as string, version);
    return byPlanKey;
  }

  /** Feeds the pre-read policy (per blind-plan key, whether its newest change found the
   *  item already there: skipped on the read, or a failed guard) and the insert policy
   *  (whether any write found the key stored). */
  #learn(
    partitionId: string,
    plans: readonly KeyPlan[],
    outcomes: ReadonlyMap<number, RecordOutcome>,
    existing: ReadonlySet<string>,
  ): void {
    let keys = 0;
    let stale = 0;
    let found = 0;
    for (const plan of plans) {
      if (plan.kind !== 'blind') continue;
      const status = outcomes.get(plan.final.coords.offset)?.status;
      if (status === 'applied') keys++;
      else if (status === 'stale' || status === 'duplicate') {
        keys++;
        stale++;
      } else continue; // retry and poison say nothing about the stream
      if (status !== 'applied' || existing.has(plan.key)) found++;
    }
    this.#preRead.record(partitionId, keys, stale);
    this.#insertFirst.record(partitionId, keys, found);
  }

  /**
   * The lowest poison record this sink found in the partition that the engine may not
   * have quarantined yet (it quarantines sink-found poison after its retries, so an
   * earlier call of the same invocation may have found one). The transactional checkpoint
   * stays below it; decode poison reaches the sink already quarantined. The floor is
   * forgotten once the ledger checkpoint read by the engine has passed it.
   */
  #poisonFloor(
    batch: SinkBatch,
    outcomes: ReadonlyMap<number, RecordOutcome>,
    decodePoison: ReadonlySet<number>,
  ): number {
    const id = `${batch.topic}-${batch.partition}`;
    let floor = this.#floors.get(id) ?? Number.POSITIVE_INFINITY;
    if (batch.checkpoint !== null && floor <= batch.checkpoint) floor = Number.POSITIVE_INFINITY;
    for (const o of outcomes.values()) {
      if (o.status === 'poison' && !decodePoison.has(o.offset)) floor = Math.min(floor, o.offset);
    }
    if (floor === Number.POSITIVE_INFINITY) this.#floors.delete(id);
    else this.#floors.set(id, floor);
    return floor;
  }
}

const NO_STORED: ReadonlyMap<string, StoredVersion> = new Map();

const lowest = (outcomes: ReadonlyMap<number, RecordOutcome>, status: RecordOutcome['status']) =>
  [...outcomes.values()].reduce(
    (min, o) => (o.status === status && o.offset < min ? o.offset : min),
    Number.POSITIVE_INFINITY,
  );

const RANK: Record<RecordOutcome['status'], number> = {
  poison: 4,
  retry: 3,
  applied: 2,
  duplicate: 1,
  stale: 0,
};

/** The outcome of a record that both the view and the aggregates handled. */
const combine = (a: RecordOutcome, b: RecordOutcome): RecordOutcome =>
  RANK[a.status] >= RANK[b.status] ? a : b;

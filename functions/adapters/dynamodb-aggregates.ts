import {
  type AttributeValue,
  type CancellationReason,
  type DynamoDBClient,
  type TransactWriteItem,
  TransactWriteItemsCommand,
} from '@aws-sdk/client-dynamodb';
import type { Change } from '../core/change.js';
import {
  aggregateItemKey,
  type Contribution,
  mergeContributions,
} from '../core/dynamodb/aggregates.js';
import {
  backoffDelay,
  type Clock,
  DEFAULT_RETRY_POLICY,
  type RetryPolicy,
  systemClock,
} from '../core/engine/retry-policy.js';
import { PoisonError, RetriableError, type StaysyncError } from '../core/errors.js';
import { type CheckpointRef, checkpointKey, eventKey } from '../core/ledger.js';
import type { ApplyContext, RecordOutcome } from '../core/sink.js';
import { classifyDynamoError } from './dynamodb-errors.js';

/** One event with an aggregate effect (offsets ascending across the list). */
export interface AggregateWork {
  readonly change: Change;
  readonly contributions: readonly Contribution[];
}

export interface AggregateRun {
  readonly ref: CheckpointRef;
  readonly works: readonly AggregateWork[];
  /** the checkpoint read before the batch (the transactions only ever move it forward) */
  readonly checkpoint: number | null;
  /** highest offset the transactions may checkpoint: every record up to it is otherwise
   *  complete (view written or nothing to write); null: do not checkpoint */
  readonly checkpointTarget: number | null;
}

export interface AggregateRunResult {
  /** one per work */
  readonly outcomes: readonly RecordOutcome[];
  /** highest offset the transactions stored (or found already stored) as checkpoint */
  readonly checkpointedThrough?: number;
}

export interface DynamoAggregateWriterOptions {
  readonly client: DynamoDBClient;
  /** holds the `agg#<name>#<group>` items (the view table) */
  readonly aggregateTable: string;
  /** holds the `evt#` markers and the `ckpt#` checkpoints */
  readonly ledgerTable: string;
  readonly markerTtlSeconds: number;
  /** attempts per transaction on conflicts/throttling (`maxAttempts`) and their backoff:
   *  the engine's policy. @default DEFAULT_RETRY_POLICY */
  readonly retry?: RetryPolicy;
  /** @default Date.now */
  readonly now?: () => number;
  /** sleeps between attempts and draws their jitter. @default the system clock */
  readonly clock?: Pick<Clock, 'sleep' | 'random'>;
}

/** TransactWriteItems limits: 100 actions, 4 MB (we keep a margin on the size). */
const MAX_ITEMS = 100;
const MAX_BYTES = 3_500_000;
const MIN_REMAINING_MS = 1_000;

type Slot =
  | { readonly kind: 'marker'; readonly work: AggregateWork }
  | { readonly kind: 'aggregate'; readonly key: string; readonly works: readonly AggregateWork[] }
  | { readonly kind: 'checkpoint'; readonly offset: number };

/**
 * Applies delta aggregates effectively-once (DESIGN §4, "DynamoDB aggregates"): each
 * transaction holds, for a run of consecutive events, the `ADD`s on their aggregate
 * items (summed per item: a transaction may touch an item once), one `evt#` marker per
 * event (`attribute_not_exists`) and the checkpoint advance (`offset < :new`), so the
 * totals and the offset they include move together. A transaction cancelled because a
 * marker exists (an earlier attempt committed it) drops those events as duplicates and
 * commits the rest; a checkpoint already at or past the new offset is dropped likewise.
 */
export class DynamoAggregateWriter {
  readonly #opts: Required<DynamoAggregateWriterOptions>;

  constructor(opts: DynamoAggregateWriterOptions) {
    this.#opts = {
      retry: DEFAULT_RETRY_POLICY,
      now: Date.now,
      clock: systemClock,
      ...opts,
    };
  }

  async run(input: AggregateRun, ctx: ApplyContext): Promise<AggregateRunResult> {
    const outcomes: RecordOutcome[] = [];
    const seen = new Set<string>();
    const works: AggregateWork[] = [];
    for (const work of input.works) {
      // the same event twice in one batch: one marker, one effect
      if (seen.has(work.change.eventId)) outcomes.push(status(work, 'duplicate'));
      else {
        seen.add(work.change.eventId);
        works.push(work);
      }
    }
    const chunks = this.#chunk(works);
    let checkpointedThrough: number | undefined;
    // the engine quarantines poison found here only after the sink returns: no transaction
    // may carry the checkpoint to or past it
    let poisonFloor = Number.POSITIVE_INFINITY;
    for (const [i, chunk] of chunks.entries()) {
      const next = chunks[i + 1]?.[0];
      const limit = next === undefined ? Number.POSITIVE_INFINITY : next.change.coords.offset - 1;
      const target =
        input.checkpointTarget === null
          ? null
          : Math.min(input.checkpointTarget, limit, poisonFloor - 1);
      const ckpt = checkpointAbove(target, input.checkpoint);
      const result = await this.#commit(input.ref, chunk, ckpt, input.checkpoint, ctx);
      outcomes.push(...result.outcomes);
      poisonFloor = Math.min(poisonFloor, lowestPoison(result.outcomes));
      if (result.failed !== undefined) {
        const error = result.failed;
        for (const later of chunks.slice(i + 1)) {
          outcomes.push(...later.map((w) => failure(w, error)));
        }
        break;
      }
      if (result.checkpointed !== null) checkpointedThrough = result.checkpointed;
    }
    return checkpointedThrough === undefined ? { outcomes } : { outcomes, checkpointedThrough };
  }

  /** Consecutive runs of events whose transaction stays within the limits. */
  #chunk(works: readonly AggregateWork[]): AggregateWork[][] {
    const chunks: AggregateWork[][] = [];
    let current: AggregateWork[] = [];
    let keys = new Set<string>();
    let bytes = 0;
    for (const work of works) {
      const newKeys = work.contributions
        .map((c) => aggregateItemKey(c.aggregate, c.group))
        .filter((k) => !keys.has(k));
      const size = estimateBytes(work);
      // markers + aggregate items + the checkpoint
      if (
        current.length > 0 &&
        (current.length + 1 + keys.size + new Set(newKeys).size + 1 > MAX_ITEMS ||
          bytes + size > MAX_BYTES)
      ) {
        chunks.push(current);
        current = [];
        keys = new Set();
        bytes = 0;
      }
      current.push(work);
      for (const c of work.contributions) keys.add(aggregateItemKey(c.aggregate, c.group));
      bytes += size;
    }
    if (current.length > 0) chunks.push(current);
    return chunks;
  }

  /**
   * Commits one chunk (and the checkpoint `checkpoint`, unless null). `checkpointed` is the
   * checkpoint then known stored: never at or past a poison record found here.
   */
  async #commit(
    ref: CheckpointRef,
    chunk: readonly AggregateWork[],
    checkpoint: number | null,
    base: number | null,
    ctx: ApplyContext,
  ): Promise<CommitResult> {
    const st: CommitState = {
      outcomes: [],
      pending: [...chunk],
      ckpt: checkpoint,
      checkpointed: null,
    };
    for (let attempt = 1; ; attempt++) {
      if (st.pending.length === 0 && st.ckpt === null)
        return { outcomes: st.outcomes, checkpointed: st.checkpointed };
      const slots = this.#slots(ref, st.pending, st.ckpt);
      try {
        await this.#opts.client.send(
          new TransactWriteItemsCommand({ TransactItems: slots.map((s) => s.item) }),
        );
        st.outcomes.push(...st.pending.map((w) => status(w, 'applied')));
        return { outcomes: st.outcomes, checkpointed: st.ckpt ?? st.checkpointed };
      } catch (err) {
        const reasons = (err as { CancellationReasons?: CancellationReason[] }).CancellationReasons;
        const cancelled = (err as { name?: unknown })?.name === 'TransactionCanceledException';
        let drop = new Set<AggregateWork>();
        let retriable: StaysyncError | undefined;
        if (cancelled && reasons !== undefined && reasons.length === slots.length) {
          ({ drop, retriable } = settleCancellation(st, ref, slots, reasons, err));
        } else {
          const classified = classifyDynamoError(err, 'aggregate transaction', ref);
          if (classified instanceof PoisonError) {
            const failed = await this.#isolatePoison(st, ref, classified, base, ctx);
            if (failed !== undefined) return failed;
            st.pending = [];
            capBelowPoison(st, base);
            continue;
          }
          if (!classified.retriable) throw classified;
          retriable = classified;
        }
        st.pending = st.pending.filter((w) => !drop.has(w));
        capBelowPoison(st, base);
        if (retriable !== undefined && drop.size === 0) {
          if (attempt >= this.#opts.retry.maxAttempts || ctx.remainingTimeMs() < MIN_REMAINING_MS) {
            st.outcomes.push(...st.pending.map((w) => failure(w, retriable)));
            return { outcomes: st.outcomes, failed: retriable, checkpointed: st.checkpointed };
          }
          // the engine's full-jitter backoff: up to 50 ms, 100 ms, ... capped at 2 s
          const { retry, clock } = this.#opts;
          await clock.sleep(backoffDelay(retry, attempt - 1, clock.random));
        }
      }
    }
  }

  /**
   * The whole transaction is invalid and nothing says which event: split it until the
   * culprit stands alone (the markers keep a split effectively-once); a lone event is
   * poison. Returns the result to give up with when a half failed retriably.
   */
  async #isolatePoison(
    st: CommitState,
    ref: CheckpointRef,
    classified: PoisonError,
    base: number | null,
    ctx: ApplyContext,
  ): Promise<CommitResult | undefined> {
    const { pending, outcomes } = st;
    if (pending.length <= 1) {
      for (const work of pending) {
        outcomes.push({ offset: work.change.coords.offset, status: 'poison', error: classified });
      }
      if (pending.length === 0) st.ckpt = null;
      return undefined;
    }
    const mid = Math.ceil(pending.length / 2);
    for (const half of [pending.slice(0, mid), pending.slice(mid)]) {
      const part = await this.#commit(ref, half, null, base, ctx);
      outcomes.push(...part.outcomes);
      if (part.failed !== undefined) {
        const done = new Set(outcomes.map((o) => o.offset));
        const rest = pending.filter((w) => !done.has(w.change.coords.offset));
        outcomes.push(...rest.map((w) => failure(w, part.failed as StaysyncError)));
        return { outcomes, failed: part.failed, checkpointed: st.checkpointed };
      }
    }
    return undefined;
  }

  #slots(
    ref: CheckpointRef,
    works: readonly AggregateWork[],
    checkpoint: number | null,
  ): Array<{ slot: Slot; item: TransactWriteItem }> {
    const expiresAt = Math.floor(this.#opts.now() / 1000) + this.#opts.markerTtlSeconds;
    const slots: Array<{ slot: Slot; item: TransactWriteItem }> = [];
    for (const work of works) {
      const { coords, eventId } = work.change;
      slots.push({
        slot: { kind: 'marker', work },
        item: {
          Put: {
            TableName: this.#opts.ledgerTable,
            Item: {
              pk: { S: eventKey(ref.sink, eventId) },
              expiresAt: { N: String(expiresAt) },
              topic: { S: coords.topic },
              partition: { N: String(coords.partition) },
              offset: { N: String(coords.offset) },
            },
            ConditionExpression: 'attribute_not_exists(pk)',
          },
        },
      });
    }
    const contributors = new Map<string, AggregateWork[]>();
    for (const work of works) {
      for (const c of work.contributions) {
        const key = aggregateItemKey(c.aggregate, c.group);
        contributors.set(key, [...(contributors.get(key) ?? []), work]);
      }
    }
    for (const [key, c] of mergeContributions(works.flatMap((w) => w.contributions))) {
      slots.push({
        slot: { kind: 'aggregate', key, works: contributors.get(key) ?? [] },
        item: { Update: this.#addUpdate(key, c) },
      });
    }
    if (checkpoint !== null) {
      slots.push({
        slot: { kind: 'checkpoint', offset: checkpoint },
        item: {
          Update: {
            TableName: this.#opts.ledgerTable,
            Key: { pk: { S: checkpointKey(ref) } },
            UpdateExpression: 'SET #o = :new',
            ConditionExpression: 'attribute_not_exists(pk) OR #o < :new',
            ExpressionAttributeNames: { '#o': 'offset' },
            ExpressionAttributeValues: { ':new': { N: String(checkpoint) } },
          },
        },
      });
    }
    return slots;
  }

  #addUpdate(key: string, c: Contribution): NonNullable<TransactWriteItem['Update']> {
    const names: Record<string, string> = { '#agg': '_aggregate', '#grp': '_group' };
    const values: Record<string, AttributeValue> = {
      ':agg': { S: c.aggregate },
      ':grp': { S: c.group },
    };
    const adds: string[] = [];
    for (const [i, [measure, delta]] of Object.entries(c.deltas).entries()) {
      names[`#m${i}`] = measure;
      values[`:m${i}`] = { N: delta };
      adds.push(`#m${i} :m${i}`);
    }
    return {
      TableName: this.#opts.aggregateTable,
      Key: { pk: { S: key } },
      UpdateExpression: `SET #agg = :agg, #grp = :grp ADD ${adds.join(', ')}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
  }
}

/** `target` when it moves the checkpoint `base` forward, else null. */
const checkpointAbove = (target: number | null, base: number | null): number | null =>
  target !== null && target >= 0 && (base === null || target > base) ? target : null;

const lowestPoison = (outcomes: readonly RecordOutcome[]): number =>
  outcomes.reduce(
    (min, o) => (o.status === 'poison' && o.offset < min ? o.offset : min),
    Number.POSITIVE_INFINITY,
  );

const status = (work: AggregateWork, s: 'applied' | 'duplicate'): RecordOutcome => ({
  offset: work.change.coords.offset,
  status: s,
});

const failure = (work: AggregateWork, error: StaysyncError): RecordOutcome => ({
  offset: work.change.coords.offset,
  status: 'retry',
  error,
});

interface CommitResult {
  readonly outcomes: RecordOutcome[];
  readonly failed?: StaysyncError;
  readonly checkpointed: number | null;
}

/** One chunk's commit in progress. */
interface CommitState {
  readonly outcomes: RecordOutcome[];
  /** events still to commit */
  pending: AggregateWork[];
  /** the checkpoint the next transaction carries (null: none) */
  ckpt: number | null;
  /** the checkpoint known stored */
  checkpointed: number | null;
}

/** No transaction may carry the checkpoint to or past a poison record found so far. */
function capBelowPoison(st: CommitState, base: number | null): void {
  if (st.ckpt !== null)
    st.ckpt = checkpointAbove(Math.min(st.ckpt, lowestPoison(st.outcomes) - 1), base);
}

/**
 * Reads a cancelled transaction's reasons, slot by slot: an existing marker is a duplicate
 * and a checkpoint already there is dropped (both leave the transaction), a validation
 * error is poison, anything else is retriable.
 */
function settleCancellation(
  st: CommitState,
  ref: CheckpointRef,
  slots: ReadonlyArray<{ readonly slot: Slot }>,
  reasons: readonly CancellationReason[],
  err: unknown,
): { drop: Set<AggregateWork>; retriable: StaysyncError | undefined } {
  const drop = new Set<AggregateWork>();
  let retriable: StaysyncError | undefined;
  for (const [i, reason] of reasons.entries()) {
    const slot = (slots[i] as (typeof slots)[number]).slot;
    const code = reason.Code ?? 'None';
    if (code === 'None') continue;
    if (code === 'ConditionalCheckFailed' && slot.kind === 'marker') {
      st.outcomes.push(status(slot.work, 'duplicate'));
      drop.add(slot.work);
    } else if (code === 'ConditionalCheckFailed' && slot.kind === 'checkpoint') {
      st.checkpointed = st.ckpt; // already at or past this offset
      st.ckpt = null;
    } else if (code === 'ValidationError' && slot.kind !== 'checkpoint') {
      const culprits = slot.kind === 'marker' ? [slot.work] : slot.works;
      for (const work of culprits) {
        const error = new PoisonError(
          'dynamodb-validation',
          `DynamoDB rejected the aggregate update: ${reason.Message ?? code}`,
          { context: work.change.coords },
        );
        st.outcomes.push({ offset: work.change.coords.offset, status: 'poison', error });
        drop.add(work);
      }
    } else {
      retriable = new RetriableError(`aggregate transaction cancelled: ${code}`, {
        context: ref,
        cause: err,
      });
    }
  }
  return { drop, retriable };
}

const estimateBytes = (work: AggregateWork): number =>
  256 +
  Buffer.byteLength(work.change.eventId) +
  work.contributions.reduce((n, c) => n + 256 + Buffer.byteLength(c.group) * 2, 0);

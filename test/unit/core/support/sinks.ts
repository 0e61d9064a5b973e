import type { Change } from '../../../../functions/core/change.js';
import { RetriableError, StaysyncError } from '../../../../functions/core/errors.js';
import { checkpointKey } from '../../../../functions/core/ledger.js';
import type {
  ApplyContext,
  RecordOutcome,
  Sink,
  SinkBatch,
  SinkResult,
} from '../../../../functions/core/sink.js';
import { applyChange, planKeys, type ViewState } from '../../../../functions/core/view-state.js';
import type { InMemoryLedger } from './in-memory.js';

/**
 * Where a fault may strike one store call. `*-after` faults happen once the effect is
 * stored (a response lost on the way back): the caller sees a failure, the store changed.
 */
export type Fault = 'ok' | 'retry-before' | 'retry-after' | 'crash-before' | 'crash-after';

/** A simulated process crash: not a StaysyncError, so the engine rethrows it. */
export class InjectedCrash extends Error {
  constructor(step: string) {
    super(`injected crash at ${step}`);
    this.name = 'InjectedCrash';
  }
}

/**
 * A fault schedule: `first` strikes the store call at `at` (a share of the calls a
 * fault-free run makes, see {@link FaultPlan.target}), then `after` scripts the calls after
 * it (runs of faults that outlast the engine's retries), then everything succeeds.
 */
export interface FaultSchedule {
  readonly at: number;
  readonly first: Exclude<Fault, 'ok'>;
  readonly after: readonly Fault[];
}

/**
 * Plays faults on store calls. Without a schedule it only counts the calls; a run with
 * the schedule replays the fault-free run exactly up to the targeted call (fake clock,
 * fixed jitter), so the first fault always fires, on any store call with equal odds.
 */
export class FaultPlan {
  #i = 0;
  readonly #faults: readonly Fault[];
  /** `step:fault` of every fault that fired */
  readonly log: string[] = [];
  constructor(faults: readonly Fault[] = []) {
    this.#faults = faults;
  }

  /** The plan striking the call at `schedule.at` × `calls` (the count of a fault-free run). */
  static target(schedule: FaultSchedule, calls: number): FaultPlan {
    const at = Math.min(Math.max(0, calls - 1), Math.floor(schedule.at * calls));
    return new FaultPlan([
      ...Array.from({ length: at }, () => 'ok' as const),
      schedule.first,
      ...schedule.after,
    ]);
  }

  /** store calls made so far */
  get calls(): number {
    return this.#i;
  }

  /** where the faults fired: the step without its key or offset (`write`, `ledger read`, …) */
  get points(): string[] {
    return this.log.map((entry) => entry.replace(/ \S*[#@]\S*(?=:)/, ''));
  }

  async run<T>(step: string, effect: () => T | Promise<T>): Promise<T> {
    const fault = this.#faults[this.#i++] ?? 'ok';
    if (fault !== 'ok') this.log.push(`${step}:${fault}`);
    if (fault === 'crash-before') throw new InjectedCrash(step);
    if (fault === 'retry-before') throw new RetriableError(`${step}: throttled`);
    const result = await effect();
    if (fault === 'crash-after') throw new InjectedCrash(step);
    if (fault === 'retry-after') throw new RetriableError(`${step}: timed out after the write`);
    return result;
  }
}

/** A state sink's batch: poison outcomes, and the decoded changes left to write. */
export function splitEntries(batch: SinkBatch): { outcomes: RecordOutcome[]; changes: Change[] } {
  const outcomes: RecordOutcome[] = [];
  const changes: Change[] = [];
  for (const entry of batch.entries) {
    if (entry.poison !== undefined)
      outcomes.push({ offset: entry.record.offset, status: 'poison', error: entry.poison });
    else if (entry.change !== undefined) changes.push(entry.change);
    else throw new Error('state sink got an undecoded record');
  }
  return { outcomes, changes };
}

/**
 * A state sink over a Map, written the way the DynamoDB view and OpenSearch sinks write:
 * per key, a `blind` plan is one guarded write (`stored.ev < ev`) of its final change; a
 * `fold` plan reads, folds with `applyChange` and compare-and-sets. A retriable failure
 * of one key's write fails only that key's records.
 */
export class InMemoryStateSink implements Sink {
  readonly decodes = true;
  readonly store = new Map<string, ViewState>();
  writes = 0;
  constructor(
    readonly name = 'view',
    private readonly faults = new FaultPlan(),
  ) {}

  async apply(batch: SinkBatch, _ctx: ApplyContext): Promise<SinkResult> {
    const { outcomes, changes } = splitEntries(batch);
    for (const plan of planKeys(changes)) {
      for (const c of plan.dropped) outcomes.push({ offset: c.coords.offset, status: 'stale' });
      const planned = plan.kind === 'blind' ? [...plan.superseded, plan.final] : plan.changes;
      try {
        const statuses = await this.faults.run(`write ${plan.key}`, () => {
          this.writes++;
          const stored = this.store.get(plan.key);
          if (plan.kind === 'blind') {
            // Conditional put `attribute_not_exists(pk) OR _v < :v`, no read.
            const { guard } = plan.final;
            if (guard.kind !== 'version') throw new Error('blind plan with an offset guard');
            if (stored !== undefined && stored.ev >= guard.ev)
              return planned.map(() => 'stale' as const);
            const next = applyChange(stored, plan.final) as ViewState;
            this.store.set(plan.key, next);
            return planned.map(() => 'applied' as const);
          }
          // Read, fold, compare-and-set (the Map cannot race).
          let state = stored;
          const result = plan.changes.map((c) => {
            const next = applyChange(state, c);
            const status = next === state ? ('stale' as const) : ('applied' as const);
            state = next;
            return status;
          });
          if (state !== undefined && state !== stored) this.store.set(plan.key, state);
          return result;
        });
        planned.forEach((c, i) => {
          outcomes.push({ offset: c.coords.offset, status: statuses[i] ?? 'stale' });
        });
      } catch (err) {
        if (!(err instanceof StaysyncError) || !err.retriable) throw err;
        for (const c of planned)
          outcomes.push({ offset: c.coords.offset, status: 'retry', error: err });
      }
    }
    return { outcomes };
  }
}

/**
 * An aggregate (delta) sink: per record, `totals[entity#key] += data.amount`, once per
 * event id (an `evt#` marker), the markers and the checkpoint written atomically with the
 * totals, chunk by chunk (like TransactWriteItems' 100-item limit). A retriable failure
 * is thrown for the whole apply.
 */
export class InMemoryAggregateSink implements Sink {
  readonly decodes = true;
  readonly totals = new Map<string, number>();
  readonly markers = new Set<string>();
  constructor(
    private readonly ledger: InMemoryLedger,
    readonly name = 'aggregates',
    private readonly faults = new FaultPlan(),
    private readonly chunkSize = 3,
  ) {}

  async apply(batch: SinkBatch, _ctx: ApplyContext): Promise<SinkResult> {
    const outcomes: RecordOutcome[] = [];
    let checkpointedThrough: number | undefined;
    const ckpt = checkpointKey({ sink: this.name, topic: batch.topic, partition: batch.partition });
    for (let i = 0; i < batch.entries.length; i += this.chunkSize) {
      const chunk = batch.entries.slice(i, i + this.chunkSize);
      const last = (chunk[chunk.length - 1] as (typeof chunk)[number]).record.offset;
      const chunkOutcomes = await this.faults.run(
        `transact ${batch.topic}-${batch.partition}@${last}`,
        () => {
          const result: RecordOutcome[] = [];
          for (const entry of chunk) {
            const offset = entry.record.offset;
            if (entry.poison !== undefined) {
              result.push({ offset, status: 'poison', error: entry.poison });
              continue;
            }
            const change = entry.change;
            if (change === undefined) throw new Error('aggregate sink got an undecoded record');
            const marker = `evt#${this.name}#${change.eventId}`;
            if (this.markers.has(marker)) {
              result.push({ offset, status: 'duplicate' });
              continue;
            }
            const amount = typeof change.data?.amount === 'number' ? change.data.amount : 0;
            const key = `${change.entity}#${change.key}`;
            this.totals.set(key, (this.totals.get(key) ?? 0) + amount);
            this.markers.add(marker);
            result.push({ offset, status: 'applied' });
          }
          this.ledger.checkpoints.set(
            ckpt,
            Math.max(this.ledger.checkpoints.get(ckpt) ?? -1, last),
          );
          return result;
        },
      );
      outcomes.push(...chunkOutcomes);
      checkpointedThrough = last;
    }
    return checkpointedThrough === undefined ? { outcomes } : { outcomes, checkpointedThrough };
  }
}

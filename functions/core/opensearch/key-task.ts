import type { Change } from '../change.js';
import { PoisonError, RetriableError, type StaysyncError } from '../errors.js';
import type { RecordOutcome } from '../sink.js';
import { applyChange, type KeyPlan, type ViewState } from '../view-state.js';

/** What became of one document write (retriable failures never reach a task: the write is resent). */
export type WriteResult =
  | { readonly kind: 'applied' }
  | { readonly kind: 'conflict'; readonly duplicate: boolean }
  | { readonly kind: 'poison'; readonly errorType: string; readonly message: string };

export interface KeyTaskOptions {
  readonly sink: string;
  /** how many times a fold may re-read after losing a race before it gives up (retry) */
  readonly maxReads: number;
}

/**
 * The writes of one entity key within one partition batch, as a small state machine the
 * sink drives in rounds (one mget and one bulk per round for all keys):
 *
 * - blind plan: write the last change's state with external version = its ev. A 409 means
 *   the store already holds that version or newer (every change of the key is stale). If
 *   OpenSearch rejects the document (mapping), that change is poison and the next lower
 *   version of the batch is tried, so the index still ends at the newest indexable state.
 * - fold plan (patches, offset-guarded tombstones): read the stored document, fold the
 *   changes over it (`foldChanges`), write the result with external version = the new ev.
 *   A 409 means another writer got in between the read and the write: read again. If the
 *   folded document is rejected, fold and write one change at a time, so only the change
 *   that cannot be indexed is quarantined.
 *
 * Changes the plan dropped (older than one seen earlier in the batch) are settled `stale`
 * only once the task ends without a poison among them: if a change turns out poison, the
 * key's remaining and dropped changes are handed back through `replan()` (the log without
 * the poison may make a dropped change the newest state), and if the task gives up they
 * are `retry` with it (the retried change may turn out poison).
 */
export interface KeyTask {
  readonly entity: string;
  /** document id: the entity key */
  readonly id: string;
  /** true while the task waits for the stored state */
  needsRead(): boolean;
  onRead(stored: ViewState | undefined): void;
  /** the state to write now; null while reading or once settled */
  pendingWrite(): ViewState | null;
  onWrite(result: WriteResult): void;
  settled(): boolean;
  /** gives up: every change not yet settled gets a `retry` outcome with `error` */
  fail(error: StaysyncError): void;
  readonly outcomes: readonly RecordOutcome[];
  /**
   * Once settled: the changes (offset order) without an outcome yet, to plan again with
   * `planKeys` because a change of the key was poison; empty otherwise. Every write is
   * version-guarded, so writing again what this task already wrote is harmless.
   */
  replan(): readonly Change[];
}

export function createKeyTask(plan: KeyPlan, options: KeyTaskOptions): KeyTask {
  return plan.kind === 'blind' ? new BlindTask(plan, options) : new FoldTask(plan, options);
}

abstract class BaseTask {
  readonly outcomes: RecordOutcome[] = [];
  readonly entity: string;
  readonly id: string;
  /** versions the batch itself proves stale: never written, settled when the task ends */
  private dropped: Change[];
  private again: Change[] = [];
  constructor(
    first: Change,
    dropped: readonly Change[],
    protected readonly options: KeyTaskOptions,
  ) {
    this.entity = first.entity;
    this.id = first.key;
    this.dropped = [...dropped];
  }

  replan(): readonly Change[] {
    return this.again;
  }

  /** The task ends without a poison ahead of the dropped changes: they are stale. */
  protected settleDropped(): void {
    for (const change of this.dropped.splice(0)) this.settle(change, 'stale');
  }

  /**
   * A change turned out poison while some were dropped: the task ends, handing `rest` (its
   * changes without an outcome) and the dropped ones back to be planned again. Returns
   * false (and does nothing) when nothing was dropped.
   */
  protected replanAfterPoison(rest: readonly Change[]): boolean {
    if (this.dropped.length === 0) return false;
    this.again = [...rest, ...this.dropped.splice(0)].sort(
      (a, b) => a.coords.offset - b.coords.offset,
    );
    return true;
  }

  protected settle(change: Change, status: 'applied' | 'stale' | 'duplicate'): void {
    this.outcomes.push({ offset: change.coords.offset, status });
  }

  protected poison(change: Change, result: { errorType: string; message: string }): void {
    const error = new PoisonError(
      'opensearch-rejected',
      `OpenSearch rejected ${change.entity}/${change.key} at version ${change.sourceVersion ?? 'tombstone'}: ${result.message}`,
      { context: { ...change.coords, sink: this.options.sink } },
    );
    this.outcomes.push({ offset: change.coords.offset, status: 'poison', error });
  }

  /**
   * `retry` for `changes`, and for the dropped changes after the first of them (the retried
   * change may turn out poison, and they would then be needed); the others are stale.
   */
  protected failAll(changes: readonly Change[], error: StaysyncError): void {
    const from = Math.min(...changes.map((c) => c.coords.offset));
    const dropped = this.dropped.splice(0);
    for (const change of [...changes, ...dropped.filter((c) => c.coords.offset > from)]) {
      this.outcomes.push({ offset: change.coords.offset, status: 'retry', error });
    }
    for (const change of dropped) if (change.coords.offset < from) this.settle(change, 'stale');
  }
}

class BlindTask extends BaseTask implements KeyTask {
  /** ascending ev; the last one is written next */
  private readonly candidates: Change[];

  constructor(plan: Extract<KeyPlan, { kind: 'blind' }>, options: KeyTaskOptions) {
    super(plan.final, plan.dropped, options);
    this.candidates = [...plan.superseded, plan.final];
  }

  needsRead(): boolean {
    return false;
  }

  onRead(): void {
    throw new Error('BlindTask.onRead: a blind write never reads');
  }

  pendingWrite(): ViewState | null {
    const change = this.candidates[this.candidates.length - 1];
    if (change === undefined) return null;
    const state = applyChange(undefined, change);
    if (state === undefined) throw new Error(`BlindTask: ${change.eventId} is not a blind change`);
    return state;
  }

  onWrite(result: WriteResult): void {
    const change = this.candidates.pop();
    if (change === undefined) throw new Error('BlindTask.onWrite: nothing was pending');
    switch (result.kind) {
      case 'applied':
        this.settle(change, 'applied');
        for (const lower of this.candidates.splice(0)) this.settle(lower, 'applied');
        this.settleDropped();
        return;
      case 'conflict':
        this.settle(change, result.duplicate ? 'duplicate' : 'stale');
        for (const lower of this.candidates.splice(0)) this.settle(lower, 'stale');
        this.settleDropped();
        return;
      case 'poison':
        this.poison(change, result);
        // a dropped change may now be the newest: plan the key again without the poison;
        // else the next lower version of this batch (if any) becomes the write
        if (this.replanAfterPoison(this.candidates)) this.candidates.splice(0);
        return;
    }
  }

  settled(): boolean {
    return this.candidates.length === 0;
  }

  fail(error: StaysyncError): void {
    this.failAll(this.candidates.splice(0), error);
  }
}

class FoldTask extends BaseTask implements KeyTask {
  private readonly changes: readonly Change[];
  /** first change not settled yet */
  private next = 0;
  private reads = 0;
  private reading = true;
  private stored: ViewState | undefined;
  /** whole: fold every remaining change into one write; stepwise: one change per write */
  private mode: 'whole' | 'stepwise' = 'whole';
  private pending: { state: ViewState; through: number; changed: boolean[] } | null = null;

  constructor(plan: Extract<KeyPlan, { kind: 'fold' }>, options: KeyTaskOptions) {
    const first = plan.changes[0];
    if (first === undefined) throw new Error(`FoldTask: no change for ${plan.key}`);
    super(first, plan.dropped, options);
    this.changes = plan.changes;
  }

  needsRead(): boolean {
    return this.reading && !this.settled();
  }

  onRead(stored: ViewState | undefined): void {
    this.reads += 1;
    this.reading = false;
    this.stored = stored;
    this.plan();
  }

  pendingWrite(): ViewState | null {
    return this.reading ? null : (this.pending?.state ?? null);
  }

  onWrite(result: WriteResult): void {
    const pending = this.pending;
    if (pending === null) throw new Error('FoldTask.onWrite: nothing was pending');
    this.pending = null;
    switch (result.kind) {
      case 'applied':
        for (let i = this.next; i < pending.through; i++) {
          const change = this.changes[i] as Change;
          this.settle(change, pending.changed[i - this.next] === true ? 'applied' : 'stale');
        }
        this.next = pending.through;
        this.stored = pending.state;
        this.plan();
        return;
      case 'conflict':
        // someone wrote this key between our read and our write: read again and refold
        this.reread();
        return;
      case 'poison': {
        if (this.mode === 'whole') {
          this.mode = 'stepwise';
          this.plan();
          return;
        }
        // stepwise: the write held exactly one changing change, the last one folded
        for (let i = this.next; i < pending.through - 1; i++) {
          this.settle(this.changes[i] as Change, 'stale');
        }
        this.poison(this.changes[pending.through - 1] as Change, result);
        this.next = pending.through;
        // a dropped change may now be part of the key's state: plan the rest again with it
        if (this.replanAfterPoison(this.changes.slice(this.next))) {
          this.next = this.changes.length;
          return;
        }
        this.plan();
        return;
      }
    }
  }

  settled(): boolean {
    return this.next >= this.changes.length;
  }

  fail(error: StaysyncError): void {
    this.pending = null;
    const rest = this.changes.slice(this.next);
    if (rest.length > 0) this.failAll(rest, error);
    else this.settleDropped();
    this.next = this.changes.length;
  }

  private reread(): void {
    if (this.reads >= this.options.maxReads) {
      const first = this.changes[this.next] as Change;
      this.fail(
        new RetriableError(
          `lost the race for ${this.entity}/${this.id} ${this.reads} times (concurrent writer)`,
          { context: { ...first.coords, sink: this.options.sink } },
        ),
      );
      return;
    }
    this.reading = true;
  }

  /** Computes the next write from `stored` and the unsettled changes. */
  private plan(): void {
    while (this.next < this.changes.length) {
      let state = this.stored;
      const changed: boolean[] = [];
      let through = this.next;
      let changes = 0;
      for (let i = this.next; i < this.changes.length; i++) {
        const change = this.changes[i] as Change;
        const after = applyChange(state, change);
        changed.push(after !== state);
        through = i + 1;
        if (after !== state) {
          changes += 1;
          state = after;
          if (this.mode === 'stepwise') break;
        }
      }
      if (changes > 0 && state !== undefined) {
        this.pending = { state, through, changed };
        return;
      }
      // nothing left changes the stored state: stale (or the same event again)
      for (let i = this.next; i < through; i++) {
        const change = this.changes[i] as Change;
        this.settle(change, this.stored?.eventId === change.eventId ? 'duplicate' : 'stale');
      }
      this.next = through;
    }
    this.settleDropped();
  }
}

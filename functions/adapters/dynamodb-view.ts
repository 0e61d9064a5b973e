import {
  type AttributeValue,
  type DynamoDBClient,
  GetItemCommand,
  PutItemCommand,
} from '@aws-sdk/client-dynamodb';
import { unmarshall } from '@aws-sdk/util-dynamodb';
import type { Change } from '../core/change.js';
import { fromViewItem, ViewAttr, viewItemKey } from '../core/dynamodb/view-item.js';
import { PoisonError, RetriableError, type StaysyncError } from '../core/errors.js';
import type { ApplyContext, RecordOutcome } from '../core/sink.js';
import { applyChange, type KeyPlan, planKeys, type ViewState } from '../core/view-state.js';
import { classifyDynamoError } from './dynamodb-errors.js';
import { marshallViewItem } from './dynamodb-view-insert.js';
import { alreadyHolds, type StoredVersion } from './dynamodb-view-preread.js';

export interface DynamoViewWriterOptions {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** how long a tombstone stays (it stops late older writes resurrecting the key). */
  readonly tombstoneTtlSeconds: number;
  /** read-fold-write attempts for one key before giving up on a lost race. @default 5 */
  readonly maxCasAttempts?: number;
  /** @default Date.now */
  readonly now?: () => number;
}

type PutResult =
  /** `existed`: an item was there before (known only when the put asked for ALL_OLD) */
  | { readonly kind: 'written'; readonly existed: boolean }
  /** the guard failed; `old` is the item that made it fail (ALL_OLD), when returned */
  | { readonly kind: 'rejected'; readonly old: ViewState | undefined }
  | { readonly kind: 'failed'; readonly error: StaysyncError };

/** A stored version below this much remaining time is not worth another CAS attempt. */
const MIN_REMAINING_MS = 1_000;

/**
 * Writes the view items of one partition batch, one {@link KeyPlan} at a time
 * (DESIGN §4, "DynamoDB view"):
 * - blind plan: one conditional PutItem `attribute_not_exists(pk) OR _v < :v`, no read.
 *   A failed guard is stale or duplicate (the old item, returned at no extra request by
 *   `ReturnValuesOnConditionCheckFailure: ALL_OLD`, tells which: same `_eventId`);
 * - fold plan (patches, offset-guarded tombstones): a strongly consistent GetItem, the
 *   oracle fold `applyChange`, and a compare-and-set PutItem guarded by the `_v` that was
 *   read (or `attribute_not_exists`), re-read on a lost race, a bounded number of times.
 * A write DynamoDB rejects as invalid (e.g. an item over 400 KB) poisons the change that
 * produced it; the key's remaining changes are then written without it.
 *
 * A blind plan may come with what a pre-read found stored (`readStoredVersions`): when the
 * stored version is already at or above the planned one, the put whose guard would fail
 * is not sent, and the changes get the outcome that failed guard would have given.
 */
export class DynamoViewWriter {
  readonly #opts: Required<DynamoViewWriterOptions>;

  constructor(opts: DynamoViewWriterOptions) {
    this.#opts = { maxCasAttempts: 5, now: Date.now, ...opts };
  }

  /**
   * One outcome per change of the plan (including `dropped`, which are stale).
   * `stored`: what an eventually consistent pre-read found for a blind plan's key (only
   * ever older than the truth, so skipping on it is safe); ignored for fold plans, which
   * read strongly consistent state themselves.
   * `existing`: a blind plan's key is added when its write found an item already stored
   * (the pre-read's, a failed guard, or the old item a put replaced): the sink's evidence
   * for sending INSERTs first (insert-policy.ts).
   */
  async write(
    plan: KeyPlan,
    ctx: ApplyContext,
    stored?: StoredVersion,
    existing?: Set<string>,
  ): Promise<RecordOutcome[]> {
    const kept = plan.kind === 'blind' ? [...plan.superseded, plan.final] : plan.changes;
    if (
      plan.kind === 'blind' &&
      plan.final.guard.kind === 'version' &&
      alreadyHolds(stored, plan.final.guard.ev)
    ) {
      // the put's guard would fail: the same outcome as a rejected blind write, no request
      existing?.add(plan.key);
      const status = stored?.eventId === plan.final.eventId ? 'duplicate' : 'stale';
      return [
        ...plan.dropped.map((c) => outcome(c, 'stale')),
        ...kept.map((c) => outcome(c, status)),
      ];
    }
    const rest =
      plan.kind === 'blind'
        ? await this.#writeBlind(kept, plan.key, existing)
        : await this.#writeFold(kept, ctx);
    const poisoned = new Set(rest.filter((o) => o.status === 'poison').map((o) => o.offset));
    if (poisoned.size > 0 && plan.dropped.length > 0) {
      // A change dropped as older than one that turned out unstorable may be the key's
      // newest storable state: plan the key again without the poison (writes are idempotent).
      const again = [...kept, ...plan.dropped]
        .filter((c) => !poisoned.has(c.coords.offset))
        .sort((a, b) => a.coords.offset - b.coords.offset);
      const replanned = await Promise.all(
        planKeys(again).map((p) => this.write(p, ctx, undefined, existing)),
      );
      return [...rest.filter((o) => o.status === 'poison'), ...replanned.flat()];
    }
    return [...plan.dropped.map((c) => outcome(c, 'stale')), ...rest];
  }

  async #writeBlind(
    kept: readonly Change[],
    key: string,
    existing: Set<string> | undefined,
  ): Promise<RecordOutcome[]> {
    const poisoned: RecordOutcome[] = [];
    for (let n = kept.length; n > 0; n--) {
      const final = kept[n - 1] as Change;
      const others = kept.slice(0, n - 1);
      const state = applyChange(undefined, final) as ViewState;
      const result = await this.#put(
        final,
        state,
        {
          condition: 'attribute_not_exists(#pk) OR #v < :v',
          values: { ':v': { N: String(state.ev) } },
        },
        existing !== undefined,
      );
      if (result.kind === 'rejected' || (result.kind === 'written' && result.existed)) {
        existing?.add(key);
      }
      if (result.kind === 'failed' && result.error instanceof PoisonError) {
        // The newest change is unstorable: the key's state is the previous one's.
        poisoned.push({ offset: final.coords.offset, status: 'poison', error: result.error });
        continue;
      }
      if (result.kind === 'failed') {
        return [...poisoned, ...kept.slice(0, n).map((c) => retry(c, result.error))];
      }
      const status =
        result.kind === 'written'
          ? 'applied'
          : result.old?.eventId === final.eventId
            ? 'duplicate'
            : 'stale';
      return [...poisoned, ...[...others, final].map((c) => outcome(c, status))];
    }
    return poisoned;
  }

  async #writeFold(changes: readonly Change[], ctx: ApplyContext): Promise<RecordOutcome[]> {
    let pending = [...changes];
    const poisoned: RecordOutcome[] = [];
    let lastError: StaysyncError | undefined;
    for (let attempt = 0; attempt < this.#opts.maxCasAttempts && pending.length > 0; attempt++) {
      if (attempt > 0 && ctx.remainingTimeMs() < MIN_REMAINING_MS) break;
      const first = pending[0] as Change;
      const read = await this.#get(first);
      if (read.kind === 'failed') return [...poisoned, ...pending.map((c) => retry(c, read.error))];
      const stored = read.state;
      let state = stored;
      const steps: Array<{ change: Change; applied: boolean; status: RecordOutcome['status'] }> =
        [];
      for (const change of pending) {
        const next = applyChange(state, change);
        const applied = next !== state;
        const status = applied
          ? 'applied'
          : state?.eventId === change.eventId
            ? 'duplicate'
            : 'stale';
        steps.push({ change, applied, status });
        state = next;
      }
      const done = () => [
        ...poisoned,
        ...steps.map((s) => outcome(s.change, s.status as 'applied' | 'stale' | 'duplicate')),
      ];
      if (state === stored || state === undefined) return done();
      const result = await this.#put(
        first,
        state,
        stored === undefined
          ? { condition: 'attribute_not_exists(#pk)', values: {} }
          : { condition: '#v = :old', values: { ':old': { N: String(stored.ev) } } },
      );
      if (result.kind === 'written') return done();
      if (result.kind === 'rejected') {
        lastError = new RetriableError(
          `view item ${viewItemKey(first.entity, first.key)} changed between read and write`,
          { context: first.coords },
        );
        continue; // lost a race with another writer: read again
      }
      if (result.error instanceof PoisonError) {
        // Drop the newest change that reached the write, then fold the rest again.
        const culprit = [...steps].reverse().find((s) => s.applied)?.change as Change;
        poisoned.push({ offset: culprit.coords.offset, status: 'poison', error: result.error });
        pending = pending.filter((c) => c !== culprit);
        attempt--; // not a lost race
        continue;
      }
      return [...poisoned, ...pending.map((c) => retry(c, result.error))];
    }
    const error =
      lastError ??
      new RetriableError('view write ran out of time', { context: (changes[0] as Change).coords });
    return [...poisoned, ...pending.map((c) => retry(c, error))];
  }

  async #get(
    change: Change,
  ): Promise<
    { kind: 'read'; state: ViewState | undefined } | { kind: 'failed'; error: StaysyncError }
  > {
    try {
      const res = await this.#opts.client.send(
        new GetItemCommand({
          TableName: this.#opts.table,
          Key: { [ViewAttr.pk]: { S: viewItemKey(change.entity, change.key) } },
          ConsistentRead: true,
        }),
      );
      return {
        kind: 'read',
        state: res.Item === undefined ? undefined : fromViewItem(unmarshall(res.Item)),
      };
    } catch (err) {
      return { kind: 'failed', error: asStaysync(err, 'view read', change) };
    }
  }

  /** `returnOld`: ask for the replaced item (ALL_OLD) to learn whether one was there; it
   *  costs no capacity ("No read capacity units are consumed", PutItem ReturnValues,
   *  https://docs.aws.amazon.com/amazondynamodb/latest/APIReference/API_PutItem.html). */
  async #put(
    change: Change,
    state: ViewState,
    guard: { condition: string; values: Record<string, AttributeValue> },
    returnOld = false,
  ): Promise<PutResult> {
    const marshalled = marshallViewItem(change, state, {
      nowMs: this.#opts.now(),
      tombstoneTtlSeconds: this.#opts.tombstoneTtlSeconds,
    });
    if ('error' in marshalled) return { kind: 'failed', error: marshalled.error };
    const item = marshalled.item;
    try {
      const res = await this.#opts.client.send(
        new PutItemCommand({
          TableName: this.#opts.table,
          Item: item,
          ConditionExpression: guard.condition,
          // DynamoDB refuses names the expression does not use
          ExpressionAttributeNames: {
            ...(guard.condition.includes('#pk') ? { '#pk': ViewAttr.pk } : {}),
            ...(guard.condition.includes('#v') ? { '#v': ViewAttr.version } : {}),
          },
          ...(Object.keys(guard.values).length > 0
            ? { ExpressionAttributeValues: guard.values }
            : {}),
          ReturnValuesOnConditionCheckFailure: 'ALL_OLD',
          ...(returnOld ? { ReturnValues: 'ALL_OLD' as const } : {}),
        }),
      );
      return { kind: 'written', existed: res.Attributes !== undefined };
    } catch (err) {
      if ((err as { name?: unknown })?.name === 'ConditionalCheckFailedException') {
        const old = (err as { Item?: Record<string, AttributeValue> }).Item;
        return {
          kind: 'rejected',
          old: old === undefined ? undefined : fromViewItem(unmarshall(old)),
        };
      }
      return { kind: 'failed', error: asStaysync(err, 'view write', change) };
    }
  }
}

/** Poison or retriable, as an outcome; any other failure is thrown (see classifyDynamoError). */
function asStaysync(err: unknown, what: string, change: Change): StaysyncError {
  const classified = classifyDynamoError(err, what, change.coords);
  if (classified instanceof PoisonError || classified.retriable) return classified;
  throw classified;
}

const outcome = (change: Change, status: 'applied' | 'stale' | 'duplicate'): RecordOutcome => ({
  offset: change.coords.offset,
  status,
});

const retry = (change: Change, error: StaysyncError): RecordOutcome =>
  error instanceof PoisonError
    ? { offset: change.coords.offset, status: 'poison', error }
    : { offset: change.coords.offset, status: 'retry', error };

import type { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import {
  insertViewItems,
  marshallViewItem,
  type ViewInsert,
} from '../adapters/dynamodb-view-insert.js';
import type { StoredVersion } from '../adapters/dynamodb-view-preread.js';
import { viewItemKey } from '../core/dynamodb/view-item.js';
import type { RecordOutcome } from '../core/sink.js';
import { applyChange, type KeyPlan, type ViewState } from '../core/view-state.js';

export interface InsertTarget {
  readonly client: DynamoDBClient;
  readonly table: string;
  /** INSERT batches in flight */
  readonly concurrency: number;
  readonly now: () => number;
  readonly tombstoneTtlSeconds: number;
}

export interface Inserted {
  /** the plans done here (by `KeyPlan.key`): every other plan still needs its guarded put */
  readonly keys: ReadonlySet<string>;
  readonly outcomes: readonly RecordOutcome[];
}

export const NOTHING_INSERTED: Inserted = Object.freeze({ keys: new Set<string>(), outcomes: [] });

type BlindPlan = Extract<KeyPlan, { kind: 'blind' }>;

/**
 * Writes the blind plans the pre-read found nothing for as PartiQL INSERTs, 25 a request
 * (the caller does so only while its partition's keys are almost all new: insert-policy.ts).
 * An INSERT writes only a key that is absent, where the guarded put
 * `attribute_not_exists(pk) OR _v < :v` would have written the same item, so the outcome is
 * the put's: `applied` for the kept changes, `stale` for the dropped ones. A key found
 * stored is added to `existing` and, like any other answer, left to the guarded PutItem;
 * so is a change DynamoDB cannot hold (the put path makes it poison).
 */
export async function insertNewKeys(
  target: InsertTarget,
  plans: readonly KeyPlan[],
  stored: ReadonlyMap<string, StoredVersion>,
  existing: Set<string>,
): Promise<Inserted> {
  const candidates = new Map<string, BlindPlan>();
  const inserts: ViewInsert[] = [];
  const opts = { nowMs: target.now(), tombstoneTtlSeconds: target.tombstoneTtlSeconds };
  for (const plan of plans) {
    if (plan.kind !== 'blind' || stored.has(plan.key)) continue;
    const state = applyChange(undefined, plan.final) as ViewState;
    const marshalled = marshallViewItem(plan.final, state, opts);
    if ('error' in marshalled) continue;
    const pk = viewItemKey(plan.final.entity, plan.final.key);
    candidates.set(pk, plan);
    inserts.push({ pk, item: marshalled.item });
  }
  if (inserts.length < 2) return NOTHING_INSERTED; // one statement saves no request
  const answers = await insertViewItems(target.client, target.table, inserts, target.concurrency);
  const keys = new Set<string>();
  const outcomes: RecordOutcome[] = [];
  for (const [pk, answer] of answers) {
    const plan = candidates.get(pk) as BlindPlan;
    if (answer === 'exists') existing.add(plan.key);
    if (answer !== 'inserted') continue;
    keys.add(plan.key);
    for (const c of plan.dropped) outcomes.push({ offset: c.coords.offset, status: 'stale' });
    for (const c of [...plan.superseded, plan.final]) {
      outcomes.push({ offset: c.coords.offset, status: 'applied' });
    }
  }
  return { keys, outcomes };
}

import type { Change } from './change.js';

/**
 * The state a *state* sink (DynamoDB view, OpenSearch index) keeps per entity key, and
 * the one rule every such store follows. `applyChange` is the oracle: property tests
 * compare every store against folding the log through it, and sinks that must read
 * before writing (patches, offset-guarded tombstones) use it to compute the write.
 */
export interface ViewState {
  /** effective version (see change.ts): 2×source version, odd after an offset-guarded tombstone */
  readonly ev: number;
  readonly deleted: boolean;
  /** current data; null when deleted */
  readonly data: Readonly<Record<string, unknown>> | null;
  readonly sourceVersion: number | null;
  readonly eventId: string;
  readonly ts: string;
  /** coordinates of the record that wrote this state */
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
}

/**
 * Applies one change to the stored state (undefined: nothing stored). Returns the same
 * object when the change does not apply (stale, duplicate, or a tombstone with nothing
 * of this partition's past to delete).
 *
 * - versioned change: applies iff nothing is stored or `stored.ev < ev`;
 *   upsert → data; patch → shallow merge over live data (over `{}` when absent/deleted);
 *   delete → tombstone state (kept, so a late older write cannot resurrect the key).
 * - offset-guarded tombstone: applies iff the stored state is live and was written from an
 *   earlier offset of the same topic-partition; stored at `stored.ev + 1`.
 */
export function applyChange(state: ViewState | undefined, change: Change): ViewState | undefined {
  const { coords } = change;
  if (change.guard.kind === 'offset') {
    if (
      state === undefined ||
      state.deleted ||
      state.topic !== coords.topic ||
      state.partition !== coords.partition ||
      state.offset >= coords.offset
    ) {
      return state;
    }
    return { ...stamp(change), ev: state.ev + 1, deleted: true, data: null };
  }
  const { ev } = change.guard;
  if (state !== undefined && state.ev >= ev) return state;
  switch (change.op) {
    case 'upsert':
      return { ...stamp(change), ev, deleted: false, data: { ...(change.data ?? {}) } };
    case 'patch': {
      const base = state === undefined || state.deleted || state.data === null ? {} : state.data;
      return { ...stamp(change), ev, deleted: false, data: { ...base, ...(change.data ?? {}) } };
    }
    case 'delete':
      return { ...stamp(change), ev, deleted: true, data: null };
  }
}

const stamp = (change: Change) => ({
  sourceVersion: change.sourceVersion,
  eventId: change.eventId,
  ts: change.ts,
  topic: change.coords.topic,
  partition: change.coords.partition,
  offset: change.coords.offset,
});

/** Folds changes (in offset order) over a stored state: the oracle for one key. */
export const foldChanges = (state: ViewState | undefined, changes: readonly Change[]) =>
  changes.reduce<ViewState | undefined>(applyChange, state);

/** Identity of an entity across stores: `<entity>#<key>`. */
export const entityKey = (change: Pick<Change, 'entity' | 'key'>): string =>
  `${change.entity}#${change.key}`;

/**
 * How a sink writes the changes of one key within one partition batch.
 * - `blind`: only versioned upserts/deletes; the last one (highest ev) is the whole effect,
 *   written with the guard `stored.ev < ev` and no read. `superseded` lists the changes it
 *   makes redundant (their outcome follows the final write's).
 * - `fold`: patches or offset-guarded tombstones are involved; the sink reads the stored
 *   state, computes `foldChanges(stored, changes)`, and writes the result guarded by the
 *   stored ev being unchanged (re-reading on a lost race).
 * In both, `dropped` are changes the batch itself proves stale (a version at or below
 * one seen earlier in the batch for the key): no store can need them.
 */
export type KeyPlan =
  | {
      readonly kind: 'blind';
      readonly key: string;
      readonly final: Change;
      readonly superseded: readonly Change[];
      readonly dropped: readonly Change[];
    }
  | {
      readonly kind: 'fold';
      readonly key: string;
      readonly changes: readonly Change[];
      readonly dropped: readonly Change[];
    };

/** Shared by every plan with nothing superseded or dropped (readonly; frozen to keep it so). */
const NONE: readonly Change[] = Object.freeze([]);

/** Groups a partition batch's changes by entity key (first-seen order) and plans each key. */
export function planKeys(changes: readonly Change[]): KeyPlan[] {
  // Changes are grouped by entity, then by key, so no `<entity>#<key>` string is built per
  // change (only one per key, for its plan); most keys change once per batch, so a key's
  // first change is kept as is and a list made only for a key that changes again.
  const groups: (Change | Change[])[] = [];
  const byEntity = new Map<string, Map<string, number>>();
  let entity: string | undefined;
  let byKey = new Map<string, number>();
  for (const change of changes) {
    if (change.entity !== entity) {
      entity = change.entity;
      // `a#b` + `c` and `a` + `b#c` share one entity key: group by that string instead
      if (entity.includes('#')) return planKeysByEntityKey(changes);
      const known = byEntity.get(entity);
      if (known === undefined) {
        byKey = new Map();
        byEntity.set(entity, byKey);
      } else byKey = known;
    }
    const at = byKey.get(change.key);
    if (at === undefined) {
      byKey.set(change.key, groups.length);
      groups.push(change);
    } else {
      const seen = groups[at] as Change | Change[];
      if (Array.isArray(seen)) seen.push(change);
      else groups[at] = [seen, change];
    }
  }
  const plans: KeyPlan[] = new Array(groups.length);
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i] as Change | Change[];
    plans[i] = Array.isArray(group)
      ? planKey(entityKey(group[0] as Change), group)
      : planOne(entityKey(group), group);
  }
  return plans;
}

/** {@link planKeys} grouping by the `<entity>#<key>` string itself. */
function planKeysByEntityKey(changes: readonly Change[]): KeyPlan[] {
  const byKey = new Map<string, Change | Change[]>();
  for (const change of changes) {
    const k = entityKey(change);
    const seen = byKey.get(k);
    if (seen === undefined) byKey.set(k, change);
    else if (Array.isArray(seen)) seen.push(change);
    else byKey.set(k, [seen, change]);
  }
  const plans: KeyPlan[] = [];
  byKey.forEach((seen, key) => {
    plans.push(Array.isArray(seen) ? planKey(key, seen) : planOne(key, seen));
  });
  return plans;
}

/** The plan of a key with one change: `planKey(key, [change])` without its arrays. */
function planOne(key: string, change: Change): KeyPlan {
  return change.guard.kind === 'version' && change.op !== 'patch'
    ? { kind: 'blind', key, final: change, superseded: NONE, dropped: NONE }
    : { kind: 'fold', key, changes: [change], dropped: NONE };
}

function planKey(key: string, changes: readonly Change[]): KeyPlan {
  let maxEv = -1;
  let kept: Change[] | undefined;
  let dropped: Change[] | undefined;
  let blind = true;
  for (let i = 0; i < changes.length; i++) {
    const change = changes[i] as Change;
    if (change.guard.kind === 'version') {
      if (change.guard.ev <= maxEv) {
        // the first drop: every change before it was kept
        kept ??= changes.slice(0, i);
        dropped ??= [];
        dropped.push(change);
        continue;
      }
      maxEv = change.guard.ev;
      if (change.op === 'patch') blind = false;
    } else {
      blind = false;
    }
    kept?.push(change);
  }
  const all = kept ?? changes;
  if (blind) {
    const final = all[all.length - 1];
    if (final === undefined) throw new Error(`planKey: no change for ${key}`);
    return { kind: 'blind', key, final, superseded: all.slice(0, -1), dropped: dropped ?? NONE };
  }
  return { kind: 'fold', key, changes: kept ?? changes, dropped: dropped ?? NONE };
}

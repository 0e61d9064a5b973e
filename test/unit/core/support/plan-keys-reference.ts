/**
 * `planKeys` as first written, kept verbatim as the oracle of
 * test/unit/core/plan-keys.property.test.ts: the optimised planner must give the same
 * plans, in the same order, with the same changes in every list.
 */
import type { Change } from '../../../../functions/core/change.js';
import { entityKey, type KeyPlan } from '../../../../functions/core/view-state.js';

export function referencePlanKeys(changes: readonly Change[]): KeyPlan[] {
  const byKey = new Map<string, Change[]>();
  for (const change of changes) {
    const k = entityKey(change);
    const list = byKey.get(k);
    if (list === undefined) byKey.set(k, [change]);
    else list.push(change);
  }
  return [...byKey].map(([key, list]) => planKey(key, list));
}

function planKey(key: string, changes: readonly Change[]): KeyPlan {
  let maxEv = -1;
  const kept: Change[] = [];
  const dropped: Change[] = [];
  for (const change of changes) {
    if (change.guard.kind === 'version') {
      if (change.guard.ev <= maxEv) {
        dropped.push(change);
        continue;
      }
      maxEv = change.guard.ev;
    }
    kept.push(change);
  }
  const blind = kept.every((c) => c.guard.kind === 'version' && c.op !== 'patch');
  if (blind) {
    const final = kept[kept.length - 1];
    if (final === undefined) throw new Error(`planKey: no change for ${key}`);
    return { kind: 'blind', key, final, superseded: kept.slice(0, -1), dropped };
  }
  return { kind: 'fold', key, changes: kept, dropped };
}

import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type { Change } from '../../../functions/core/change.js';
import { planKeys } from '../../../functions/core/view-state.js';
import { referencePlanKeys } from './support/plan-keys-reference.js';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`planKeys properties: FC_SEED=${SEED}`);

/** Changes of a partition batch: few keys of a few entities (so keys repeat, and entity keys
 *  like `a#1#1` arise from two pairs when an entity holds a `#`), every op,
 *  versions that repeat and go backwards, and offset-guarded tombstones. */
const batch = fc
  .array(
    fc.record({
      entity: fc.constantFrom('customer', 'order', 'a', 'a#1'),
      key: fc.constantFrom('1', '2', '3', '1#x', 'a#1', '1#1'),
      op: fc.constantFrom('upsert', 'patch', 'delete'),
      version: fc.oneof({ weight: 5, arbitrary: fc.nat({ max: 6 }) }, fc.constant(null)),
    }),
    { maxLength: 30 },
  )
  .map((steps) =>
    steps.map(
      (s, offset): Change => ({
        eventId: `e${offset}`,
        entity: s.entity,
        key: s.key,
        op: s.version === null ? 'delete' : s.op,
        guard: s.version === null ? { kind: 'offset' } : { kind: 'version', ev: 2 * s.version },
        sourceVersion: s.version,
        ts: '2026-11-26T10:00:00Z',
        ...(s.op !== 'delete' && s.version !== null ? { data: { n: offset } } : {}),
        coords: { topic: 't', partition: 0, offset },
        tombstone: s.version === null,
      }),
    ),
  );

describe('planKeys against the original planner', () => {
  it('gives the same plans in the same order, holding the very same changes', () => {
    fc.assert(
      fc.property(batch, (changes) => {
        const actual = planKeys(changes);
        const expected = referencePlanKeys(changes);
        expect(actual).toEqual(expected);
        // the same Change objects, not copies: sinks report outcomes per change
        const flat = (plans: typeof actual) =>
          plans.flatMap((p) =>
            p.kind === 'blind'
              ? [...p.superseded, p.final, ...p.dropped]
              : [...p.changes, ...p.dropped],
          );
        const a = flat(actual);
        const e = flat(expected);
        expect(a.length).toBe(e.length);
        for (const [i, c] of a.entries()) expect(c).toBe(e[i]);
      }),
      { seed: SEED, numRuns: 3000 },
    );
  });
});

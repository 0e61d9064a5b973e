import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { MAX_JSON_DEPTH, nestsDeeperThan } from '../../../functions/core/limits.js';

const SEED = Number(process.env.FC_SEED ?? Math.floor(Math.random() * 2 ** 31));
console.info(`nesting-depth properties: FC_SEED=${SEED}`);

/** The oracle: the nesting depth of objects/arrays (own properties only), unbounded. */
function depth(value: unknown): number {
  if (typeof value !== 'object' || value === null) return 0;
  const children = Array.isArray(value) ? value : Object.values(value);
  return 1 + Math.max(0, ...children.map(depth));
}

/** `inner` wrapped `levels` times, each level an object or an array (by `kinds`). */
const nest = (inner: unknown, kinds: readonly boolean[]): unknown =>
  kinds.reduce<unknown>((acc, isArray) => (isArray ? [1, acc] : { a: 'x', b: acc }), inner);

const container = fc.oneof(
  fc.dictionary(fc.string(), fc.jsonValue({ maxDepth: 6 })),
  fc.array(fc.jsonValue({ maxDepth: 6 })),
);

describe('nestsDeeperThan', () => {
  it('is depth(value) > max for any JSON object or array', () => {
    fc.assert(
      fc.property(container, fc.integer({ min: 0, max: 9 }), (value, max) => {
        expect(nestsDeeperThan(value, max)).toBe(depth(value) > max);
      }),
      { seed: SEED, numRuns: 1000 },
    );
  });

  it('accepts exactly MAX_JSON_DEPTH levels of objects and arrays, not one more', () => {
    fc.assert(
      fc.property(
        fc.array(fc.boolean(), { minLength: MAX_JSON_DEPTH - 1, maxLength: MAX_JSON_DEPTH - 1 }),
        fc.boolean(),
        fc.jsonValue({ maxDepth: 0 }),
        (kinds, deeper, leaf) => {
          const value = nest(deeper ? [[leaf]] : [leaf], kinds) as object;
          expect(depth(value)).toBe(deeper ? MAX_JSON_DEPTH + 1 : MAX_JSON_DEPTH);
          expect(nestsDeeperThan(value, MAX_JSON_DEPTH)).toBe(deeper);
        },
      ),
      { seed: SEED, numRuns: 200 },
    );
  });

  it('counts own properties only: an inherited enumerable object is not descended into', () => {
    const proto = { inherited: nest(1, new Array(10).fill(false)) };
    const value = Object.create(proto) as Record<string, unknown>;
    value.own = { flat: 1 };
    expect(nestsDeeperThan(value, 3)).toBe(false);
    expect(nestsDeeperThan(value, 1)).toBe(true);
  });
});

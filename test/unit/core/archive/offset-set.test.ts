import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { OffsetSet, rangesMissing } from '../../../../functions/core/archive/offset-set.js';

const expand = (ranges: ReadonlyArray<readonly [number, number]>) =>
  ranges.flatMap(([a, b]) => Array.from({ length: b - a + 1 }, (_, i) => a + i));

describe('OffsetSet', () => {
  it('behaves like a set of numbers, stored as sorted runs', () => {
    fc.assert(
      fc.property(fc.array(fc.nat({ max: 200 }), { maxLength: 200 }), (offsets) => {
        const set = new OffsetSet();
        const model = new Set<number>();
        for (const o of offsets) {
          expect(set.add(o)).toBe(!model.has(o));
          model.add(o);
        }
        const sorted = [...model].sort((a, b) => a - b);
        expect(expand(set.ranges())).toEqual(sorted);
        expect(set.size).toBe(model.size);
        expect(set.min()).toBe(sorted[0]);
        expect(set.max()).toBe(sorted[sorted.length - 1]);
        for (let o = 0; o <= 201; o++) expect(set.has(o)).toBe(model.has(o));
        const runs = set.ranges();
        for (let i = 1; i < runs.length; i++) {
          expect((runs[i] as [number, number])[0]).toBeGreaterThan(
            (runs[i - 1] as [number, number])[1] + 1,
          );
        }
        const holes = expand(set.gaps());
        const lo = sorted[0] ?? 0;
        const hi = sorted[sorted.length - 1] ?? -1;
        expect(holes).toEqual(
          Array.from({ length: Math.max(0, hi - lo + 1) }, (_, i) => lo + i).filter(
            (o) => !model.has(o),
          ),
        );
      }),
    );
  });

  it('adds a long disjoint range at the end in one step', () => {
    const set = new OffsetSet();
    set.addRange(0, 9);
    set.addRange(1_000, 1_000_000_000);
    expect(set.size).toBe(10 + 999_999_001);
    expect(set.ranges()).toEqual([
      [0, 9],
      [1_000, 1_000_000_000],
    ]);
  });
});

describe('rangesMissing', () => {
  it('lists the offsets of one set absent from another within bounds', () => {
    fc.assert(
      fc.property(
        fc.array(fc.nat({ max: 100 }), { maxLength: 80 }),
        fc.array(fc.nat({ max: 100 }), { maxLength: 80 }),
        fc.nat({ max: 100 }),
        fc.nat({ max: 100 }),
        (a, b, x, y) => {
          const [lo, hi] = x <= y ? [x, y] : [y, x];
          const sa = new OffsetSet();
          const sb = new OffsetSet();
          for (const o of a) sa.add(o);
          for (const o of b) sb.add(o);
          const want = [...new Set(a)]
            .filter((o) => !b.includes(o) && o >= lo && o <= hi)
            .sort((p, q) => p - q);
          expect(expand(rangesMissing(sa, sb, lo, hi))).toEqual(want);
        },
      ),
    );
  });
});

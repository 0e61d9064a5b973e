import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  type CoveredRange,
  normalizeRanges,
  planSegments,
  startsToInspect,
} from '../../../../functions/core/archive/plan.js';

const r = (startOffset: number, endOffset: number): CoveredRange => ({ startOffset, endOffset });

describe('planSegments', () => {
  it('writes the whole batch as one object when nothing covers it', () => {
    expect(planSegments([100, 101, 102], [])).toEqual({
      covered: [],
      segments: [{ from: 0, to: 3 }],
    });
  });

  it('skips what an earlier object covers and continues after its end', () => {
    // crashed attempt wrote 100..149; the retry brings 100..200
    const offsets = Array.from({ length: 101 }, (_, i) => 100 + i);
    const plan = planSegments(offsets, [r(100, 149)]);
    expect(plan.covered).toHaveLength(50);
    expect(plan.segments).toEqual([{ from: 50, to: 101 }]);
  });

  it('treats a batch entirely inside an earlier, longer object as duplicates', () => {
    expect(planSegments([120, 121], [r(100, 300)])).toEqual({ covered: [0, 1], segments: [] });
  });

  it('splits around an object that starts in the middle of the batch', () => {
    const plan = planSegments([100, 101, 102, 103, 104, 105], [r(102, 103)]);
    expect(plan.covered).toEqual([2, 3]);
    expect(plan.segments).toEqual([
      { from: 0, to: 2 },
      { from: 4, to: 6 },
    ]);
  });

  it('splits two records when an object lies between them even if it covers none of the batch', () => {
    expect(planSegments([100, 105], [r(101, 103)]).segments).toEqual([
      { from: 0, to: 1 },
      { from: 1, to: 2 },
    ]);
  });

  it('always partitions the batch into covered records and segments that overlap no object', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(fc.nat({ max: 300 }), { maxLength: 60 }).map((a) => a.sort((x, y) => x - y)),
        fc.array(
          fc.tuple(fc.nat({ max: 300 }), fc.nat({ max: 40 })).map(([s, len]) => r(s, s + len)),
          { maxLength: 6 },
        ),
        (offsets, ranges) => {
          const plan = planSegments(offsets, ranges);
          const inRange = (o: number) => ranges.some((x) => x.startOffset <= o && o <= x.endOffset);
          const seen = new Set<number>();
          for (const i of plan.covered) {
            expect(inRange(offsets[i] as number)).toBe(true);
            seen.add(i);
          }
          let prevTo = -1;
          for (const seg of plan.segments) {
            expect(seg.from).toBeGreaterThan(prevTo - 1);
            expect(seg.to).toBeGreaterThan(seg.from);
            prevTo = seg.to;
            const lo = offsets[seg.from] as number;
            const hi = offsets[seg.to - 1] as number;
            // the object's range [lo, hi] must not intersect any existing object
            for (const x of ranges) expect(x.endOffset < lo || x.startOffset > hi).toBe(true);
            for (let i = seg.from; i < seg.to; i++) {
              expect(seen.has(i)).toBe(false);
              seen.add(i);
            }
          }
          expect(seen.size).toBe(offsets.length);
          // maximal: two consecutive segments are separated by a covered record or an object
          for (let k = 1; k < plan.segments.length; k++) {
            const a = offsets[(plan.segments[k - 1] as { to: number }).to - 1] as number;
            const b = offsets[(plan.segments[k] as { from: number }).from] as number;
            expect(ranges.some((x) => x.startOffset <= b && x.endOffset >= a)).toBe(true);
          }
        },
      ),
    );
  });
});

describe('normalizeRanges', () => {
  it('merges overlapping and touching ranges in start order', () => {
    expect(normalizeRanges([r(10, 12), r(0, 3), r(4, 5), r(11, 20)])).toEqual([r(0, 5), r(10, 20)]);
  });
});

describe('startsToInspect', () => {
  it('keeps the last object starting before the batch and every object starting inside it', () => {
    expect(startsToInspect([5, 50, 90, 120, 150, 260], 100, 200)).toEqual([90, 120, 150]);
    expect(startsToInspect([], 100, 200)).toEqual([]);
    expect(startsToInspect([300], 100, 200)).toEqual([]);
  });
});

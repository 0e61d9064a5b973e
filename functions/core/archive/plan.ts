/**
 * Which records of a partition batch still need archiving, and how to split them into
 * objects, given the offset ranges that existing objects already cover.
 *
 * The archive of a partition is a chain of objects with disjoint offset ranges. A new
 * object must never overlap an existing one, so:
 * - a record inside an existing object's range is a duplicate (not written again);
 * - the remaining records form segments: maximal runs of batch records with no existing
 *   range in between. A segment becomes one object, keyed by its first record's offset.
 */

export interface CoveredRange {
  readonly startOffset: number;
  readonly endOffset: number;
}

export interface Segment {
  /** index of the segment's first record in the batch */
  readonly from: number;
  /** index one past its last record */
  readonly to: number;
}

export interface SegmentPlan {
  /** indexes of records already covered by an existing object */
  readonly covered: readonly number[];
  /** uncovered records, in batch order */
  readonly segments: readonly Segment[];
}

/** Sorted by start, merged where they overlap or touch. */
export function normalizeRanges(ranges: readonly CoveredRange[]): CoveredRange[] {
  const sorted = [...ranges].sort((a, b) => a.startOffset - b.startOffset);
  const out: CoveredRange[] = [];
  for (const r of sorted) {
    const last = out[out.length - 1];
    if (last !== undefined && r.startOffset <= last.endOffset + 1) {
      if (r.endOffset > last.endOffset)
        out[out.length - 1] = { startOffset: last.startOffset, endOffset: r.endOffset };
    } else out.push({ startOffset: r.startOffset, endOffset: r.endOffset });
  }
  return out;
}

/** Whether one of `ranges` holds `offset`. */
export const holdsOffset = (ranges: readonly CoveredRange[], offset: number): boolean =>
  ranges.some((r) => r.startOffset <= offset && offset <= r.endOffset);

/** Index of the first range whose end is at or above `offset` (ranges normalized). */
function firstEndingAtOrAfter(ranges: readonly CoveredRange[], offset: number): number {
  let lo = 0;
  let hi = ranges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ranges[mid] as CoveredRange).endOffset < offset) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Plans a batch (`offsets` strictly ascending) against the covered ranges.
 *
 * @example
 * planSegments([100, 101, 102, 105, 106], [{ startOffset: 101, endOffset: 101 }, { startOffset: 103, endOffset: 104 }])
 * // → covered [1], segments [{from:0,to:1}, {from:2,to:3}, {from:3,to:5}]
 * //   (102 and 105 are split: the object 103..104 lies between them)
 */
export function planSegments(
  offsets: readonly number[],
  ranges: readonly CoveredRange[],
): SegmentPlan {
  const norm = normalizeRanges(ranges);
  const covered: number[] = [];
  const segments: Segment[] = [];
  let open: { from: number; lastOffset: number } | null = null;
  for (let i = 0; i < offsets.length; i++) {
    const offset = offsets[i] as number;
    const next = norm[firstEndingAtOrAfter(norm, offset)];
    if (next !== undefined && next.startOffset <= offset) {
      covered.push(i);
      if (open !== null) segments.push({ from: open.from, to: i });
      open = null;
      continue;
    }
    if (open !== null) {
      // an existing range strictly between the previous record and this one splits the run
      const between = norm[firstEndingAtOrAfter(norm, open.lastOffset)];
      if (between !== undefined && between.startOffset < offset) {
        segments.push({ from: open.from, to: i });
        open = { from: i, lastOffset: offset };
        continue;
      }
      open.lastOffset = offset;
    } else open = { from: i, lastOffset: offset };
  }
  if (open !== null) segments.push({ from: open.from, to: offsets.length });
  return { covered, segments };
}

/**
 * Of the objects listed with start offsets in the scanned window, those whose range must
 * be read (HEAD) to plan a batch whose first record is `firstOffset` and last `lastOffset`:
 * the one starting last before `firstOffset` (objects are disjoint, so only it can reach
 * into the batch) and every one starting within the batch.
 */
export function startsToInspect(
  listedStarts: readonly number[],
  firstOffset: number,
  lastOffset: number,
): number[] {
  let before: number | undefined;
  const within: number[] = [];
  for (const s of listedStarts) {
    if (s < firstOffset) {
      if (before === undefined || s > before) before = s;
    } else if (s <= lastOffset) within.push(s);
  }
  const out = before === undefined ? within : [before, ...within];
  return [...new Set(out)].sort((a, b) => a - b);
}

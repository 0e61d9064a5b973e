/**
 * A set of non-negative integer offsets stored as sorted disjoint inclusive runs, so a
 * contiguous partition of a million offsets costs one run. Appending in ascending order
 * (the common case) is O(1); other inserts are O(log n + n) in the number of runs.
 */
export class OffsetSet {
  private readonly runs: Array<[number, number]> = [];
  private count = 0;

  /** Adds an offset; returns false when it was already present. */
  add(offset: number): boolean {
    const runs = this.runs;
    const last = runs[runs.length - 1];
    if (last === undefined || offset > last[1] + 1) {
      runs.push([offset, offset]);
    } else if (offset === last[1] + 1) {
      last[1] = offset;
    } else {
      const i = this.indexOfRunEndingAtOrAfter(offset);
      const run = runs[i];
      if (run !== undefined && run[0] <= offset) return false;
      const prev = runs[i - 1];
      const joinsPrev = prev !== undefined && prev[1] + 1 === offset;
      const joinsNext = run !== undefined && run[0] - 1 === offset;
      if (joinsPrev && joinsNext) {
        prev[1] = run[1];
        runs.splice(i, 1);
      } else if (joinsPrev) prev[1] = offset;
      else if (joinsNext) run[0] = offset;
      else runs.splice(i, 0, [offset, offset]);
    }
    this.count++;
    return true;
  }

  /** Adds every offset of an inclusive range. */
  addRange(lo: number, hi: number): void {
    const last = this.runs[this.runs.length - 1];
    if (last === undefined || lo > last[1] + 1) {
      // appending a disjoint run: O(1) whatever its length
      this.runs.push([lo, hi]);
      this.count += hi - lo + 1;
      return;
    }
    for (let o = lo; o <= hi; o++) this.add(o);
  }

  has(offset: number): boolean {
    const run = this.runs[this.indexOfRunEndingAtOrAfter(offset)];
    return run !== undefined && run[0] <= offset;
  }

  get size(): number {
    return this.count;
  }

  /** The runs, ascending, as `[first, last]` pairs. */
  ranges(): ReadonlyArray<readonly [number, number]> {
    return this.runs.map(([a, b]) => [a, b] as const);
  }

  min(): number | undefined {
    return this.runs[0]?.[0];
  }

  max(): number | undefined {
    return this.runs[this.runs.length - 1]?.[1];
  }

  /** The holes between the first and the last offset, as inclusive ranges. */
  gaps(): Array<readonly [number, number]> {
    const out: Array<readonly [number, number]> = [];
    for (let i = 1; i < this.runs.length; i++) {
      out.push([
        (this.runs[i - 1] as [number, number])[1] + 1,
        (this.runs[i] as [number, number])[0] - 1,
      ]);
    }
    return out;
  }

  private indexOfRunEndingAtOrAfter(offset: number): number {
    let lo = 0;
    let hi = this.runs.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if ((this.runs[mid] as [number, number])[1] < offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** An inclusive range of offsets. */
export type OffsetRange = readonly [number, number];

/** `0..4, 7, 9..12` */
export const fmtRanges = (ranges: readonly OffsetRange[]): string =>
  ranges.map(([a, b]) => (a === b ? `${a}` : `${a}..${b}`)).join(', ');

/** Offsets of `a` that are not in `b`, as inclusive ranges, limited to `[lo, hi]`. */
export function rangesMissing(
  a: OffsetSet,
  b: OffsetSet,
  lo = 0,
  hi = Number.MAX_SAFE_INTEGER,
): Array<readonly [number, number]> {
  const out: Array<readonly [number, number]> = [];
  const bRuns = b.ranges();
  let j = 0;
  for (const [s0, e0] of a.ranges()) {
    let s = Math.max(s0, lo);
    const e = Math.min(e0, hi);
    if (s > e) continue;
    while (j < bRuns.length && (bRuns[j] as readonly [number, number])[1] < s) j++;
    let k = j;
    while (s <= e) {
      const run = bRuns[k];
      if (run === undefined || run[0] > e) {
        out.push([s, e]);
        break;
      }
      if (run[0] > s) out.push([s, run[0] - 1]);
      s = run[1] + 1;
      k++;
    }
  }
  return out;
}

/**
 * Source versions for producers that have none of their own (no row version, no LSN):
 * microseconds since the epoch, strictly increasing within the process even when several
 * changes happen in one microsecond or the wall clock steps back. Versions from two
 * processes are ordered by time, which is what "last writer wins" means for them.
 *
 * 2026 in microseconds is ~1.8e15, below the 2^52 − 1 cap of DESIGN §3.1 for a century.
 */
export interface VersionClock {
  next(): number;
}

export function createVersionClock(now: () => number = Date.now): VersionClock {
  let last = 0;
  return {
    next() {
      last = Math.max(last + 1, Math.floor(now() * 1000));
      return last;
    },
  };
}

/** Progress of a rebuild (pure): records done of a total, rate and ETA. */

export interface ProgressSample {
  readonly done: number;
  readonly total: number;
  /** ms since the phase began */
  readonly elapsedMs: number;
}

export function formatProgress(phase: string, s: ProgressSample): string {
  const rate = s.elapsedMs > 0 ? (s.done * 1000) / s.elapsedMs : 0;
  const left = Math.max(0, s.total - s.done);
  const eta = rate > 0 ? `${Math.ceil(left / rate)} s` : '?';
  const pct = s.total > 0 ? Math.floor((100 * Math.min(s.done, s.total)) / s.total) : 100;
  return `  ${phase}: ${s.done}/${s.total} records (${pct}%), ${rate.toFixed(0)} records/s, ETA ${left === 0 ? '0 s' : eta}`;
}

/**
 * An `onProgress(done, total)` callback that logs `formatProgress` at most once a second
 * (and always at the end).
 */
export function progressPrinter(log: (line: string) => void, now: () => number = Date.now) {
  return (phase: string) => {
    const began = now();
    let lastPrinted = -Infinity;
    return (done: number, total: number) => {
      const t = now();
      if (t - lastPrinted < 1000 && done < total) return;
      lastPrinted = t;
      log(formatProgress(phase, { done, total, elapsedMs: t - began }));
    };
  };
}

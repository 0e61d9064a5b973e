import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { inject } from 'vitest';

/**
 * Counts fault schedules across the unit project: every property that injects faults
 * records each run here, and test/support/fault-stats-setup.ts prints the one summary
 * line when the project ends (`fault schedules: N run, M fired, by point: …`).
 */
export class FaultStats {
  runs = 0;
  fired = 0;
  readonly byPoint = new Map<string, number>();

  /**
   * One schedule ran; `points` are where its faults fired, in order (`write:crash-after`,
   * `ledger read:retry-before`, …). `by point` counts the first fault of each run: the
   * one drawn over all the run's store calls.
   */
  record(points: readonly string[]): void {
    this.runs++;
    const first = points[0]?.split(':')[0];
    if (first === undefined) return;
    this.fired++;
    this.byPoint.set(first, (this.byPoint.get(first) ?? 0) + 1);
  }

  /** Hands this file's counts to the global setup (a no-op outside the unit project). */
  flush(): void {
    const dir = inject('faultStatsDir');
    if (dir === undefined || this.runs === 0) return;
    const line = { runs: this.runs, fired: this.fired, byPoint: Object.fromEntries(this.byPoint) };
    appendFileSync(join(dir, `${process.pid}.jsonl`), `${JSON.stringify(line)}\n`);
  }
}

declare module 'vitest' {
  export interface ProvidedContext {
    faultStatsDir?: string;
  }
}

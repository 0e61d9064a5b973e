import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TestProject } from 'vitest/node';

/**
 * Global setup of the unit project: a folder where fault-injecting properties leave their
 * counts (test/support/fault-stats.ts), summed into one line at the end of the run.
 */
export default function setup(project: TestProject): () => void {
  const dir = mkdtempSync(join(tmpdir(), 'staysync-fault-stats-'));
  project.provide('faultStatsDir', dir);
  return () => {
    let runs = 0;
    let fired = 0;
    const byPoint = new Map<string, number>();
    for (const file of readdirSync(dir)) {
      for (const line of readFileSync(join(dir, file), 'utf8').split('\n')) {
        if (line === '') continue;
        const stats = JSON.parse(line) as {
          runs: number;
          fired: number;
          byPoint: Record<string, number>;
        };
        runs += stats.runs;
        fired += stats.fired;
        for (const [point, n] of Object.entries(stats.byPoint))
          byPoint.set(point, (byPoint.get(point) ?? 0) + n);
      }
    }
    rmSync(dir, { recursive: true, force: true });
    if (runs === 0) return;
    const points = [...byPoint].sort((a, b) => b[1] - a[1]).map(([p, n]) => `${p} ${n}`);
    console.info(`fault schedules: ${runs} run, ${fired} fired, by point: ${points.join(', ')}`);
  };
}

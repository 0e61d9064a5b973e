import { readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { runDualWrites } from '../../../../local/demo/dual-writes/run.js';
import { loadStackEnv } from '../../../support/stack-env.js';

// `npm run demo:dual-writes` in small: the same seeded writes made by dual writes leave
// stores permanently different from the table; made through the log, they converge.
const stack = loadStackEnv();
const outDir = path.join(tmpdir(), `dual-writes-${process.pid}`);

afterAll(() => {
  rmSync(outDir, { recursive: true, force: true });
});

describe('the dual-write race', () => {
  it('leaves dual-written stores different from the table, while the log’s stores converge', async () => {
    vi.stubEnv('POWERTOOLS_LOG_LEVEL', 'ERROR');
    vi.stubEnv('POWERTOOLS_METRICS_DISABLED', 'true');

    const result = await runDualWrites({
      seed: 7,
      writers: 8,
      keys: 6,
      writes: 90,
      crashRate: 0.2,
      maxDelayMs: 40,
      runId: `dwt${Date.now().toString(36)}`,
      settleMs: 1_000,
      timeoutMs: 45_000,
      stack: stack.vars,
      outDir,
      cleanup: true,
      log: () => undefined,
    });

    const dualDiverging = result.dualWrites.opensearch.length + result.dualWrites.s3.length;
    expect(result.crashes).toBeGreaterThan(0);
    expect(dualDiverging).toBeGreaterThan(0);
    expect(result.throughLog).toEqual({ view: [], opensearch: [], archive: [] });
    const svg = readFileSync(result.chartFile, 'utf8');
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg.match(/<polyline /g)).toHaveLength(4);
    // the last sample shows the dual-written stores still apart after the writers stopped
    const last = result.samples[result.samples.length - 1];
    expect(last?.atMs).toBeGreaterThan(result.writersDoneMs);
    expect(
      (last?.counts['dual writes: OpenSearch'] ?? 0) + (last?.counts['dual writes: S3'] ?? 0),
    ).toBe(dualDiverging);
  });
});

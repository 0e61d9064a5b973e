/**
 * Part 5 (`--only stage`): the cost of a deployed stage, from the dev and prod templates
 * the CDK app synthesizes today (stage-cost.ts). The per-event figures of the variable
 * part come from part 1's measurement at the nearest batch size when results.json has it
 * (CPU ms per event, view WRU per new key), else from the defaults below.
 */
import type { CostResult } from '../cost/run-cost.js';
import { round } from '../lib/stats.js';
import {
  type SinkPerEvent,
  type StageCost,
  type StageSink,
  StageSinks,
  stageCost,
} from './stage-cost.js';
import { synthStageTemplates } from './synth-stages.js';

/** Part 1's figures of 2026-11-26 at batch 1000, 1% seen (bench/results). */
const DEFAULT_PER_EVENT: Readonly<Record<StageSink, SinkPerEvent>> = {
  dynamodb: { cpuMs: 1.18, wru: 1 },
  opensearch: { cpuMs: 0.06, wru: 0 },
  's3-archive': { cpuMs: 0.09, wru: 0 },
};
/** One DynamoDB/S3/OpenSearch request from Lambda in the same region (assumed). */
export const REQUEST_LATENCY_MS = 10;

export interface StageCostResult {
  readonly perEvent: Readonly<Record<StageSink, SinkPerEvent>>;
  readonly perEventSource: string;
  readonly requestLatencyMs: number;
  readonly stages: Readonly<Record<string, StageCost>>;
}

function perEventFrom(cost: CostResult | undefined): {
  perEvent: Record<StageSink, SinkPerEvent>;
  source: string;
} {
  if (cost === undefined) return { perEvent: { ...DEFAULT_PER_EVENT }, source: 'defaults' };
  const perEvent = { ...DEFAULT_PER_EVENT };
  for (const sink of StageSinks) {
    const rows = cost.rows.filter(
      (r) => r.system === sink && r.duplicateShare <= 0.01 && r.valueBytes === 1000,
    );
    const row = rows.sort((a, b) => b.batchSize - a.batchSize)[0];
    if (row === undefined) continue;
    perEvent[sink] = {
      cpuMs: round(row.usage.durationMs / row.usage.events, 3),
      wru: sink === 'dynamodb' ? DEFAULT_PER_EVENT.dynamodb.wru : 0,
    };
  }
  return { perEvent, source: 'part 1 (largest batch, 1% seen, ~1 KB values)' };
}

export function runStageCost(opts: {
  readonly cost: CostResult | undefined;
  readonly log: (line: string) => void;
}): StageCostResult {
  const templates = synthStageTemplates(['dev', 'prod']);
  const { perEvent, source } = perEventFrom(opts.cost);
  const stages = Object.fromEntries(
    Object.entries(templates).map(([name, t]) => [
      name,
      stageCost(t, { perEvent, requestLatencyMs: REQUEST_LATENCY_MS }),
    ]),
  );
  for (const [name, s] of Object.entries(stages)) {
    opts.log(
      `  ${name}: fixed $${round(s.fixedUsdPerMonth, 0)}/month (${s.pollers.mappings} provisioned mappings, ${s.pollers.epus} EPU in ${s.pollers.groups.length} poller group(s); without groups ${s.pollers.epusWithoutGroups} EPU = $${round(s.pollers.usdPerMonthWithoutGroups, 0)}/month); variable per million events: ${s.mappings.map((m) => `${m.sink}/${m.topic} $${round(m.perMillion.total, 3)}`).join(', ')}`,
    );
  }
  return { perEvent, perEventSource: source, requestLatencyMs: REQUEST_LATENCY_MS, stages };
}

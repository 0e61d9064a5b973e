/**
 * What happened to one redriven record (pure): decided from what the sink's engine
 * reported for an invocation holding that record alone.
 */
import type { MetricName } from '../../functions/core/engine/observability.js';
import { Metric } from '../../functions/core/engine/observability.js';

export const RedriveOutcomes = [
  /** decodes now; its effect is in the store */
  'applied',
  /** decodes now; the store already held it or a newer version (version guard) */
  'already-applied',
  /** still poison (possibly for another reason): left in quarantine */
  'still-poison',
  /** a retriable failure: left in quarantine for the next redrive */
  'failed',
  /** --dry-run: decodes now, would be applied */
  'would-apply',
  /** --dry-run: would still be poison */
  'would-stay-poison',
] as const;
export type RedriveOutcome = (typeof RedriveOutcomes)[number];

export interface InvocationReport {
  /** the engine's counts for the invocation (RecordsApplied, RecordsStale, …) */
  readonly counts: ReadonlyMap<MetricName, number>;
  /** the handler reported the record in batchItemFailures, or threw */
  readonly failed: boolean;
  /** the reason the engine quarantined it for again, if it did */
  readonly poisonReason?: string;
}

export function outcomeOf(report: InvocationReport): RedriveOutcome {
  if (report.failed) return 'failed';
  if (report.poisonReason !== undefined) return 'still-poison';
  if ((report.counts.get(Metric.applied) ?? 0) > 0) return 'applied';
  const known = (report.counts.get(Metric.stale) ?? 0) + (report.counts.get(Metric.duplicate) ?? 0);
  // A record the engine neither applied, found stale, nor quarantined was not handled.
  return known > 0 ? 'already-applied' : 'failed';
}

/** Outcomes after which the quarantine entry moves under `redriven/`. */
export const isResolved = (outcome: RedriveOutcome): boolean =>
  outcome === 'applied' || outcome === 'already-applied';

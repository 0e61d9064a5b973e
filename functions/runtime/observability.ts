import { Logger } from '@aws-lambda-powertools/logger';
import { Metrics, MetricUnit } from '@aws-lambda-powertools/metrics';
import type { EngineLogger, MetricName } from '../core/engine/observability.js';

export const METRICS_NAMESPACE = 'staysync';
export const SERVICE_NAME = 'staysync';

/** Receives one invocation's counts once, when it ends. */
export interface MetricsPublisher {
  publish(counts: ReadonlyMap<MetricName, number>): void;
}

/**
 * Structured JSON logs (Powertools Logger) with the sink as a persistent key; the engine
 * adds topic/partition/offset to every entry. `POWERTOOLS_LOG_LEVEL` sets the level.
 */
export const powertoolsLogger = (sink: string): EngineLogger =>
  new Logger({ serviceName: SERVICE_NAME, persistentKeys: { sink } });

/**
 * CloudWatch metrics as EMF (Powertools Metrics), namespace `staysync`, dimension `sink`:
 * one count per outcome, summed over the invocation and flushed once at its end.
 * `POWERTOOLS_METRICS_DISABLED=true` (or `POWERTOOLS_DEV`) silences them, e.g. in tests.
 */
export function powertoolsMetricsPublisher(sink: string, metrics?: Metrics): MetricsPublisher {
  const emf =
    metrics ??
    new Metrics({
      namespace: METRICS_NAMESPACE,
      serviceName: SERVICE_NAME,
      defaultDimensions: { sink },
    });
  return {
    publish(counts) {
      let added = 0;
      for (const [name, value] of counts) {
        if (value <= 0) continue;
        emf.addMetric(name, MetricUnit.Count, value);
        added++;
      }
      // Nothing to say (an empty batch) is not worth an EMF line or Powertools' warning.
      if (added > 0) emf.publishStoredMetrics();
    },
  };
}

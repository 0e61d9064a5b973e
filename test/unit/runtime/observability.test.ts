import { Metrics } from '@aws-lambda-powertools/metrics';
import { describe, expect, it } from 'vitest';
import { Metric } from '../../../functions/core/engine/observability.js';
import { powertoolsMetricsPublisher } from '../../../functions/runtime/observability.js';

/** A Powertools Metrics instance whose flushes are captured instead of printed. */
function capturingMetrics() {
  const metrics = new Metrics({
    namespace: 'staysync',
    serviceName: 'staysync',
    defaultDimensions: { sink: 'view' },
  });
  const flushed: ReturnType<Metrics['serializeMetrics']>[] = [];
  metrics.publishStoredMetrics = () => {
    flushed.push(metrics.serializeMetrics());
    metrics.clearMetrics();
    return metrics;
  };
  return { metrics, flushed };
}

describe('powertoolsMetricsPublisher', () => {
  it('emits one EMF document per invocation with a count per non-zero outcome', () => {
    const { metrics, flushed } = capturingMetrics();
    powertoolsMetricsPublisher('view', metrics).publish(
      new Map([
        [Metric.applied, 3],
        [Metric.poison, 1],
        [Metric.stale, 0],
      ]),
    );
    expect(flushed).toHaveLength(1);
    const doc = flushed[0] as unknown as Record<string, unknown> & {
      _aws: {
        CloudWatchMetrics: {
          Namespace: string;
          Dimensions: string[][];
          Metrics: { Name: string; Unit: string }[];
        }[];
      };
    };
    const [directive] = doc._aws.CloudWatchMetrics;
    expect(directive?.Namespace).toBe('staysync');
    expect(directive?.Dimensions).toEqual([['service', 'sink']]);
    expect(directive?.Metrics).toEqual([
      { Name: 'RecordsApplied', Unit: 'Count' },
      { Name: 'RecordsPoison', Unit: 'Count' },
    ]);
    expect(doc).toMatchObject({ sink: 'view', RecordsApplied: 3, RecordsPoison: 1 });
  });

  it('emits nothing for an invocation without counts', () => {
    const { metrics, flushed } = capturingMetrics();
    powertoolsMetricsPublisher('view', metrics).publish(new Map([[Metric.applied, 0]]));
    expect(flushed).toHaveLength(0);
  });
});

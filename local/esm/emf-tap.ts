/**
 * Reads CloudWatch Embedded Metric Format lines (what Powertools Metrics prints) from a
 * function's output, so the emulator can show the counts a sink reports about itself
 * (applied, stale, duplicate, poison…) without any hook into the handler.
 */
export function parseEmfLine(line: string): Map<string, number> | null {
  if (!line.includes('"_aws"')) return null;
  let doc: unknown;
  try {
    doc = JSON.parse(line);
  } catch {
    return null;
  }
  const root = doc as {
    _aws?: { CloudWatchMetrics?: Array<{ Metrics?: Array<{ Name?: unknown }> }> };
  };
  const directives = root._aws?.CloudWatchMetrics;
  if (!Array.isArray(directives)) return null;
  const out = new Map<string, number>();
  for (const directive of directives) {
    for (const metric of directive.Metrics ?? []) {
      if (typeof metric.Name !== 'string') continue;
      const raw = (doc as Record<string, unknown>)[metric.Name];
      const values = Array.isArray(raw) ? raw : [raw];
      const sum = values.reduce<number>((acc, v) => acc + (typeof v === 'number' ? v : 0), 0);
      out.set(metric.Name, (out.get(metric.Name) ?? 0) + sum);
    }
  }
  return out;
}

/** Running totals per metric name. */
export class MetricTotals {
  readonly totals = new Map<string, number>();

  /** Adds the metrics of a line; returns false when the line is not EMF. */
  take(line: string): boolean {
    const metrics = parseEmfLine(line);
    if (metrics === null) return false;
    for (const [name, value] of metrics)
      this.totals.set(name, (this.totals.get(name) ?? 0) + value);
    return true;
  }

  get(name: string): number {
    return this.totals.get(name) ?? 0;
  }
}

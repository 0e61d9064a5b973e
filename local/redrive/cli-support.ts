import { UsageError } from '../sinks/errors.js';
import type { RedriveReport } from './redrive.js';
import { formatSummary } from './summary.js';

/** `--since`: an ISO date or date-time (`2026-12-01`, `2026-12-01T10:00:00Z`). */
export function parseSince(raw: string): Date {
  const ms = /^\d{4}-\d{2}-\d{2}([T ][\d:.]+(Z|[+-]\d{2}:?\d{2})?)?$/.test(raw)
    ? Date.parse(raw)
    : Number.NaN;
  if (Number.isNaN(ms)) {
    throw new UsageError(
      `--since must be an ISO date such as 2026-12-01 or 2026-12-01T10:00:00Z, got ${raw}`,
    );
  }
  return new Date(ms);
}

export function formatRedriveReport(report: RedriveReport): string {
  const head = `redrive ${report.sink}${report.dryRun ? ' (dry run: nothing written)' : ''}: ${report.rows.length} quarantined records`;
  return `${head}\n${formatSummary(report.rows)}`;
}

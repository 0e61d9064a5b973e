/** The redrive summary: one row per original reason, one column per outcome (pure). */
import { type RedriveOutcome, RedriveOutcomes } from './outcome.js';

export interface RedriveRow {
  readonly key: string;
  readonly topic: string;
  readonly partition: number;
  readonly offset: number;
  /** the reason it was quarantined for */
  readonly reason: string;
  readonly outcome: RedriveOutcome;
  /** still poison: the reason today's code gives */
  readonly newReason?: string;
}

export function summaryCounts(
  rows: readonly RedriveRow[],
): Map<string, Map<RedriveOutcome, number>> {
  const table = new Map<string, Map<RedriveOutcome, number>>();
  for (const row of rows) {
    const byOutcome = table.get(row.reason) ?? new Map<RedriveOutcome, number>();
    byOutcome.set(row.outcome, (byOutcome.get(row.outcome) ?? 0) + 1);
    table.set(row.reason, byOutcome);
  }
  return table;
}

export function formatSummary(rows: readonly RedriveRow[]): string {
  const counts = summaryCounts(rows);
  const columns = RedriveOutcomes.filter((o) => rows.some((r) => r.outcome === o));
  if (rows.length === 0) return 'nothing to redrive: no quarantined record matches';
  const reasons = [...counts.keys()].sort();
  const width = Math.max('reason'.length, 'total'.length, ...reasons.map((r) => r.length));
  const cell = (text: string, col: string) => text.padStart(Math.max(col.length, 5));
  const line = (label: string, values: string[]) =>
    [label.padEnd(width), ...values.map((v, i) => cell(v, columns[i] ?? ''))].join('  ');
  const out = [
    line(
      'reason',
      columns.map((c) => c),
    ),
  ];
  for (const reason of reasons) {
    const byOutcome = counts.get(reason) ?? new Map();
    out.push(
      line(
        reason,
        columns.map((c) => String(byOutcome.get(c) ?? 0)),
      ),
    );
  }
  out.push(
    line(
      'total',
      columns.map((c) => String(rows.filter((r) => r.outcome === c).length)),
    ),
  );
  for (const row of rows.filter((r) => r.newReason !== undefined && r.newReason !== r.reason)) {
    out.push(`  ${row.topic}-${row.partition}@${row.offset}: still poison, now ${row.newReason}`);
  }
  return out.join('\n');
}

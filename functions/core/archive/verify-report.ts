/** The archive verifier's report as text, for `archive:verify` and for people. */
import { fmtRanges } from './offset-set.js';
import type { ArchiveReport } from './verify.js';

/** Human-readable report. */
export function formatArchiveReport(topic: string, report: ArchiveReport): string {
  const lines: string[] = [];
  lines.push(`archive of topic ${topic}: ${report.objects} object(s), ${report.records} record(s)`);
  for (const p of report.partitions) {
    const span = p.firstOffset === null ? 'empty' : `offsets ${p.firstOffset}..${p.lastOffset}`;
    const more = p.rangeCount > p.ranges.length ? ` (+${p.rangeCount - p.ranges.length} more)` : '';
    lines.push(
      `  partition ${p.partition}: ${p.objects} object(s), ${p.records} record(s), ${span}; ranges ${fmtRanges(p.ranges) || '-'}${more}`,
    );
  }
  for (const w of report.warnings) lines.push(`warning: ${w}`);
  for (const e of report.problems) lines.push(`PROBLEM: ${e}`);
  lines.push(
    report.ok ? 'OK: no gaps, no duplicates' : `FAILED: ${report.problems.length} problem(s)`,
  );
  return lines.join('\n');
}

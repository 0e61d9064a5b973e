/**
 * `npm run redrive`: re-applies quarantined records that decode with today's code and
 * configuration, through the sink's own write path (docs/rebuild-redrive.md). Exit 0
 * when nothing failed (records still poison are not a failure), 1 when a record could not
 * be applied for a retriable reason, 2 on bad input or error.
 *
 *   npm run redrive -- --sink opensearch --env-file .local/runs/<run>.env [--reason r] [--since 2026-12-01] [--dry-run]
 *   npm run redrive -- --sink dynamodb --function-name staysync-prod-sink-dynamodb   # a deployed stage
 */
import { parseArgs } from 'node:util';
import { formatRedriveReport, parseSince } from '../redrive/cli-support.js';
import { redrive } from '../redrive/redrive.js';
import { parseSinkKind } from '../sinks/handlers.js';
import { runTool } from '../sinks/run-tool.js';
import { toolEnv } from '../sinks/tool-env.js';

runTool('redrive', async () => {
  const { values } = parseArgs({
    options: {
      sink: { type: 'string' },
      'env-file': { type: 'string' },
      'function-name': { type: 'string' },
      reason: { type: 'string' },
      since: { type: 'string' },
      'dry-run': { type: 'boolean', default: false },
      verbose: { type: 'boolean', default: false },
    },
  });
  const kind = parseSinkKind(values.sink);
  const env = await toolEnv({
    base: process.env,
    ...(values['env-file'] === undefined ? {} : { envFile: values['env-file'] }),
    ...(values['function-name'] === undefined ? {} : { functionName: values['function-name'] }),
  });
  const report = await redrive({
    kind,
    env,
    dryRun: values['dry-run'],
    ...(values.reason === undefined ? {} : { reason: values.reason }),
    ...(values.since === undefined ? {} : { since: parseSince(values.since) }),
    ...(values.verbose ? { log: (line: string) => console.log(line) } : {}),
  });
  console.log(formatRedriveReport(report));
  return report.rows.some((r) => r.outcome === 'failed') ? 1 : 0;
});

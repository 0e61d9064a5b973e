/**
 * `npm run demo:dual-writes`: the dual-write race, shown. One seeded workload run two ways
 * at once on the local stack — (a) the application writes the table, OpenSearch and S3
 * itself; (b) it writes the table only and the log derives the rest — then the keys each
 * store holds differently from the table, and an SVG chart of them over time.
 *
 *   npm run demo:dual-writes -- [--seed N] [--writers N] [--keys N] [--writes N]
 *                               [--crash-rate P] [--max-delay MS] [--keep]
 */
import { parseArgs } from 'node:util';

// The sinks and the relay run in this process: their logs and metrics stay quiet here.
process.env.POWERTOOLS_LOG_LEVEL ??= 'ERROR';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

import { runDualWrites } from '../demo/dual-writes/run.js';
import { services } from '../stack/services/index.js';
import { up } from '../stack/stack.js';
import { stackPaths } from '../stack/support/paths.js';
import { numberOption } from './options.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      writers: { type: 'string' },
      keys: { type: 'string' },
      writes: { type: 'string' },
      'crash-rate': { type: 'string' },
      'max-delay': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const paths = stackPaths();
  const log = (line: string) => console.log(line);
  const { env: stack } = await up(services, paths, { log: (l) => log(`  ${l}`), adopt: false });
  const result = await runDualWrites({
    seed: numberOption(values.seed, 'seed', 1, 0),
    writers: numberOption(values.writers, 'writers', 8, 1, 64),
    keys: numberOption(values.keys, 'keys', 8, 1, 10_000),
    writes: numberOption(values.writes, 'writes', 160, 1, 100_000),
    crashRate: numberOption(values['crash-rate'], 'crash-rate', 0.1, 0, 1),
    maxDelayMs: numberOption(values['max-delay'], 'max-delay', 60, 0, 10_000),
    runId: `dw${Date.now().toString(36)}`,
    settleMs: 2_000,
    timeoutMs: 45_000,
    stack,
    outDir: `${paths.root}/runs`,
    cleanup: !values.keep,
    log,
  });
  const show = (keys: readonly string[]) =>
    keys.length === 0
      ? 'none'
      : `${keys.length}: ${keys.slice(0, 8).join(', ')}${keys.length > 8 ? ', …' : ''}`;
  log('');
  log('keys that differ from the source table once everything settled:');
  log(`  (a) dual writes       OpenSearch ${show(result.dualWrites.opensearch)}`);
  log(`                        S3         ${show(result.dualWrites.s3)}`);
  log(`  (b) through the log   OpenSearch ${show(result.throughLog.opensearch)}`);
  log(`                        DynamoDB   ${show(result.throughLog.view)}`);
  log(`                        archive    ${show(result.throughLog.archive)}`);
  log(
    `(${result.crashes} dual writers crashed part-way; the log's writers lost nothing by crashing after their one write)`,
  );
  log(`chart: ${result.chartFile}`);
  const logClean = Object.values(result.throughLog).every((keys) => keys.length === 0);
  return logClean ? 0 : 1;
}

// Exit explicitly: the in-process relay keeps its Kafka producer connected (as a warm
// Lambda does), which would hold the process open until the broker drops idle connections.
main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);

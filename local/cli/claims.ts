/**
 * `npm run demo:claims`: uniqueness without distributed transactions, shown on the local
 * stack (which must be up: `npm run stack:up`; this never starts, stops or resets it).
 * N clients race for M names; every name must end with exactly one winner, and every
 * loser must have been told. Then random transfers run as debit and credit steps with
 * crashes injected between steps; the balances must equal a fold of the log, each
 * accepted transfer be credited once, and the total never change. Exit code 1 otherwise.
 *
 *   npm run demo:claims -- [--seed N] [--clients N] [--names N] [--accounts N]
 *                          [--transfers N] [--crash-rate P] [--keep]
 */
import { parseArgs } from 'node:util';

// crashes are injected on purpose: the functions' own error logs would drown the report
process.env.POWERTOOLS_LOG_LEVEL ??= 'SILENT';
process.env.POWERTOOLS_METRICS_DISABLED ??= 'true';

import { runClaimsDemo } from '../demo/claims/run.js';
import { readEnvFile } from '../stack/env-file.js';
import { envFile, stackPaths } from '../stack/support/paths.js';
import { numberOption } from './options.js';

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      seed: { type: 'string' },
      clients: { type: 'string' },
      names: { type: 'string' },
      accounts: { type: 'string' },
      transfers: { type: 'string' },
      'crash-rate': { type: 'string' },
      keep: { type: 'boolean', default: false },
    },
  });
  const log = (line: string) => console.log(line);
  const stack = readEnvFile(envFile(stackPaths()));
  const result = await runClaimsDemo({
    seed: numberOption(values.seed, 'seed', 1, 0, 2 ** 31),
    clients: numberOption(values.clients, 'clients', 6, 2, 32),
    names: numberOption(values.names, 'names', 12, 1, 500),
    accounts: numberOption(values.accounts, 'accounts', 5, 2, 100),
    transfers: numberOption(values.transfers, 'transfers', 60, 1, 10_000),
    crashRate: numberOption(values['crash-rate'], 'crash-rate', 0.15, 0, 1),
    maxCrashes: 40,
    partitions: 3,
    runId: `claims-demo-${Date.now().toString(36)}`,
    stack,
    cleanup: !values.keep,
    log,
  });
  const { race, transfers } = result;
  log('');
  log(`names: ${race.names}, requests: ${race.requests}, problems: ${race.problems.length}`);
  for (const p of race.problems.slice(0, 10)) log(`  ${p}`);
  log(
    `transfers: ${transfers.accepted} accepted, ${transfers.refused} refused; balances sum to ${transfers.total} (deposited ${transfers.deposited}); problems: ${transfers.problems.length}`,
  );
  for (const p of transfers.problems.slice(0, 10)) log(`  ${p}`);
  log(`crashes injected: ${[...result.crashes].map(([p, n]) => `${p} ${n}`).join(', ') || 'none'}`);
  return race.problems.length + transfers.problems.length === 0 ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (error) => {
    console.error(error);
    process.exit(1);
  },
);

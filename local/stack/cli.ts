/**
 * `tsx local/stack/cli.ts up|down|status|reset` (npm run stack:up / stack:down /
 * stack:status / stack:reset). `status` exits 0 when every service is up, 1 otherwise.
 * `reset` empties the engines whose state a restart would lose anyway (Dynoxide's tables,
 * moto's buckets and queues) without restarting them; Kafka and OpenSearch keep theirs.
 */
import { down, status, up } from './stack.js';
import { StackError } from './support/errors.js';
import { envFile, stackPaths } from './support/paths.js';

const log = (line: string): void => console.log(line);

async function main(command: string | undefined): Promise<number> {
  const paths = stackPaths();
  // Imported here, not at the top: a bad STAYSYNC_*_PORT then fails as a StackError
  // with its one-line message instead of a stack trace from module loading.
  const { services } = await import('./services/index.js');
  switch (command) {
    case 'up': {
      const begin = Date.now();
      const result = await up(services, paths, { log });
      const what =
        result.started.length === 0
          ? 'was already up'
          : `is up (started ${result.started.join(', ')})`;
      log(
        `stack ${what} in ${((Date.now() - begin) / 1000).toFixed(1)} s; variables in ${envFile(paths)}`,
      );
      return 0;
    }
    case 'down':
      await down(services, paths, { log });
      return 0;
    case 'status': {
      const report = await status(services, paths);
      const width = Math.max(...report.map((s) => s.name.length));
      for (const s of report) {
        log(
          `${s.name.padEnd(width)} ${s.state.padEnd(13)} 127.0.0.1:${String(s.port).padEnd(6)} ` +
            `${s.pid === undefined ? '' : `pid ${s.pid}  `}log ${s.logFile}`,
        );
      }
      return report.every((s) => s.state === 'up') ? 0 : 1;
    }
    case 'reset': {
      const report = await status(services, paths);
      for (const [i, service] of services.entries()) {
        if (service.reset === undefined) continue;
        if (report[i]?.state !== 'up') {
          log(`${service.name}: not up, nothing to reset`);
          continue;
        }
        await service.reset();
        log(`${service.name}: reset`);
      }
      return 0;
    }
    default:
      console.error('usage: tsx local/stack/cli.ts up|down|status|reset');
      return 2;
  }
}

main(process.argv[2]).then(
  (code) => {
    process.exitCode = code;
  },
  (error: unknown) => {
    console.error(error instanceof StackError ? `stack: ${error.message}` : error);
    process.exitCode = 1;
  },
);

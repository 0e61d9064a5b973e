/**
 * Item 3 of issue 14 (`--only resources`): per sink, the CPU milliseconds per event and the
 * RSS high-water mark of one invocation of a 1,000-record batch and of a 6 MB batch (the
 * largest event an MSK event source mapping delivers), each in a fresh process
 * (resource-child.ts) on the local stack, median of `runs` processes; and the Lambda
 * GB-s per million events that the measured duration means at the function's memory.
 */
import { execFile } from 'node:child_process';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { Kafka, logLevel } from 'kafkajs';
import {
  createResources,
  deleteResources,
  runNames,
  type SinkName,
  SinkNames,
  sinkEnv,
} from '../../local/demo/resources.js';
import { PRICES } from '../lib/prices.js';
import { benchStack } from '../lib/stack.js';
import { median, round } from '../lib/stats.js';

const run = promisify(execFile);
const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const child = fileURLToPath(new URL('./resource-child.ts', import.meta.url));
const HANDLERS: Readonly<Record<SinkName, string>> = {
  dynamodb: 'sink-dynamodb',
  opensearch: 'sink-opensearch',
  's3-archive': 'sink-s3-archive',
};
/** "The maximum payload size for an MSK event" delivered to the function is 6 MB (Lambda's
 *  synchronous invocation payload limit; https://docs.aws.amazon.com/lambda/latest/dg/gettingstarted-limits.html). */
const MAX_EVENT_BYTES = 6 * 1024 * 1024;
/** Memory the infra gives the sinks today (the synthesized templates: 1,024 MB). */
const SINK_MEMORY_MB = 1024;

export interface ResourceRow {
  readonly sink: SinkName;
  readonly batch: '1000 records' | '6 MB';
  readonly records: number;
  readonly eventBytes: number;
  readonly cpuMsPerEvent: number;
  readonly wallMs: number;
  readonly rssBeforeMb: number;
  readonly maxRssMb: number;
  /** Lambda duration cost of a million events at this batch, measured wall time, arm64 */
  readonly lambdaUsdPerMillion: number;
}

export async function runResources(opts: {
  readonly runs: number;
  readonly valueBytes: number;
  readonly log: (line: string) => void;
}): Promise<{ readonly memoryMb: number; readonly rows: readonly ResourceRow[] }> {
  const bench = benchStack();
  const stack = bench.stack;
  const names = runNames(`res${bench.suffix()}`);
  const vars = { ...stack.vars };
  const kafka = new Kafka({
    clientId: 'staysync-bench',
    brokers: [...stack.kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const topic = names.topics.customer;
  const pipelineJson = JSON.stringify({
    topics: { [topic]: { versioning: 'source', format: 'native' } },
  });
  const rows: ResourceRow[] = [];
  try {
    await createResources(names, admin, 1, { ...process.env, ...vars });
    let n = 0;
    for (const sink of SinkNames) {
      for (const batch of ['1000 records', '6 MB'] as const) {
        const samples: Array<Omit<ResourceRow, 'sink' | 'batch' | 'lambdaUsdPerMillion'>> = [];
        for (let r = 0; r < opts.runs; r++) {
          const { stdout } = await run(
            process.execPath,
            [
              '--expose-gc',
              '--import',
              'tsx',
              child,
              path.join(repoRoot, 'functions', HANDLERS[sink], 'handler.ts'),
              '1000',
              String(opts.valueBytes),
              topic,
              `r${n}k`,
              batch === '6 MB' ? String(MAX_EVENT_BYTES) : '0',
              String(100_000 * n++),
            ],
            {
              cwd: repoRoot,
              env: {
                ...process.env,
                ...sinkEnv(sink, names, vars, pipelineJson),
                POWERTOOLS_LOG_LEVEL: 'ERROR',
                NODE_NO_WARNINGS: '1',
              },
              maxBuffer: 16 * 1024 * 1024,
            },
          );
          const out = JSON.parse(stdout.trim().split('\n').pop() ?? '{}') as {
            records: number;
            eventBytes: number;
            cpuMs: number;
            wallMs: number;
            rssBeforeMb: number;
            maxRssMb: number;
            failures: number;
          };
          if (out.failures > 0)
            throw new Error(`resources: ${sink} reported ${out.failures} batch item failures`);
          samples.push({
            records: out.records,
            eventBytes: out.eventBytes,
            cpuMsPerEvent: out.cpuMs / out.records,
            wallMs: out.wallMs,
            rssBeforeMb: out.rssBeforeMb,
            maxRssMb: out.maxRssMb,
          });
        }
        const pick = (f: (s: (typeof samples)[number]) => number, d: number) =>
          round(median(samples.map(f)), d);
        const records = samples[0]?.records ?? 0;
        const wallMs = pick((s) => s.wallMs, 0);
        const gbSecondsPerMillion =
          (SINK_MEMORY_MB / 1024) * (Math.ceil(wallMs) / 1000) * (1e6 / records);
        const row: ResourceRow = {
          sink,
          batch,
          records,
          eventBytes: samples[0]?.eventBytes ?? 0,
          cpuMsPerEvent: pick((s) => s.cpuMsPerEvent, 3),
          wallMs,
          rssBeforeMb: pick((s) => s.rssBeforeMb, 0),
          maxRssMb: pick((s) => s.maxRssMb, 0),
          lambdaUsdPerMillion: round(
            gbSecondsPerMillion * PRICES.lambdaArmGbSecond +
              ((1e6 / records) * PRICES.lambdaRequestsPerMillion) / 1e6,
            4,
          ),
        };
        rows.push(row);
        opts.log(
          `  ${sink}, ${batch} (${row.records} records, ${round(row.eventBytes / 2 ** 20, 2)} MiB): ${row.cpuMsPerEvent} CPU ms/event, ${row.wallMs} ms wall, RSS ${row.rssBeforeMb} MB before, high-water ${row.maxRssMb} MB; Lambda $${row.lambdaUsdPerMillion}/million events at ${SINK_MEMORY_MB} MB`,
        );
      }
    }
  } finally {
    await deleteResources(
      names,
      admin,
      { ...process.env, ...vars },
      stack.opensearchEndpoint,
    ).catch(() => undefined);
    await admin.disconnect();
    await bench.cleanup();
  }
  return { memoryMb: SINK_MEMORY_MB, rows };
}

/**
 * `npm start`: the whole pipeline, live, on the real local engines, ending in a verdict
 * that every store agrees with the log. Exit status 0 when every store converged.
 *
 *   npm start -- [--source | --avro] [--events N] [--partitions N] [--faults] [--no-engine-kills]
 *                [--seed N] [--rate N] [--batch-size N] [--run-id ID] [--cleanup] [--timeout SECONDS]
 */
import { parseArgs } from 'node:util';
import { runDemo } from '../demo/run.js';

const USAGE = `usage: npm start -- [options]
  --source         the workload is an application writing DynamoDB source tables (customers
                   by table CDC, orders through an outbox); relays fill Kafka from their
                   streams, and every store is also checked against the tables
  --avro           values as Confluent-framed Avro through the stack's schema registry,
                   decoded by the mappings as Lambda's schema registry integration does
  --events N       change events to publish (default 1500)
  --partitions N   partitions per topic (default 4)
  --faults         kill sink workers and the emulator at random moments mid-run, and
                   kill -9 and restart each engine once (Kafka, OpenSearch, Dynoxide, moto)
  --no-engine-kills  with --faults, leave the engines alone (a stack shared with others)
  --seed N         workload and fault seed (default 1)
  --rate N         change events per second, 0 = unpaced (default 2000)
  --batch-size N   records per invocation (default 100)
  --run-id ID      names of topics/tables/buckets/indexes (default: generated)
  --cleanup        delete the run's topics, tables, buckets and indexes at the end
  --timeout S      give up after S seconds (default 600)`;

function intOption(value: string | undefined, name: string, fallback: number, min = 0): number {
  if (value === undefined) return fallback;
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < min)
    throw new Error(`--${name} must be an integer ≥ ${min}, got ${value}`);
  return n;
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      events: { type: 'string' },
      partitions: { type: 'string' },
      faults: { type: 'boolean', default: false },
      'no-engine-kills': { type: 'boolean', default: false },
      source: { type: 'boolean', default: false },
      avro: { type: 'boolean', default: false },
      seed: { type: 'string' },
      rate: { type: 'string' },
      'batch-size': { type: 'string' },
      'run-id': { type: 'string' },
      cleanup: { type: 'boolean', default: false },
      timeout: { type: 'string' },
      help: { type: 'boolean', default: false },
    },
  });
  if (values.help) {
    console.log(USAGE);
    return 0;
  }
  const result = await runDemo({
    events: intOption(values.events, 'events', 1_500, 1),
    partitions: intOption(values.partitions, 'partitions', 4, 1),
    faults: values.faults,
    engineKills: values.faults && !values['no-engine-kills'],
    source: values.source,
    avro: values.avro,
    seed: intOption(values.seed, 'seed', 1),
    rate: intOption(values.rate, 'rate', 2_000),
    batchSize: intOption(values['batch-size'], 'batch-size', 100, 1),
    runId: values['run-id'] ?? `d${Date.now().toString(36)}`,
    cleanup: values.cleanup,
    timeoutMs: intOption(values.timeout, 'timeout', 600, 1) * 1000,
    out: process.stdout,
  });
  const sourceClean = (result.sourceCheck?.divergences.length ?? 0) === 0;
  return result.report.converged && sourceClean ? 0 : 1;
}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    console.error(`staysync: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    process.exit(2);
  },
);

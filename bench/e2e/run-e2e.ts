/**
 * Part 3: events per second from publish to applied in all three stores, through real
 * Kafka → the event-source-mapping emulator → the three real sink handlers (each in its
 * own worker thread, as separate Lambda functions), against two raw baselines measured
 * in the same run, interleaved with the pipeline runs (raw-ingest.ts):
 * - `guarded`: the same store requests the sinks send, issued raw (the view's INSERT
 *   batches, `_bulk` and `PutObject` per partition batch);
 * - `bulk`: the stores' raw bulk ingest (BatchWriteItem 25, `_bulk` 500, PutObject per 500).
 * Each of `runs` rounds measures bulk, guarded, then the pipeline on fresh keys; the ratios
 * are per round (paired), reported as min / median / max. Then one run at a fixed offered
 * rate gives the latency away from saturation.
 *
 * "Visible" = the sink's invocation that carried the record returned with the record
 * applied (not in batchItemFailures): DynamoDB and S3 reads see it from then on, and
 * OpenSearch GET by id does (search sees it after the next refresh, ≤ 1 s).
 */
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import {
  createResources,
  deleteResources,
  runNames,
  type SinkName,
  SinkNames,
} from '../../local/demo/resources.js';
import { benchStack, deleteIndices } from '../lib/stack.js';
import { median, percentile, round } from '../lib/stats.js';
import { type Envelope, envelope, prng } from '../lib/workload.js';
import { type CpuSeconds, formatCpu, startCpuMeter } from './cpu-meter.js';
import { BenchPipeline, type PipelineRun } from './pipeline.js';
import { type RawIngestResult, rawDynamoPutItems, rawIngest } from './raw-ingest.js';

export interface E2eOptions {
  readonly events: number;
  readonly partitions: number;
  readonly batchSize: number;
  readonly valueBytes: number;
  /** rounds of (raw bulk, raw guarded, pipeline) */
  readonly runs: number;
  /** the fixed-rate run: offered events per second for `seconds` */
  readonly fixedRate: { readonly eventsPerSecond: number; readonly seconds: number };
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export interface Spread {
  readonly min: number;
  readonly median: number;
  readonly max: number;
}

export interface Latency {
  readonly p50: number;
  readonly p95: number;
  readonly p99: number;
  readonly max: number;
}

export interface PipelineRound {
  readonly eventsPerSecond: number;
  readonly seconds: number;
  readonly perSinkSeconds: Readonly<Record<SinkName, number>>;
  readonly latencyMs: Latency;
  readonly invocations: Readonly<Record<SinkName, number>>;
  /** mean handler time of one invocation (ms) */
  readonly invocationMs: Readonly<Record<SinkName, number>>;
  readonly failedInvocations: Readonly<Record<SinkName, number>>;
  readonly publishSeconds: number;
  /** CPU seconds of each party from the first publish until every event was visible */
  readonly cpuSeconds: CpuSeconds;
}

export interface E2eRound {
  readonly bulk: RawIngestResult;
  readonly guarded: RawIngestResult;
  /** one conditional PutItem per item (the view's write of a key already stored) */
  readonly putItemsPerSecond: number;
  readonly pipeline: PipelineRound;
  readonly ratioToGuarded: number;
  readonly ratioToBulk: number;
}

export interface E2eResult {
  readonly events: number;
  readonly partitions: number;
  readonly batchSize: number;
  readonly emulator: 'local/esm';
  readonly rounds: readonly E2eRound[];
  readonly pipelineEventsPerSecond: Spread;
  readonly guardedEventsPerSecond: Spread;
  readonly bulkEventsPerSecond: Spread;
  readonly putItemsPerSecond: Spread;
  readonly ratioToGuarded: Spread;
  readonly ratioToBulk: Spread;
  /** latency at saturation: each percentile's spread over the rounds */
  readonly saturationLatencyMs: {
    readonly p50: Spread;
    readonly p95: Spread;
    readonly p99: Spread;
  };
  readonly fixedRate: {
    readonly offeredEventsPerSecond: number;
    readonly seconds: number;
    readonly events: number;
    /** events actually published per second (the producer may fall behind) */
    readonly publishedEventsPerSecond: number;
    readonly latencyMs: Latency;
    readonly cpuSeconds: CpuSeconds;
  };
  readonly verified: { readonly viewItems: number; readonly indexDocs: number };
}

export const spread = (xs: readonly number[], digits = 3): Spread => ({
  min: round(Math.min(...xs), digits),
  median: round(median(xs), digits),
  max: round(Math.max(...xs), digits),
});

const latencyOf = (run: PipelineRun): Latency => {
  const xs = [...run.sentAt].map(([k, sent]) => (run.visibleAt.get(k) as number) - sent);
  return {
    p50: percentile(xs, 50),
    p95: percentile(xs, 95),
    p99: percentile(xs, 99),
    max: Math.max(...xs),
  };
};

export async function runE2e(options: E2eOptions): Promise<E2eResult> {
  const bench = benchStack();
  const stack = bench.stack;
  const names = runNames(`bench${bench.suffix()}`);
  const vars = { ...stack.vars };
  const awsEnv = { ...process.env, ...vars };
  const kafka = new Kafka({
    clientId: 'staysync-bench',
    brokers: [...stack.kafkaBrokers],
    logLevel: logLevel.NOTHING,
  });
  const admin = kafka.admin();
  await admin.connect();
  const topic = names.topics.customer;
  const pipeline = new BenchPipeline({
    names,
    topic,
    vars,
    brokers: stack.kafkaBrokers,
    batchSize: options.batchSize,
    batchingWindowMs: 100,
  });
  try {
    await createResources(names, admin, options.partitions, awsEnv);
    const rawBucket = await bench.createBucket(`bench-raw-${bench.suffix()}`);
    const rawPrefix = `bench-raw-${bench.suffix()}`;
    bench.defer(() => deleteIndices(stack.opensearchEndpoint, rawPrefix));
    const random = prng(7);
    let generation = 0;
    const freshDocs = (n: number): Envelope[] => {
      generation++;
      return Array.from({ length: n }, (_, i) =>
        envelope(`g${generation}c${i}`, 1, random, options.valueBytes),
      );
    };
    let rawIndex = 0;
    const raw = async (docs: readonly Envelope[], kind: 'bulk' | 'guarded') => {
      // a fresh table and index per run: INSERTs need new keys, external versions too
      const table = await bench.createTable(`bench-raw-${bench.suffix()}`);
      const index = `${rawPrefix}-${rawIndex++}`;
      const targets = {
        ddb: bench.ddb,
        table,
        s3: bench.s3,
        bucket: rawBucket,
        opensearchEndpoint: stack.opensearchEndpoint,
        index,
      };
      return rawIngest(
        targets,
        docs,
        options.partitions,
        kind === 'bulk' ? { kind } : { kind, batchSize: options.batchSize },
      );
    };

    await pipeline.start(
      JSON.stringify({ topics: { [topic]: { versioning: 'source', format: 'native' } } }),
    );
    // Cold starts (worker + module init + index layout) and the JIT's first passes are not
    // throughput: one unmeasured run first.
    await pipeline.run(freshDocs(options.partitions * options.batchSize), {
      chunk: 100,
      timeoutMs: options.timeoutMs,
    });
    let published = options.partitions * options.batchSize;

    const rounds: E2eRound[] = [];
    for (let r = 0; r < options.runs; r++) {
      const bulk = await raw(freshDocs(options.events), 'bulk');
      const guarded = await raw(freshDocs(options.events), 'guarded');
      const putTable = await bench.createTable(`bench-rawput-${bench.suffix()}`);
      const putItemsPerSecond = await rawDynamoPutItems(
        { ddb: bench.ddb, table: putTable },
        freshDocs(options.events),
        options.partitions * 16,
      );
      const meter = startCpuMeter();
      const run = await pipeline.run(freshDocs(options.events), {
        chunk: 100,
        timeoutMs: options.timeoutMs,
      });
      published += options.events;
      const cpuSeconds = meter.read();
      const last = Math.max(...run.visibleAt.values());
      const seconds = (last - run.began) / 1000;
      const eps = options.events / seconds;
      const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
      const pipelineRound: PipelineRound = {
        eventsPerSecond: round(eps, 1),
        seconds: round(seconds, 2),
        perSinkSeconds: bySink((s) => round((run.lastBySink[s] - run.began) / 1000, 2)),
        latencyMs: latencyOf(run),
        invocations: bySink((s) => run.handlerMs[s].length),
        invocationMs: bySink((s) =>
          round(sum(run.handlerMs[s]) / Math.max(1, run.handlerMs[s].length), 0),
        ),
        failedInvocations: run.failedInvocations,
        publishSeconds: round(run.publishSeconds, 2),
        cpuSeconds,
      };
      const round_: E2eRound = {
        bulk: roundRaw(bulk),
        guarded: roundRaw(guarded),
        putItemsPerSecond: round(putItemsPerSecond, 1),
        pipeline: pipelineRound,
        ratioToGuarded: round(eps / guarded.eventsPerSecond, 3),
        ratioToBulk: round(eps / bulk.eventsPerSecond, 3),
      };
      rounds.push(round_);
      const l = pipelineRound.latencyMs;
      options.log(
        `  round ${r + 1}: raw bulk ${round(bulk.eventsPerSecond, 0)}/s, raw guarded ${round(guarded.eventsPerSecond, 0)}/s (DynamoDB ${round(guarded.seconds.dynamodb, 2)} s, OpenSearch ${round(guarded.seconds.opensearch, 2)} s, S3 ${round(guarded.seconds.s3, 2)} s), conditional PutItem ${round(putItemsPerSecond, 0)}/s; pipeline ${round(eps, 0)} events/s (${SinkNames.map((s) => `${s} ${pipelineRound.perSinkSeconds[s]} s`).join(', ')}; invocations ${SinkNames.map((s) => `${pipelineRound.invocations[s]}×${pipelineRound.invocationMs[s]} ms`).join(', ')}) → ÷ guarded ${round_.ratioToGuarded}, ÷ bulk ${round_.ratioToBulk}; latency p50 ${l.p50} p95 ${l.p95} p99 ${l.p99} ms; CPU s ${formatCpu(cpuSeconds)}`,
      );
    }

    // Latency away from saturation: a fixed offered rate, paced in chunks of 50.
    const fixedDocs = freshDocs(options.fixedRate.eventsPerSecond * options.fixedRate.seconds);
    const meter = startCpuMeter();
    const fixed = await pipeline.run(fixedDocs, {
      chunk: 50,
      eventsPerSecond: options.fixedRate.eventsPerSecond,
      timeoutMs: options.timeoutMs + options.fixedRate.seconds * 1000,
    });
    published += fixedDocs.length;
    const fixedCpu = meter.read();
    const fixedLatency = latencyOf(fixed);
    const publishedEps = fixedDocs.length / fixed.publishSeconds;
    options.log(
      `  fixed rate ${options.fixedRate.eventsPerSecond}/s for ${options.fixedRate.seconds} s (published at ${round(publishedEps, 0)}/s): latency p50 ${fixedLatency.p50} p95 ${fixedLatency.p95} p99 ${fixedLatency.p99} max ${fixedLatency.max} ms; CPU s ${formatCpu(fixedCpu)}`,
    );
    await pipeline.stop();

    const verified = await verify(bench, names, stack.opensearchEndpoint);
    options.log(
      `  verified: view ${verified.viewItems}/${published} items, index ${verified.indexDocs}/${published} docs`,
    );
    if (verified.viewItems !== published)
      throw new Error(`e2e: the view holds ${verified.viewItems} items, expected ${published}`);

    const result: E2eResult = {
      events: options.events,
      partitions: options.partitions,
      batchSize: options.batchSize,
      emulator: 'local/esm',
      rounds,
      pipelineEventsPerSecond: spread(
        rounds.map((r) => r.pipeline.eventsPerSecond),
        0,
      ),
      guardedEventsPerSecond: spread(
        rounds.map((r) => r.guarded.eventsPerSecond),
        0,
      ),
      bulkEventsPerSecond: spread(
        rounds.map((r) => r.bulk.eventsPerSecond),
        0,
      ),
      putItemsPerSecond: spread(
        rounds.map((r) => r.putItemsPerSecond),
        0,
      ),
      ratioToGuarded: spread(rounds.map((r) => r.ratioToGuarded)),
      ratioToBulk: spread(rounds.map((r) => r.ratioToBulk)),
      saturationLatencyMs: {
        p50: spread(
          rounds.map((r) => r.pipeline.latencyMs.p50),
          0,
        ),
        p95: spread(
          rounds.map((r) => r.pipeline.latencyMs.p95),
          0,
        ),
        p99: spread(
          rounds.map((r) => r.pipeline.latencyMs.p99),
          0,
        ),
      },
      fixedRate: {
        offeredEventsPerSecond: options.fixedRate.eventsPerSecond,
        seconds: options.fixedRate.seconds,
        events: fixedDocs.length,
        publishedEventsPerSecond: round(publishedEps, 1),
        latencyMs: fixedLatency,
        cpuSeconds: fixedCpu,
      },
      verified,
    };
    options.log(
      `  pipeline ${fmt(result.pipelineEventsPerSecond)} events/s; ÷ guarded ${fmt(result.ratioToGuarded)}; ÷ bulk ${fmt(result.ratioToBulk)} (min / median / max of ${rounds.length})`,
    );
    return result;
  } finally {
    await pipeline.stop();
    await deleteResources(names, admin, awsEnv, stack.opensearchEndpoint).catch(() => undefined);
    await admin.disconnect();
    await bench.cleanup();
  }
}

const fmt = (s: Spread) => `${s.min} / ${s.median} / ${s.max}`;

function bySink<T>(f: (s: SinkName) => T): Record<SinkName, T> {
  return Object.fromEntries(SinkNames.map((s) => [s, f(s)])) as Record<SinkName, T>;
}

const roundRaw = (r: RawIngestResult): RawIngestResult => ({
  eventsPerSecond: round(r.eventsPerSecond, 1),
  seconds: {
    dynamodb: round(r.seconds.dynamodb, 2),
    opensearch: round(r.seconds.opensearch, 2),
    s3: round(r.seconds.s3, 2),
    all: round(r.seconds.all, 2),
  },
});

/** Every key is in the view and in the index. */
async function verify(
  bench: ReturnType<typeof benchStack>,
  names: ReturnType<typeof runNames>,
  opensearchEndpoint: string,
) {
  let viewItems = 0;
  let start: Record<string, never> | undefined;
  do {
    const page = await bench.ddb.send(
      new ScanCommand({ TableName: names.viewTable, Select: 'COUNT', ExclusiveStartKey: start }),
    );
    viewItems += page.Count ?? 0;
    start = page.LastEvaluatedKey as Record<string, never> | undefined;
  } while (start !== undefined);
  const base = opensearchEndpoint.replace(/\/$/, '');
  await fetch(`${base}/${names.indexPrefix}-*/_refresh`, { method: 'POST' });
  const countRes = (await (await fetch(`${base}/${names.indexPrefix}-*/_count`)).json()) as {
    count?: number;
  };
  return { viewItems, indexDocs: countRes.count ?? -1 };
}

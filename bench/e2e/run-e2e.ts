/**
 * Part 3: events per second from publish to applied in all three stores, through real
 * Kafka → the event-source-mapping emulator → the three real sink handlers (each in its
 * own worker thread, as separate Lambda functions), against the stores' raw ingest speed
 * measured in the same run.
 *
 * "Visible" = the sink's invocation that carried the record returned with the record
 * applied (not in batchItemFailures): DynamoDB and S3 reads see it from then on, and
 * OpenSearch GET by id does (search sees it after the next refresh, ≤ 1 s).
 */
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ScanCommand } from '@aws-sdk/client-dynamodb';
import { Kafka, logLevel } from 'kafkajs';
import { EnvVar } from '../../functions/contract/env.js';
import type { MskBatchResponse, MskEvent } from '../../functions/core/index.js';
import {
  createResources,
  deleteResources,
  runNames,
  type SinkName,
  SinkNames,
  sinkEnv,
} from '../../local/demo/resources.js';
import { EventSourceMapping, type Invoker } from '../../local/esm/event-source-mapping.js';
import { type InvokeResult, SinkHost } from '../../local/esm/sink-host.js';
import { createPublisher } from '../../local/publisher/publisher.js';
import { benchStack, deleteIndices } from '../lib/stack.js';
import { median, percentile, round } from '../lib/stats.js';
import { type Envelope, envelope, prng } from '../lib/workload.js';
import { type CpuSeconds, formatCpu, startCpuMeter } from './cpu-meter.js';
import { type RawIngestResult, rawDynamoPutItems, rawIngest } from './raw-ingest.js';

export interface E2eOptions {
  readonly events: number;
  readonly partitions: number;
  readonly batchSize: number;
  readonly valueBytes: number;
  /** raw ingest runs (before and after the pipeline) */
  readonly rawRuns: number;
  readonly timeoutMs: number;
  readonly log: (line: string) => void;
}

export interface E2eResult {
  readonly events: number;
  readonly partitions: number;
  readonly batchSize: number;
  readonly emulator: 'local/esm';
  readonly pipeline: {
    readonly eventsPerSecond: number;
    readonly seconds: number;
    readonly perSinkSeconds: Readonly<Record<SinkName, number>>;
    readonly latencyMs: {
      readonly p50: number;
      readonly p95: number;
      readonly p99: number;
      readonly max: number;
    };
    readonly invocations: Readonly<Record<SinkName, number>>;
    /** per sink: mean handler time of one invocation (ms), and the share of the run
     *  during which each partition had an invocation in flight (1 = never idle) */
    readonly invocationMs: Readonly<Record<SinkName, number>>;
    readonly partitionBusyShare: Readonly<Record<SinkName, number>>;
    readonly publishSeconds: number;
    /** CPU seconds of each party from the first publish until every event was visible */
    readonly cpuSeconds: CpuSeconds;
    readonly failedInvocations: Readonly<Record<SinkName, number>>;
    readonly verified: { readonly viewItems: number; readonly indexDocs: number };
  };
  readonly raw: {
    readonly eventsPerSecond: number;
    readonly runs: readonly (RawIngestResult & { readonly cpuSeconds: CpuSeconds })[];
  };
  readonly ratio: number;
  /** DynamoDB alone, one PutItem per item: the request-count-bound ceiling of a conditional
   *  view (median of as many runs as `raw`, in the same run) */
  readonly rawDynamoPutItemsPerSecond: number;
  readonly rawDynamoPutItemsRuns: readonly number[];
  readonly ratioToPutItems: number;
}

const repoRoot = fileURLToPath(new URL('../../', import.meta.url));
const HANDLERS: Readonly<Record<SinkName, string>> = {
  dynamodb: 'sink-dynamodb',
  opensearch: 'sink-opensearch',
  's3-archive': 'sink-s3-archive',
};
const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

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
  const pipelineJson = JSON.stringify({
    topics: { [topic]: { versioning: 'source', format: 'native' } },
  });
  const hosts: SinkHost[] = [];
  const mappings: EventSourceMapping[] = [];
  try {
    await createResources(names, admin, options.partitions, awsEnv);
    const rawTable = await bench.createTable(`bench-raw-${bench.suffix()}`);
    const rawBucket = await bench.createBucket(`bench-raw-${bench.suffix()}`);
    const rawPrefix = `bench-raw-${bench.suffix()}`;
    bench.defer(() => deleteIndices(stack.opensearchEndpoint, rawPrefix));

    const random = prng(7);
    const docs: Envelope[] = Array.from({ length: options.events }, (_, i) =>
      envelope(`c${i}`, 1, random, options.valueBytes),
    );
    const rawTargets = {
      ddb: bench.ddb,
      table: rawTable,
      s3: bench.s3,
      bucket: rawBucket,
      opensearchEndpoint: stack.opensearchEndpoint,
    };
    const rawRuns: (RawIngestResult & { cpuSeconds: CpuSeconds })[] = [];
    const putRuns: number[] = [];
    // Same concurrency as the DynamoDB sink has in flight (16 writes per partition batch).
    const putConcurrency = options.partitions * 16;
    const runRaw = async (label: string) => {
      // a fresh index per run: external versions already indexed would be conflicts
      const index = `${rawPrefix}-${rawRuns.length}`;
      const meter = startCpuMeter();
      const r = await rawIngest({ ...rawTargets, index }, docs, options.partitions);
      const cpuSeconds = meter.read();
      rawRuns.push({ ...r, cpuSeconds });
      options.log(
        `  raw ingest (${label}): ${round(r.eventsPerSecond, 0)} events/s (DynamoDB ${round(r.seconds.dynamodb, 1)} s, OpenSearch ${round(r.seconds.opensearch, 1)} s, S3 ${round(r.seconds.s3, 1)} s); CPU s: ${formatCpu(cpuSeconds)}`,
      );
      // a fresh table per run, so no run measures against what an earlier one left
      const putTable = await bench.createTable(`bench-rawput-${bench.suffix()}`);
      const put = await rawDynamoPutItems({ ...rawTargets, table: putTable }, docs, putConcurrency);
      putRuns.push(put);
      options.log(
        `  raw DynamoDB PutItem (${label}), one per item, ${putConcurrency} in flight: ${round(put, 0)} items/s`,
      );
    };
    await runRaw('before');

    // The pipeline: one worker-thread "function" per sink, one mapping each.
    const visibleAt = new Map<SinkName, Map<string, number>>(SinkNames.map((s) => [s, new Map()]));
    const invocations = Object.fromEntries(SinkNames.map((s) => [s, 0])) as Record<
      SinkName,
      number
    >;
    const failed = Object.fromEntries(SinkNames.map((s) => [s, 0])) as Record<SinkName, number>;
    // Handler time of the measured invocations (those started once publishing began).
    let began = Number.POSITIVE_INFINITY;
    const handlerMs = Object.fromEntries(SinkNames.map((s) => [s, [] as number[]])) as Record<
      SinkName,
      number[]
    >;
    for (const sink of SinkNames) {
      const host = new SinkHost({
        name: sink,
        handlerModule: path.join(repoRoot, 'functions', HANDLERS[sink], 'handler.ts'),
        env: {
          ...sinkEnv(sink, names, vars, pipelineJson),
          POWERTOOLS_LOG_LEVEL: 'ERROR',
          // the view sink's writes in flight per partition (its default: 16), to try others
          ...viewWriteConcurrencyOverride(),
        },
        timeoutMs: 120_000,
      });
      hosts.push(host);
      const seen = visibleAt.get(sink) as Map<string, number>;
      const invoker: Invoker = {
        invoke: async (event: MskEvent): Promise<InvokeResult> => {
          const startedAt = Date.now();
          const result = await host.invoke(event);
          const at = Date.now();
          if (startedAt >= began) handlerMs[sink].push(at - startedAt);
          invocations[sink]++;
          if (!result.ok) {
            failed[sink]++;
            return result;
          }
          const failures = (result.response as MskBatchResponse | null)?.batchItemFailures ?? [];
          if (failures.length > 0) failed[sink]++;
          for (const [id, records] of Object.entries(event.records)) {
            const stop = failures.find((f) => f.itemIdentifier.partition === id)?.itemIdentifier
              .offset;
            for (const r of records) {
              if (stop !== undefined && r.offset >= stop) continue;
              const k = `${r.partition}@${r.offset}`;
              if (!seen.has(k)) seen.set(k, at);
            }
          }
          return result;
        },
      };
      const mapping = new EventSourceMapping({
        functionName: sink,
        groupId: names.groupOf(sink),
        topics: [topic],
        brokers: [...stack.kafkaBrokers],
        invoker,
        settings: {
          batchSize: options.batchSize,
          batchingWindowMs: 100,
          startingPosition: 'TRIM_HORIZON',
        },
      });
      mappings.push(mapping);
    }
    await Promise.all(mappings.map((m) => m.start()));
    // Cold starts (worker + module init + index layout) are not throughput: warm every sink
    // with one record on its own key before the clock starts.
    const publisher = await createPublisher({
      brokers: [...stack.kafkaBrokers],
      clientId: 'staysync-bench',
    });
    const warm = await publisher.publish(
      topic,
      Array.from({ length: options.partitions * 4 }, (_, i) => ({
        entity: 'customer',
        key: `warm${i}`,
        op: 'upsert' as const,
        data: { warm: true },
        version: 1,
      })),
    );
    const warmKeys = warm.map((w) => `${w.partition}@${w.offset}`);
    const deadlineWarm = Date.now() + options.timeoutMs;
    while (!SinkNames.every((s) => warmKeys.every((k) => visibleAt.get(s)?.has(k)))) {
      if (Date.now() > deadlineWarm) throw new Error('e2e: sinks did not warm up in time');
      await sleep(100);
    }

    // Publish in chunks of 100, recording the send time of every record.
    const producedAt = new Map<string, number>();
    const meter = startCpuMeter();
    began = Date.now();
    for (let i = 0; i < docs.length; i += 100) {
      const chunk = docs.slice(i, i + 100);
      const sentAt = Date.now();
      const published = await publisher.publish(
        topic,
        chunk.map((d) => ({
          entity: d.entity,
          key: d.key,
          op: 'upsert' as const,
          data: d.data,
          version: d.version,
          id: d.id,
          ts: d.ts,
        })),
      );
      for (const p of published) producedAt.set(`${p.partition}@${p.offset}`, sentAt);
    }
    const publishedIn = (Date.now() - began) / 1000;
    await publisher.close();
    options.log(`  published ${docs.length} events in ${round(publishedIn, 1)} s`);

    const deadline = Date.now() + options.timeoutMs;
    const done = () =>
      SinkNames.every((s) => [...producedAt.keys()].every((k) => visibleAt.get(s)?.has(k)));
    while (!done()) {
      if (Date.now() > deadline) {
        const counts = SinkNames.map(
          (s) => `${s} ${[...producedAt.keys()].filter((k) => visibleAt.get(s)?.has(k)).length}`,
        );
        throw new Error(
          `e2e: not every event became visible within ${options.timeoutMs} ms (${counts.join(', ')} of ${producedAt.size})`,
        );
      }
      await sleep(50);
    }
    const cpuSeconds = meter.read();
    const latencies: number[] = [];
    let lastVisible = 0;
    const perSinkLast = Object.fromEntries(SinkNames.map((s) => [s, 0])) as Record<
      SinkName,
      number
    >;
    for (const [k, sent] of producedAt) {
      let visible = 0;
      for (const s of SinkNames) {
        const at = visibleAt.get(s)?.get(k) as number;
        visible = Math.max(visible, at);
        perSinkLast[s] = Math.max(perSinkLast[s], at);
      }
      lastVisible = Math.max(lastVisible, visible);
      latencies.push(visible - sent);
    }
    const seconds = (lastVisible - began) / 1000;
    const sum = (xs: readonly number[]) => xs.reduce((a, b) => a + b, 0);
    const invocationMs = Object.fromEntries(
      SinkNames.map((s) => [s, round(sum(handlerMs[s]) / Math.max(1, handlerMs[s].length), 0)]),
    ) as Record<SinkName, number>;
    // one invocation in flight per partition at most: busy share = handler time over
    // (partitions × the sink's own span)
    const partitionBusyShare = Object.fromEntries(
      SinkNames.map((s) => [
        s,
        round(sum(handlerMs[s]) / (options.partitions * Math.max(1, perSinkLast[s] - began)), 2),
      ]),
    ) as Record<SinkName, number>;
    options.log(`  pipeline CPU s: ${formatCpu(cpuSeconds)}`);
    options.log(
      `  per sink: ${SinkNames.map((s) => `${s} ${handlerMs[s].length} invocations of ${invocationMs[s]} ms, partitions busy ${Math.round(partitionBusyShare[s] * 100)}%`).join('; ')}`,
    );
    await Promise.all(mappings.map((m) => m.stop()));
    await Promise.all(hosts.map((h) => h.close()));

    // Verify: every key is in the view and in the index.
    let viewItems = 0;
    let start: Record<string, never> | undefined;
    do {
      const page = await bench.ddb.send(
        new ScanCommand({ TableName: names.viewTable, Select: 'COUNT', ExclusiveStartKey: start }),
      );
      viewItems += page.Count ?? 0;
      start = page.LastEvaluatedKey as Record<string, never> | undefined;
    } while (start !== undefined);
    const base = stack.opensearchEndpoint.replace(/\/$/, '');
    await fetch(`${base}/${names.indexPrefix}-*/_refresh`, { method: 'POST' });
    const countRes = (await (await fetch(`${base}/${names.indexPrefix}-*/_count`)).json()) as {
      count?: number;
    };
    const indexDocs = countRes.count ?? -1;
    const expected = docs.length + warm.length;
    options.log(
      `  pipeline: ${round(docs.length / seconds, 0)} events/s (${round(seconds, 1)} s; last applied by ${SinkNames.map((s) => `${s} at ${round((perSinkLast[s] - began) / 1000, 1)} s`).join(', ')}), latency p50 ${percentile(latencies, 50)} ms, p95 ${percentile(latencies, 95)} ms, p99 ${percentile(latencies, 99)} ms; view ${viewItems}/${expected} items, index ${indexDocs}/${expected} docs`,
    );
    if (viewItems !== expected)
      throw new Error(`e2e: the view holds ${viewItems} items, expected ${expected}`);

    for (let i = 1; i < options.rawRuns; i++)
      await runRaw(i === options.rawRuns - 1 ? 'after' : `run ${i + 1}`);
    const putItemsPerSecond = median(putRuns);
    options.log(
      `  medians: raw ingest ${round(median(rawRuns.map((r) => r.eventsPerSecond)), 0)} events/s, raw PutItem ${round(putItemsPerSecond, 0)} items/s`,
    );
    const rawEps = median(rawRuns.map((r) => r.eventsPerSecond));
    const pipelineEps = docs.length / seconds;
    return {
      events: docs.length,
      partitions: options.partitions,
      batchSize: options.batchSize,
      emulator: 'local/esm',
      pipeline: {
        eventsPerSecond: round(pipelineEps, 1),
        seconds: round(seconds, 2),
        perSinkSeconds: Object.fromEntries(
          SinkNames.map((s) => [s, round((perSinkLast[s] - began) / 1000, 2)]),
        ) as Record<SinkName, number>,
        latencyMs: {
          p50: percentile(latencies, 50),
          p95: percentile(latencies, 95),
          p99: percentile(latencies, 99),
          max: Math.max(...latencies),
        },
        invocations,
        invocationMs,
        partitionBusyShare,
        publishSeconds: round(publishedIn, 2),
        cpuSeconds,
        failedInvocations: failed,
        verified: { viewItems, indexDocs },
      },
      raw: {
        eventsPerSecond: round(rawEps, 1),
        runs: rawRuns.map((r) => ({
          eventsPerSecond: round(r.eventsPerSecond, 1),
          cpuSeconds: r.cpuSeconds,
          seconds: {
            dynamodb: round(r.seconds.dynamodb, 2),
            opensearch: round(r.seconds.opensearch, 2),
            s3: round(r.seconds.s3, 2),
            all: round(r.seconds.all, 2),
          },
        })),
      },
      ratio: round(pipelineEps / rawEps, 3),
      rawDynamoPutItemsPerSecond: round(putItemsPerSecond, 1),
      rawDynamoPutItemsRuns: putRuns.map((p) => round(p, 1)),
      ratioToPutItems: round(pipelineEps / putItemsPerSecond, 3),
    };
  } finally {
    await Promise.all(mappings.map((m) => m.stop().catch(() => undefined)));
    await Promise.all(hosts.map((h) => h.close().catch(() => undefined)));
    await deleteResources(names, admin, awsEnv, stack.opensearchEndpoint).catch(() => undefined);
    await admin.disconnect();
    await bench.cleanup();
  }
}

/** `VIEW_WRITE_CONCURRENCY` passed through from the bench's own environment, when set. */
function viewWriteConcurrencyOverride(): Record<string, string> {
  const value = process.env[EnvVar.viewWriteConcurrency];
  return value === undefined ? {} : { [EnvVar.viewWriteConcurrency]: value };
}
